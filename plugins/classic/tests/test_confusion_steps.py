"""The DS-family E-step and M-step: against plain log-space formulas, overflow, threads."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_classic._confusion import e_step, sample_answers
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.dswc import DSWC
from crowdkit_classic.one_coin_ds import OneCoinDS
from crowdkit_core.dataset import CrowdDataset


def plain_e_step(data: CrowdDataset, log_prior: np.ndarray, log_confusion: np.ndarray):
    """Answer by answer in log space, with a max-shifted softmax (slow, obvious)."""
    scores = np.tile(log_prior, (data.n_tasks, 1))
    for t, w, l in zip(data.tasks, data.workers, data.labels):
        scores[t] += log_confusion[w, :, l]
    top = scores.max(axis=1, keepdims=True)
    totals = np.exp(scores - top).sum(axis=1, keepdims=True)
    return np.exp(scores - top) / totals, float((top + np.log(totals)).sum())


def random_parameters(data: CrowdDataset, rng, zero_unseen: bool):
    k = data.n_classes
    prior = rng.dirichlet(np.ones(k))
    confusion = rng.dirichlet(np.ones(k), size=(data.n_workers, k))
    if zero_unseen:  # smoothing=0: labels a worker never gave have probability 0
        given = np.zeros((data.n_workers, k), dtype=bool)
        given[data.workers, data.labels] = True
        confusion = np.where(given[:, None, :], confusion, 0.0)
        confusion /= confusion.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.log(prior), np.log(confusion)


@pytest.mark.parametrize("k", [2, 3, 7])
@pytest.mark.parametrize("zero_unseen", [False, True])
def test_e_step_matches_plain_log_space(k, zero_unseen):
    rng = np.random.default_rng(k)
    data = sample_answers(rng.dirichlet(np.ones(k), size=(12, k)), np.ones(k) / k, 80, 4, rng)
    log_prior, log_confusion = random_parameters(data, rng, zero_unseen)
    expected, expected_ll = plain_e_step(data, log_prior, log_confusion)
    got = e_step(data, log_prior, log_confusion)
    assert np.allclose(got.class_totals, expected.sum(axis=0), rtol=1e-12)
    assert np.allclose(got.posteriors_in_place(), expected, rtol=0, atol=1e-12)
    assert got.log_likelihood == pytest.approx(expected_ll, rel=1e-12)


def test_e_step_recomputes_rows_whose_ratios_overflow():
    # 1,500 confident answers of class 1 on task 0: its likelihood ratio to the reference
    # class (0, the most probable a priori) is about exp(4400), far beyond float range.
    n_workers = 1500
    tasks = np.r_[np.zeros(n_workers, dtype=int), [1, 1]]
    workers = np.r_[np.arange(n_workers), [0, 1]]
    labels = np.r_[np.ones(n_workers, dtype=int), [0, 2]]
    data = CrowdDataset(tasks, workers, labels, 3, [0, 1], np.arange(n_workers))
    confusion = np.full((n_workers, 3, 3), 0.025)
    confusion[:, np.arange(3), np.arange(3)] = 0.95
    log_prior = np.log(np.array([0.6, 0.3, 0.1]))
    got = e_step(data, log_prior, np.log(confusion))
    expected, expected_ll = plain_e_step(data, log_prior, np.log(confusion))
    posteriors = got.posteriors_in_place()
    assert np.isfinite(posteriors).all() and np.isfinite(got.log_likelihood)
    assert np.allclose(posteriors, expected, rtol=0, atol=1e-12)
    # The reference terms (about -5,500) and the ratio (+4,400) cancel: relative 1e-9.
    assert got.log_likelihood == pytest.approx(expected_ll, rel=1e-9)
    assert posteriors[0, 1] == pytest.approx(1.0)


def test_e_step_writes_into_out():
    rng = np.random.default_rng(3)
    data = sample_answers(rng.dirichlet(np.ones(3), size=(5, 3)), np.ones(3) / 3, 30, 3, rng)
    log_prior, log_confusion = random_parameters(data, rng, False)
    out = np.full((data.n_tasks, 3), np.nan)
    got = e_step(data, log_prior, log_confusion, out=out)
    assert got.shares is out and got.posteriors_in_place() is out
    assert np.allclose(out.sum(axis=1), 1.0)


@pytest.fixture(scope="module")
def large():
    """About 300k answers: enough to be cut into blocks when n_jobs > 1."""
    rng = np.random.default_rng(0)
    k = 4
    confusion = rng.dirichlet(np.full(k, 0.5), size=(200, k)) * 0.5
    confusion[:, np.arange(k), np.arange(k)] += 0.5
    return sample_answers(confusion, np.ones(k) / k, 60_000, 5, rng)


def test_blocked_e_step_gives_the_same_bits(large):
    rng = np.random.default_rng(1)
    log_prior, log_confusion = random_parameters(large, rng, False)
    single = e_step(large, log_prior, log_confusion, n_jobs=1)
    threaded = e_step(large, log_prior, log_confusion, n_jobs=2)
    assert np.array_equal(single.shares, threaded.shares)
    assert threaded.log_likelihood == single.log_likelihood
    assert np.array_equal(threaded.class_totals, single.class_totals)


@pytest.mark.parametrize("strategy", [DawidSkene, OneCoinDS, DSWC])
def test_n_jobs_never_changes_the_fit(large, strategy):
    one = strategy(n_jobs=1, max_iter=20).fit(large)
    two = strategy(n_jobs=2, max_iter=20).fit(large)
    assert np.array_equal(two.proba_, one.proba_)
    assert np.array_equal(two.labels_, one.labels_)
    assert two.history_ == one.history_
    assert (one.labels_ == large.gold).mean() > 0.8  # one-coin and clustered models are misspecified here


def test_n_jobs_labels_with_random_ties_do_not_depend_on_threads():
    from crowdkit_core.aggregator import labels_from_proba

    proba = np.tile([0.4, 0.4, 0.2], (300_000, 1))
    one = labels_from_proba(proba, "random", np.random.default_rng(5), n_jobs=1)
    two = labels_from_proba(proba, "random", np.random.default_rng(5), n_jobs=2)
    assert np.array_equal(one, two) and set(one.tolist()) == {0, 1}
