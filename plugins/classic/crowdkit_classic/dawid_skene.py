"""DS: Dawid and Skene's EM with one full confusion matrix per worker and class priors.

Dawid and Skene, "Maximum likelihood estimation of observer error-rates using the EM
algorithm", Applied Statistics 28(1), 1979. The E-step and M-step are sparse products with
the answer matrix, fused per task block (see :mod:`crowdkit_classic._confusion`).
"""

from __future__ import annotations

import numpy as np

from crowdkit_classic._confusion import (
    COUNT_FLOOR, ConfusionEM, ConfusionParams, ConfusionState, ConfusionStats,
    smoothed_distribution,
)


class DSParams(ConfusionParams):
    """DS parameters: EM control (max_iter, tol, init), smoothing, few-answers warning."""

class DawidSkene(ConfusionEM[DSParams]):
    """Dawid-Skene: worker ``w`` answers ``l`` for true class ``k`` with ``pi_w[k, l]``.

    M-step (eq. 2.3-2.4 of the paper, plus a pseudo-count ``s = smoothing``)::

        pi_w[k, l] = (sum_i T_ik n_iwl + s) / (sum_i T_ik n_iw + K s)
        rho_k      = (sum_i T_ik + s) / (n_tasks + K s)

    E-step (eq. 2.5): ``T_ik ∝ rho_k prod_w prod_l pi_w[k, l] ** n_iwl``, in log space.
    With ``init='naive_soft'`` and ``smoothing=0`` the updates are crowd-kit's DawidSkene
    (only the stopping rule differs).
    """

    reference = (
        "Dawid & Skene, Maximum likelihood estimation of observer error-rates using the EM "
        "algorithm, Applied Statistics 28(1):20-28, 1979"
    )

    def _m_step(self, stats: ConfusionStats, given: np.ndarray) -> ConfusionState:
        return ds_m_step(stats, given, self.params.smoothing)


def ds_m_step(stats: ConfusionStats, given: np.ndarray, smoothing: float) -> ConfusionState:
    """Smoothed (MAP) priors and confusion matrices; ``smoothing=0``: maximum likelihood.

    With ``smoothing=0`` a label the worker never gave (``given`` false) has probability 0
    (it never enters the E-step), and a true class with no expected mass is spread over the
    labels the worker did give, which is crowd-kit's rule (so posteriors agree with it to
    1e-10).
    """
    priors = smoothed_distribution(stats.class_totals, smoothing)
    counts = stats.confusion_counts()
    if smoothing > 0:
        return ConfusionState(priors, smoothed_distribution(counts, smoothing))
    counts = np.where(given[:, None, :], np.maximum(counts, COUNT_FLOOR), 0.0)
    return ConfusionState(priors, counts / counts.sum(axis=-1, keepdims=True))
