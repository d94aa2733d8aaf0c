"""DS: Dawid and Skene's EM with one full confusion matrix per worker and class priors.

Dawid and Skene, "Maximum likelihood estimation of observer error-rates using the EM
algorithm", Applied Statistics 28(1), 1979. The E-step and M-step are sparse products with
the answer matrix (see :mod:`crowdkit_classic._confusion`).
"""

from __future__ import annotations

import numpy as np

from crowdkit_core.dataset import CrowdDataset

from crowdkit_classic._confusion import (
    COUNT_FLOOR,
    ConfusionEM, ConfusionParams, smoothed_distribution,
)


class DSParams(ConfusionParams):
    """DS parameters: EM control (max_iter, tol, init), smoothing, few-answers warning."""

class DawidSkene(ConfusionEM):
    """Dawid-Skene: worker ``w`` answers ``l`` for true class ``k`` with ``pi_w[k, l]``.

    M-step (eq. 2.3-2.4 of the paper, plus a pseudo-count ``s = smoothing``)::

        pi_w[k, l] = (sum_i T_ik n_iwl + s) / (sum_i T_ik n_iw + K s)
        rho_k      = (sum_i T_ik + s) / (n_tasks + K s)

    E-step (eq. 2.5): ``T_ik ∝ rho_k prod_w prod_l pi_w[k, l] ** n_iwl``, in log space.
    With ``init='naive_soft'`` and ``smoothing=0`` the updates are crowd-kit's DawidSkene
    (only the stopping rule differs).
    """

    Params = DSParams
    reference = (
        "Dawid & Skene, Maximum likelihood estimation of observer error-rates using the EM "
        "algorithm, Applied Statistics 28(1):20-28, 1979"
    )

    def _m_step(
        self, dataset: CrowdDataset, counts: np.ndarray, class_totals: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        smoothing = self.params.smoothing
        priors = smoothed_distribution(class_totals, smoothing)
        if smoothing > 0:
            return priors, smoothed_distribution(counts, smoothing)
        # Maximum likelihood: a label the worker never gave has probability 0 (it never enters
        # the E-step), and a true class with no expected mass is spread over the labels the
        # worker did give, which is crowd-kit's rule (so posteriors agree with it to 1e-10).
        given = self._labels_given(dataset)[:, None, :]
        counts = np.where(given, np.maximum(counts, COUNT_FLOOR), 0.0)
        return priors, counts / counts.sum(axis=-1, keepdims=True)

    def _labels_given(self, dataset: CrowdDataset) -> np.ndarray:
        """(n_workers, K) mask: did worker w ever answer label l (cached for the fit)."""
        cached = self.__dict__.get("_given_cache")
        if cached is None or cached[0] is not dataset:
            k = dataset.n_classes
            mask = dataset.answers_per_column > 0
            cached = (dataset, mask.reshape(dataset.n_workers, k))
            self.__dict__["_given_cache"] = cached
        return cached[1]
