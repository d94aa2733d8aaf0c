"""Evaluation of aggregation strategies against gold labels (``crowd evaluate``).

:mod:`.job` runs strategies x datasets and scores each run with :mod:`crowdkit_core.metrics`;
:mod:`.runner` gives each run its own worker process with a wall-time limit.
"""

from crowdkit_core.evaluation.job import (
    DatasetEvaluation, Evaluation, StrategyRun, evaluate, load_gold_dataset, plan_specs, split_specs,
)

__all__ = ["evaluate", "Evaluation", "DatasetEvaluation", "StrategyRun", "load_gold_dataset",
           "plan_specs", "split_specs"]
