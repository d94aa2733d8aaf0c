"""NaiveSoft: the share of answers each class received, as a soft label."""

from __future__ import annotations

from typing import Any

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Tags
from crowdkit_core.params import StrategyParams


class NaiveSoftParams(StrategyParams):
    """NaiveSoft has only the shared ``ties`` and ``seed`` parameters (used for ``labels_``)."""

class NaiveSoft(Aggregator[NaiveSoftParams]):
    """Soft label = normalised vote counts; ``labels_`` is their argmax (ties per ``ties``)."""

    reference = "Lefort, Charlier, Joly, Salmon: peerannot, Computo (2024)"

    tags = Tags(engines=("threads", "dask"))

    def _fit_partitioned(self, dataset: Any) -> None:
        from crowdkit_classic._partitioned import fit_naive_soft

        fit_naive_soft(self, dataset)

    def _fit(self, dataset: CrowdDataset) -> None:
        counts = dataset.vote_counts
        self.proba_ = counts / counts.sum(axis=1, keepdims=True)
