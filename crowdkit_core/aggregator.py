"""The Aggregator interface: the aggregation kind of :class:`~crowdkit_core.estimator.Estimator`.

Subclasses implement :meth:`Aggregator._fit`, which must set ``proba_`` and may set
``labels_`` (otherwise it is derived from ``proba_`` with the ``ties`` rule).
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar, Generic

import numpy as np

from crowdkit_core.estimator import Estimator, Output, P

__all__ = ["Aggregator", "labels_from_proba", "normalize_rows", "softmax_rows"]


class Aggregator(Estimator[P], Generic[P]):
    """Base class of every aggregation strategy.

    Fitted attributes common to all strategies: ``proba_`` (n_tasks, K) posterior or vote
    distribution (rows sum to 1), ``labels_`` (n_tasks,) hard labels (-1 = no label, only
    with the ``can_abstain`` tag), ``n_iter_`` / ``converged_`` / ``history_`` (iterations,
    whether the tolerance was reached, objective per iteration) and ``warnings_``.
    """

    kind: ClassVar[str] = "aggregation"
    outputs = (
        Output("proba_", "task", ("n_tasks", "K"),
               "distribution over classes of each task (posterior or vote shares)", saved=False),
        Output("labels_", "task", ("n_tasks",),
               "hard label of each task (-1: no label, only for abstaining strategies)",
               saved=False),
    )

    def _finish_fit(self, dataset: Any) -> None:
        if getattr(dataset, "partitioned", False):
            self._finish_partitioned(dataset)
            return
        # Probabilities lie in [0, 1]: rounding (a prior weight multiplied in after
        # normalising, say) can leave 1 + 2e-16, which consumers may reject.
        proba = self.__dict__.get("proba_")
        if isinstance(proba, np.ndarray) and proba.dtype.kind == "f" and proba.size and (
                proba.max() > 1.0 or proba.min() < 0.0):
            self.proba_ = np.clip(proba, 0.0, 1.0, out=proba if proba.flags.writeable else None)
        if "labels_" not in self.__dict__:
            self.labels_ = labels_from_proba(self.proba_, self.params.ties, self.rng(),
                                             n_jobs=getattr(self.params, "n_jobs", 1))

    def _finish_partitioned(self, dataset: Any) -> None:
        """Per-partition labels (``partition_labels_``, handles on the engine) from
        ``partition_proba_``, with the local engine's tie-breaks; ``proba_`` and ``labels_``
        too when the dataset is gathered to the driver."""
        from crowdkit_core.engines.partitioned import partition_labels

        if "partition_labels_" not in self.__dict__:
            self.partition_labels_ = partition_labels(
                dataset.engine, self.partition_proba_, self.params.ties, self.params.seed)
        if dataset.gather:
            self.proba_ = dataset.rows(self.partition_proba_)
            self.labels_ = dataset.rows(self.partition_labels_)

    def fit_predict(self, data: Any, *args: Any, **inputs: Any) -> Any:
        """Fit, then return ``labels_``; for a DataFrame, a Series indexed by task id holding
        label values (``frames.labels``), as crowd-kit's ``fit_predict``."""
        self.fit(data, *args, **inputs)
        return self.frames.labels if _from_frame(self) else self.labels_

    def fit_predict_proba(self, data: Any, *args: Any, **inputs: Any) -> Any:
        """Fit, then return ``proba_``; for a DataFrame, a DataFrame indexed by task id with
        one column per label (``frames.proba``)."""
        self.fit(data, *args, **inputs)
        return self.frames.proba if _from_frame(self) else self.proba_


def _from_frame(model: Aggregator[Any]) -> bool:
    """Whether the last fit was given a DataFrame (results then go back as pandas objects)."""
    return bool(getattr(model.__dict__.get("_fit_index"), "from_frame", False))


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
