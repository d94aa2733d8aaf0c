"""KOS: conformance (binary versions of the K>2 checks), message passing, recovery, real data."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core.simulation import sample_answers
from crowdkit_classic.kos import KOS
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.one_coin_ds import one_coin_confusion
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import CrowdkitError, DatasetError
from crowdkit_core.metrics import gold_accuracy
from crowdkit_core.testing import simulate_dataset


def binary(seed: int) -> CrowdDataset:
    return simulate_dataset(n_tasks=60, n_workers=10, n_classes=2, seed=seed)


def rows(data: CrowdDataset) -> tuple[list, list, list]:
    return (list(data.task_ids[data.tasks]), list(data.worker_ids[data.workers]),
            data.labels.tolist())


def test_binary_outputs_and_determinism():
    data = binary(0)
    model = KOS().fit(data)
    assert model.proba_.shape == (data.n_tasks, 2) and np.allclose(model.proba_.sum(1), 1)
    assert set(model.labels_.tolist()) <= {0, 1}
    again = KOS().fit(data)
    assert np.array_equal(model.proba_, again.proba_)
    assert np.array_equal(model.labels_, again.labels_)


def test_binary_unanimous():
    tasks = [t for t in range(20) for _ in range(3)]
    workers = [(t + j) % 5 for t in range(20) for j in range(3)]
    labels = [t % 2 for t in range(20) for _ in range(3)]
    data = CrowdDataset.from_arrays(tasks, workers, labels, n_classes=2)
    expected = np.asarray(data.task_ids, dtype=int) % 2
    assert np.array_equal(KOS().fit(data).labels_, expected)


def test_binary_order_invariance():
    data = binary(3)
    tasks, workers, labels = rows(data)
    order = np.random.default_rng(0).permutation(len(tasks))
    shuffled = CrowdDataset.from_arrays([tasks[i] for i in order], [workers[i] for i in order],
                                        [labels[i] for i in order], n_classes=2)
    renamed = CrowdDataset.from_arrays(tasks, [f"z{99 - int(w[1:])}" for w in workers], labels,
                                       n_classes=2)
    base = KOS().fit(data)
    for other in (shuffled, renamed):
        # renaming reorders the random initial messages; the limit of the iteration is the
        # same, so the labels agree
        assert np.array_equal(KOS().fit(other).labels_, base.labels_)


def test_binary_degenerate_data():
    for data in (CrowdDataset.from_arrays([0, 1, 2], ["a"] * 3, [0, 1, 0], n_classes=2),
                 CrowdDataset.from_arrays([0, 1, 2, 2], list("abab"), [0, 0, 0, 0], n_classes=2)):
        model = KOS().fit(data)
        assert np.isfinite(model.proba_).all() and np.allclose(model.proba_.sum(1), 1)
        assert np.isfinite(model.task_scores_).all() and np.isfinite(model.skills_).all()


def test_multiclass_is_refused_with_one_clear_line():
    data = simulate_dataset(n_classes=3)
    with pytest.raises(DatasetError) as info:
        KOS().fit(data)
    assert isinstance(info.value, CrowdkitError)
    message = str(info.value)
    assert "\n" not in message and "binary tasks only (K=2)" in message and "K=3" in message


def reference_kos(data: CrowdDataset, y: np.ndarray, n_iter: int) -> np.ndarray:
    """Karger-Oh-Shah messages on explicit neighbour lists, from initial edge messages y."""
    a = 2.0 * data.labels - 1
    edges = list(zip(data.tasks, data.workers))
    for _ in range(n_iter):
        x = np.array([sum(a[f] * y[f] for f, (t2, w2) in enumerate(edges) if t2 == t and f != e)
                      for e, (t, w) in enumerate(edges)])
        y = np.array([sum(a[f] * x[f] for f, (t2, w2) in enumerate(edges) if w2 == w and f != e)
                      for e, (t, w) in enumerate(edges)])
    return np.array([sum(a[e] * y[e] for e, (t2, _) in enumerate(edges) if t2 == t)
                     for t in range(data.n_tasks)])


def test_matches_message_passing_equations():
    data = simulate_dataset(n_tasks=15, n_workers=6, n_classes=2, answers_per_task=3, seed=2)
    model = KOS(n_iter=3, tol=0.0).fit(data)
    y0 = model.rng(1).normal(1.0, 1.0, size=data.n_answers)
    expected = reference_kos(data, y0, 3)
    # messages are rescaled each round: compare directions
    assert np.allclose(model.task_scores_, expected / np.abs(expected).max())


def test_spammer_hammer_recovery():
    # KOS's model: each worker is a hammer (always right) or a spammer (coin flip)
    rng = np.random.default_rng(0)
    skills = np.where(rng.random(60) < 0.3, 1.0, 0.5)
    data = sample_answers(one_coin_confusion(skills, 2), np.array([0.5, 0.5]), 2000, 7, rng)
    model = KOS().fit(data)
    acc = gold_accuracy(model.labels_, data.gold)
    # best possible: right wherever a hammer answered, a coin flip elsewhere
    has_hammer = np.bincount(data.tasks, weights=skills[data.workers] == 1.0) > 0
    oracle = has_hammer.mean() + 0.5 * (~has_hammer).mean()
    assert model.converged_ and acc > oracle - 0.015
    assert acc > gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold)
    hammer = skills == 1.0
    assert model.skills_[hammer].min() > model.skills_[~hammer].max()


@pytest.mark.parametrize("name, published", [("d_product", 0.895), ("d_possent", 0.933)])
def test_crowdkit_published_accuracy(load_shared, name, published):
    data = load_shared(name)
    assert gold_accuracy(KOS().fit(data).labels_, data.gold) >= published - 5e-4
