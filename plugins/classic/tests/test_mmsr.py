"""M-MSR: conformance, covariance and filtering against direct computations, recovery of
one-coin and adversarial workers, crowd-kit's published accuracies."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core.simulation import sample_answers
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.mmsr import MMSR, trimmed_means, worker_covariance
from crowdkit_classic.one_coin_ds import one_coin_confusion
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import gold_accuracy
from crowdkit_core.testing import simulate_dataset


def test_covariance_matches_pairwise_definition():
    data = simulate_dataset(n_tasks=30, n_workers=7, n_classes=4, answers_per_task=3, seed=1)
    # a repeated identical answer must not count twice
    tasks, workers, labels = (list(data.task_ids[data.tasks]), list(data.worker_ids[data.workers]),
                              data.labels.tolist())
    data = CrowdDataset.from_arrays(tasks + tasks[:1], workers + workers[:1], labels + labels[:1],
                                    n_classes=4)
    cov, common = worker_covariance(data)
    answers = {(t, w): l for t, w, l in zip(data.tasks, data.workers, data.labels)}
    k = data.n_classes
    for i in range(data.n_workers):
        for j in range(data.n_workers):
            shared = [t for t in range(data.n_tasks) if (t, i) in answers and (t, j) in answers]
            n = len(shared) if i != j else 0
            assert common[i, j] == n
            if n:
                rate = np.mean([answers[t, i] == answers[t, j] for t in shared])
                assert cov[i, j] == pytest.approx(k / (k - 1) * rate - 1 / (k - 1))
            else:
                assert cov[i, j] == 0


def reference_filter(values: np.ndarray, n_trim: int, current: float) -> float:
    """crowd-kit's _remove_largest_and_smallest_F_value, then the mean (one column)."""
    y = np.sort(values)
    y = y[y >= current] if np.sum(y < current) < n_trim else y[n_trim:]
    y = y[y <= current] if np.sum(y > current) < n_trim else y[: y.size - n_trim]
    return float(y.mean()) if y.size else current


@pytest.mark.parametrize("n_trim", [0, 1, 3])
def test_trimmed_means_match_crowdkit_filter(n_trim):
    rng = np.random.default_rng(n_trim)
    n = 40
    observed = rng.random((n, n)) < 0.5
    observed[:, :10] = True  # enough observations in every row
    ratios = np.where(observed, rng.exponential(size=(n, n)), 0.0)
    current = np.quantile(ratios, rng.uniform(0.05, 0.95, n), axis=1).diagonal().copy()
    current[:5] = [0.0, 100.0, ratios[2, observed[2]].min(), 1.0, 0.5]
    means = trimmed_means(ratios.copy(), observed, current, n_trim)  # it overwrites ratios
    for row in range(n):
        assert means[row] == pytest.approx(reference_filter(ratios[row, observed[row]], n_trim,
                                                            current[row]))


def test_recovers_one_coin_accuracies():
    rng = np.random.default_rng(0)
    skills = rng.uniform(0.4, 0.95, 30)
    data = sample_answers(one_coin_confusion(skills, 3), np.full(3, 1 / 3), 3000, 6, rng)
    model = MMSR().fit(data)
    assert model.converged_
    assert np.abs(model.accuracy_ - skills).mean() < 0.03
    assert gold_accuracy(model.labels_, data.gold) > gold_accuracy(
        MajorityVote().fit(data).labels_, data.gold) + 0.01


def test_adversarial_workers_get_negative_reliability():
    rng = np.random.default_rng(1)
    k = 3
    skills = rng.uniform(0.55, 0.9, 24)
    confusion = one_coin_confusion(skills, k)
    adversaries = np.arange(8)  # a third of the crowd always names the next class
    confusion[adversaries] = np.roll(np.eye(k), 1, axis=1)
    data = sample_answers(confusion, np.full(k, 1 / k), 3000, 6, rng)
    model = MMSR().fit(data)
    honest = np.setdiff1d(np.arange(24), adversaries)
    assert (model.reliability_[adversaries] < -0.3).all()
    assert np.abs(model.accuracy_[honest] - skills[honest]).mean() < 0.05
    mmsr = gold_accuracy(model.labels_, data.gold)
    assert mmsr > 0.9 and mmsr > gold_accuracy(MajorityVote().fit(data).labels_, data.gold) + 0.2


def test_isolated_worker_has_no_weight():
    # "c" shares no task with anyone: nothing can be learnt about them
    data = CrowdDataset.from_arrays([0, 0, 1, 1, 2, 2, 3], list("ababab") + ["c"],
                                    [0, 0, 1, 1, 0, 1, 1], n_classes=2)
    model = MMSR().fit(data)
    c = list(data.worker_ids).index("c")
    assert model.reliability_[c] == 0 and model.skills_[c] == 0
    assert np.isfinite(model.proba_).all() and np.allclose(model.proba_[3], 0.5)


@pytest.mark.parametrize("name, published", [("d_possent", 0.937), ("s_rel", 0.425),
                                             ("s_adult", 0.751)])
def test_crowdkit_published_accuracy(load_shared, name, published):
    data = load_shared(name)
    assert gold_accuracy(MMSR(ties="lowest").fit(data).labels_, data.gold) >= published - 5e-4


def test_no_rank_one_fit_stays_finite():
    """An observed 0 between two workers who both agree with a third: u, v would diverge."""
    from crowdkit_core.dataset import CrowdDataset

    rows = [(0, 0, 1), (1, 0, 0), (0, 2, 1), (0, 1, 1), (1, 1, 1), (1, 0, 0)]
    tasks, workers, labels = zip(*rows)
    model = MMSR(seed=1).fit(CrowdDataset.from_arrays(tasks, workers, labels, n_classes=2))
    assert np.isfinite(model.proba_).all() and np.isfinite(model.skills_).all()
