"""NaiveSoft: the share of answers each class received, as a soft label."""

from __future__ import annotations

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.params import StrategyParams


class NaiveSoftParams(StrategyParams):
    """NaiveSoft has only the shared ``ties`` and ``seed`` parameters (used for ``labels_``)."""

class NaiveSoft(Aggregator[NaiveSoftParams]):
    """Soft label = normalised vote counts; ``labels_`` is their argmax (ties per ``ties``)."""

    reference = "Lefort, Charlier, Joly, Salmon: peerannot, Computo (2024)"

    def _fit(self, dataset: CrowdDataset) -> None:
        counts = dataset.vote_counts
        self.proba_ = counts / counts.sum(axis=1, keepdims=True)
