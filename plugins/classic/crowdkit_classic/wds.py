"""WDS: votes weighted by the diagonal of each worker's Dawid-Skene confusion matrix.

peerannot's ``WDS`` (Lefort, Charlier, Joly & Salmon, Computo 2024): fit DS, then give each
answer ``l`` of worker ``w`` the weight ``pi_w[l, l]`` (the estimated probability that ``w``
answers ``l`` when ``l`` is true) and normalise the weighted vote counts of each task.
"""

from __future__ import annotations


import numpy as np

from crowdkit_core.aggregator import Aggregator, normalize_rows
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags

from crowdkit_classic._confusion import ConfusionParams
from crowdkit_classic._em import task_label_index
from crowdkit_classic._gold import clamped
from crowdkit_classic.dawid_skene import DawidSkene


class WDSParams(ConfusionParams):
    """WDS parameters: those of the DS model it fits first."""

class WDS(Aggregator[WDSParams]):
    """Soft label ``proba_[i, k] ∝ sum over answers (w, l=k) of task i of pi_w[k, k]``.

    ``ds_`` is the fitted DS model (same parameters), ``weights_`` (n_workers, K) the
    diagonal of each worker's confusion matrix. ``history_`` and ``n_iter_`` are those of DS.
    """

    reference = (
        "Lefort, Charlier, Joly & Salmon, Identify ambiguous tasks combining crowdsourced "
        "labels by weighting Areas Under the Margin (peerannot WDS), Computo 2024; "
        "Dawid & Skene, Applied Statistics 28(1), 1979"
    )
    outputs = (
        Output('weights_', 'worker', ('n_workers', 'K'),
               "diagonal of each worker's DS confusion matrix (the vote weights)"),
        Output('confusion_matrices_', 'worker', ('n_workers', 'K', 'K'),
               "each worker's DS confusion matrix [worker, true class, answered label]",
               saved=False, role='confusion'),
    )
    tags = Tags(iterative=True, uses_gold=True)

    def _fit(self, dataset: CrowdDataset, gold: np.ndarray | None = None) -> None:
        """DS (given the ``gold`` labels), then the weighted vote; gold tasks keep their class."""
        self.ds_ = DawidSkene(**self.params.model_dump())
        self.ds_.fit(dataset, gold=gold, on_iteration=self._report)
        self.converged_ = self.ds_.converged_
        self.warnings_ += [w.replace("DS:", "WDS (its DS fit):", 1) for w in self.ds_.warnings_]
        diagonal = np.arange(dataset.n_classes)
        self.confusion_matrices_ = self.ds_.confusion_matrices_
        self.weights_ = self.confusion_matrices_[:, diagonal, diagonal]
        self.worker_ids_ = dataset.worker_ids
        self.proba_ = clamped(normalize_rows(weighted_votes(dataset, self.weights_)), gold)


def weighted_votes(dataset: CrowdDataset, weights: np.ndarray) -> np.ndarray:
    """(n_tasks, K) sums of ``weights[worker, label]`` over each task's answers."""
    k = dataset.n_classes
    per_answer = weights.ravel()[dataset.worker_label_index]
    cells = task_label_index(dataset)
    return np.bincount(cells, weights=per_answer, minlength=dataset.n_tasks * k).reshape(-1, k)
