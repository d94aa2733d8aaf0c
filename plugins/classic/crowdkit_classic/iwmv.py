"""IWMV: iterative weighted majority vote (Li & Yu, arXiv:1411.4086, 2014)."""

from __future__ import annotations

import numpy as np

from crowdkit_core.aggregator import Aggregator, softmax_rows
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags

from crowdkit_classic._weighted_vote import (
    IterativeVoteParams, iterate_weighted_vote, worker_agreement,
)


class IWMVParams(IterativeVoteParams):
    """Iteration cap and label-change tolerance."""

class IWMV(Aggregator[IWMVParams]):
    """Alternate a weighted vote and the weights ``v_j = K * acc_j - 1``.

    ``acc_j`` is the share of worker j's answers equal to the current labels; the first vote
    uses ``v_j = 1`` (majority vote). ``K * acc - 1`` is Li & Yu's first-order approximation
    of the optimal log-odds weight ``log((K-1) acc / (1 - acc))``: a worker at chance level
    (acc = 1/K) gets weight 0 and a worker worse than chance a negative weight. Stops when at
    most ``tol`` of the labels changed.

    Fitted attributes: ``weights_`` (n_workers,) the final ``v_j``; ``accuracy_`` the final
    ``acc_j``; ``proba_`` the softmax of the weighted scores (the one-coin posterior when the
    weights are read as log-odds); ``labels_`` the weighted-vote labels.
    """

    reference = ("Li & Yu, 'Error rate bounds and iterative weighted majority voting for "
                 "crowdsourcing', arXiv:1411.4086 (2014), Algorithm 1")
    outputs = (
        Output('weights_', 'worker', ('n_workers',),
               'final weight v_j = K acc_j - 1 of each worker'),
        Output('accuracy_', 'worker', ('n_workers',),
               "share of each worker's answers equal to the labels", role='skill'),
    )
    tags = Tags(iterative=True)

    def _fit(self, dataset: CrowdDataset) -> None:
        k = dataset.n_classes

        def update(_iteration: int, labels: np.ndarray, _weights: np.ndarray) -> np.ndarray:
            return k * worker_agreement(dataset, labels) - 1.0

        labels, weights, scores = iterate_weighted_vote(
            self, dataset, update, np.ones(dataset.n_workers), self.params.max_iter,
            self.params.tol)
        self.weights_ = weights
        self.accuracy_ = worker_agreement(dataset, labels)
        self.labels_ = labels
        self.proba_ = softmax_rows(scores)
