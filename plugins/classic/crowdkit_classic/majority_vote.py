"""Majority vote: each task gets its most frequent answer."""

from __future__ import annotations

from typing import Any

import numpy as np

from crowdkit_core.aggregator import Aggregator, labels_from_proba
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.params import StrategyParams


class MVParams(StrategyParams):
    """MV has only the shared ``ties`` and ``seed`` parameters."""

class MajorityVote(Aggregator[MVParams]):
    """Most frequent label per task.

    ``proba_`` is the one-hot encoding of the chosen label (peerannot's MV output);
    ``vote_share_`` holds the share of answers per class (what NaiveSoft returns).
    Ties follow ``ties``: seeded uniform choice among the tied labels, or the lowest label,
    which reproduces crowd-kit's published MV accuracies.
    """

    reference = "Condorcet (1785); crowd-kit MajorityVote; peerannot MV"
    outputs = (
        Output('vote_share_', 'dataset', ('n_tasks', 'K'),
               "share of each task's answers given to each class", saved=False),
    )

    tags = Tags(engines=("threads", "dask"))

    def _fit_partitioned(self, dataset: Any) -> None:
        from crowdkit_classic._partitioned import fit_majority_vote

        fit_majority_vote(self, dataset)

    def _fit(self, dataset: CrowdDataset) -> None:
        counts = dataset.vote_counts
        self.vote_share_ = counts / counts.sum(axis=1, keepdims=True)
        self.labels_ = labels_from_proba(counts, self.params.ties, self.rng())
        proba = np.zeros_like(counts)
        proba[np.arange(dataset.n_tasks), self.labels_] = 1.0
        self.proba_ = proba
