"""KOS: Karger, Oh & Shah's message passing for binary crowdsourcing (NeurIPS 2011)."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import DatasetError
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.params import StrategyParams


class KOSParams(StrategyParams):
    """Iteration cap and the stopping tolerance on the (rescaled) worker messages."""

    max_iter: int = Field(100, ge=0, description="Maximum number of message-passing rounds; 0 "
                                                 "votes with the random initial messages.")
    tol: float = Field(
        1e-7, ge=0.0,
        description="Stop when the worker messages, rescaled to unit root-mean-square, move "
                    "by at most tol (0 runs all max_iter rounds).")


class KOS(Aggregator[KOSParams]):
    """Belief-propagation-like message passing on the task-worker graph, answers as +-1.

    Answers are ``A_ij = +1`` for class 1 and ``-1`` for class 0. Worker messages start as
    ``y_{j->i} ~ N(1, 1)`` (seeded) and each round computes

    ``x_{i->j} = sum_{j' in d(i) \\ j} A_ij' y_{j'->i}`` and
    ``y_{j->i} = sum_{i' in d(j) \\ i} A_i'j x_{i'->j}``;

    the label is the sign of ``x_i = sum_j A_ij y_{j->i}``. Messages are linear in the
    initial ones, so they are rescaled every round (signs unchanged) to avoid overflow. Binary
    datasets only.

    Fitted attributes: ``task_scores_`` (n_tasks,) ``x_i`` (rescaled; > 0 favours class 1);
    ``skills_`` (n_workers,) each worker's mean outgoing message (their estimated
    reliability, rescaled); ``proba_`` one-hot of the sign (0.5/0.5 where ``x_i = 0``).
    """

    reference = ("Karger, Oh & Shah, 'Iterative learning for reliable crowdsourcing systems', "
                 "NeurIPS 2011; crowd-kit KOS")
    outputs = (
        Output('skills_', 'worker', ('n_workers',),
               'mean outgoing message of each worker (estimated reliability, rescaled)', role='skill'),
        Output('task_scores_', 'task', ('n_tasks',),
               'score x_i of each task (> 0 favours class 1)'),
    )
    tags = Tags(max_classes=2, iterative=True)

    def _fit(self, dataset: CrowdDataset) -> None:
        if dataset.n_classes != 2:
            raise DatasetError(
                f"KOS handles binary tasks only (K=2); this dataset has K={dataset.n_classes}. "
                "Use a multi-class strategy such as MV, DS or M-MSR")
        tasks, workers = dataset.tasks, dataset.workers
        sign = 2.0 * dataset.labels - 1.0
        n_tasks, n_workers = dataset.n_tasks, dataset.n_workers
        y = self.rng(1).normal(1.0, 1.0, size=tasks.size)
        y /= _rms(y)
        self.converged_ = False
        for iteration in range(1, self.params.max_iter + 1):
            x = task_messages(tasks, sign, y, n_tasks)
            new_y = worker_messages(workers, sign, x, n_workers)
            new_y /= _rms(new_y)
            moved = float(np.max(np.abs(new_y - y)))
            y = new_y
            self._report(iteration, moved)
            if moved <= self.params.tol:
                self.converged_ = True
                break
        scores = np.bincount(tasks, weights=sign * y, minlength=n_tasks)
        scale = np.max(np.abs(scores))
        self.task_scores_ = scores / scale if scale > 0 else scores
        self.skills_ = np.bincount(workers, weights=y, minlength=n_workers) / np.maximum(
            dataset.answers_per_worker, 1)
        positive = np.sign(self.task_scores_)
        self.proba_ = np.column_stack([(1 - positive) / 2, (1 + positive) / 2])


def task_messages(tasks: np.ndarray, sign: np.ndarray, y: np.ndarray, n_tasks: int) -> np.ndarray:
    """Per edge, ``x_{i->j}``: the task's sum of ``A y`` minus the edge's own term."""
    own = sign * y
    return np.bincount(tasks, weights=own, minlength=n_tasks)[tasks] - own


def worker_messages(
    workers: np.ndarray, sign: np.ndarray, x: np.ndarray, n_workers: int,
) -> np.ndarray:
    """Per edge, ``y_{j->i}``: the worker's sum of ``A x`` minus the edge's own term."""
    own = sign * x
    return np.bincount(workers, weights=own, minlength=n_workers)[workers] - own


def _rms(values: np.ndarray) -> float:
    """Root mean square, or 1 when the messages are all zero (nothing to rescale)."""
    rms = float(np.sqrt(np.mean(values * values))) if values.size else 0.0
    return rms if rms > 0 else 1.0
