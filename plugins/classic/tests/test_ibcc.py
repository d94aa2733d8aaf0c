"""IBCC: a loop-by-loop reference of the VB updates, the ELBO, the DS limit, shrinkage of
sparse workers, recovery of simulated crowds, warm starts and the authors' published values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import digamma

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import gold_accuracy
from crowdkit_core.simulation import sample_answers
from crowdkit_core.testing import simulate_dataset
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.ibcc import IBCC, dirichlet_kl, dirichlet_prior
from crowdkit_classic.majority_vote import MajorityVote


def reference_ibcc(data: CrowdDataset, n_iter: int, diag: float, off: float, nu: float) -> np.ndarray:
    """Kim & Ghahramani's VB, answer by answer: Dirichlet posteriors, then expected logs."""
    k = data.n_classes
    post = data.vote_counts / data.vote_counts.sum(axis=1, keepdims=True)
    prior = np.full((k, k), off) + np.eye(k) * (diag - off)
    for _ in range(n_iter):
        counts = np.tile(prior, (data.n_workers, 1, 1))
        for t, j, l in zip(data.tasks, data.workers, data.labels):
            counts[j, :, l] += post[t]
        classes = nu + post.sum(axis=0)
        log_pi = digamma(counts) - digamma(counts.sum(axis=2, keepdims=True))
        log_post = np.tile(digamma(classes) - digamma(classes.sum()), (data.n_tasks, 1))
        for t, j, l in zip(data.tasks, data.workers, data.labels):
            log_post[t] += log_pi[j, :, l]
        post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
    return post


@pytest.mark.parametrize("diag, off, nu", [(4.0, 1.0, 1.0), (1.0, 1.0, 1.0), (2.5, 0.3, 7.0)])
def test_matches_answer_by_answer_reference(diag, off, nu):
    data = simulate_dataset(n_tasks=60, n_workers=7, n_classes=3, seed=4)
    model = IBCC(alpha_diag=diag, alpha_off=off, nu=nu, max_iter=6, tol=0.0).fit(data)
    assert np.allclose(model.proba_, reference_ibcc(data, 6, diag, off, nu), atol=1e-10)


def test_elbo_never_decreases_and_converges():
    data = simulate_dataset(n_tasks=300, n_workers=20, n_classes=4, seed=2)
    model = IBCC(tol=1e-10, max_iter=200).fit(data)
    history = np.array(model.history_)
    assert (np.diff(history) >= -1e-8 * np.abs(history[1:])).all()
    assert model.converged_ and model.log_likelihood_ == history[-1]
    assert model.log_likelihood_ < DawidSkene().fit(data).log_likelihood_  # a lower bound


def test_dirichlet_kl():
    a = np.array([[2.0, 3.0, 0.5]])
    assert dirichlet_kl(a, a) == pytest.approx(0.0, abs=1e-12)
    # KL(Dir(2,1) || Dir(1,1)) = log 2 - 1/2, in closed form
    assert dirichlet_kl(np.array([2.0, 1.0]), np.array([1.0, 1.0])) == pytest.approx(np.log(2) - 0.5)
    assert np.array_equal(dirichlet_prior(3, 4.0, 1.0), [[4, 1, 1], [1, 4, 1], [1, 1, 4]])


def test_flat_prior_and_many_answers_give_ds():
    """With uniform Dirichlet(1) priors and many answers per worker VB tends to ML (DS)."""
    rng = np.random.default_rng(0)
    confusion = np.stack([np.full((3, 3), (1 - a) / 2) + np.eye(3) * (1.5 * a - 0.5)
                          for a in rng.uniform(0.5, 0.9, 8)])
    data = sample_answers(confusion, np.array([0.5, 0.3, 0.2]), 3000, 5, rng)
    ibcc = IBCC(alpha_diag=1.0, alpha_off=1.0, nu=1.0, tol=1e-9).fit(data)
    ds = DawidSkene(smoothing=0.0, tol=1e-9).fit(data)
    assert np.abs(ibcc.proba_ - ds.proba_).max() < 0.02
    assert (ibcc.labels_ == ds.labels_).mean() > 0.998
    assert np.abs(ibcc.confusion_matrices_ - ds.confusion_matrices_).max() < 0.01
    assert np.abs(ibcc.priors_ - ds.priors_).max() < 1e-3


def test_sparse_worker_is_shrunk_towards_the_prior():
    """A worker with two answers gets a confusion matrix near the prior mean, not 0/1 rows."""
    data = simulate_dataset(n_tasks=200, n_workers=10, n_classes=2, seed=1)
    extra = CrowdDataset(np.r_[data.tasks, 0, 1], np.r_[data.workers, 10, 10],
                         np.r_[data.labels, 0, 0], 2, data.task_ids, np.arange(11))
    ibcc = IBCC().fit(extra).confusion_matrices_[10]
    ds = DawidSkene(smoothing=0.0).fit(extra).confusion_matrices_[10]
    assert ds[:, 0].min() > 0.99  # DS: "always answers 0", from two answers
    prior_mean = np.array([[0.8, 0.2], [0.2, 0.8]])
    assert np.abs(ibcc - prior_mean).max() < 0.25 and ibcc[1, 1] > 0.5


@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_simulated_confusions(seed):
    rng = np.random.default_rng(seed)
    k = 4
    accuracy = rng.uniform(0.2, 0.9, 40)[:, None, None]  # from near-spammers to experts
    confusion = rng.dirichlet(np.ones(k), size=(40, k)) * (1 - accuracy) + np.eye(k) * accuracy
    priors = np.array([0.4, 0.3, 0.2, 0.1])
    data = sample_answers(confusion, priors, 3000, 5, rng)
    model = IBCC().fit(data)
    acc = gold_accuracy(model.labels_, data.gold)
    assert acc >= gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold) + 0.04
    assert acc >= gold_accuracy(DawidSkene().fit(data).labels_, data.gold) - 0.005
    assert np.abs(model.confusion_matrices_ - confusion).mean() < 0.03
    assert np.abs(model.priors_ - priors).max() < 0.035


def test_deterministic_and_thread_invariant():
    data = simulate_dataset(n_tasks=30000, n_workers=300, n_classes=3, answers_per_task=5, seed=3)
    assert data.n_answers >= 131072  # cut into several blocks
    one = IBCC(max_iter=15).fit(data)
    again = IBCC(max_iter=15).fit(data)
    two = IBCC(max_iter=15, n_jobs=2).fit(data)
    assert one.proba_.tobytes() == again.proba_.tobytes() == two.proba_.tobytes()
    assert one.history_ == two.history_


def test_warm_start_from_itself_and_from_ds():
    data = simulate_dataset(n_tasks=200, n_workers=12, seed=5)
    cold = IBCC(tol=1e-10).fit(data)
    warm = IBCC(tol=1e-10).fit(data, init=cold.state_)
    assert warm.n_iter_ <= 3 and np.allclose(warm.proba_, cold.proba_, atol=1e-4)
    from_ds = IBCC(tol=1e-10).fit(data, init=DawidSkene().fit(data).state_)
    assert (from_ds.labels_ == cold.labels_).mean() > 0.99
    assert np.allclose(from_ds.confusion_counts_.sum(axis=(1, 2)),
                       data.answers_per_worker + 3 * (4.0 + 2 * 1.0))


#: IBCC accuracies in the authors' notebook (yuan-li/truth-inference-at-scale,
#: code/test_ibcc.ipynb: a_v=4, b_v=1, alpha=1, the same priors as our defaults).
PUBLISHED = {"bluebirds": 0.888889, "d_possent": 0.96, "d_product": 0.938304,
             "rte": 0.9275, "s_adult": 0.744745}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_reproduces_published_accuracy(load_shared, name):
    data = load_shared(name)
    model = IBCC(ties="lowest").fit(data)
    assert abs(gold_accuracy(model.labels_, data.gold) - PUBLISHED[name]) <= 0.01
