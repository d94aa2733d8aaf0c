"""The Trainer interface (implemented by ``plugins/deep``; the core never imports torch).

A trainer learns a classifier from task inputs (e.g. images) and crowd labels: soft or hard
labels from an Aggregator (``crowd train``), or the raw answers end-to-end (CrowdLayer,
CoNAL: ``crowd aggregate-deep``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from crowdkit_core.params import StrategyParams


class Trainer(ABC):
    """Base class of training strategies; parameters live in a StrategyParams model."""

    Params: ClassVar[type[StrategyParams]] = StrategyParams
    name: ClassVar[str] = ""
    reference: ClassVar[str] = ""

    def __init__(self, **params: Any) -> None:
        from crowdkit_core.spec import validate_params

        self._params = validate_params(self.Params, params)

    @property
    def params(self) -> StrategyParams:
        return self._params

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return self._params.model_dump()

    @abstractmethod
    def fit(self, inputs: Path, targets: Any) -> "Trainer":
        """Train on the task inputs under ``inputs`` and ``targets`` (labels or a dataset)."""

    @abstractmethod
    def predict_proba(self, inputs: Path) -> Any:
        """Class probabilities for the tasks under ``inputs``."""
