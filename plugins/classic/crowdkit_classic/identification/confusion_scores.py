"""Worker scores read off confusion matrices: Raykar & Yu's spam score and the trace.

The matrices ``pi_j[true class, answered label]`` come from a strategy fitted on the fly
(``on=``, DS by default; any strategy declaring a ``confusion`` output: OneCoinDS, WDS,
DSWC...) or from a saved file (``matrix_file=``, see :mod:`.matrix_file`).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output
from crowdkit_core.identification import Identifier, fit_source
from crowdkit_core.params import StrategyParams

from crowdkit_classic.identification.matrix_file import read_confusion_matrices


class ConfusionSourceParams(StrategyParams):
    """Where the worker confusion matrices come from."""

    on: str = Field("DS", description="Aggregation spec fitted for the matrices (a strategy "
                                      "with confusion matrices: DS, OneCoinDS, WDS, DSWC...).")
    matrix_file: str | None = Field(
        None, description="Saved matrices instead of a fit: .npy (n_workers, K, K) or .json "
                          "keyed by worker id (e.g. DS's details.json).")
    matrix_workers: str | None = Field(
        None, description="Worker id of each row of a .npy matrix_file (one a line, JSON "
                          "list or .npy); none: rows in the dataset's worker order.")


class ConfusionScore(Identifier[ConfusionSourceParams]):
    """Base of the methods scoring each worker from their confusion matrix."""

    axis = "worker"
    outputs = (
        Output("confusion_matrices_", "worker", ("n_workers", "K", "K"),
               "confusion matrix of each worker [worker, true class, answered label]",
               saved=False, role="confusion"),
    )

    def _fit(self, dataset: CrowdDataset) -> None:
        p = self.params
        if p.matrix_file is not None:
            self.confusion_matrices_ = read_confusion_matrices(p.matrix_file, dataset,
                                                               p.matrix_workers)
        else:
            model, output = fit_source(p.on, dataset, method=self.name, role="confusion",
                                       seed=p.seed)
            self.confusion_matrices_ = np.asarray(getattr(model, output), dtype=np.float64)
            self.warnings_ += list(getattr(model, "warnings_", []))
        self.scores_ = self._score(self.confusion_matrices_)

    @staticmethod
    def _score(matrices: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def spam_scores(matrices: np.ndarray) -> np.ndarray:
    """``s_j = sum_{k<k'} ||pi_j[k] - pi_j[k']||^2 / (K (K-1))`` for (n, K, K) matrices, via
    ``sum_{k<k'} ||a_k - a_k'||^2 = K sum_k ||a_k||^2 - ||sum_k a_k||^2`` (O(K^2) each)."""
    k = matrices.shape[-1]
    if k < 2:
        return np.zeros(matrices.shape[0])
    pairs = k * np.einsum("jkl,jkl->j", matrices, matrices) \
        - np.square(matrices.sum(axis=1)).sum(axis=1)
    return np.clip(pairs / (k * (k - 1)), 0.0, 1.0)


class SpamScore(ConfusionScore):
    """Raykar & Yu's spammer score: 0 for a spammer (all rows of the confusion matrix equal,
    answers independent of the truth), 1 for a perfect worker."""

    reference = ("Raykar & Yu, Eliminating spammers and ranking annotators for crowdsourced "
                 "labeling tasks, JMLR 13(16):491-518, 2012")
    array_file = "spam_score"
    outputs = (
        Output("scores_", "worker", ("n_workers",),
               "spam score in [0, 1]: 0 spammer, 1 perfect worker"),
    )
    _score = staticmethod(spam_scores)


def traces(matrices: np.ndarray) -> np.ndarray:
    """``Tr(pi_j) = sum_k pi_j[k, k]``: the summed per-class accuracies, in [0, K]."""
    return np.trace(matrices, axis1=1, axis2=2)


class ConfusionTrace(ConfusionScore):
    """Trace of each worker's confusion matrix: K for a perfect worker, 1 for one answering
    uniformly at random."""

    reference = ("Lefort, Charlier, Joly & Salmon, Identify ambiguous tasks combining "
                 "crowdsourced labels by weighting Areas Under the Margin (peerannot "
                 "trace_confusion), Computo 2024; Dawid & Skene, Applied Statistics 28(1), 1979")
    array_file = "traces_confusion"
    outputs = (
        Output("scores_", "worker", ("n_workers",), "trace of the confusion matrix, in [0, K]"),
    )
    _score = staticmethod(traces)
