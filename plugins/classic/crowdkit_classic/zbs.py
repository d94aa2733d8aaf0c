"""ZBS (Zero-Based Skill): worker skills learnt by decaying gradient steps (crowd-kit)."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.params import StrategyParams

from crowdkit_classic._weighted_vote import iterate_weighted_vote, share_proba, worker_agreement


class ZBSParams(StrategyParams):
    """crowd-kit's ZeroBasedSkill parameters plus an early-stopping tolerance."""

    max_iter: int = Field(100, ge=0, description="Maximum number of skill updates; 0 keeps the "
                                                 "initial skills (a majority vote).")
    lr_init: float = Field(1.0, gt=0.0, le=1.0, description="Initial learning rate.")
    lr_steps_to_reduce: int = Field(
        20, ge=1, description="The learning rate is multiplied by lr_reduce_factor at every "
                              "iteration that is a multiple of this number.")
    lr_reduce_factor: float = Field(
        0.5, gt=0.0, le=1.0, description="Factor applied to the learning rate every "
                                         "lr_steps_to_reduce iterations.")
    eps: float = Field(
        1e-5, ge=0.0, description="Initial skill of every worker is 1/K + eps (crowd-kit).")
    tol: float = Field(
        1e-6, ge=0.0,
        description="Stop early once no label changed and no skill moved by more than tol "
                    "in an iteration (0 runs all max_iter updates, as crowd-kit does).")


class ZBS(Aggregator[ZBSParams]):
    """Weighted vote with skills pulled towards each worker's agreement with the vote.

    Skills start at ``1/K + eps``; at iteration t the labels are the skill-weighted vote and
    ``s_j <- s_j + lr_t * (acc_j - s_j)``, where ``acc_j`` is the share of worker j's answers
    equal to those labels and ``lr_t`` decays by ``lr_reduce_factor`` every
    ``lr_steps_to_reduce`` iterations. This is a gradient step on the squared error between
    skills and agreement rates.

    Fitted attributes: ``skills_`` (n_workers,); ``proba_`` the skill-weighted vote shares;
    ``labels_`` their argmax (ties per ``ties``).
    """

    reference = ("crowd-kit ZeroBasedSkill (Ustalov et al., 'Learning from Crowds with "
                 "Crowd-Kit', JOSS 2024)")
    outputs = (
        Output('skills_', 'worker', ('n_workers',),
               'learnt skill of each worker', role='skill'),
    )
    tags = Tags(iterative=True)

    def _fit(self, dataset: CrowdDataset) -> None:
        p = self.params
        rate = [p.lr_init]

        def update(iteration: int, labels: np.ndarray, skills: np.ndarray) -> np.ndarray:
            if iteration % p.lr_steps_to_reduce == 0:
                rate[0] *= p.lr_reduce_factor
            return skills + rate[0] * (worker_agreement(dataset, labels) - skills)

        start = np.full(dataset.n_workers, 1.0 / dataset.n_classes + p.eps)
        labels, skills, scores = iterate_weighted_vote(
            self, dataset, update, start, p.max_iter, 0.0,
            weights_tol=p.tol if p.tol > 0 else -1.0)
        self.skills_ = skills
        self.labels_ = labels
        self.proba_ = share_proba(scores)
