"""The Aggregator interface, in scikit-learn style.

``__init__`` only validates and stores parameters (one pydantic model, ``Params``); ``fit``
learns from a dataset and returns ``self``; everything learnt lives in attributes ending in
``_``. Subclasses implement :meth:`Aggregator._fit`, which must set ``proba_`` and may set
``labels_`` (otherwise it is derived from ``proba_`` with the ``ties`` rule).
"""

from __future__ import annotations

import functools
import time
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

import numpy as np

from crowdkit_core.dataset.model import CrowdDataset
from crowdkit_core.errors import NotFittedError, SpecError
from crowdkit_core.params import StrategyParams

#: Called after each iteration of an iterative strategy with (iteration, objective).
IterationCallback = Callable[[int, float], None]


class Aggregator(ABC):
    """Base class of every aggregation strategy.

    Fitted attributes common to all strategies:

    * ``proba_``: (n_tasks, K) posterior or vote distribution, rows sum to 1.
    * ``labels_``: (n_tasks,) hard labels; -1 means "no label" (only if ``can_abstain``).
    * ``n_iter_`` / ``converged_``: iterations run and whether the tolerance was reached.
    * ``history_``: objective value per iteration (log-likelihood for EM strategies).
    * ``warnings_``: messages worth showing the user (e.g. too few answers per worker).
    """

    #: pydantic model holding the parameters (subclass of StrategyParams).
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    #: Display name, as registered.
    name: ClassVar[str] = ""
    #: Paper reference shown by ``crowd describe``.
    reference: ClassVar[str] = ""
    #: True when some tasks may get no label (-1), e.g. TwoThird.
    can_abstain: ClassVar[bool] = False
    #: Largest number of classes the model handles (KOS: 2); None means any K.
    max_classes: ClassVar[int | None] = None
    #: Conformance checks expected to fail, {check name: reason} (as sklearn's xfail tags).
    conformance_xfail: ClassVar[dict[str, str]] = {}
    #: Fitted attributes indexed by task (length n_tasks) that the CLI saves in a details file.
    task_outputs: ClassVar[tuple[str, ...]] = ()
    #: Fitted attributes indexed by worker (first axis n_workers) saved likewise.
    worker_outputs: ClassVar[tuple[str, ...]] = ()
    #: Fitted attributes holding task indices (e.g. tasks judged too hard), saved as id lists.
    task_lists: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **params: Any) -> None:
        from crowdkit_core.spec import validate_params

        self._params = validate_params(self.Params, params)
        self._on_iteration: IterationCallback | None = None

    # -- parameters ----------------------------------------------------------------------
    @property
    def params(self) -> StrategyParams:
        """The validated, immutable parameter model."""
        return self._params

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters as a dict (scikit-learn convention)."""
        return self._params.model_dump()

    def set_params(self, **params: Any) -> "Aggregator":
        """Change parameters; the result is validated again as a whole. Returns ``self``."""
        from crowdkit_core.spec import validate_params

        self._params = validate_params(self.Params, {**self._params.model_dump(), **params})
        return self

    @property
    def spec(self) -> str:
        """Canonical spec string, e.g. ``DS[max_iter=50]``."""
        from crowdkit_core.spec import canonical_spec

        return canonical_spec(self.name or type(self).__name__, self._params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.non_default_items())
        return f"{type(self).__name__}({args})"

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: explain unfitted access clearly.
        if name.endswith("_") and not name.startswith("_"):
            raise NotFittedError(
                f"{type(self).__name__}.{name} is not available: call fit(dataset) first"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- fitting -------------------------------------------------------------------------
    def fit(self, data: Any, *, on_iteration: IterationCallback | None = None) -> "Aggregator":
        """Learn from ``data`` (a CrowdDataset or anything :func:`as_dataset` accepts)."""
        from crowdkit_core.dataset.readers import as_dataset

        dataset = as_dataset(data)
        self._on_iteration = on_iteration
        self.n_iter_ = 0
        self.converged_ = True
        self.history_: list[float] = []
        self.warnings_: list[str] = []
        self.n_tasks_ = dataset.n_tasks
        self.n_classes_ = dataset.n_classes
        start = time.perf_counter()
        try:
            self._fit(dataset)
        finally:
            self._on_iteration = None
        if "labels_" not in self.__dict__:
            self.labels_ = labels_from_proba(self.proba_, self.params.ties, self.rng(),
                                             n_jobs=getattr(self.params, "n_jobs", 1))
        self.fit_seconds_ = time.perf_counter() - start
        return self

    @abstractmethod
    def _fit(self, dataset: CrowdDataset) -> None:
        """Fit on a validated dataset; set ``proba_`` (and optionally ``labels_``)."""

    def details(self, task_ids: Any, worker_ids: Any) -> dict[str, Any]:
        """Per-task and per-worker fitted attributes keyed by original ids (JSON-ready).

        Uses :attr:`task_outputs` and :attr:`worker_outputs`; empty when neither is declared.
        """
        out: dict[str, Any] = {}
        for group, names, ids in (("tasks", self.task_outputs, task_ids),
                                  ("workers", self.worker_outputs, worker_ids)):
            for name in names:
                values = np.asarray(getattr(self, name))
                out.setdefault(group, {})[name.rstrip("_")] = {
                    str(key): value for key, value in zip(ids, values.tolist())
                }
        for name in self.task_lists:
            indices = np.asarray(getattr(self, name), dtype=np.int64)
            out.setdefault("task_lists", {})[name.rstrip("_")] = [str(task_ids[i]) for i in indices]
        return out

    def fit_predict(self, data: Any) -> np.ndarray:
        """Fit, then return ``labels_``."""
        return self.fit(data).labels_

    def fit_predict_proba(self, data: Any) -> np.ndarray:
        """Fit, then return ``proba_``."""
        return self.fit(data).proba_

    # -- helpers for subclasses ----------------------------------------------------------
    def rng(self, stream: int = 0) -> np.random.Generator:
        """A fresh generator from ``seed``; ``stream`` separates independent uses."""
        return np.random.default_rng([self.params.seed, stream])

    def _report(self, iteration: int, objective: float) -> None:
        """Record one iteration: history, counter and the caller's progress callback."""
        self.history_.append(float(objective))
        self.n_iter_ = iteration
        if self._on_iteration is not None:
            self._on_iteration(iteration, float(objective))

    @classmethod
    def check_params_class(cls) -> None:
        """Raise if ``Params`` is not a StrategyParams model (used by the conformance kit)."""
        if not (isinstance(cls.Params, type) and issubclass(cls.Params, StrategyParams)):
            raise SpecError(f"{cls.__name__}.Params must subclass crowdkit_core.params.StrategyParams")


def labels_from_proba(
    proba: np.ndarray, ties: str = "lowest", rng: np.random.Generator | None = None,
    rtol: float = 1e-9, n_jobs: int | None = 1,
) -> np.ndarray:
    """Argmax of each row; ties (within ``rtol``) broken by ``ties`` ("lowest" or "random").

    numpy's row-wise reductions over a narrow (n, K) array are slow, so the work goes column
    by column: a running maximum, then each row's near-maximal classes as a bit code whose
    lowest set bit and bit count come from lookup tables (K <= 16). Row ranges run on
    ``n_jobs`` threads; only rows that really have a tie then draw random numbers, in row
    order, so the result never depends on ``n_jobs``.
    """
    from crowdkit_core.engine import map_row_ranges

    proba = np.asarray(proba, dtype=np.float64)
    n = proba.shape[0]
    labels = np.empty(n, dtype=np.int64)
    n_tied = np.empty(n, dtype=np.int64)
    threshold = np.empty(n)

    def run(rows: slice) -> None:
        part = proba[rows]
        best = threshold[rows]
        if part.shape[1]:
            np.copyto(best, part[:, 0])
            for j in range(1, part.shape[1]):
                np.maximum(best, part[:, j], out=best)
        best -= rtol * np.abs(best)  # now the threshold
        labels[rows], n_tied[rows] = _lowest_and_count(part, best)

    map_row_ranges(run, n, n_jobs)
    if ties == "lowest":
        return labels
    rows = np.flatnonzero(n_tied > 1)
    if rows.size:
        rng = rng or np.random.default_rng(0)
        tied = proba[rows] >= threshold[rows, None]
        labels[rows] = np.where(tied, rng.random(tied.shape), -1.0).argmax(axis=1)
    return labels


def _lowest_and_count(proba: np.ndarray, threshold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``proba``: the first column at or above ``threshold``, and how many are."""
    n, k = proba.shape
    hit = np.empty(n, dtype=bool)
    if k <= 16:
        code_type = np.uint8 if k <= 8 else np.uint16
        codes = np.zeros(n, dtype=code_type)
        for j in range(k):
            np.greater_equal(proba[:, j], threshold, out=hit)
            codes |= hit.view(np.uint8).astype(code_type, copy=False) << code_type(j)
        lowest, count = _bit_tables(k)
        return lowest.take(codes), count.take(codes)
    labels = np.zeros(n, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    for j in range(k - 1, -1, -1):  # downwards, so the lowest tied label is written last
        np.greater_equal(proba[:, j], threshold, out=hit)
        np.copyto(labels, j, where=hit)
        count += hit
    return labels, count


@functools.lru_cache(maxsize=16)
def _bit_tables(k: int) -> tuple[np.ndarray, np.ndarray]:
    """For every k-bit code: index of its lowest set bit (0 for none) and its bit count."""
    codes = np.arange(1 << k)
    lowest = np.zeros(1 << k, dtype=np.int64)
    count = np.zeros(1 << k, dtype=np.int64)
    for j in range(k - 1, -1, -1):
        bit = (codes >> j) & 1
        lowest[bit == 1] = j
        count += bit
    return lowest, count


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Divide each row by its sum (rows summing to 0 become uniform)."""
    totals = matrix.sum(axis=1, keepdims=True)
    k = matrix.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(totals > 0, matrix / np.where(totals > 0, totals, 1.0), 1.0 / k)
    return out


def softmax_rows(log_values: np.ndarray) -> np.ndarray:
    """Row-wise softmax computed stably in log space."""
    shifted = log_values - log_values.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted
