"""GoldMV: a weighted majority vote whose worker weights come from their accuracy on gold tasks.

crowd-kit's ``GoldMajorityVote`` weighs each vote by the worker's raw accuracy on the tasks
with a known label, and fails for a worker without gold answers. Here each worker's accuracy
is shrunk towards the pooled accuracy of all gold answers (a Beta prior worth
``prior_strength`` answers), which is also the documented fallback for workers with no gold
answer, and the default weight is the one-coin log-odds ``log((K-1) a / (1 - a))`` that makes
the vote the posterior of the one-coin model. Gold tasks keep their known label.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from crowdkit_classic._crowdkit_fit import CrowdKitFit
from crowdkit_core.aggregator import Aggregator, softmax_rows
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.params import StrategyParams

from crowdkit_classic._gold import clamp_rows
from crowdkit_classic._weighted_vote import share_proba, vote_labels, weighted_scores

#: Accuracies are clipped to [ACCURACY_FLOOR, 1 - ACCURACY_FLOOR] before the log-odds.
ACCURACY_FLOOR = 1e-3


class GoldMVParams(StrategyParams):
    """GoldMV parameters: the weight form and the shrinkage of accuracies towards the pool."""

    weights: Literal["log_odds", "accuracy"] = Field(
        "log_odds",
        description="'log_odds': weight log((K-1) a / (1 - a)) of accuracy a (the one-coin "
                    "model's posterior; a worker below chance votes against its answer); "
                    "'accuracy': weight a, as crowd-kit's GoldMajorityVote.")
    prior_strength: float = Field(
        2.0, ge=0.0,
        description="Pseudo-answers of a Beta prior centred on the pooled accuracy of all gold "
                    "answers: a worker's accuracy is (correct + m * pooled) / (gold answers + "
                    "m). A worker without gold answers gets the pooled accuracy (the fallback); "
                    "0 uses raw accuracies.")


def gold_accuracies(
    dataset: CrowdDataset, gold: np.ndarray, prior_strength: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """(shrunk accuracy per worker, gold answers per worker, pooled accuracy) from the
    answers to tasks with a ``gold`` class (one pass over the answers, two bincounts)."""
    known = gold[dataset.tasks] >= 0
    workers = dataset.workers[known]
    correct = (dataset.labels[known] == gold[dataset.tasks[known]]).astype(np.float64)
    n_gold = np.bincount(workers, minlength=dataset.n_workers)
    hits = np.bincount(workers, weights=correct, minlength=dataset.n_workers)
    pooled = float(hits.sum() / n_gold.sum()) if n_gold.sum() else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = (hits + prior_strength * pooled) / (n_gold + prior_strength)
    accuracy = np.where(n_gold > 0, accuracy, pooled) if prior_strength == 0 else accuracy
    return accuracy, n_gold, pooled


class GoldMV(CrowdKitFit, Aggregator[GoldMVParams]):
    """Majority vote weighted by each worker's (shrunk) accuracy on the gold tasks.

    Fitted: ``skills_`` (n_workers,) accuracy ``a_w = (c_w + m a0) / (n_w + m)`` with ``c_w``
    correct of ``n_w`` gold answers, ``a0`` the pooled accuracy and ``m = prior_strength``;
    ``weights_`` the vote weights; ``gold_answers_`` ``n_w``; ``pooled_accuracy_`` ``a0``.
    Without any gold label every weight is 1 (majority vote) and ``warnings_`` says so.
    """

    reference = ("crowd-kit GoldMajorityVote (Ustalov et al., 'Learning from Crowds with "
                 "Crowd-Kit', JOSS 2024); one-coin log-odds weights: Nitzan & Paroush, "
                 "International Economic Review 23(2), 1982; Li & Yu, JMLR 15, 2014")
    outputs = (
        Output("skills_", "worker", ("n_workers",),
               "accuracy of each worker on gold tasks, shrunk towards the pooled accuracy",
               role="skill"),
        Output("weights_", "worker", ("n_workers",), "vote weight of each worker"),
        Output("gold_answers_", "worker", ("n_workers",),
               "number of answers of each worker to gold tasks (0: fallback weight)"),
        Output("pooled_accuracy_", "dataset", (),
               "accuracy of all gold answers together (the fallback; NaN without gold)"),
    )
    tags = Tags(uses_gold=True)

    def _fit(self, dataset: CrowdDataset, gold: np.ndarray | None = None) -> None:
        p = self.params
        k = dataset.n_classes
        if gold is None:
            self.warnings_.append("GoldMV: no gold labels given, so every worker has weight 1 "
                                  "(majority vote); pass gold labels (--gold FILE)")
            accuracy = np.full(dataset.n_workers, np.nan)
            n_gold, pooled = np.zeros(dataset.n_workers, dtype=np.int64), float("nan")
            weights = np.ones(dataset.n_workers)
        else:
            accuracy, n_gold, pooled = gold_accuracies(dataset, gold, p.prior_strength)
            clipped = np.clip(accuracy, ACCURACY_FLOOR, 1.0 - ACCURACY_FLOOR)
            weights = (np.log((k - 1) * clipped / (1.0 - clipped)) if p.weights == "log_odds"
                       else accuracy.copy())
        scores = weighted_scores(dataset, weights)
        proba = softmax_rows(scores) if gold is not None and p.weights == "log_odds" \
            else share_proba(scores)
        labels = vote_labels(scores, p.ties, self.rng())
        if gold is not None:
            clamp_rows(proba, gold)
            labels = np.where(gold >= 0, gold, labels)
        self.proba_, self.labels_ = proba, labels
        self.skills_, self.weights_ = accuracy, weights
        self.gold_answers_, self.pooled_accuracy_ = n_gold, pooled
        self.worker_ids_ = dataset.worker_ids
