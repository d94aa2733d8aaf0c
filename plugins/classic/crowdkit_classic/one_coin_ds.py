"""OneCoinDS: Dawid-Skene where each worker has a single accuracy ("one coin").

Worker ``w`` gives the true class with probability ``p_w`` and otherwise one of the K-1 other
classes uniformly. Same EM skeleton and E-step as DS (:mod:`crowdkit_classic._confusion`);
only the M-step differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crowdkit_core.estimator import Output
from crowdkit_core.dataset import CrowdDataset

if TYPE_CHECKING:
    from crowdkit_core.worker_file import WorkerTable

from crowdkit_classic._confusion import (
    COUNT_FLOOR, ConfusionEM, ConfusionParams, ConfusionState, ConfusionStats,
    smoothed_distribution,
)


class OneCoinDSParams(ConfusionParams):
    """One-coin DS parameters: those of DS."""

def one_coin_confusion(skills: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_workers, K, K) matrices with ``skills`` on the diagonal, the rest spread evenly."""
    off = (1.0 - skills) / (n_classes - 1)
    confusion = np.repeat(off[:, None, None], n_classes, axis=1).repeat(n_classes, axis=2)
    diagonal = np.arange(n_classes)
    confusion[:, diagonal, diagonal] = skills[:, None]
    return confusion


class OneCoinDS(ConfusionEM[OneCoinDSParams]):
    """One-coin Dawid-Skene: ``pi_w[k, k] = p_w`` and ``pi_w[k, l] = (1 - p_w) / (K - 1)``.

    M-step: ``p_w = (E[# correct answers of w] + s) / (# answers of w + 2 s)`` with
    ``s = smoothing`` (a Beta(1 + s, 1 + s) prior; ``s = 0`` is crowd-kit's update, the mean
    posterior probability of the worker's answers), clipped to [1e-10, 1 - 1e-10].
    Fitted ``skills_`` holds ``p_w`` per worker.
    """

    reference = (
        "Dawid & Skene, Applied Statistics 28(1), 1979 (one-coin variant); Zhang, Chen, Zhou "
        "& Jordan, Spectral methods meet EM, JMLR 17, 2016; crowd-kit OneCoinDawidSkene"
    )
    outputs = (
        Output('skills_', 'worker', ('n_workers',),
               'accuracy p_w of each worker', role='skill'),
    )

    def _m_step(self, stats: ConfusionStats, given: np.ndarray) -> ConfusionState:
        return one_coin_m_step(stats, self.params.smoothing)

    def _fit(self, dataset: CrowdDataset, init: Any = None, gold: np.ndarray | None = None) -> None:
        super()._fit(dataset, init, gold)
        self.skills_ = self.state_.confusion[:, 0, 0].copy()  # the diagonal holds p_w

    def _publish_extra(self) -> None:
        """After a partial_fit: the skills of the updated state."""
        self.skills_ = self.state_.confusion[:, 0, 0].copy()

    def export_workers(self, dataset: CrowdDataset) -> WorkerTable:
        """DS's workers table plus each worker's accuracy ``skill``."""
        from crowdkit_classic._warm import export_confusion_workers

        return export_confusion_workers(self.name, self.params, dataset, self.state_,
                                        skill=self.skills_)

    def _fit_partitioned(self, dataset: Any, init: ConfusionState | None = None,
                         gold: np.ndarray | None = None) -> None:
        super()._fit_partitioned(dataset, init, gold)
        self.skills_ = self.state_.confusion[:, 0, 0].copy()


def one_coin_m_step(stats: ConfusionStats, smoothing: float) -> ConfusionState:
    """Priors and one-coin confusion matrices from the expected confusion counts."""
    counts = stats.confusion_counts()
    correct = np.einsum("wkk->w", counts)
    total = counts.sum(axis=(1, 2))
    skills = (correct + smoothing) / np.maximum(total + 2.0 * smoothing, COUNT_FLOOR)
    skills = np.clip(skills, COUNT_FLOOR, 1.0 - COUNT_FLOOR)
    priors = smoothed_distribution(stats.class_totals, smoothing)
    return ConfusionState(priors, one_coin_confusion(skills, counts.shape[-1]))
