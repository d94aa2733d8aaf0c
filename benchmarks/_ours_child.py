"""Child process measuring crowdkit's peak memory in a fresh interpreter.

Reads answers from an ``.npz`` file, then builds the CrowdDataset and fits the strategy
twice: first measuring peak RSS (``getrusage`` maxrss after, minus RSS before), then peak
traced allocations (``tracemalloc``). The input arrays themselves are loaded before the
baseline and are not counted. Prints one JSON line.

    python _ours_child.py '{"data": "/tmp/x.npz", "spec": "DS"}'
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def current_rss_kib() -> int:
    """Resident set size now, in KiB (Linux /proc; falls back to maxrss)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS; False if unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_kib() -> int:
    """Peak RSS in KiB: VmHWM (resettable) where available, else getrusage maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    import numpy as np

    from _common import build_strategy
    from crowdkit_core.dataset import CrowdDataset

    args = json.loads(sys.argv[1])
    raw = np.load(args["data"])
    tasks, workers, labels = raw["tasks"], raw["workers"], raw["labels"]
    k, n_workers = int(raw["n_classes"]), int(raw["n_workers"])
    n_tasks = int(tasks.max()) + 1
    task_ids, worker_ids = np.arange(n_tasks), np.arange(n_workers)
    # Warm up on a tiny slice so that lazily imported modules (scipy.sparse, ...) are loaded
    # before the baseline: they are a fixed cost, not memory per answer.
    few = tasks < 100
    tiny = CrowdDataset(tasks[few], workers[few], labels[few], k, np.arange(100), worker_ids)
    build_strategy(args["spec"]).fit(tiny)
    del tiny

    def fit():
        data = CrowdDataset(tasks, workers, labels, k, task_ids, worker_ids, name="synthetic")
        return build_strategy(args["spec"]).fit(data)

    gc.collect()
    was_reset = reset_peak_rss()
    rss_before = current_rss_kib()
    peak_before = peak_rss_kib()
    start = time.perf_counter()
    model = fit()
    wall = time.perf_counter() - start
    peak_after = peak_rss_kib()
    n_iter = int(getattr(model, "n_iter_", 0) or 0)
    del model
    gc.collect()

    tracemalloc.start()
    model = fit()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del model
    gc.collect()

    # The same, split: building the dataset alone, then fitting it (its cached sparse
    # matrices are built inside fit, so they count in the second figure).
    tracemalloc.start()
    data = CrowdDataset(tasks, workers, labels, k, task_ids, worker_ids, name="synthetic")
    _, build_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    held = tracemalloc.get_traced_memory()[0]
    build_strategy(args["spec"]).fit(data)
    _, fit_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = int(tasks.size)
    print(json.dumps({
        "n_answers": n, "wall": wall, "n_iter": n_iter,
        "rss_before_kib": rss_before, "maxrss_before_kib": peak_before, "maxrss_after_kib": peak_after,
        # Without a peak reset, an earlier peak can hide the fit's: then this is a lower bound.
        "rss_bytes_per_answer": (peak_after - rss_before) * 1024 / n,
        "rss_peak_reset": was_reset,
        "rss_peak_masked": (not was_reset) and peak_after == peak_before,
        "traced_peak_bytes": traced_peak, "traced_bytes_per_answer": traced_peak / n,
        "traced_build_bytes_per_answer": build_peak / n,
        "traced_fit_bytes_per_answer": (fit_peak - held) / n,
        "dataset_bytes_per_answer": held / n,
    }))


if __name__ == "__main__":
    main()
