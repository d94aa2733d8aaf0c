"""IWMV: conformance, Li & Yu's weight rule, recovery on one-coin data, real data."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core.simulation import sample_answers
from crowdkit_classic.iwmv import IWMV
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.one_coin_ds import one_coin_confusion
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import gold_accuracy


def reference_iwmv(data: CrowdDataset, n_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Li & Yu's Algorithm 1, answer by answer (ties to the lowest label)."""
    k = data.n_classes
    weights = np.ones(data.n_workers)
    for _ in range(n_iter + 1):
        scores = np.zeros((data.n_tasks, k))
        for t, j, label in zip(data.tasks, data.workers, data.labels):
            scores[t, label] += weights[j]
        labels = scores.argmax(axis=1)
        hits = np.zeros(data.n_workers)
        for t, j, label in zip(data.tasks, data.workers, data.labels):
            hits[j] += label == labels[t]
        weights = k * hits / data.answers_per_worker - 1
    return labels, scores


def test_matches_li_yu_algorithm():
    rng = np.random.default_rng(3)
    data = sample_answers(one_coin_confusion(rng.uniform(0.3, 0.9, 12), 4), np.full(4, 0.25),
                          150, 3, rng)
    for n_iter in (1, 2, 5):
        model = IWMV(n_iter=n_iter, ties="lowest").fit(data)
        # stopping early is harmless: once labels repeat, weights and scores repeat too
        labels, scores = reference_iwmv(data, n_iter)
        assert np.array_equal(model.labels_, labels)
        shifted = scores - scores.max(axis=1, keepdims=True)
        assert np.allclose(model.proba_, np.exp(shifted) / np.exp(shifted).sum(1, keepdims=True))
    assert IWMV(n_iter=2).fit(data).n_iter_ == 2


def test_worse_than_chance_worker_gets_negative_weight():
    rng = np.random.default_rng(1)
    skills = np.array([0.9, 0.85, 0.8, 0.8, 0.75, 0.05])  # the last one is adversarial
    data = sample_answers(one_coin_confusion(skills, 3), np.full(3, 1 / 3), 600, 4, rng)
    model = IWMV().fit(data)
    assert model.converged_
    assert model.weights_[-1] < 0 < model.weights_[:-1].min()
    assert np.allclose(model.weights_, 3 * model.accuracy_ - 1)


def test_recovers_accuracies_and_beats_mv():
    rng = np.random.default_rng(0)
    skills = rng.uniform(0.35, 0.95, 40)
    data = sample_answers(one_coin_confusion(skills, 4), np.full(4, 0.25), 4000, 5, rng)
    model = IWMV().fit(data)
    assert model.converged_ and model.n_iter_ < 20
    assert model.history_[-1] == 0.0  # no label changed in the last iteration
    acc = gold_accuracy(model.labels_, data.gold)
    assert acc > gold_accuracy(MajorityVote().fit(data).labels_, data.gold) + 0.02
    assert np.abs(model.accuracy_ - skills).mean() < 0.03


def test_tol_stops_earlier():
    rng = np.random.default_rng(2)
    data = sample_answers(one_coin_confusion(rng.uniform(0.3, 0.9, 30), 3), np.full(3, 1 / 3),
                          2000, 3, rng)
    assert IWMV(tol=0.05).fit(data).n_iter_ <= IWMV().fit(data).n_iter_
    assert IWMV(n_iter=1).fit(data).n_iter_ == 1


@pytest.mark.parametrize("name", ["d_product", "d_possent", "music", "s_adult",
                                  "sentiment_polarity"])
def test_not_worse_than_mv_on_real_data(load_shared, name):
    data = load_shared(name)
    mv = gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold)
    assert gold_accuracy(IWMV(ties="lowest").fit(data).labels_, data.gold) >= mv
