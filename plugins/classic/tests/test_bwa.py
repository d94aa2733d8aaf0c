"""BWA: a class-by-class, answer-by-answer reference of the updates, the objective, recovery of
worker precisions on a simulated crowd with spammers, determinism and the authors' values."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import gold_accuracy
from crowdkit_core.simulation import sample_answers
from crowdkit_core.testing import simulate_dataset
from crowdkit_classic.bwa import BWA
from crowdkit_classic.majority_vote import MajorityVote


def reference_bwa(data: CrowdDataset, n_iter: int, a_v: float, lam: float,
                  correction: bool) -> np.ndarray:
    """The one-vs-rest updates of the paper, one class and one answer at a time."""
    k = data.n_classes
    per_task = data.answers_per_task
    per_worker = np.bincount(data.workers, minlength=data.n_workers)
    c = 4 * (1 - 1 / k) if correction else 1.0
    scores = np.empty((data.n_tasks, k))
    for cls in range(k):
        y = (data.labels == cls).astype(float)
        z = np.bincount(data.tasks, weights=y, minlength=data.n_tasks) / per_task
        b = a_v * c * (per_task * z * (1 - z)).sum() / data.n_answers
        for _ in range(n_iter):
            mu = z.mean()
            errors = np.zeros(data.n_workers)
            for t, j, label in zip(data.tasks, data.workers, y):
                errors[j] += (z[t] - label) ** 2
            v = (a_v + per_worker) / (b + errors)
            top, bottom = np.full(data.n_tasks, lam * mu), np.full(data.n_tasks, lam)
            for t, j, label in zip(data.tasks, data.workers, y):
                top[t] += v[j] * label
                bottom[t] += v[j]
            z = top / bottom
        scores[:, cls] = z
    return scores


@pytest.mark.parametrize("a_v, lam, correction", [(15.0, 1.0, True), (2.0, 5.0, False)])
def test_matches_class_by_class_reference(a_v, lam, correction):
    data = simulate_dataset(n_tasks=50, n_workers=8, n_classes=3, seed=7)
    model = BWA(a_v=a_v, lam=lam, prior_correction=correction, max_iter=7, tol=0.0).fit(data)
    expected = reference_bwa(data, 7, a_v, lam, correction)
    assert np.allclose(model.scores_, expected, atol=1e-10)
    assert np.allclose(model.proba_, expected / expected.sum(axis=1, keepdims=True), atol=1e-10)


def test_objective_never_decreases():
    data = simulate_dataset(n_tasks=300, n_workers=15, n_classes=4, seed=1)
    model = BWA(tol=1e-12).fit(data)
    history = np.array(model.history_)
    assert len(history) > 3 and model.converged_
    assert (np.diff(history) >= -1e-9 * np.abs(history[1:])).all()


def test_spammers_get_low_precision_and_are_outvoted():
    rng = np.random.default_rng(0)
    k, n_good, n_spam = 3, 12, 12
    good = np.stack([np.full((k, k), 0.1) + np.eye(k) * 0.7] * n_good)
    spam = np.full((n_spam, k, k), 1 / k)
    data = sample_answers(np.concatenate([good, spam]), None, 2000, 6, rng)
    model = BWA().fit(data)
    assert model.skills_[:n_good].min() > 1.8 * model.skills_[n_good:].max()
    acc = gold_accuracy(model.labels_, data.gold)
    assert acc >= gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold) + 0.05
    assert np.allclose(model.proba_.sum(axis=1), 1.0)
    assert ((model.scores_ >= 0) & (model.scores_ <= 1)).all()


def test_unanimous_answers_stay_finite():
    data = CrowdDataset.from_arrays([0, 0, 1, 1], ["a", "b", "a", "b"], [1, 1, 0, 0], n_classes=3)
    model = BWA().fit(data)
    assert np.isfinite(model.proba_).all() and list(model.labels_) == [1, 0]


def test_deterministic_and_thread_invariant():
    data = simulate_dataset(n_tasks=30000, n_workers=300, n_classes=3, answers_per_task=5, seed=3)
    assert data.n_answers >= 131072  # cut into several blocks
    one = BWA(max_iter=10).fit(data)
    again = BWA(max_iter=10).fit(data)
    two = BWA(max_iter=10, n_jobs=2).fit(data)
    assert one.proba_.tobytes() == again.proba_.tobytes() == two.proba_.tobytes()
    assert one.history_ == two.history_


#: BWA accuracies in the authors' notebook (yuan-li/truth-inference-at-scale,
#: code/test_bwa.ipynb, defaults a_v=15, lambda=1, prior correction on).
PUBLISHED = {"bluebirds": 0.759259, "d_possent": 0.956, "d_product": 0.919423,
             "rte": 0.9275, "s_adult": 0.741742}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_reproduces_published_accuracy(load_shared, name):
    data = load_shared(name)
    model = BWA(ties="lowest").fit(data)
    assert abs(gold_accuracy(model.labels_, data.gold) - PUBLISHED[name]) <= 0.01
