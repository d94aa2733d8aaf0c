"""The Identifier interface: the identification kind of :class:`~crowdkit_core.estimator.Estimator`.

An identification method scores workers or tasks (spammers, ambiguous tasks) from the answers.
Every identifier sets ``scores_``, indexed by its ``axis``; higher means more reliable for
workers and easier for tasks, so one ranking rule serves every method.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Literal

import numpy as np

from crowdkit_core.estimator import Estimator, P


class Identifier(Estimator[P], Generic[P]):
    """Base class of identification methods; subclasses set ``axis`` and declare ``scores_``
    in ``outputs`` with that axis."""

    kind: ClassVar[str] = "identification"
    #: What is scored: one score per worker or per task.
    axis: ClassVar[Literal["worker", "task"]] = "worker"

    def ranking(self) -> np.ndarray:
        """Indices from least to most reliable (ties in index order)."""
        return np.argsort(np.asarray(self.scores_), kind="stable")

    def _finish_fit(self, dataset: Any) -> None:
        size = dataset.n_workers if self.axis == "worker" else dataset.n_tasks
        if np.shape(self.scores_) != (size,):
            raise AssertionError(f"{type(self).__name__}.scores_ must have one score per {self.axis}")
