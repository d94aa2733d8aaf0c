"""Task blocks: the answer matrix cut into contiguous task ranges that share its arrays.

One EM iteration is a map over tasks (each task's E-step is independent) followed by a
reduce (M-step statistics are sums over tasks); :mod:`crowdkit_core.engine` runs that
map-reduce over the blocks cut here. The cut depends on the answer count only, never on the
number of threads, so a fit gives the same bits for every ``n_jobs``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from crowdkit_core.dataset.model import CrowdDataset

#: Fewest answers per block: datasets under twice this stay one block (so small datasets
#: never pay a per-block overhead), and a block's (rows, K) working set stays near the CPU
#: caches, so its M-step statistics are computed while its posteriors are still there.
MIN_BLOCK_ANSWERS = 1 << 16
#: Answers a block needs per number of its statistics: each block's statistics (for DS,
#: n_workers x K x K expected counts) are zeroed, filled and added once per iteration, which
#: costs more than the block's work when there are many workers and few answers per block
#: (measured: 16 blocks made a one-thread DS fit on 1e7 answers and 10,000 workers 30% slower).
ANSWERS_PER_STATISTIC = 8
#: Upper bound on the number of blocks (a power of two, so two threads share them evenly).
MAX_BLOCKS = 8


@dataclass(frozen=True)
class TaskBlock:
    """Tasks ``start:stop`` and their rows of the answer matrix (views of its arrays)."""

    start: int
    stop: int
    matrix: Any  # scipy.sparse.csr_matrix

    @property
    def rows(self) -> slice:
        return slice(self.start, self.stop)


@dataclass(frozen=True)
class AnswerBlock:
    """Tasks ``start:stop`` and their answers ``first:last`` (answers are sorted by task), for
    strategies that work on per-answer arrays instead of the answer matrix (MACE)."""

    start: int
    stop: int
    first: int
    last: int

    @property
    def rows(self) -> slice:
        return slice(self.start, self.stop)

    @property
    def answers(self) -> slice:
        return slice(self.first, self.last)


def block_count(n_answers: int, n_statistics: int = 0) -> int:
    """How many blocks to cut ``n_answers`` into: a power of two, at most MAX_BLOCKS, each with
    at least MIN_BLOCK_ANSWERS answers and ANSWERS_PER_STATISTIC answers per number of
    statistics a block carries. A function of the data alone, so results never depend on the
    number of threads."""
    per_block = max(MIN_BLOCK_ANSWERS, ANSWERS_PER_STATISTIC * n_statistics)
    wanted = max(1, min(MAX_BLOCKS, n_answers // per_block))
    return 1 << (wanted.bit_length() - 1)


def dataset_block_count(dataset: CrowdDataset) -> int:
    """:func:`block_count` for a dataset whose blocks carry confusion-count statistics
    (n_workers x K x K numbers, the largest of the EM strategies')."""
    return block_count(dataset.n_answers, dataset.n_workers * dataset.n_classes ** 2)


def task_blocks(dataset: CrowdDataset, n_blocks: int | None = None) -> list[TaskBlock]:
    """The answer matrix cut into ``n_blocks`` task ranges with about equal answer counts.

    ``n_blocks`` defaults to :func:`dataset_block_count`. Blocks are cached on the
    dataset (keyed by ``n_blocks``) and share the matrix's ``indices`` and ``data`` arrays;
    only each block's small ``indptr`` is new.
    """
    if n_blocks is None:
        n_blocks = dataset_block_count(dataset)
    return dataset.cached(("task_blocks", n_blocks), lambda: _cut_blocks(dataset, n_blocks))


def answer_blocks(dataset: CrowdDataset, n_blocks: int | None = None) -> list[AnswerBlock]:
    """The tasks cut as :func:`task_blocks` cuts them, as task and answer ranges (no answer
    matrix is built)."""
    if n_blocks is None:
        n_blocks = dataset_block_count(dataset)
    offsets = np.append(dataset.task_starts, dataset.n_answers)
    return [AnswerBlock(start, stop, int(offsets[start]), int(offsets[stop]))
            for start, stop in task_ranges(offsets, n_blocks)]


def task_ranges(offsets: np.ndarray, n_blocks: int) -> list[tuple[int, int]]:
    """``n_blocks`` contiguous task ranges with about equal answer counts, from the answer
    offsets of the tasks (``indptr``: n_tasks + 1 entries); fewer when tasks are large."""
    n_tasks, n_answers = offsets.size - 1, int(offsets[-1])
    if n_blocks <= 1:
        return [(0, n_tasks)]
    targets = np.linspace(0, n_answers, n_blocks + 1)[1:-1]
    cuts = np.searchsorted(offsets, targets)
    bounds = np.unique(np.concatenate(([0], cuts, [n_tasks])))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def _cut_blocks(dataset: CrowdDataset, n_blocks: int) -> list[TaskBlock]:
    from scipy import sparse

    matrix = dataset.answer_matrix
    if n_blocks <= 1:
        blocks = [TaskBlock(0, dataset.n_tasks, matrix)]
    else:
        blocks = []
        for start, stop in task_ranges(matrix.indptr, n_blocks):
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


def transpose_matmul(matrix: Any, dense: np.ndarray) -> np.ndarray:
    """``matrix.T @ dense`` for a CSR ``matrix``: an M-step's scatter of rows into columns.

    Calls scipy's CSC kernel on the CSR arrays directly (what ``matrix.T @ dense`` runs,
    without building the transposed matrix, whose checks cost more than a small block's
    product); falls back to the public product without the private module.
    """
    dense = np.ascontiguousarray(dense, dtype=np.float64)
    kernel = _sparsetools("csc_matvecs")
    if kernel is None or matrix.data.dtype != np.float64:
        return np.asarray(matrix.T @ dense)
    n_rows, n_cols = matrix.shape
    out = np.zeros((n_cols, dense.shape[1]))
    kernel(n_cols, n_rows, dense.shape[1], matrix.indptr, matrix.indices, matrix.data,
           dense.ravel(), out.ravel())
    return out


def _csr_matvecs() -> Callable[..., None] | None:
    """scipy's compiled CSR multi-vector kernel, or None."""
    return _sparsetools("csr_matvecs")


@functools.lru_cache(maxsize=None)
def _sparsetools(name: str) -> Callable[..., None] | None:
    """A compiled kernel of scipy's private ``_sparsetools`` (hence optional), on first use."""
    try:
        from scipy.sparse import _sparsetools
    except ImportError:  # pragma: no cover - depends on the scipy build
        return None
    return getattr(_sparsetools, name, None)
