"""GLAD: conformance, analytic gradient, recovery on data drawn from GLAD, edge cases, real data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from crowdkit_classic.glad import GLAD, GLADParams, glad_e_step, glad_q_gradient
from crowdkit_classic._em import task_label_index
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import gold_accuracy
from crowdkit_core.testing import simulate_dataset


def sample_glad(
    seed: int, n_tasks: int = 1500, n_workers: int = 40, k: int = 3, per_task: int = 8,
) -> tuple[CrowdDataset, np.ndarray, np.ndarray]:
    """Answers drawn from GLAD itself: P(correct) = sigmoid(alpha_j beta_i), errors uniform."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_tasks)
    alphas = rng.normal(1.0, 1.0, n_workers)
    betas = np.exp(rng.normal(0.5, 0.5, n_tasks))
    tasks = np.repeat(np.arange(n_tasks), per_task)
    workers = np.concatenate(
        [rng.choice(n_workers, per_task, replace=False) for _ in range(n_tasks)])
    right = rng.random(tasks.size) < 1.0 / (1.0 + np.exp(-alphas[workers] * betas[tasks]))
    labels = np.where(right, truth[tasks], (truth[tasks] + rng.integers(1, k, tasks.size)) % k)
    data = CrowdDataset(tasks, workers, labels, k, np.arange(n_tasks), np.arange(n_workers),
                        gold=truth)
    return data, alphas, betas


@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_glad_model(seed):
    data, alphas, betas = sample_glad(seed)
    model = GLAD().fit(data)
    acc = gold_accuracy(model.labels_, data.gold)
    mv = gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold)
    assert model.converged_
    assert acc >= 0.93 and acc >= mv + 0.02
    assert spearmanr(model.alphas_, alphas)[0] > 0.9
    assert spearmanr(model.betas_, betas)[0] > 0.3
    # adversarial workers (alpha < 0) are recognised as such
    clear = np.abs(alphas) > 0.5
    assert np.mean(np.sign(model.alphas_[clear]) == np.sign(alphas[clear])) > 0.95
    assert model.alphas_.shape == (data.n_workers,) and model.betas_.shape == (data.n_tasks,)
    assert (model.betas_ > 0).all()


def test_analytic_gradient_matches_finite_differences():
    data, _, _ = sample_glad(3, n_tasks=40, n_workers=6, k=4, per_task=4)
    rng = np.random.default_rng(0)
    params = GLADParams(alpha_prior_var=2.0, log_beta_prior_mean=0.3)
    x = np.concatenate([rng.normal(0.5, 1.0, data.n_workers), rng.normal(0.0, 0.7, data.n_tasks)])
    q = rng.random(data.n_answers)
    _, grad = glad_q_gradient(data, q, x, params)
    numeric = np.empty_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = 1e-6
        numeric[i] = (glad_q_gradient(data, q, x + step, params)[0]
                      - glad_q_gradient(data, q, x - step, params)[0]) / 2e-6
    assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_e_step_matches_answer_by_answer_reference():
    data, _, _ = sample_glad(4, n_tasks=30, n_workers=5, k=3, per_task=3)
    rng = np.random.default_rng(1)
    alphas, log_betas = rng.normal(0.5, 1.5, data.n_workers), rng.normal(0.0, 1.0, data.n_tasks)
    log_priors = np.log(np.array([0.5, 0.3, 0.2]))
    proba, ll = glad_e_step(data, task_label_index(data), alphas, log_betas, log_priors)
    joint = np.tile(np.exp(log_priors), (data.n_tasks, 1))
    for t, j, label in zip(data.tasks, data.workers, data.labels):
        p = 1.0 / (1.0 + np.exp(-alphas[j] * np.exp(log_betas[t])))
        for c in range(3):
            joint[t, c] *= p if c == label else (1.0 - p) / 2.0
    assert np.allclose(proba, joint / joint.sum(axis=1, keepdims=True), atol=1e-12)
    assert np.isclose(ll, np.log(joint.sum(axis=1)).sum(), rtol=1e-12)


def test_objective_never_decreases_and_tol_stops():
    data, _, _ = sample_glad(5, n_tasks=400, n_workers=15)
    history = np.array(GLAD(tol=0.0, max_iter=15).fit(data).history_)
    assert len(history) >= 4
    assert np.all(np.diff(history) >= -1e-8 * np.abs(history[1:]))
    short = GLAD(tol=0.0, max_iter=2).fit(data)
    assert short.n_iter_ == 2 and not short.converged_
    assert short.warnings_ and "did not converge" in short.warnings_[0]
    loose = GLAD(tol=1e-3).fit(data)
    assert loose.converged_ and loose.n_iter_ < len(history)


def test_priors_shape_the_abilities():
    data, _, _ = sample_glad(6, n_tasks=300, n_workers=10)
    free = GLAD(alpha_prior_var=100.0).fit(data)
    tight = GLAD(alpha_prior_var=1e-4, alpha_prior_mean=2.0).fit(data)
    assert np.allclose(tight.alphas_, 2.0, atol=0.05)
    assert np.abs(free.alphas_ - 2.0).max() > 0.5
    easy = GLAD(log_beta_prior_var=1e-4, log_beta_prior_mean=-1.0).fit(data)
    assert np.allclose(easy.betas_, np.exp(-1.0), rtol=0.05)


def test_learnt_class_priors():
    rng = np.random.default_rng(7)
    truth = rng.choice(3, 2000, p=[0.7, 0.2, 0.1])
    tasks = np.repeat(np.arange(2000), 5)
    workers = rng.integers(0, 20, tasks.size)
    labels = np.where(rng.random(tasks.size) < 0.7, truth[tasks],
                      (truth[tasks] + rng.integers(1, 3, tasks.size)) % 3)
    data = CrowdDataset(tasks, workers, labels, 3, np.arange(2000), np.arange(20))
    model = GLAD(learn_priors=True).fit(data)
    assert np.abs(model.priors_ - [0.7, 0.2, 0.1]).max() < 0.05
    assert np.allclose(GLAD().fit(data).priors_, 1 / 3)


def test_attributes_follow_worker_ids():
    data = simulate_dataset(n_tasks=80, n_workers=8, seed=9)
    model = GLAD().fit(data)
    tasks, workers, labels = (list(data.task_ids[data.tasks]), list(data.worker_ids[data.workers]),
                              data.labels.tolist())
    renamed = CrowdDataset.from_arrays(tasks, [f"z{99 - int(w[1:])}" for w in workers], labels,
                                       n_classes=data.n_classes)
    other = GLAD().fit(renamed)
    by_id = dict(zip(data.worker_ids, model.alphas_))
    for wid, alpha in zip(renamed.worker_ids, other.alphas_):
        assert np.isclose(by_id[f"w{99 - int(wid[1:])}"], alpha, atol=1e-6)
    details = model.details(data.task_ids, data.worker_ids)
    assert set(details["workers"]["alphas"]) == {str(w) for w in data.worker_ids}
    assert len(details["tasks"]["betas"]) == data.n_tasks


@pytest.mark.parametrize("k", [2, 7, 50])
def test_edge_cases_stay_finite(k):
    rng = np.random.default_rng(k)
    n = 60
    tasks = np.concatenate([np.arange(n), rng.integers(0, n, 40)])
    workers = np.concatenate([np.zeros(n, dtype=int), rng.integers(1, 4, 40)])
    # worker 0 always answers class 0; classes >= 3 never occur
    labels = np.concatenate([np.zeros(n, dtype=int), rng.integers(0, min(k, 3), 40)])
    data = CrowdDataset(tasks, workers, labels, k, np.arange(n), np.arange(4))
    for params in ({}, {"learn_priors": True}, {"alpha_prior_var": 1e3, "log_beta_prior_var": 1e3}):
        model = GLAD(**params).fit(data)
        for attr in ("proba_", "alphas_", "betas_", "priors_"):
            assert np.isfinite(getattr(model, attr)).all(), (k, params, attr)
        assert np.allclose(model.proba_.sum(axis=1), 1.0)
        assert np.isfinite(model.history_).all()


def test_single_worker_single_answer():
    data = CrowdDataset.from_arrays(["t"], ["w"], [1], n_classes=3)
    model = GLAD().fit(data)
    assert model.labels_.tolist() == [1] and np.isfinite(model.alphas_).all()


# Targets: crowd-kit's published GLAD accuracies (s_adult .760 is 253/333 = .7598 rounded) and
# peerannot's on labelme. s_rel: crowd-kit reports .511, but accuracy falls as EM converges
# (.556 after one iteration, about .50 at convergence); see docs/strategies/glad.md.
REAL = [("d_product", 0.928), ("d_possent", 0.948), ("s_adult", 0.7597), ("labelme", 0.776),
        pytest.param("s_rel", 0.495, marks=pytest.mark.slow)]


@pytest.mark.parametrize("name, target", REAL)
def test_real_data_accuracy(load_shared, name, target):
    data = load_shared(name)
    model = GLAD().fit(data)
    assert model.converged_
    assert gold_accuracy(model.labels_, data.gold) >= target
