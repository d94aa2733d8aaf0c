"""Write docs/img/report.png: headless Chromium's screenshot of the whole report of a
bundled dataset, scaled down and palette-quantised to stay small (well under 300 kB).

    .venv/bin/python tests/report_screenshot.py [DATASET] [OUT.png]

It uses the browser tests' WebDriver client (tests/_browser.py), so the picture in the
docs is what the browser test opens.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _browser import Browser, browser_missing  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main(dataset: str = "bundled:labelme", out: str = str(ROOT / "docs" / "img" / "report.png")) -> None:
    from PIL import Image

    from crowdkit_core.report import build_report

    why = browser_missing()
    if why:
        raise SystemExit(f"cannot take the screenshot: {why}")
    report = build_report(dataset)
    with tempfile.TemporaryDirectory() as tmp, Browser(width=1100, height=1500) as browser:
        page = Path(tmp) / "report.html"
        page.write_text(report.html)
        browser.open(page)
        browser.resize(1100, browser.full_height() + 200)
        shot = browser.screenshot()
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    image = image.resize((image.width * 11 // 20, image.height * 11 // 20), Image.Resampling.LANCZOS)
    image = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_bytes(buffer.getvalue())
    print(f"{out}: {len(buffer.getvalue()) // 1024} kB")


if __name__ == "__main__":
    main(*sys.argv[1:])
