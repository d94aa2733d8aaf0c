"""The DS-family fused pass: against plain log-space formulas, overflow, partitions, threads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from crowdkit_core.simulation import sample_answers
from crowdkit_classic._confusion import (
    LogScores, block_stats, confusion_block, joined_rows,
)
from crowdkit_core.blocks import TaskBlock, task_blocks
from crowdkit_core.engine import ThreadEngine, sum_in_order
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


def fused_pass(data: CrowdDataset, log_prior, log_confusion, blocks=None, out=None, n_jobs=1):
    """(posteriors, log-likelihood, weighted statistics) of one fused pass over ``blocks``."""
    scores = LogScores.of(log_prior, log_confusion)
    blocks = task_blocks(data) if blocks is None else blocks
    out = np.full((data.n_tasks, data.n_classes), np.nan) if out is None else out
    parts, stats = ThreadEngine(n_jobs).map_reduce(
        lambda b: confusion_block(b, out[b.rows], scores, len(blocks) == 1), blocks)
    shares = joined_rows(parts, out)
    return (np.multiply(shares, scores.prior_ratio, out=shares),
            scores.log_likelihood(data, stats.log_total), stats.weighted(scores.prior_ratio))


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
def test_fused_pass_matches_plain_log_space(k, zero_unseen):
    rng = np.random.default_rng(k)
    data = sample_answers(rng.dirichlet(np.ones(k), size=(12, k)), np.ones(k) / k, 80, 4, rng)
    log_prior, log_confusion = random_parameters(data, rng, zero_unseen)
    expected, expected_ll = plain_e_step(data, log_prior, log_confusion)
    posteriors, log_likelihood, stats = fused_pass(data, log_prior, log_confusion)
    assert np.allclose(posteriors, expected, rtol=0, atol=1e-12)
    assert log_likelihood == pytest.approx(expected_ll, rel=1e-12)
    assert np.allclose(stats.class_totals, expected.sum(axis=0), rtol=1e-12)
    counts = np.zeros((data.n_workers, k, k))  # [w, true k, answered l], answer by answer
    for t, w, l in zip(data.tasks, data.workers, data.labels):
        counts[w, :, l] += expected[t]
    assert np.allclose(stats.confusion_counts(), counts, rtol=0, atol=1e-12)


def test_fused_pass_recomputes_rows_whose_ratios_overflow():
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
    posteriors, log_likelihood, _ = fused_pass(data, log_prior, np.log(confusion))
    expected, expected_ll = plain_e_step(data, log_prior, np.log(confusion))
    assert np.isfinite(posteriors).all() and np.isfinite(log_likelihood)
    assert np.allclose(posteriors, expected, rtol=0, atol=1e-12)
    # The reference terms (about -5,500) and the ratio (+4,400) cancel: relative 1e-9.
    assert log_likelihood == pytest.approx(expected_ll, rel=1e-9)
    assert posteriors[0, 1] == pytest.approx(1.0)


def test_fused_pass_writes_into_out():
    rng = np.random.default_rng(3)
    data = sample_answers(rng.dirichlet(np.ones(3), size=(5, 3)), np.ones(3) / 3, 30, 3, rng)
    log_prior, log_confusion = random_parameters(data, rng, False)
    out = np.full((data.n_tasks, 3), np.nan)
    posteriors, _, _ = fused_pass(data, log_prior, log_confusion, out=out)
    assert posteriors is out
    assert np.allclose(out.sum(axis=1), 1.0)


def row_blocks(data: CrowdDataset, bounds: list[int]) -> list[TaskBlock]:
    """Blocks of the tasks between consecutive ``bounds`` (copies of the matrix rows)."""
    return [TaskBlock(a, b, data.answer_matrix[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


@pytest.fixture(scope="module")
def medium():
    rng = np.random.default_rng(7)
    data = sample_answers(rng.dirichlet(np.ones(4), size=(30, 4)), np.ones(4) / 4, 400, 5, rng)
    return data, random_parameters(data, rng, False)


def relative_close(got: np.ndarray, expected: np.ndarray) -> bool:
    return bool(np.all(np.abs(got - expected) <= 1e-12 * np.maximum(np.abs(expected), 1e-300)))


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_statistics_of_any_partition_add_up_to_one_pass(medium, data):
    """Any task partition, grouped any way, gives one pass's statistics to 1e-12 relative."""
    dataset, (log_prior, log_confusion) = medium
    cuts = data.draw(st.sets(st.integers(1, dataset.n_tasks - 1), max_size=12))
    bounds = [0, *sorted(cuts), dataset.n_tasks]
    one, one_ll, whole = fused_pass(dataset, log_prior, log_confusion,
                                    row_blocks(dataset, [0, dataset.n_tasks]))
    parts, ll, stats = fused_pass(dataset, log_prior, log_confusion, row_blocks(dataset, bounds))
    assert relative_close(parts, one)  # rows are independent (row totals differ in rounding)
    assert relative_close(stats.counts, whole.counts)
    assert relative_close(stats.class_totals, whole.class_totals)
    assert ll == pytest.approx(one_ll, rel=1e-12)
    # Regrouping the per-block statistics (any grouping of consecutive blocks) changes nothing
    # beyond rounding either.
    blocks = row_blocks(dataset, bounds)
    per_block = [block_stats(b, one[b.rows]) for b in blocks]
    split = data.draw(st.integers(0, len(per_block)))
    halves = [sum_in_order(half) for half in (per_block[:split], per_block[split:]) if half]
    assert relative_close(sum_in_order(halves).counts, sum_in_order(per_block).counts)


@pytest.fixture(scope="module")
def large():
    """About 300k answers: cut into four blocks whatever n_jobs."""
    rng = np.random.default_rng(0)
    k = 4
    confusion = rng.dirichlet(np.full(k, 0.5), size=(200, k)) * 0.5
    confusion[:, np.arange(k), np.arange(k)] += 0.5
    return sample_answers(confusion, np.ones(k) / k, 60_000, 5, rng)


def test_blocked_pass_gives_the_same_bits_on_any_threads(large):
    rng = np.random.default_rng(1)
    log_prior, log_confusion = random_parameters(large, rng, False)
    assert len(task_blocks(large)) == 4
    single, single_ll, single_stats = fused_pass(large, log_prior, log_confusion, n_jobs=1)
    threaded, threaded_ll, threaded_stats = fused_pass(large, log_prior, log_confusion, n_jobs=2)
    assert np.array_equal(single, threaded)
    assert threaded_ll == single_ll
    assert np.array_equal(threaded_stats.counts, single_stats.counts)
    assert np.array_equal(threaded_stats.class_totals, single_stats.class_totals)


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
