"""Wawa (Worker Agreement With Aggregate): one pass of agreement-weighted majority vote."""

from __future__ import annotations

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output
from crowdkit_core.params import StrategyParams

from crowdkit_classic._weighted_vote import (
    share_proba, vote_labels, weighted_scores, worker_agreement,
)


class WawaParams(StrategyParams):
    """Wawa has only the shared ``ties`` and ``seed`` parameters (used by both votes)."""

class Wawa(Aggregator[WawaParams]):
    """Majority vote, then each worker's agreement rate with it, then a weighted vote.

    Fitted attributes: ``skills_`` (n_workers,) share of each worker's answers equal to the
    majority vote; ``mv_labels_`` the first-pass majority vote; ``proba_`` the weighted-vote
    shares; ``labels_`` their argmax (ties per ``ties``).
    """

    reference = ("crowd-kit Wawa (Ustalov et al., 'Learning from Crowds with Crowd-Kit', "
                 "JOSS 2024); Appen's 'worker agreement with aggregate'")
    outputs = (
        Output('skills_', 'worker', ('n_workers',),
               "share of each worker's answers equal to the majority vote", role='skill'),
        Output('mv_labels_', 'task', ('n_tasks',),
               'first-pass majority vote', saved=False),
    )

    def _fit(self, dataset: CrowdDataset) -> None:
        ties = self.params.ties
        self.mv_labels_ = vote_labels(dataset.vote_counts, ties, self.rng(1))
        self.skills_ = worker_agreement(dataset, self.mv_labels_)
        scores = weighted_scores(dataset, self.skills_)
        self.proba_ = share_proba(scores)
        self.labels_ = vote_labels(scores, ties, self.rng(2))
        self._report(1, float(self.skills_.mean()))
