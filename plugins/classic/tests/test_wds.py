"""WDS: conformance, peerannot's weighting rule, spammer-heavy simulation, real data."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core.simulation import sample_answers
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.one_coin_ds import one_coin_confusion
from crowdkit_classic.wds import WDS
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import gold_accuracy
from crowdkit_core.testing import simulate_dataset


def test_peerannot_rule_answer_by_answer():
    """baseline[task, vote] += pi_worker[vote, vote], then each row is normalised."""
    data = simulate_dataset(n_tasks=50, n_workers=6, n_classes=3, seed=9)
    model = WDS(max_iter=20).fit(data)
    pi = model.ds_.confusion_matrices_
    baseline = np.zeros((data.n_tasks, data.n_classes))
    for t, w, l in zip(data.tasks, data.workers, data.labels):
        baseline[t, l] += pi[w, l, l]
    assert np.allclose(model.proba_, baseline / baseline.sum(axis=1, keepdims=True))
    assert np.allclose(model.weights_, np.einsum("wkk->wk", pi))


def test_runs_ds_with_its_own_parameters():
    data = simulate_dataset(seed=2)
    model = WDS(smoothing=0.0, init="mv", max_iter=2, tol=0.0, seed=3).fit(data)
    assert model.ds_.get_params() == model.get_params()
    assert model.history_ == model.ds_.history_ and model.n_iter_ == model.ds_.n_iter_ == 2
    assert not model.converged_ and not model.ds_.converged_
    assert any(w.startswith("WDS (its DS fit):") for w in model.warnings_)


def test_progress_callback_sees_ds_iterations():
    seen = []
    WDS(max_iter=4, tol=0.0).fit(simulate_dataset(seed=1), on_iteration=lambda i, v: seen.append(i))
    assert seen == [1, 2, 3, 4]


def test_counts_repeated_answers():
    data = CrowdDataset.from_arrays([0, 0, 0], ["a", "a", "b"], [0, 0, 1], n_classes=2)
    model = WDS().fit(data)
    w = model.weights_
    assert np.allclose(model.proba_[0], np.array([2 * w[0, 0], w[1, 1]]) / (2 * w[0, 0] + w[1, 1]))


@pytest.mark.parametrize("seed", [0, 1])
def test_discounts_spammers(seed):
    """Half the workers answer at random: their diagonal weight falls to about 1/K."""
    skills = np.where(np.arange(40) < 20, 0.85, 0.25)
    data = sample_answers(one_coin_confusion(skills, 4), np.full(4, 0.25), 2000, 5,
                          np.random.default_rng(seed))
    model = WDS().fit(data)
    mv = gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold)
    assert gold_accuracy(model.labels_, data.gold) >= mv + 0.08
    assert abs(model.weights_[:20].mean() - 0.85) < 0.03
    assert abs(model.weights_[20:].mean() - 0.25) < 0.03


@pytest.mark.parametrize("name, at_least", [("d_product", 0.895), ("d_possent", 0.945),
                                            ("s_rel", 0.545), ("labelme", 0.775),
                                            ("music", 0.785)])
def test_real_data_accuracy(load_shared, name, at_least):
    data = load_shared(name)
    assert gold_accuracy(WDS(ties="lowest").fit(data).labels_, data.gold) >= at_least
