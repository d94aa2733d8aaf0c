"""OneCoinDS: conformance, crowd-kit's update rule, recovery of simulated accuracies, real data."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core.simulation import sample_answers
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.one_coin_ds import OneCoinDS, one_coin_confusion
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import gold_accuracy
from crowdkit_core.testing import simulate_dataset


def reference_one_coin(data: CrowdDataset, n_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """crowd-kit's one-coin EM, answer by answer: skill = mean posterior of the given label."""
    k = data.n_classes
    post = data.vote_counts / data.vote_counts.sum(axis=1, keepdims=True)
    for _ in range(n_iter):
        hit = np.zeros(data.n_workers)
        for t, j, l in zip(data.tasks, data.workers, data.labels):
            hit[j] += post[t, l]
        skill = np.clip(hit / data.answers_per_worker, 1e-10, 1 - 1e-10)
        log_post = np.tile(np.log(post.mean(axis=0)), (data.n_tasks, 1))
        for t, j, l in zip(data.tasks, data.workers, data.labels):
            wrong = np.log((1 - skill[j]) / (k - 1))
            log_post[t] += np.where(np.arange(k) == l, np.log(skill[j]), wrong)
        post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
    return post, skill


def test_matches_crowdkit_update_rule():
    data = simulate_dataset(n_tasks=80, n_workers=9, n_classes=4, seed=6)
    model = OneCoinDS(smoothing=0.0, max_iter=5, tol=0.0).fit(data)
    post, skill = reference_one_coin(data, 5)
    assert np.allclose(model.proba_, post, atol=1e-10)
    # skills_ are those of the last M-step, i.e. the ones behind proba_
    assert np.allclose(model.skills_, skill, atol=1e-10)


def test_confusion_has_one_coin_shape():
    model = OneCoinDS().fit(simulate_dataset(seed=3))
    conf = model.confusion_matrices_
    k = conf.shape[1]
    assert np.allclose(np.einsum("wkk->wk", conf), model.skills_[:, None])
    off = conf[:, ~np.eye(k, dtype=bool)].reshape(len(conf), -1)
    assert np.allclose(off, ((1 - model.skills_) / (k - 1))[:, None])
    assert np.allclose(conf.sum(axis=2), 1.0)
    assert np.allclose(one_coin_confusion(np.array([0.7]), 2), [[[0.7, 0.3], [0.3, 0.7]]])


@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_simulated_accuracies(seed):
    rng = np.random.default_rng(seed)
    skills = rng.uniform(0.3, 0.9, 50)
    priors = np.array([0.4, 0.3, 0.2, 0.1])
    data = sample_answers(one_coin_confusion(skills, 4), priors, 2000, 5, rng)
    model = OneCoinDS().fit(data)
    acc = gold_accuracy(model.labels_, data.gold)
    mv = gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold)
    assert acc >= mv + 0.015
    # the right model beats full DS, which has 12 free parameters per worker instead of 1
    assert acc >= gold_accuracy(DawidSkene().fit(data).labels_, data.gold)
    assert np.abs(model.skills_ - skills).mean() < 0.05
    assert np.abs(model.skills_ - skills).max() < 0.2
    assert np.abs(model.priors_ - priors).max() < 0.04


def test_smoothing_pulls_skills_of_tiny_workers_to_half():
    data = CrowdDataset.from_arrays([0, 0, 0, 1, 1, 1, 2], list("abcabcd"), [0, 0, 0, 1, 1, 1, 1],
                                    n_classes=2)
    sharp = OneCoinDS(smoothing=0.0).fit(data).skills_
    smooth = OneCoinDS(smoothing=5.0).fit(data).skills_
    assert sharp[3] > 0.99 and 0.5 < smooth[3] < 0.6  # worker d: one answer
    assert np.isfinite(sharp).all()


@pytest.mark.parametrize("name, at_least", [("d_product", 0.905), ("d_possent", 0.945),
                                            ("music", 0.785), ("sentiment_polarity", 0.912)])
def test_real_data_accuracy(load_shared, name, at_least):
    data = load_shared(name)
    acc = gold_accuracy(OneCoinDS(ties="lowest").fit(data).labels_, data.gold)
    assert acc >= at_least
