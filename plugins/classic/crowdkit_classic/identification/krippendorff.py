"""Krippendorff's alpha (nominal) from coincidence counts, and each worker's effect on it.

With ``n_uc`` the number of answers of class ``c`` on task ``u`` and ``m_u`` its answers,
only tasks with ``m_u >= 2`` (pairable units) count. The diagonal of the coincidence matrix
sums to ``D = sum_u (sum_c n_uc^2 - m_u) / (m_u - 1)``, its margins are ``n_c = sum_u n_uc``
and ``n = sum_c n_c``, so::

    alpha = 1 - (n - 1) (n - D) / (n^2 - sum_c n_c^2)

in O(answers + K) instead of peerannot's loop over all pairs of tasks. Leaving one worker
out changes only the tasks they answered, which gives alpha without each worker in
O(answers + n_workers K) for all workers at once.
"""

from __future__ import annotations

import numpy as np

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output
from crowdkit_core.identification import Identifier
from crowdkit_core.params import StrategyParams


def alpha_from_counts(n_pairable: np.ndarray, diagonal: np.ndarray,
                      margin_squares: np.ndarray) -> np.ndarray:
    """Nominal alpha from ``n`` (pairable values), ``D`` (coincidence diagonal) and
    ``sum_c n_c^2``, element-wise: 1 without observed disagreement, NaN without pairs."""
    n = np.asarray(n_pairable, dtype=np.float64)
    disagreement = n - diagonal
    expected = n * n - margin_squares
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * disagreement / expected
    alpha = np.where(disagreement <= 1e-9 * np.maximum(n, 1), 1.0, alpha)
    return np.where(n >= 2, alpha, np.nan)


def _unit_diagonal(squares: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each unit's share ``(sum_c n_uc^2 - m_u) / (m_u - 1)`` of D (0 when unpairable)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sizes >= 2, (squares - sizes) / (sizes - 1.0), 0.0)


def nominal_alpha(dataset: CrowdDataset) -> float:
    """Krippendorff's alpha of the whole dataset (nominal metric)."""
    counts = dataset.vote_counts
    sizes = dataset.answers_per_task.astype(np.float64)
    pairable = sizes >= 2
    margins = counts[pairable].sum(axis=0)
    diagonal = _unit_diagonal((counts * counts).sum(axis=1), sizes).sum()
    return float(alpha_from_counts(margins.sum(), diagonal, (margins * margins).sum()))


def alpha_without_each_worker(dataset: CrowdDataset) -> np.ndarray:
    """(n_workers,) alpha of the dataset with all of one worker's answers left out."""
    k, n_workers = dataset.n_classes, dataset.n_workers
    tasks, workers, labels = dataset.tasks, dataset.workers, dataset.labels
    counts = dataset.vote_counts
    sizes = dataset.answers_per_task.astype(np.float64)
    squares = (counts * counts).sum(axis=1)
    pairable = sizes >= 2
    margins = counts[pairable].sum(axis=0)
    diagonal = _unit_diagonal(squares, sizes).sum()

    # One group per (task, worker): answers are sorted by task, worker, label.
    new_group = np.ones(tasks.size, dtype=bool)
    new_group[1:] = (tasks[1:] != tasks[:-1]) | (workers[1:] != workers[:-1])
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    g_task, g_worker = tasks[starts], workers[starts]
    removed = np.bincount(group).astype(np.float64)
    # sum_c n_uc r_c (answers' own-class counts) and sum_c r_c^2 (runs of equal labels).
    cross = np.bincount(group, weights=counts[tasks, labels])
    new_run = new_group.copy()
    new_run[1:] |= labels[1:] != labels[:-1]
    run_lengths = np.diff(np.append(np.flatnonzero(new_run), tasks.size)).astype(np.float64)
    own_squares = np.bincount(group[new_run], weights=run_lengths ** 2)

    left = sizes[g_task] - removed
    change = _unit_diagonal(squares[g_task] - 2 * cross + own_squares, left) \
        - _unit_diagonal(squares[g_task], sizes[g_task])
    diagonal_without = diagonal + np.bincount(g_worker, weights=change, minlength=n_workers)

    # Margins: a unit that stays pairable loses the worker's answers; one that no longer is
    # loses all of its values.
    margins_without = np.tile(margins, (n_workers, 1))
    keeps = pairable[tasks] & (left[group] >= 2)
    margins_without -= np.bincount(workers[keeps] * k + labels[keeps],
                                   minlength=n_workers * k).reshape(n_workers, k)
    drops = pairable[g_task] & (left < 2)
    for c in range(k):
        margins_without[:, c] -= np.bincount(g_worker[drops], weights=counts[g_task[drops], c],
                                             minlength=n_workers)
    return alpha_from_counts(margins_without.sum(axis=1), diagonal_without,
                             (margins_without * margins_without).sum(axis=1))


class KrippendorffAlpha(Identifier[StrategyParams]):
    """Nominal Krippendorff's alpha of the dataset (``alpha_``), and per worker the alpha
    without their answers; ``scores_ = alpha_ - alpha_without_``, so workers who lower the
    agreement rank first."""

    reference = ("Krippendorff, Content Analysis: An Introduction to Its Methodology, 2nd ed., "
                 "Sage 2004, ch. 11 (Computing Krippendorff's alpha-reliability, 2011)")
    axis = "worker"
    array_file = "krippendorff_alpha"
    array_output = "alpha_"
    outputs = (
        Output("alpha_", "dataset", (), "nominal Krippendorff's alpha of the whole dataset"),
        Output("alpha_without_", "worker", ("n_workers",),
               "alpha with all of the worker's answers left out (NaN: no pairs left)"),
        Output("scores_", "worker", ("n_workers",),
               "alpha_ - alpha_without_: how much the worker raises the agreement"),
    )

    def _fit(self, dataset: CrowdDataset) -> None:
        self.alpha_ = nominal_alpha(dataset)
        if np.isnan(self.alpha_):
            self.warnings_.append("krippendorff_alpha: no task has two answers; alpha is undefined")
        self.alpha_without_ = alpha_without_each_worker(dataset)
        self.scores_ = self.alpha_ - self.alpha_without_
