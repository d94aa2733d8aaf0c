"""auto: it picks the model that generated a crowd, hides answers without leaking them, is
deterministic, stays within its cost bound, and refuses bad candidate specs in one line."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import SpecError
from crowdkit_core.simulation import diagonally_dominant, dirichlet_rows, one_coin, sample_answers

from crowdkit_classic._holdout import answer_positions, hidden_mask, make_split, make_splits
from crowdkit_classic.auto import Auto, stacking_weights
from crowdkit_classic.dawid_skene import DawidSkene


def one_coin_crowd(seed: int) -> CrowdDataset:
    rng = np.random.default_rng(seed)
    return sample_answers(one_coin(rng.uniform(0.5, 0.9, 40), 4), None, 600, 5, rng)


def confusion_crowd(seed: int) -> CrowdDataset:
    """Few workers with many answers each and class-dependent errors (Dirichlet rows)."""
    rng = np.random.default_rng(seed)
    confusion = diagonally_dominant(dirichlet_rows(rng, 10, 3, alpha=0.5))
    return sample_answers(confusion, None, 1500, 5, rng)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_picks_one_coin_on_a_one_coin_crowd(seed):
    model = Auto().fit(one_coin_crowd(seed))
    assert model.chosen_ == "OneCoinDS"
    assert model.scores_["OneCoinDS"] > model.scores_["DS"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_picks_ds_on_class_dependent_confusion(seed):
    model = Auto().fit(confusion_crowd(seed))
    assert model.chosen_ == "DS"
    assert model.scores_["DS"] > max(model.scores_["OneCoinDS"], model.scores_["DSWC"])


def test_result_is_the_winner_refitted_on_all_answers():
    data = confusion_crowd(0)
    model = Auto().fit(data)
    alone = DawidSkene(seed=model.params.seed).fit(data)
    np.testing.assert_allclose(model.proba_, alone.proba_, rtol=0, atol=1e-12)
    assert model.weights_ == {"OneCoinDS": 0.0, "DS": 1.0, "DSWC": 0.0}


def test_same_seed_same_choice_and_bytes():
    data = one_coin_crowd(5)
    a, b = Auto(seed=3, folds=2).fit(data), Auto(seed=3, folds=2).fit(data)
    assert a.chosen_ == b.chosen_ and a.scores_ == b.scores_
    assert a.proba_.tobytes() == b.proba_.tobytes()
    assert a.labels_.tobytes() == b.labels_.tobytes()
    other = Auto(seed=4, folds=2).fit(data)
    assert other.scores_ != a.scores_  # the seed really moves the split


def test_summary_and_details_report_the_choice():
    model = Auto().fit(one_coin_crowd(0))
    summary = model.summary()
    assert summary["chosen"] == "OneCoinDS"
    assert "DS " in summary["held-out log-lik / answer"]
    details = model.details(np.arange(600), np.arange(40))["dataset"]
    assert details["chosen"] == "OneCoinDS" and set(details["scores"]) == {"OneCoinDS", "DS", "DSWC"}


def test_stacking_weights_maximise_the_mixture_likelihood():
    rng = np.random.default_rng(0)
    probabilities = rng.uniform(0.05, 1.0, size=(3, 400))
    weights = stacking_weights(probabilities)
    assert weights.min() >= 0 and weights.sum() == pytest.approx(1.0)
    best = np.log(weights @ probabilities).mean()
    assert best >= np.log(probabilities).mean(axis=1).max() - 1e-12
    for other in rng.dirichlet(np.ones(3), size=50):  # no point of the simplex does better
        assert np.log(other @ probabilities).mean() <= best + 1e-9


def test_stacking_combines_posteriors():
    model = Auto(combine="stacking", folds=2).fit(one_coin_crowd(1))
    assert sum(model.weights_.values()) == pytest.approx(1.0)
    assert model.chosen_ == max(model.weights_, key=model.weights_.get)
    np.testing.assert_allclose(model.proba_.sum(axis=1), 1.0)


# -- the held-out split ----------------------------------------------------------------------
@st.composite
def crowds(draw):
    n_tasks = draw(st.integers(2, 25))
    n_workers = draw(st.integers(1, 8))
    k = draw(st.integers(2, 4))
    size = draw(st.integers(1, 80))
    tasks = draw(st.lists(st.integers(0, n_tasks - 1), min_size=size, max_size=size))
    workers = draw(st.lists(st.integers(0, n_workers - 1), min_size=size, max_size=size))
    labels = draw(st.lists(st.integers(0, k - 1), min_size=size, max_size=size))
    return CrowdDataset.from_arrays([f"t{t}" for t in tasks], [f"w{w}" for w in workers],
                                    labels, n_classes=k)


@settings(max_examples=60, deadline=None)
@given(crowds(), st.integers(0, 2**16), st.sampled_from([0.1, 0.3, 0.5]), st.integers(0, 3))
def test_split_hides_answers_without_leaking_them(data, seed, holdout, split):
    hidden = hidden_mask(answer_positions(data, seed), split, holdout)
    result = make_split(data, hidden)
    if result is None:  # every answer hidden: nothing to fit on, nothing scored
        assert hidden.all()
        return
    train = result.train
    # the training set holds exactly the kept answers
    kept = set(zip(data.task_ids[data.tasks[~hidden]], data.worker_ids[data.workers[~hidden]],
                   data.labels[~hidden]))
    trained = set(zip(train.task_ids[train.tasks], train.worker_ids[train.workers], train.labels))
    assert trained == kept and train.n_answers == int((~hidden).sum())
    # scored answers are hidden ones, indexed into the training set
    assert result.n_scored <= int(hidden.sum())
    assert (result.tasks < train.n_tasks).all() and (result.workers < train.n_workers).all()
    # changing the hidden labels changes nothing the candidates are fitted on
    relabelled = data.labels.copy()
    relabelled[hidden] = (relabelled[hidden] + 1) % data.n_classes
    changed = CrowdDataset(data.tasks.copy(), data.workers.copy(), relabelled, data.n_classes,
                           data.task_ids, data.worker_ids, presorted=True)  # same answer order
    other = make_split(changed, hidden).train
    for name in ("tasks", "workers", "labels"):
        assert np.array_equal(getattr(other, name), getattr(train, name))
    # each worker hides floor or ceil of its share of answers
    per_worker = np.bincount(data.workers, minlength=data.n_workers)
    hidden_per_worker = np.bincount(data.workers[hidden], minlength=data.n_workers)
    assert (np.abs(hidden_per_worker - holdout * per_worker) < 1 + 1e-9).all()


@settings(max_examples=30, deadline=None)
@given(crowds(), st.integers(0, 2**16))
def test_disjoint_folds_cover_each_answer_once(data, seed):
    positions = answer_positions(data, seed)
    masks = [hidden_mask(positions, split, 0.25) for split in range(4)]
    assert (np.sum(masks, axis=0) == 1).all()


def test_split_does_not_depend_on_worker_names():
    data = one_coin_crowd(2)
    renamed = CrowdDataset.from_arrays(
        list(data.task_ids[data.tasks]), [f"z{999 - w}" for w in data.worker_ids[data.workers]],
        data.labels.tolist(), n_classes=data.n_classes)
    a, b = make_splits(data, 1, 0.3, 0)[0], make_splits(renamed, 1, 0.3, 0)[0]
    key = lambda s, d: sorted(zip(s.train.task_ids[s.tasks].tolist(), s.labels.tolist()))
    assert key(a, data) == key(b, renamed) and a.n_scored == b.n_scored


# -- bad candidate specs ---------------------------------------------------------------------
@pytest.mark.parametrize("candidates, message", [
    (["MV", "NoSuch"], "candidate 'NoSuch': unknown strategy"),
    (["DS[smoothing=-1]"], "candidate 'DS[smoothing=-1]': invalid parameters for DS"),
    (["DS", "dawid_skene"], "is given twice"),
    (["auto"], "auto cannot be its own candidate"),
    (["entropy"], "identification strategy"),
    ([], "at least 1 item"),
])
def test_bad_candidates_are_one_line_errors(candidates, message):
    with pytest.raises(SpecError, match=re.escape(message)) as info:
        Auto(candidates=candidates)
    assert len(str(info.value).splitlines()) == 1


@pytest.fixture
def cli():
    """Invoke ``crowd`` in-process (stdout and stderr separate)."""
    from typer.testing import CliRunner

    from crowdkit_core.cli.app import create_app
    from crowdkit_core.plugins import reset_registry

    reset_registry()
    yield lambda *args: CliRunner().invoke(create_app(), list(args))
    reset_registry()


def test_bad_candidate_on_the_command_line(cli, tmp_path):
    data = one_coin_crowd(0)
    path = tmp_path / "answers.csv"
    path.write_text("task,worker,label\n" + "".join(
        f"{t},{w},{l}\n" for t, w, l in zip(data.tasks, data.workers, data.labels)))
    result = cli("aggregate", str(path), "-s", "auto[candidates=[MV,'DS[tol=x]']]",
                 "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "candidate 'DS[tol=x]'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    ok = cli("aggregate", str(path), "-s", "auto", "-o", str(tmp_path / "out"))
    assert ok.exit_code == 0 and "chosen" in ok.stdout and "OneCoinDS" in ok.stdout


# -- real data -------------------------------------------------------------------------------
MV_LOWEST = {"labelme": 0.769, "s_adult": 0.763, "music": 0.710}


@pytest.mark.parametrize("name, expected", [("labelme", "DSWC"), ("music", "DSWC")])
def test_real_data_choice_is_not_below_majority_vote(load_shared, name, expected):
    data = load_shared(name)
    model = Auto().fit(data)
    known = data.gold >= 0
    accuracy = float((model.labels_[known] == data.gold[known]).mean())
    assert model.chosen_ == expected
    assert accuracy >= MV_LOWEST[name] - 0.01


@pytest.mark.slow
def test_s_adult_avoids_the_ds_collapse(load_shared):
    """DS falls .015 below majority vote on s_adult; auto picks the clustered model (.805)."""
    data = load_shared("s_adult")
    model = Auto().fit(data)
    known = data.gold >= 0
    assert model.chosen_ == "DSWC"
    assert float((model.labels_[known] == data.gold[known]).mean()) >= 0.80


@pytest.mark.slow
def test_costs_at_most_ten_ds_fits(load_shared):
    """On a mid-size dataset (sentiment_polarity, 27746 answers), best of 5 each."""
    data = load_shared("sentiment_polarity")
    Auto().fit(data), DawidSkene().fit(data)  # warm caches and imports

    auto_times, ds_times = [], []
    for _ in range(9):  # interleaved, so that load from other processes hits both alike
        for make, times in ((Auto, auto_times), (DawidSkene, ds_times)):
            start = time.perf_counter()
            make().fit(data)
            times.append(time.perf_counter() - start)
    assert min(auto_times) <= 10 * min(ds_times)
