"""TwoThird: majority vote kept only where it is clear enough (peerannot)."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.params import StrategyParams

from crowdkit_classic._weighted_vote import vote_labels


class TwoThirdParams(StrategyParams):
    """Minimum number of answers and minimum share of the top label."""

    min_answers: int = Field(
        2, ge=1, description="A task with fewer answers gets no label (-1).")
    min_share: float = Field(
        2 / 3, gt=0.0, le=1.0,
        description="A task gets its majority label only if that label has at least this "
                    "share of the task's answers; otherwise no label (-1).")


class TwoThird(Aggregator[TwoThirdParams]):
    """Majority vote where a task has >= 2 answers and the top label has >= 2/3 of them.

    Other tasks are judged too hard and get ``-1`` ("no label"). Fitted attributes:
    ``labels_`` (-1 where abstaining); ``proba_`` the vote shares of every task (a valid
    distribution even where abstaining); ``valid_`` boolean mask of labelled tasks;
    ``too_hard_`` the indices (into ``task_ids``) of the tasks without a label.
    """

    reference = ("peerannot TwoThird (Lefort, Charlier, Joly, Salmon, 'Peerannot: "
                 "classification for crowdsourced image datasets with Python', Computo 2024)")
    outputs = (
        Output('valid_', 'task', ('n_tasks',),
               'whether the task got a label (>= 2 answers, top share >= 2/3)'),
        Output('too_hard_', 'task_list', ('n',),
               'tasks left without a label'),
    )
    tags = Tags(can_abstain=True)

    def _fit(self, dataset: CrowdDataset) -> None:
        counts = dataset.vote_counts
        totals = counts.sum(axis=1)
        top = counts.max(axis=1)
        share_ok = top >= self.params.min_share * totals - 1e-9 * totals
        self.valid_ = (totals >= self.params.min_answers) & share_ok
        majority = vote_labels(counts, self.params.ties, self.rng(1))
        self.labels_ = np.where(self.valid_, majority, -1).astype(np.int64)
        self.proba_ = counts / totals[:, None]
        self.too_hard_ = np.flatnonzero(~self.valid_)
