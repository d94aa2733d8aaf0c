"""Worker reliability: the per-worker skill a fitted strategy declares (GLAD's abilities,
Wawa and ZBS skills, MACE competence, OneCoinDS accuracy...), as an identification table."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output
from crowdkit_core.identification import Identifier, fit_source
from crowdkit_core.params import StrategyParams


class ReliabilityParams(StrategyParams):
    """Which strategy's skills are reported."""

    on: str = Field("OneCoinDS", description="Aggregation spec with per-worker skills (its "
                                             "output of role 'skill'), e.g. GLAD, Wawa, MACE.")


class Reliability(Identifier[ReliabilityParams]):
    """``scores_``: the skill of each worker under the ``on`` strategy (its declared output
    of role ``skill``; higher is more reliable); ``skill_output_`` names that output."""

    reference = ("the reference of the strategy given by on= (e.g. Whitehill et al., Whose "
                 "vote should count more, NIPS 2009, for GLAD)")
    axis = "worker"
    outputs = (
        Output("scores_", "worker", ("n_workers",),
               "skill of each worker under the on= strategy (higher is more reliable)"),
    )

    def _fit(self, dataset: CrowdDataset) -> None:
        model, output = fit_source(self.params.on, dataset, method="reliability", role="skill",
                                   seed=self.params.seed)
        self.skill_output_ = output
        self.scores_ = np.asarray(getattr(model, output), dtype=np.float64)
        self.warnings_ += list(getattr(model, "warnings_", []))
