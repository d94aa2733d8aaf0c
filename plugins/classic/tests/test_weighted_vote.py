"""The shared weighted-vote statistics, and every weighted-vote strategy on degenerate data."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_classic._weighted_vote import share_proba, weighted_scores, worker_agreement
from crowdkit_classic.iwmv import IWMV
from crowdkit_classic.kos import KOS
from crowdkit_classic.mmsr import MMSR
from crowdkit_classic.plantnet import PlantNet
from crowdkit_classic.two_third import TwoThird
from crowdkit_classic.wawa import Wawa
from crowdkit_classic.zbs import ZBS
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.testing import simulate_dataset


def test_statistics_match_answer_by_answer_sums():
    data = simulate_dataset(n_tasks=25, n_workers=6, n_classes=4, seed=2)
    weights = np.random.default_rng(0).normal(size=data.n_workers)
    labels = np.random.default_rng(1).integers(-1, 4, data.n_tasks)
    scores = np.zeros((data.n_tasks, 4))
    hits, seen = np.zeros(data.n_workers), np.zeros(data.n_workers)
    for t, j, label in zip(data.tasks, data.workers, data.labels):
        scores[t, label] += weights[j]
        hits[j] += label == labels[t]
        seen[j] += 1
    assert np.allclose(weighted_scores(data, weights), scores)
    assert np.allclose(worker_agreement(data, labels), hits / seen)
    shares = share_proba(np.array([[2.0, -1.0, 2.0], [0.0, 0.0, 0.0]]))
    assert np.allclose(shares, [[0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def degenerate(k: int) -> list[CrowdDataset]:
    """One worker; a worker who always gives class 0; single answers; classes never used."""
    return [
        CrowdDataset.from_arrays([0, 1, 2], ["a"] * 3, [0, 1, 0], n_classes=k),
        CrowdDataset.from_arrays([0, 0, 1, 1, 2], list("ababa"), [0, 1, 0, 1, 0], n_classes=k),
        CrowdDataset.from_arrays(list(range(8)), list("abcdabcd"), [1] * 8, n_classes=k),
        CrowdDataset.from_arrays([0, 0, 0, 1, 1, 2], list("abcabc"), [0, 0, 0, 1, 1, 0],
                                 n_classes=k),
    ]


@pytest.mark.parametrize("k", [2, 3, 50])
@pytest.mark.parametrize("cls", [Wawa, IWMV, ZBS, MMSR, TwoThird, PlantNet, KOS])
def test_no_nan_on_degenerate_data(cls, k):
    if cls is KOS and k > 2:
        pytest.skip("KOS is binary only")
    for data in degenerate(k):
        model = cls().fit(data)
        for name, value in vars(model).items():
            if name.endswith("_") and isinstance(value, np.ndarray) and value.dtype.kind == "f":
                assert np.isfinite(value).all(), f"{cls.__name__}.{name} not finite on {data!r}"
        assert np.allclose(model.proba_.sum(axis=1), 1.0)
        assert ((model.labels_ >= (-1 if cls.tags.can_abstain else 0)) & (model.labels_ < k)).all()
