"""DSWC: conformance, the L alias, initial clustering, restarts, simulated clusters, real data."""

from __future__ import annotations

import numpy as np
import pytest

import crowdkit_classic.dswc as dswc_module
from crowdkit_core.simulation import sample_answers
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.dswc import DSWC, initial_clusters, perturb
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import SpecError
from crowdkit_core.metrics import gold_accuracy
from crowdkit_core.spec import resolve_spec
from crowdkit_core.testing import simulate_dataset


def test_peerannot_key_l_is_accepted():
    resolved = resolve_spec("DSWC[L=5]")
    assert resolved.params.n_clusters == 5 and resolved.canonical == "DSWC[n_clusters=5]"
    assert resolve_spec(resolved.canonical).params == resolved.params
    model = DSWC(L=3)
    assert model.get_params()["n_clusters"] == 3
    assert model.set_params(L=4).params.n_clusters == 4
    with pytest.raises(SpecError):
        DSWC(L=0)


def test_initial_clusters_cut_sorted_norms():
    rng = np.random.default_rng(0)
    pi = rng.dirichlet(np.ones(3), size=(10, 3))
    phi = initial_clusters(pi, 3)
    assert phi.sum(axis=0).tolist() == [3, 3, 4]  # floor(10 l / 3) boundaries: L need not divide
    norms = np.linalg.svd(pi, compute_uv=False).sum(axis=1)
    group = phi.argmax(axis=1)
    assert norms[group == 0].min() > norms[group == 1].max() > norms[group == 2].max()
    # same matrices, other order: same clusters
    order = rng.permutation(10)
    assert np.array_equal(initial_clusters(pi[order], 3).argmax(axis=1), group[order])
    # tied workers share a cluster
    tied = np.concatenate([pi[:4], np.repeat(pi[4:5], 6, axis=0)])
    assert np.unique(initial_clusters(tied, 2).argmax(axis=1)[4:]).size == 1


def test_any_number_of_clusters():
    data = simulate_dataset(n_workers=7, seed=1)
    for n_clusters in (1, 3, 7):
        model = DSWC(n_clusters=n_clusters).fit(data)
        assert model.confusion_matrices_.shape == (n_clusters, 3, 3)
        assert model.cluster_proba_.shape == (7, n_clusters)
        assert np.allclose(model.cluster_proba_.sum(axis=1), 1.0)
        assert not model.warnings_
    many = DSWC(n_clusters=10).fit(data)
    assert np.isfinite(many.proba_).all()
    assert any("exceeds the 7 workers" in w for w in many.warnings_)


def test_objective_never_decreases():
    model = DSWC(n_clusters=3, tol=0.0, max_iter=30).fit(simulate_dataset(n_tasks=200, seed=5))
    history = np.array(model.history_)
    assert (np.diff(history) >= -1e-9 * np.abs(history[1:])).all()
    assert model.elbo_ == history[-1]


def test_restarts_when_collapsed(monkeypatch):
    monkeypatch.setattr(dswc_module, "collapsed", lambda theta: True)
    data = simulate_dataset(seed=2)
    a = DSWC(n_restarts=3, max_iter=5, tol=0.0, seed=1).fit(data)
    b = DSWC(n_restarts=3, max_iter=5, tol=0.0, seed=1).fit(data)
    c = DSWC(n_restarts=3, max_iter=5, tol=0.0, seed=2).fit(data)
    assert a.n_restarts_ == 3 and len(a.history_) == a.n_iter_ == 20
    assert any("collapsed" in w for w in a.warnings_)
    assert np.array_equal(a.proba_, b.proba_) and not np.allclose(a.proba_, c.proba_)
    shares = data.vote_counts / data.vote_counts.sum(axis=1, keepdims=True)
    noisy = perturb(shares, np.random.default_rng(0))
    assert np.allclose(noisy.sum(axis=1), 1.0) and (noisy >= 0).all()


def test_no_restart_on_unanimous_data():
    data = CrowdDataset.from_arrays([0, 1, 2, 2], ["a", "b", "a", "b"], [1, 1, 1, 1], n_classes=3)
    model = DSWC().fit(data)
    assert model.n_restarts_ == 0 and (model.labels_ == 1).all()


CLUSTERS = np.stack([
    np.full((4, 4), 0.05) + 0.8 * np.eye(4),                      # reliable
    np.array([[0.7, 0.1, 0.1, 0.1], [0.4, 0.4, 0.1, 0.1],
              [0.4, 0.1, 0.4, 0.1], [0.4, 0.1, 0.1, 0.4]]),      # leans towards class 0
    np.full((4, 4), 0.25),                                       # spammers
])


@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_simulated_clusters(seed):
    rng = np.random.default_rng(seed)
    membership = rng.integers(0, 3, 150)
    data = sample_answers(CLUSTERS[membership], np.full(4, 0.25), 2000, 5, rng)
    model = DSWC(n_clusters=3).fit(data)
    table = np.zeros((3, 3), dtype=int)
    np.add.at(table, (membership, model.clusters_), 1)
    assert table.max(axis=1).sum() >= 0.95 * 150  # clusters found, up to relabelling
    matched = model.confusion_matrices_[table.argmax(axis=1)]
    assert np.abs(matched - CLUSTERS).max() < 0.1
    acc = gold_accuracy(model.labels_, data.gold)
    # ~67 answers per worker: pooling beats per-worker DS, which beats MV
    assert acc >= gold_accuracy(DawidSkene().fit(data).labels_, data.gold) + 0.04
    assert acc >= gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold) + 0.1


@pytest.mark.parametrize("name, at_least", [("d_product", 0.92), ("d_possent", 0.955),
                                            ("s_rel", 0.59), ("s_adult", 0.78),
                                            ("labelme", 0.78), ("music", 0.785)])
def test_real_data_accuracy(load_shared, name, at_least):
    data = load_shared(name)
    assert gold_accuracy(DSWC(ties="lowest").fit(data).labels_, data.gold) >= at_least
