"""Task blocks: the answer matrix cut into contiguous task ranges, run on a thread pool.

One EM iteration is a map over tasks (each task's E-step is independent) followed by a
reduce (M-step statistics are sums over tasks). This module is the local engine for that
map-reduce: :func:`task_blocks` cuts the answer matrix into blocks that share its arrays,
and :func:`map_blocks` runs a function on every block, on threads when ``n_jobs > 1``
(scipy's sparse kernels and numpy's ufuncs release the GIL).

Row-wise work (E-steps) gives identical numbers whatever the blocks. A reduction that adds
per-block partials should use :func:`sum_in_order`, so that a given block count always
gives the same numbers.
"""

from __future__ import annotations

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from crowdkit_core.dataset.model import CrowdDataset

#: Answers per block below which a dataset is not cut further (keeps per-block overhead small
#: and each block's (rows, K) working set near the CPU caches).
MIN_BLOCK_ANSWERS = 1 << 16
#: Upper bound on the number of blocks.
MAX_BLOCKS = 16

T = TypeVar("T")


@dataclass(frozen=True)
class TaskBlock:
    """Tasks ``start:stop`` and their rows of the answer matrix (views of its arrays)."""

    start: int
    stop: int
    matrix: Any  # scipy.sparse.csr_matrix

    @property
    def rows(self) -> slice:
        return slice(self.start, self.stop)


def block_count(n_answers: int, n_jobs: int | None = 1) -> int:
    """How many blocks to cut ``n_answers`` into for ``n_jobs`` threads (a power of two).

    One block on one thread (cutting only adds overhead there); otherwise about two blocks
    per thread, as long as blocks keep at least :data:`MIN_BLOCK_ANSWERS` answers.
    """
    threads = resolve_n_jobs(n_jobs)
    wanted = min(MAX_BLOCKS, 2 * threads) if threads > 1 else 1
    n_blocks = 1
    while n_blocks < wanted and n_answers >= 2 * n_blocks * MIN_BLOCK_ANSWERS:
        n_blocks *= 2
    return n_blocks


def task_blocks(dataset: CrowdDataset, n_blocks: int) -> list[TaskBlock]:
    """The answer matrix cut into ``n_blocks`` task ranges with about equal answer counts.

    Blocks are cached on the dataset (keyed by ``n_blocks``) and share the matrix's
    ``indices`` and ``data`` arrays; only each block's small ``indptr`` is new.
    """
    return dataset.cached(("task_blocks", n_blocks), lambda: _cut_blocks(dataset, n_blocks))


def _cut_blocks(dataset: CrowdDataset, n_blocks: int) -> list[TaskBlock]:
    from scipy import sparse

    matrix = dataset.answer_matrix
    if n_blocks <= 1:
        blocks = [TaskBlock(0, dataset.n_tasks, matrix)]
    else:
        targets = np.linspace(0, dataset.n_answers, n_blocks + 1)[1:-1]
        cuts = np.searchsorted(matrix.indptr, targets)
        bounds = np.unique(np.concatenate(([0], cuts, [dataset.n_tasks])))
        blocks = []
        for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            first, last = int(matrix.indptr[start]), int(matrix.indptr[stop])
            indptr = matrix.indptr[start:stop + 1] - matrix.indptr[start]
            # Set the arrays on an empty matrix: the constructor would copy a view that is
            # under half of its base (scipy's prune), and the blocks must share memory.
            part = sparse.csr_matrix((stop - start, matrix.shape[1]), dtype=matrix.dtype)
            part.indptr = indptr.astype(matrix.indices.dtype, copy=False)
            part.indices = matrix.indices[first:last]
            part.data = matrix.data[first:last]
            blocks.append(TaskBlock(start, stop, part))
    return blocks


def resolve_n_jobs(n_jobs: int | None) -> int:
    """scikit-learn's convention: None means 1, -1 all cores, -2 all but one, and so on."""
    if n_jobs is None or n_jobs == 0:
        return 1
    cores = os.cpu_count() or 1
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return n_jobs


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(n_threads: int) -> ThreadPoolExecutor:
    """A process-wide pool per size, created on first use (threads are reused across fits)."""
    with _pools_lock:
        if n_threads not in _pools:
            _pools[n_threads] = ThreadPoolExecutor(n_threads, thread_name_prefix="crowdkit")
        return _pools[n_threads]


def map_blocks(function: Callable[[TaskBlock], T], blocks: Sequence[TaskBlock],
               n_jobs: int | None = 1) -> list[T]:
    """``[function(block) for block in blocks]``, on up to ``n_jobs`` threads, in order."""
    n_threads = min(resolve_n_jobs(n_jobs), len(blocks))
    if n_threads <= 1:
        return [function(block) for block in blocks]
    return list(_pool(n_threads).map(function, blocks))


def map_row_ranges(function: Callable[[slice], Any], n_rows: int, n_jobs: int | None = 1,
                   min_rows: int = MIN_BLOCK_ANSWERS // 4) -> None:
    """Run ``function(rows)`` over contiguous row ranges of ``0:n_rows`` (threads if n_jobs > 1).

    For row-wise work on dense (n_rows, K) arrays, e.g. argmax; ranges keep at least
    ``min_rows`` rows.
    """
    n_threads = resolve_n_jobs(n_jobs)
    n_ranges = max(1, min(n_threads, n_rows // max(min_rows, 1)))
    if n_ranges == 1:
        function(slice(0, n_rows))
        return
    cuts = np.linspace(0, n_rows, n_ranges + 1).astype(int)
    ranges = [slice(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:])]
    list(_pool(n_ranges).map(function, ranges))


def sum_in_order(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Add partial statistics in block order (a fixed order keeps results reproducible)."""
    total = np.array(parts[0], dtype=np.float64, copy=True)
    for part in parts[1:]:
        total += part
    return total


def matmul_into(matrix: Any, dense: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[...] = matrix @ dense`` for a CSR ``matrix`` without a temporary array.

    Uses scipy's CSR multi-vector kernel directly when its private module is available (it
    accumulates into ``out``, which is zeroed first); otherwise falls back to the public
    product and a copy.
    """
    dense = np.ascontiguousarray(dense, dtype=np.float64)
    kernel = _csr_matvecs()
    usable = (kernel is not None and out.flags.c_contiguous and out.dtype == np.float64
              and matrix.data.dtype == np.float64 and matrix.indices.dtype == matrix.indptr.dtype)
    if usable:
        out.fill(0.0)
        n_rows, n_cols = matrix.shape
        kernel(n_rows, n_cols, dense.shape[1], matrix.indptr, matrix.indices, matrix.data,
               dense.ravel(), out.ravel())
        return out
    out[...] = matrix @ dense
    return out


@functools.lru_cache(maxsize=1)
def _csr_matvecs() -> Callable[..., None] | None:
    """scipy's compiled CSR kernel (private, hence optional), imported on first use."""
    try:
        from scipy.sparse._sparsetools import csr_matvecs
    except ImportError:  # pragma: no cover - depends on the scipy build
        return None
    return csr_matvecs
