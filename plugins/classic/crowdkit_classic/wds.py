"""WDS: votes weighted by the diagonal of each worker's Dawid-Skene confusion matrix.

peerannot's ``WDS`` (Lefort, Charlier, Joly & Salmon, Computo 2024): fit DS, then give each
answer ``l`` of worker ``w`` the weight ``pi_w[l, l]`` (the estimated probability that ``w``
answers ``l`` when ``l`` is true) and normalise the weighted vote counts of each task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crowdkit_classic._crowdkit_fit import CrowdKitFit
from crowdkit_core.aggregator import Aggregator, normalize_rows
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags

if TYPE_CHECKING:
    from crowdkit_core.worker_file import WorkerTable

from crowdkit_classic._confusion import ConfusionParams
from crowdkit_classic._warm import export_confusion_workers, for_strategy
from crowdkit_classic._em import task_label_index
from crowdkit_classic._gold import clamped
from crowdkit_classic.dawid_skene import DawidSkene


class WDSParams(ConfusionParams):
    """WDS parameters: those of the DS model it fits first."""

class WDS(CrowdKitFit, Aggregator[WDSParams]):
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
    tags = Tags(iterative=True, warm_start=True, uses_gold=True, engines=("threads", "dask"))

    def _fit_partitioned(self, dataset: Any, init: Any = None, gold: np.ndarray | None = None) -> None:
        """The partitioned DS fit, then the weighted votes partition by partition."""
        from crowdkit_classic._confusion import _no_gold_on_partitions
        from crowdkit_classic._partitioned import weighted_partition

        _no_gold_on_partitions(self.name, gold)
        self._fit_ds(dataset, init)
        self.partition_proba_ = dataset.engine.map_resident(
            weighted_partition, dataset.parts, self.weights_)

    def _fit(self, dataset: CrowdDataset, init: Any = None, gold: np.ndarray | None = None) -> None:
        """DS (warm-started from ``init``: a ``state_`` or a WDS workers file; given the
        ``gold`` labels), then the weighted votes; gold tasks keep their class."""
        self._fit_ds(dataset, init, gold)
        self.proba_ = clamped(normalize_rows(weighted_votes(dataset, self.weights_)), gold)

    def _fit_ds(self, dataset: Any, init: Any = None, gold: np.ndarray | None = None) -> None:
        """Fit DS (on any engine) and take the diagonals of its confusion matrices."""
        from crowdkit_core.worker_file import WorkerInit, label_names_of

        if isinstance(init, WorkerInit):
            init.check(self.name, label_names_of(dataset))
            init = for_strategy(init, "DS")
        self.ds_ = DawidSkene(**self.params.model_dump())
        given = {} if gold is None else {"gold": gold}
        self.ds_.fit(dataset, init=init, on_iteration=self._report, **given)
        self.state_ = self.ds_.state_
        self.converged_ = self.ds_.converged_
        self.warnings_ += [w.replace("DS:", "WDS (its DS fit):", 1) for w in self.ds_.warnings_]
        diagonal = np.arange(dataset.n_classes)
        self.confusion_matrices_ = self.ds_.confusion_matrices_
        self.weights_ = self.confusion_matrices_[:, diagonal, diagonal]
        self.worker_ids_ = dataset.worker_ids

    def export_workers(self, dataset: CrowdDataset) -> WorkerTable:
        """The workers table of its DS fit, under the name WDS."""
        return export_confusion_workers(self.name, self.params, dataset, self.state_)


def weighted_votes(dataset: CrowdDataset, weights: np.ndarray) -> np.ndarray:
    """(n_tasks, K) sums of ``weights[worker, label]`` over each task's answers."""
    k = dataset.n_classes
    per_answer = weights.ravel()[dataset.worker_label_index]
    cells = task_label_index(dataset)
    return np.bincount(cells, weights=per_answer, minlength=dataset.n_tasks * k).reshape(-1, k)
