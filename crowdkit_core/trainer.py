"""The Trainer interface: the trainer kind of :class:`~crowdkit_core.estimator.Estimator`.

A trainer learns a classifier from task inputs (e.g. images) and crowd labels: soft or hard
labels from an Aggregator (``crowd train``), or the raw answers end-to-end (CrowdLayer,
CoNAL: ``crowd aggregate-deep``). Implemented by ``plugins/deep``; the core never imports torch.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar, Generic

from crowdkit_core.estimator import Estimator, P


class Trainer(Estimator[P], Generic[P]):
    """Base class of training strategies: parameters, seeding and iteration reporting come
    from :class:`Estimator`; subclasses implement ``_fit`` (the dataset carries the task
    inputs, e.g. image paths, as side columns) and :meth:`predict_proba`."""

    kind: ClassVar[str] = "trainer"

    @abstractmethod
    def predict_proba(self, inputs: Any) -> Any:
        """Class probabilities for the given task inputs."""
