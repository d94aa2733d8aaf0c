"""The Dask engine: blocks are futures that stay on the cluster's workers.

``map_reduce(function, blocks, *shared)`` runs ``function(block, *shared)`` where each block
lives (Dask schedules a task next to its input), keeps the per-block outputs there as futures
and adds the per-block statistics on the workers in a fixed tree (fan-in
:data:`REDUCE_FAN_IN`, left to right in block order), so only the statistics of each group
and the one sum cross the network; ``shared`` values (a model state) are scattered once per
call to every worker. With ``scheduler=None`` a ``LocalCluster`` is started on this machine.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Sequence, TypeVar

from crowdkit_core.engine import Engine, sum_in_order
from crowdkit_core.errors import EngineError

T = TypeVar("T")
S = TypeVar("S")

#: Statistics added per reduce task: a tree of this fan-in, each node summing left to right.
REDUCE_FAN_IN = 8


class DaskEngine(Engine):
    """Map-reduce over blocks held by a Dask cluster (a LocalCluster when no address is given).

    ``n_workers`` processes (``processes=False``: threads of this process, for tests) with one
    thread each and ``memory_limit`` per worker (e.g. ``"4GB"``; beyond it Dask spills to
    ``local_directory``). ``client``: an existing ``distributed.Client`` to use instead.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None,
                 memory_limit: str | None = None, *, processes: bool = True,
                 threads_per_worker: int = 1, local_directory: str | None = None,
                 client: Any = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise EngineError("--engine dask needs Dask: pip install 'crowdkit-core[dask]' "
                              "(dask[distributed])") from None
        self._cluster = None
        if client is not None:
            self.client = client
        elif scheduler:
            try:
                self.client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise EngineError(f"--scheduler {scheduler}: cannot reach a Dask scheduler "
                                  f"there ({exc}); check the address or omit it for a local "
                                  "cluster") from None
        else:
            self._cluster = LocalCluster(
                n_workers=n_workers or 1, threads_per_worker=threads_per_worker,
                processes=processes, memory_limit=memory_limit or "auto",
                local_directory=local_directory, dashboard_address=":0",
                worker_dashboard_address=None)
            self.client = Client(self._cluster)

    def __repr__(self) -> str:
        return f"DaskEngine({self.client.scheduler.address!r}, workers={self.n_workers})"

    @property
    def n_workers(self) -> int:
        return len(self.client.scheduler_info()["workers"])

    # -- the Engine interface --------------------------------------------------------------
    def map_blocks(self, function: Callable[[Any], T], blocks: Sequence[Any]) -> list[T]:
        return self.client.gather(self.client.map(function, list(blocks), pure=False))

    def map_resident(self, function: Callable[..., T], blocks: Sequence[Any], *shared: Any) -> list[Any]:
        items = list(blocks)
        if not items:
            return []
        # a block may be a future or a tuple of them ((partition, its state)): Dask resolves both
        kwargs = {"shared": self._broadcast(shared)} if shared else {}
        return self.client.map(_apply, items, function=function, pure=False, **kwargs)

    def map_reduce(self, function: Callable[..., tuple[T, S]], blocks: Sequence[Any],
                   *shared: Any) -> tuple[list[Any], S]:
        results = self.map_resident(function, blocks, *shared)
        outputs = self.client.map(operator.itemgetter(0), results, pure=False)
        stats = self.client.map(operator.itemgetter(1), results, pure=False)
        del results  # the tuples go; the outputs stay (the same objects, no copy)
        return outputs, self.tree_sum(stats).result()

    def tree_sum(self, futures: list[Any]) -> Any:
        """A future of the sum of ``futures`` in order, added on the workers in a tree."""
        while len(futures) > 1:
            futures = [self.client.submit(_sum_list, futures[i:i + REDUCE_FAN_IN], pure=False)
                       for i in range(0, len(futures), REDUCE_FAN_IN)]
        return futures[0]

    def scatter(self, values: Sequence[T]) -> list[Any]:
        return self.client.scatter(list(values), hash=False)

    def gather(self, handles: Sequence[Any]) -> list[Any]:
        return self.client.gather(list(handles))

    def close(self) -> None:
        """Close the client and the local cluster this engine started (if any)."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> "DaskEngine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _broadcast(self, shared: tuple[Any, ...]) -> Any:
        """One future for the shared values, copied once to every worker."""
        return self.client.scatter(shared, broadcast=True, hash=False)


def _apply(block: Any, function: Callable[..., T], shared: tuple[Any, ...] = ()) -> T:
    return function(block, *shared)


def _sum_list(parts: list[S]) -> S:
    return sum_in_order(parts)
