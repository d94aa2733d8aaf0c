"""Pieces shared by the benchmark scripts: paths, strategy discovery, Dawid-Skene simulation,
the ``.bench`` virtual environment holding crowd-kit and peerannot, and markdown output.

The scripts are not tests: they measure, print and write markdown into ``docs/``. They use
strategies only through the public plugin API, so every installed strategy is covered.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "benchmarks"
SHARED_DATA = REPO.parent / "shared" / "data"
DOCS = REPO / "docs"
BENCH_HOME = REPO / ".bench"  # git-ignored
VENV = BENCH_HOME / "venv"
VENV_PYTHON = VENV / "bin" / "python"
VENV_MARKER = VENV / ".crowdkit-bench-ready.json"
CROWDKIT_PIN = "crowd-kit==1.4.2"
PEERANNOT_REQ = "peerannot"

#: Environment that keeps numpy/BLAS/torch on one thread (set before numpy is imported).
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}


def single_thread_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: this process's environment) pinned to one thread."""
    env = dict(os.environ if base is None else base)
    env.update(SINGLE_THREAD_ENV)
    return env


# -- datasets and strategies -----------------------------------------------------------------
def dataset_folders(root: Path = SHARED_DATA, names: Iterable[str] | None = None) -> list[Path]:
    """Dataset folders under ``root`` (those holding an answers file), sorted by name."""
    if not root.is_dir():
        return []
    wanted = set(names) if names else None
    folders = []
    for child in sorted(root.iterdir()):
        if not child.is_dir() or (wanted is not None and child.name not in wanted):
            continue
        if any((child / f).is_file() for f in ("answers.csv", "answers.json", "answers.parquet", "answers.tsv")):
            folders.append(child)
    if wanted is not None:
        missing = wanted - {f.name for f in folders}
        if missing:
            raise SystemExit(f"unknown dataset(s) under {root}: {', '.join(sorted(missing))}")
    return folders


def installed_strategy_names(kind: str | None = "aggregation") -> list[str]:
    """Display names of every registered strategy of ``kind``, sorted case-insensitively."""
    from crowdkit_core.plugins import get_registry

    return [info.name for info in get_registry().strategies(kind)]


def build_strategy(spec: str) -> Any:
    """A fresh, unfitted aggregator for ``spec`` (``NAME`` or ``NAME[key=value,...]``)."""
    from crowdkit_core.spec import resolve_spec

    return resolve_spec(spec).build()


def strategy_class(name: str) -> Any:
    """The Aggregator class registered as ``name``, through the public plugin API."""
    from crowdkit_core.plugins import get_registry

    return get_registry().get_strategy(name).load()


def strategy_importable(name: str) -> tuple[bool, str]:
    """(True, "") if the strategy's class imports, else (False, short reason)."""
    try:
        strategy_class(name)
    except Exception as exc:  # a missing module is a normal state while plugins are written
        return False, short_error(exc)
    return True, ""


def short_error(exc: BaseException, limit: int = 90) -> str:
    """One line naming the exception, short enough for a table cell."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- synthetic data ------------------------------------------------------------------------------
@dataclass
class Synthetic:
    """Answers drawn from a Dawid-Skene process, with the truth and the true parameters."""

    tasks: Any
    workers: Any
    labels: Any
    truth: Any
    n_tasks: int
    n_workers: int
    n_classes: int

    @property
    def n_answers(self) -> int:
        return int(self.tasks.size)

    def dataset(self):
        """A fresh CrowdDataset (fresh caches) over these answers."""
        import numpy as np

        from crowdkit_core.dataset import CrowdDataset

        return CrowdDataset(
            self.tasks, self.workers, self.labels, self.n_classes,
            np.arange(self.n_tasks), np.arange(self.n_workers), name="synthetic",
        )

    def save(self, path: Path) -> Path:
        """Write the answers to an ``.npz`` file read by the crowd-kit/peerannot children."""
        import numpy as np

        np.savez(path, tasks=self.tasks, workers=self.workers, labels=self.labels,
                 truth=self.truth, n_classes=self.n_classes, n_workers=self.n_workers)
        return path


def simulate_ds(
    n_tasks: int, n_workers: int, n_classes: int, per_task: int, seed: int = 0,
    accuracy_range: tuple[float, float] = (0.55, 0.95),
) -> Synthetic:
    """Answers from a Dawid-Skene process with known truth (seeded), drawn by the core's
    simulator (:func:`crowdkit_core.simulation.sample_answers`).

    Each worker has a confusion matrix whose diagonal is drawn uniformly in
    ``accuracy_range`` and whose off-diagonal mass is split by a Dirichlet(1) draw; the class
    prior is Dirichlet(5); each task gets ``per_task`` answers from distinct random workers.
    """
    import numpy as np

    from crowdkit_core.simulation import diagonal_with_dirichlet_errors, sample_answers

    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.full(n_classes, 5.0))
    confusion = diagonal_with_dirichlet_errors(rng, n_workers, n_classes, accuracy_range)
    data = sample_answers(confusion, prior, n_tasks, per_task, rng, name="synthetic")
    return Synthetic(np.asarray(data.tasks), np.asarray(data.workers), np.asarray(data.labels),
                     np.asarray(data.gold), n_tasks, n_workers, n_classes)


# -- the .bench virtual environment --------------------------------------------------------------
@dataclass
class BenchEnv:
    """The virtual environment with the reference libraries, and what could not be installed."""

    python: Path | None
    versions: dict[str, str]
    errors: dict[str, str]

    @property
    def has_crowdkit(self) -> bool:
        return self.python is not None and "crowd-kit" in self.versions

    @property
    def has_peerannot(self) -> bool:
        return self.python is not None and "peerannot" in self.versions


def _pip(args: list[str], log: Path) -> tuple[int, str]:
    with log.open("a") as handle:
        handle.write(f"\n$ pip {' '.join(args)}\n")
        handle.flush()
        proc = subprocess.run([str(VENV_PYTHON), "-m", "pip", *args], stdout=handle,
                              stderr=subprocess.STDOUT, text=True)
    tail = log.read_text(errors="replace").strip().splitlines()[-15:]
    return proc.returncode, "\n".join(tail)


def _installed_versions() -> dict[str, str]:
    code = (
        "import json\nfrom importlib import metadata\nout = {}\n"
        "for name in ('crowd-kit', 'peerannot', 'torch', 'pandas', 'numpy', 'scipy'):\n"
        "    try:\n        out[name] = metadata.version(name)\n"
        "    except metadata.PackageNotFoundError:\n        pass\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([str(VENV_PYTHON), "-c", code], capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def ensure_bench_env(want_peerannot: bool = True, log=print) -> BenchEnv:
    """Create (once) ``.bench/venv`` with crowd-kit 1.4.2 and peerannot; cached afterwards.

    If peerannot cannot be installed, crowd-kit alone is installed and the reason is kept in
    ``errors['peerannot']`` (and in ``.bench/install.log``).
    """
    BENCH_HOME.mkdir(exist_ok=True)
    install_log = BENCH_HOME / "install.log"
    if VENV_MARKER.is_file():
        state = json.loads(VENV_MARKER.read_text())
        versions = _installed_versions()
        if versions.get("crowd-kit") and (not want_peerannot or versions.get("peerannot") or state.get("errors", {}).get("peerannot")):
            return BenchEnv(VENV_PYTHON, versions, state.get("errors", {}))
    if not VENV_PYTHON.exists():
        log(f"creating {VENV} (once) ...")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        _pip(["install", "-q", "--upgrade", "pip"], install_log)
    errors: dict[str, str] = {}
    versions = _installed_versions()
    if "crowd-kit" not in versions or (want_peerannot and "peerannot" not in versions):
        reqs = [CROWDKIT_PIN] + ([PEERANNOT_REQ] if want_peerannot else [])
        log(f"installing {' '.join(reqs)} into {VENV} (large: peerannot pulls torch) ...")
        rc, tail = _pip(["install", *reqs], install_log)
        if rc != 0 and want_peerannot:
            errors["peerannot"] = f"pip install {CROWDKIT_PIN} {PEERANNOT_REQ} failed (exit {rc}):\n{tail}"
            rc, tail = _pip(["install", CROWDKIT_PIN], install_log)
        if rc != 0:
            errors["crowd-kit"] = f"pip install {CROWDKIT_PIN} failed (exit {rc}):\n{tail}"
        versions = _installed_versions()
        if want_peerannot and "peerannot" not in versions and "peerannot" not in errors:
            errors["peerannot"] = "peerannot is not importable after installation; see .bench/install.log"
    if "crowd-kit" in versions:
        VENV_MARKER.write_text(json.dumps({"versions": versions, "errors": errors}, indent=1))
    return BenchEnv(VENV_PYTHON if VENV_PYTHON.exists() else None, versions, errors)


def run_child(python: Path, script: str, args: dict[str, Any], timeout: float | None,
              single_thread: bool = True) -> dict[str, Any]:
    """Run ``benchmarks/<script>`` under ``python`` with JSON ``args``; return its JSON result.

    The child prints its result as a JSON object on its last stdout line. On failure the
    result is ``{"error": ...}``; on timeout also ``"timeout": True`` and ``"partial"``, the
    JSON lines printed before the child was stopped (progress marks).
    """
    env = single_thread_env() if single_thread else dict(os.environ)
    env.pop("PYTHONPATH", None)
    cmd = [str(python), str(BENCH_DIR / script), json.dumps(args)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=str(BENCH_HOME if BENCH_HOME.is_dir() else REPO))
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout or ""
        if isinstance(partial, bytes):
            partial = partial.decode(errors="replace")
        return {"error": f"exceeded the {timeout:.0f} s limit", "timeout": True,
                "wall": time.perf_counter() - start, "partial": _json_lines(partial)}
    lines = [line for line in proc.stdout.strip().splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: {' | '.join(tail)}"}
    return json.loads(lines[-1])


def _json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects printed one per line in ``text`` (others skipped)."""
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


# -- machine description and markdown ---------------------------------------------------------
def machine_description() -> dict[str, str]:
    """CPU model, cores, memory, OS and Python, for the header of a results page."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": str(os.cpu_count()), "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def our_versions() -> dict[str, str]:
    """Versions of crowdkit's distributions and of numpy/scipy in this interpreter."""
    from importlib import metadata

    out = {}
    for name in ("crowdkit-core", "crowdkit-classic", "numpy", "scipy", "pydantic", "pyarrow"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub markdown table (``|`` inside cells escaped)."""
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


BENCHMARKS_PAGE_HEAD = """# Benchmarks

Speed, memory and fidelity of crowdkit against crowd-kit 1.4.2 and peerannot, measured by the
scripts in `benchmarks/` (not part of the test suite). Each section is rewritten by the script
named in it; rerun that script to refresh it:

```bash
python benchmarks/speed.py            # speed and memory (creates .bench/venv once)
python benchmarks/speed.py --only e2e # whole `crowd aggregate` vs a crowd-kit script
python benchmarks/crosscheck_crowdkit.py
python benchmarks/glad_trajectory.py  # GLAD's accuracy along EM, ours and crowd-kit's (~20 min)
python benchmarks/mace_worker_order.py  # crowd-kit's MACE with ids as given and aligned (~5 min)
python benchmarks/cli_startup.py
python benchmarks/accuracy.py         # writes docs/accuracy.md
```
"""


def update_section(path: Path, key: str, content: str, head: str = BENCHMARKS_PAGE_HEAD) -> None:
    """Replace (or append) the block between ``<!-- BEGIN key -->`` and ``<!-- END key -->``."""
    begin, end = f"<!-- BEGIN {key} -->", f"<!-- END {key} -->"
    block = f"{begin}\n{content.strip()}\n{end}"
    text = path.read_text() if path.is_file() else head.rstrip() + "\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n")


def publish(section: str, text: str, write: bool) -> None:
    """Print a results section and, if ``write``, put it into docs/benchmarks.md."""
    print()
    print(text)
    if write:
        update_section(DOCS / "benchmarks.md", section, text)
        print(f"wrote {DOCS / 'benchmarks.md'} (section {section})")


def fmt_seconds(value: float | None) -> str:
    """Seconds with a sensible number of digits (``n/a`` for None)."""
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def now_utc() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
