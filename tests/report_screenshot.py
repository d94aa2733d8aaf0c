"""Write the report screenshots of the docs: headless Chromium's pictures of the report of a
bundled dataset, palette-quantised to stay small (each well under 300 kB).

    .venv/bin/python tests/report_screenshot.py [DATASET] [OUT_DIR]

- ``report.png``: the whole page, scaled down (an overview);
- ``report-dataset.png``, ``report-workers.png``, ``report-tasks.png``: the top of one section
  each at full size (readable text), cropped at ``MAX_HEIGHT`` pixels.

It uses the browser tests' WebDriver client (tests/_browser.py), so the pictures in the docs
are what the browser test opens. Needs Chromium and chromedriver (Debian's ``chromium``,
``chromium-driver``) and Pillow.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _browser import Browser, browser_missing  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 1100
MAX_HEIGHT = 1100
#: picture name -> id of the report's <section>
SECTIONS = {"report-dataset.png": "overview", "report-workers.png": "workers",
            "report-tasks.png": "tasks"}


def _png(image, colors: int = 128) -> bytes:
    """``image`` as an optimised palette PNG."""
    from PIL import Image

    image = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _section_box(browser: Browser, section_id: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a section in page pixels."""
    box = browser.run(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return [r.left + window.scrollX, r.top + window.scrollY, r.right + window.scrollX,"
        " r.bottom + window.scrollY];", section_id)
    return tuple(int(round(v)) for v in box)  # type: ignore[return-value]


def shoot(dataset: str = "bundled:labelme", out_dir: Path = ROOT / "docs" / "img") -> dict[str, int]:
    """Write every picture into ``out_dir``; their sizes in bytes."""
    from PIL import Image

    from crowdkit_core.report import build_report

    why = browser_missing()
    if why:
        raise SystemExit(f"cannot take the screenshots: {why}")
    report = build_report(dataset)
    with tempfile.TemporaryDirectory() as tmp, Browser(width=WIDTH, height=1500) as browser:
        page = Path(tmp) / "report.html"
        page.write_text(report.html)
        browser.open(page)
        browser.resize(WIDTH, browser.full_height() + 200)
        boxes = {name: _section_box(browser, section) for name, section in SECTIONS.items()}
        full = Image.open(io.BytesIO(browser.screenshot()))
    pictures = {"report.png": _png(full.resize((full.width * 11 // 20, full.height * 11 // 20),
                                               Image.Resampling.LANCZOS))}
    for name, (left, top, right, bottom) in boxes.items():
        crop = full.crop((max(left - 16, 0), max(top - 16, 0), min(right + 16, full.width),
                          min(bottom + 16, top + MAX_HEIGHT, full.height)))
        pictures[name] = _png(crop)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in pictures.items():
        (out_dir / name).write_bytes(data)
    return {name: len(data) for name, data in pictures.items()}


def main(dataset: str = "bundled:labelme", out_dir: str = str(ROOT / "docs" / "img")) -> None:
    for name, size in shoot(dataset, Path(out_dir)).items():
        print(f"{Path(out_dir) / name}: {size // 1024} kB")


if __name__ == "__main__":
    main(*sys.argv[1:])
