"""Memory bounds checked from a dataset's shape before anything large is allocated.

Every strategy holds at least a few dense (tasks x classes) float arrays (posteriors, their
logarithms, the soft labels written out) besides the answer arrays; ``n_classes: 1e9`` in a
metadata file would ask for that many columns. :func:`check_memory` estimates the peak and
refuses, in one line, what the machine cannot hold instead of letting the OOM killer decide.
"""

from __future__ import annotations

import os

from crowdkit_core.errors import DatasetError

#: Dense (tasks x classes) float64 arrays a run holds at its peak (EM: posterior, log
#: posterior, the previous iteration's, the full-size output).
TASK_CLASS_ARRAYS = 4
#: Bytes per answer at the peak: the three int64 columns, sort keys and block indices.
BYTES_PER_ANSWER = 80
ENV_LIMIT = "CROWDKIT_MEMORY_LIMIT"  # bytes; overrides the detected available memory


def available_memory() -> int | None:
    """Bytes the process may still allocate: ``CROWDKIT_MEMORY_LIMIT``, else the kernel's
    MemAvailable (Linux), else free physical pages; None when unknown."""
    limit = os.environ.get(ENV_LIMIT)
    if limit:
        try:
            return int(float(limit))
        except ValueError:
            raise DatasetError(f"{ENV_LIMIT}={limit!r}: not a number of bytes; fix or unset it") from None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def estimate_bytes(n_tasks: int, n_workers: int, n_answers: int, n_classes: int) -> int:
    """Peak bytes of an aggregation of this shape (see the constants above)."""
    return (TASK_CLASS_ARRAYS * 8 * n_tasks * n_classes + BYTES_PER_ANSWER * n_answers
            + 8 * n_workers * n_classes)


def check_memory(n_tasks: int, n_workers: int, n_answers: int, n_classes: int, where: str) -> None:
    """Raise a one-line :class:`DatasetError` when the estimate exceeds available memory."""
    available = available_memory()
    needed = estimate_bytes(n_tasks, n_workers, n_answers, n_classes)
    if available is not None and needed > available:
        raise DatasetError(
            f"{where}: {n_tasks} tasks x {n_classes} classes would need about {_size(needed)} of "
            f"memory, more than the {_size(available)} available; check n_classes (or free memory, "
            f"or set {ENV_LIMIT})")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
