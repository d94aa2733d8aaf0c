"""max_iter=0 means the initialisation only (crowd-kit's n_iter=0) for every iterative
strategy: the starting posteriors or the first vote, and the parameters they give."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core.dataset import load_dataset
from crowdkit_core.engine import ThreadEngine
from crowdkit_core.engines.partitioned import partition_dataset
from crowdkit_core.errors import EngineError
from crowdkit_core.plugins import PluginRegistry
from crowdkit_classic._em import initial_posteriors, vote_shares
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.glad import GLAD
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.one_coin_ds import OneCoinDS

ITERATIVE = sorted(info.name for info in PluginRegistry().strategies("aggregation")
                   if info.load().tags.iterative)


@pytest.fixture(scope="module")
def labelme():
    return load_dataset("bundled:labelme")


def test_every_iterative_strategy_is_covered():
    assert {"DS", "OneCoinDS", "WDS", "DSWC", "GLAD", "MACE", "IWMV", "ZBS", "KOS", "M-MSR",
            "EBCC", "IBCC", "BWA", "PlantNet"} <= set(ITERATIVE)


@pytest.mark.parametrize("name", ITERATIVE)
def test_zero_iterations_give_a_valid_unreported_fit(name, labelme):
    cls = PluginRegistry().get_strategy(name).load()
    if cls.tags.max_classes is not None:
        pytest.skip("binary only: covered by the conformance check initialisation_only")
    data = labelme
    calls: list[int] = []
    model = cls(max_iter=0).fit(data, on_iteration=lambda i, _: calls.append(i))
    assert calls == [] and model.n_iter_ == 0 and model.history_ == [] and model.loss_history_ == []
    assert not model.converged_ and model.proba_.shape == (data.n_tasks, data.n_classes)
    assert not any("converg" in w for w in model.warnings_)  # asked for: no warning


def test_ds_keeps_the_vote_shares_and_their_m_step(labelme):
    model = DawidSkene(max_iter=0, smoothing=0).fit(labelme)
    assert np.allclose(model.proba_, vote_shares(labelme))
    one = DawidSkene(max_iter=1, smoothing=0, tol=0).fit(labelme)
    assert np.allclose(model.confusion_matrices_, one.confusion_matrices_)  # one iteration's M-step
    assert np.isfinite(model.log_likelihood_) and model.log_likelihood_ == pytest.approx(one.history_[0])
    warm = DawidSkene(max_iter=0).fit(labelme, init=one.state_)  # from a state: its E-step
    assert np.allclose(warm.proba_, one.proba_)


def test_ds_with_gold_keeps_the_clamped_start(labelme):
    gold = np.full(labelme.n_tasks, -1)
    gold[:5] = 0
    model = DawidSkene(max_iter=0).fit(labelme, gold=gold)
    assert np.array_equal(model.proba_[:5], np.eye(8)[[0] * 5])
    assert np.allclose(model.proba_[5:], vote_shares(labelme)[5:])


def test_glad_keeps_its_start_and_weighted_votes_their_majority(labelme):
    assert np.allclose(GLAD(max_iter=0).fit(labelme).proba_, initial_posteriors(labelme, "mv"))
    alphas = GLAD(max_iter=0).fit(labelme).alphas_
    assert np.all(alphas == 1.0)
    mv = MajorityVote(ties="lowest").fit(labelme).labels_
    from crowdkit_classic.iwmv import IWMV
    from crowdkit_classic.zbs import ZBS

    for cls in (IWMV, ZBS):
        assert np.array_equal(cls(max_iter=0, ties="lowest").fit(labelme).labels_, mv)


def test_one_coin_skills_from_the_start(labelme):
    model = OneCoinDS(max_iter=0, smoothing=0).fit(labelme)
    shares = vote_shares(labelme)
    agreement = np.bincount(labelme.workers, weights=shares[labelme.tasks, labelme.labels],
                            minlength=labelme.n_workers) / labelme.answers_per_worker
    assert np.allclose(model.skills_, agreement)  # crowd-kit's n_iter=0 skills


def test_partitions_and_partial_fit_refuse_zero_iterations(labelme):
    parts = partition_dataset(labelme, ThreadEngine(), 2)
    for model in (DawidSkene(max_iter=0), GLAD(max_iter=0)):
        with pytest.raises(EngineError, match="max_iter=0"):
            model.fit(parts)
    with pytest.raises(EngineError, match="partial_fit"):
        DawidSkene(max_iter=0).partial_fit(labelme)
