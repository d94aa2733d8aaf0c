"""Start-up time of the ``crowd`` command: median wall time of fresh processes.

Times ``crowd --help`` and ``crowd list-strategies`` (and, for scale, a bare
``python -c pass``), each in 7 fresh subprocesses after one untimed warm-up run (so the
file-system cache and ``.pyc`` files are warm, as for a user's second call), and writes the
medians into docs/benchmarks.md.

    python benchmarks/cli_startup.py [--runs 7] [--no-write]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_description, markdown_table, now_utc, publish  # noqa: E402

TARGET_SECONDS = 0.3


def crowd_executable() -> str:
    """The ``crowd`` console script of this interpreter's environment (else the one on PATH)."""
    beside = Path(sys.executable).with_name("crowd")
    if beside.is_file():
        return str(beside)
    found = shutil.which("crowd")
    if found is None:
        raise SystemExit("the `crowd` command is not installed; run `pip install -e .`")
    return found


def time_command(cmd: list[str], runs: int) -> tuple[float, list[float]]:
    """(median, all walls) of ``runs`` fresh runs of ``cmd`` after one untimed warm-up."""
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), walls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (median reported)")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args(argv)
    crowd = crowd_executable()
    commands = {
        "python -c pass (interpreter alone, for scale)": ([sys.executable, "-c", "pass"], None),
        "crowd --help": ([crowd, "--help"], TARGET_SECONDS),
        "crowd list-strategies": ([crowd, "list-strategies"], TARGET_SECONDS),
    }
    rows = []
    for label, (cmd, target) in commands.items():
        median, walls = time_command(cmd, args.runs)
        verdict = "–" if target is None else ("pass" if median < target else "MISS")
        rows.append([f"`{label}`", f"{median * 1e3:.0f} ms",
                     f"{min(walls) * 1e3:.0f}–{max(walls) * 1e3:.0f} ms",
                     "–" if target is None else f"< {target * 1e3:.0f} ms", verdict])
        print(f"{label}: median {median * 1e3:.0f} ms ({', '.join(f'{w * 1e3:.0f}' for w in walls)})")
    machine = machine_description()
    text = "\n".join([
        "## CLI start-up",
        "",
        f"Measured by `python benchmarks/cli_startup.py` on {now_utc()} ({machine['cpu']}, "
        f"{machine['cores']} cores, Python {machine['python']}): median wall time of {args.runs} fresh "
        "processes per command, after one untimed warm-up run; output discarded.",
        "",
        markdown_table(["command", "median", "range", "target", "verdict"], rows),
    ])
    publish("cli-startup", text, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
