"""ZBS: conformance, crowd-kit's update rule and learning-rate schedule, recovery, real data."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core.simulation import sample_answers
from crowdkit_classic._weighted_vote import worker_agreement
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.one_coin_ds import one_coin_confusion
from crowdkit_classic.wawa import Wawa
from crowdkit_classic.zbs import ZBS
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import gold_accuracy


def reference_zbs(data: CrowdDataset, n_iter: int, lr: float, steps: int, factor: float,
                  eps: float) -> np.ndarray:
    """crowd-kit's ZeroBasedSkill.fit on per-task and per-worker answer lists (lowest ties)."""
    by_task: dict[int, list[tuple[int, int]]] = {}
    by_worker: dict[int, list[tuple[int, int]]] = {}
    for t, j, label in zip(data.tasks.tolist(), data.workers.tolist(), data.labels.tolist()):
        by_task.setdefault(t, []).append((j, label))
        by_worker.setdefault(j, []).append((t, label))
    skills = [1 / data.n_classes + eps] * data.n_workers
    for iteration in range(1, n_iter + 1):
        if iteration % steps == 0:
            lr *= factor
        labels = {}
        for t, answers in by_task.items():
            totals = [sum(skills[j] for j, label in answers if label == k)
                      for k in range(data.n_classes)]
            labels[t] = totals.index(max(totals))
        skills = [s + lr * (np.mean([labels[t] == label for t, label in by_worker[j]]) - s)
                  for j, s in enumerate(skills)]
    return np.array(skills)


@pytest.mark.parametrize("params", [dict(n_iter=7, lr_init=0.6, lr_steps_to_reduce=2),
                                    dict(n_iter=30, lr_init=1.0, lr_steps_to_reduce=20),
                                    dict(n_iter=4, lr_init=0.3, lr_reduce_factor=0.2,
                                         lr_steps_to_reduce=1)])
def test_matches_crowdkit_update_rule(params):
    rng = np.random.default_rng(4)
    data = sample_answers(one_coin_confusion(rng.uniform(0.3, 0.9, 10), 3), np.full(3, 1 / 3),
                          120, 3, rng)
    model = ZBS(tol=0.0, ties="lowest", **params).fit(data)
    full = dict(n_iter=100, lr_init=1.0, lr_steps_to_reduce=20, lr_reduce_factor=0.5, eps=1e-5)
    full.update(params)
    expected = reference_zbs(data, full["n_iter"], full["lr_init"], full["lr_steps_to_reduce"],
                             full["lr_reduce_factor"], full["eps"])
    assert model.n_iter_ == full["n_iter"]
    assert np.allclose(model.skills_, expected)


def test_one_full_step_is_wawa():
    rng = np.random.default_rng(5)
    data = sample_answers(one_coin_confusion(rng.uniform(0.3, 0.9, 15), 4), np.full(4, 0.25),
                          300, 4, rng)
    zbs, wawa = ZBS(n_iter=1, lr_init=1.0).fit(data), Wawa().fit(data)
    assert np.allclose(zbs.skills_, wawa.skills_)
    assert np.allclose(zbs.proba_, wawa.proba_)


def test_early_stop_keeps_the_result():
    rng = np.random.default_rng(6)
    data = sample_answers(one_coin_confusion(rng.uniform(0.3, 0.9, 25), 3), np.full(3, 1 / 3),
                          1500, 4, rng)
    early, full = ZBS().fit(data), ZBS(tol=0.0).fit(data)
    assert early.converged_ and early.n_iter_ < full.n_iter_ == 100
    assert np.array_equal(early.labels_, full.labels_)
    assert np.allclose(early.skills_, full.skills_, atol=1e-5)


def test_recovers_accuracies():
    rng = np.random.default_rng(0)
    skills = rng.uniform(0.35, 0.95, 40)
    data = sample_answers(one_coin_confusion(skills, 4), np.full(4, 0.25), 4000, 5, rng)
    model = ZBS().fit(data)
    assert np.allclose(model.skills_, worker_agreement(data, model.labels_), atol=1e-5)
    assert np.abs(model.skills_ - skills).mean() < 0.04
    assert gold_accuracy(model.labels_, data.gold) > gold_accuracy(
        MajorityVote().fit(data).labels_, data.gold)


@pytest.mark.parametrize("name", ["d_product", "d_possent", "s_rel", "s_adult", "music"])
def test_not_worse_than_mv_on_real_data(load_shared, name):
    data = load_shared(name)
    mv = gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold)
    assert gold_accuracy(ZBS(ties="lowest").fit(data).labels_, data.gold) >= mv
