"""Engines: where the per-block work of a map-reduce runs (local threads now, Dask later).

EM strategies describe one iteration as a function of one task block (plus small broadcast
parameters) that returns the block's output and a :class:`Statistics` object; the engine
maps it over the blocks and adds the statistics in block order. Blocks are independent and
statistics only add, so an engine is free to run blocks anywhere, as long as it sums them in
block order (float addition is not associative, and a fixed order keeps results
reproducible). :class:`ThreadEngine` runs blocks on a process-wide thread pool (scipy's
sparse kernels and numpy's ufuncs release the GIL).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import os
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Sequence, TypeVar

import numpy as np

B = TypeVar("B")
T = TypeVar("T")
S = TypeVar("S")

#: Rows per range below which :func:`map_row_ranges` does not split further.
MIN_RANGE_ROWS = 1 << 14


@dataclasses.dataclass(frozen=True)
class Statistics:
    """Sufficient statistics of some blocks: a frozen dataclass whose fields add elementwise.

    Subclasses declare array or float fields; ``a + b`` adds them field by field (new
    arrays, inputs untouched), so the statistics of a partition's parts add up to those of
    the whole, up to float rounding.
    """

    def __add__(self: S, other: S) -> S:
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(**{field.name: getattr(self, field.name) + getattr(other, field.name)
                             for field in dataclasses.fields(self)})


def sum_in_order(parts: Iterable[S]) -> S:
    """``parts[0] + parts[1] + ...`` left to right (a fixed order keeps results reproducible)."""
    return functools.reduce(operator.add, parts)


class Engine(ABC):
    """Runs a function over independent blocks; subclasses decide where (threads, a cluster)."""

    @abstractmethod
    def map_blocks(self, function: Callable[[B], T], blocks: Sequence[B]) -> list[T]:
        """``[function(block) for block in blocks]``, in block order."""

    def map_reduce(self, function: Callable[..., tuple[T, S]],
                   blocks: Sequence[B], *shared: Any) -> tuple[list[T], S]:
        """Per-block outputs and the sum, in block order, of the per-block statistics.

        ``function(block, *shared)`` returns ``(output, statistics)``; statistics support
        ``+``. ``shared`` are small values every block reads (a model state): a distributed
        engine sends them once per worker. The outputs are handles (:meth:`gather` gives the
        values): the values themselves here, futures that stay where they were computed on
        a cluster engine, so they can be passed back as blocks of the next call.
        """
        results = self.map_blocks(_bound(function, shared), blocks)
        return [output for output, _ in results], sum_in_order(stats for _, stats in results)

    def map_resident(self, function: Callable[..., T], blocks: Sequence[B], *shared: Any) -> list[T]:
        """Handles of ``function(block, *shared)`` per block, left where they were computed."""
        return self.map_blocks(_bound(function, shared), blocks)

    def scatter(self, values: Sequence[T]) -> list[T]:
        """Handles of ``values`` placed where the engine computes (the values themselves here)."""
        return list(values)

    def gather(self, handles: Sequence[T]) -> list[T]:
        """The values behind handles of :meth:`map_reduce` / :meth:`map_resident`, in order."""
        return list(handles)


class ThreadEngine(Engine):
    """Blocks on up to ``n_jobs`` threads of a shared pool (scikit-learn's n_jobs convention)."""

    def __init__(self, n_jobs: int | None = 1) -> None:
        self.n_threads = resolve_n_jobs(n_jobs)

    def __repr__(self) -> str:
        return f"ThreadEngine(n_jobs={self.n_threads})"

    def map_blocks(self, function: Callable[[B], T], blocks: Sequence[B]) -> list[T]:
        n_threads = min(self.n_threads, len(blocks))
        if n_threads <= 1:
            return [function(block) for block in blocks]
        return list(_pool(n_threads).map(function, blocks))


def _bound(function: Callable[..., T], shared: tuple[Any, ...]) -> Callable[[Any], T]:
    """``block -> function(block, *shared)`` (``function`` itself when nothing is shared)."""
    return functools.partial(_call_with, function, shared) if shared else function


def _call_with(function: Callable[..., T], shared: tuple[Any, ...], block: Any) -> T:
    return function(block, *shared)


def get_engine(engine: Engine | None = None, n_jobs: int | None = 1) -> Engine:
    """``engine`` itself when given, else a :class:`ThreadEngine` with ``n_jobs`` threads."""
    return engine if engine is not None else ThreadEngine(n_jobs)


def resolve_n_jobs(n_jobs: int | None) -> int:
    """scikit-learn's convention: None means 1, -1 all cores, -2 all but one, and so on."""
    if n_jobs is None or n_jobs == 0:
        return 1
    cores = os.cpu_count() or 1
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return n_jobs


def map_row_ranges(function: Callable[[slice], Any], n_rows: int, n_jobs: int | None = 1,
                   min_rows: int = MIN_RANGE_ROWS) -> None:
    """Run ``function(rows)`` over contiguous row ranges of ``0:n_rows`` (threads if n_jobs > 1).

    For row-wise work on dense (n_rows, K) arrays, e.g. argmax; ranges keep at least
    ``min_rows`` rows.
    """
    n_ranges = max(1, min(resolve_n_jobs(n_jobs), n_rows // max(min_rows, 1)))
    cuts = np.linspace(0, n_rows, n_ranges + 1).astype(int)
    ranges = [slice(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:])]
    ThreadEngine(n_ranges).map_blocks(function, ranges)


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(n_threads: int) -> ThreadPoolExecutor:
    """A process-wide pool per size, created on first use (threads are reused across fits)."""
    with _pools_lock:
        if n_threads not in _pools:
            _pools[n_threads] = ThreadPoolExecutor(n_threads, thread_name_prefix="crowdkit")
        return _pools[n_threads]
