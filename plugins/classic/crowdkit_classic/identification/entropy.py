"""Entropy of each task's label distribution: the tasks most worth more answers.

The distribution is the naive-soft vote shares by default (peerannot's ``entropy``), or the
posteriors of any aggregation strategy (``entropy[on=DS]``).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field
from scipy.special import entr

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output
from crowdkit_core.identification import Identifier, fit_source
from crowdkit_core.params import StrategyParams


class EntropyParams(StrategyParams):
    """Which distribution is scored."""

    on: str | None = Field(
        None, description="Aggregation spec whose posteriors are scored, e.g. DS or "
                          "'DS[max_iter=10]'; none: the naive-soft vote shares of each task.")


class Entropy(Identifier[EntropyParams]):
    """``entropies_[i] = -sum_k p_ik log p_ik`` (nats); ``scores_ = -entropies_`` so the
    ranking starts with the most uncertain tasks."""

    reference = ("Shannon, A mathematical theory of communication, Bell System Technical "
                 "Journal 27, 1948; peerannot's entropy identification (Lefort et al., "
                 "Computo 2024)")
    axis = "task"
    array_file = "entropies"
    array_output = "entropies_"
    outputs = (
        Output("entropies_", "task", ("n_tasks",),
               "Shannon entropy (nats) of each task's label distribution, in [0, log K]"),
        Output("scores_", "task", ("n_tasks",), "minus the entropy: higher is more certain"),
    )

    def _fit(self, dataset: CrowdDataset) -> None:
        if self.params.on is None:
            counts = dataset.vote_counts
            proba = counts / counts.sum(axis=1, keepdims=True)
        else:
            model, _ = fit_source(self.params.on, dataset, method="entropy", seed=self.params.seed)
            proba = np.asarray(model.proba_, dtype=np.float64)
            self.warnings_ += list(getattr(model, "warnings_", []))
        self.entropies_ = entr(proba).sum(axis=1)
        self.scores_ = -self.entropies_
