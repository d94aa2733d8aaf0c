"""Execution engines by name: ``threads`` (the local default) and ``dask`` (a cluster).

A strategy says which engines it runs on in its ``Tags(engines=...)``; running it on another
one is a one-line :class:`~crowdkit_core.errors.EngineError` naming those it supports. On a
cluster engine the dataset is a :class:`~crowdkit_core.engines.partitioned.PartitionedDataset`
whose partitions live on the workers; strategies that declare ``dask`` implement
``_fit_partitioned`` (one EM iteration = one map-reduce over the partitions).
"""

from __future__ import annotations

from typing import Any

from crowdkit_core.engine import Engine, ThreadEngine
from crowdkit_core.errors import EngineError

#: Engine names accepted by ``crowd aggregate --engine``.
ENGINE_NAMES = ("threads", "dask")


def make_engine(name: str, *, scheduler: str | None = None, workers: int | None = None,
                memory_limit: str | None = None, n_jobs: int | None = 1) -> Engine:
    """The engine called ``name``: threads (``n_jobs``) or dask (``scheduler`` address, or a
    LocalCluster of ``workers`` processes with ``memory_limit`` each)."""
    if name == "threads":
        return ThreadEngine(n_jobs)
    if name == "dask":
        from crowdkit_core.engines.dask_engine import DaskEngine

        return DaskEngine(scheduler=scheduler, n_workers=workers, memory_limit=memory_limit)
    raise EngineError(f"--engine {name!r}: unknown engine; use one of {', '.join(ENGINE_NAMES)}")


def require_engine(strategy_class: Any, engine: str, name: str | None = None) -> None:
    """Raise EngineError unless the strategy's tags list ``engine`` (``threads`` always runs:
    every strategy fits in memory on the local machine)."""
    if engine == "threads":
        return
    supported = tuple(strategy_class.tags.engines) or ("threads",)
    if engine not in supported:
        label = name or getattr(strategy_class, "__name__", "the strategy")
        raise EngineError(
            f"--engine {engine}: {label} does not run on the {engine} engine (it supports: "
            f"{', '.join(supported)}); use --engine {supported[0]} or a strategy that lists "
            f"{engine} in `crowd describe`")


def engine_name(engine: Engine) -> str:
    """The name of an engine instance (``threads`` for the local one)."""
    return getattr(engine, "name", "threads")
