"""MV and NaiveSoft: conformance, tie rules and crowd-kit's published accuracies."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.naive_soft import NaiveSoft
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import DatasetError, SpecError
from crowdkit_core.metrics import gold_accuracy


def test_majority_and_shares():
    data = CrowdDataset.from_arrays([0, 0, 0, 1, 1], list("abcab"), [2, 2, 1, 0, 0], n_classes=3)
    mv = MajorityVote().fit(data)
    assert mv.labels_.tolist() == [2, 0]
    assert mv.proba_.tolist() == [[0, 0, 1], [1, 0, 0]]
    assert np.allclose(NaiveSoft().fit(data).proba_, [[0, 1 / 3, 2 / 3], [1, 0, 0]])


def test_ties_lowest_and_random():
    data = CrowdDataset.from_arrays([0, 0] * 1, ["a", "b"], [2, 1], n_classes=3)
    assert MajorityVote(ties="lowest").fit_predict(data).tolist() == [1]
    many = CrowdDataset.from_arrays(np.repeat(np.arange(200), 2), ["a", "b"] * 200, [0, 1] * 200, n_classes=2)
    picks = MajorityVote(ties="random", seed=3).fit_predict(many)
    assert set(picks.tolist()) == {0, 1}  # both tied labels get chosen
    assert 60 < picks.sum() < 140
    assert np.array_equal(picks, MajorityVote(ties="random", seed=3).fit_predict(many))
    assert not np.array_equal(picks, MajorityVote(ties="random", seed=4).fit_predict(many))


@pytest.mark.parametrize("name, published", [("d_product", 0.897), ("d_possent", 0.932),
                                             ("s_rel", 0.536), ("s_adult", 0.763)])
def test_crowdkit_published_accuracy(load_shared, name, published):
    data = load_shared(name)
    acc = gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold)
    assert round(acc, 3) == published


def test_peerannot_labelme(load_shared):
    data = load_shared("labelme")
    assert round(gold_accuracy(MajorityVote(ties="lowest").fit(data).labels_, data.gold), 3) == 0.769
    # peerannot reports .766 (random ties) and NaiveSoft .769
    assert abs(gold_accuracy(NaiveSoft(ties="lowest").fit(data).labels_, data.gold) - 0.769) < 1e-3


# -- weighted by given skills (crowd-kit's MajorityVote(skills=...)) ------------------------
SKILL_TOY = dict(tasks=["t1", "t1", "t1", "t2", "t2", "t2"], workers=["p1", "p2", "p3"] * 2,
                 labels=[0, 0, 1, 1, 0, 1])


def _toy():
    return CrowdDataset.from_arrays(SKILL_TOY["tasks"], SKILL_TOY["workers"], SKILL_TOY["labels"],
                                    n_classes=2)


def test_skills_weight_the_votes_as_crowdkit_docstring():
    skills = {"p1": 0.5, "p2": 0.7, "p3": 0.4}
    model = MajorityVote().fit(_toy(), skills)  # positional, as crowd-kit's fit(data, skills)
    assert model.labels_.tolist() == [0, 1]  # t2: 0.5 + 0.4 for label 1 against 0.7
    assert np.allclose(model.vote_share_, [[1.2 / 1.6, 0.4 / 1.6], [0.7 / 1.6, 0.9 / 1.6]])
    unweighted = MajorityVote().fit(_toy(), skills={"p1": 1, "p2": 1, "p3": 1})
    assert np.array_equal(unweighted.vote_share_, MajorityVote().fit(_toy()).vote_share_)


def test_skill_sources_series_list_and_files(tmp_path):
    import pandas as pd

    expected = MajorityVote().fit(_toy(), {"p1": 0.5, "p2": 0.7, "p3": 0.4}).vote_share_
    (tmp_path / "s.csv").write_text("worker,skill\np1,0.5\np2,0.7\np3,0.4\n")
    (tmp_path / "s.json").write_text('{"p1": 0.5, "p2": 0.7, "p3": 0.4, "unknown": 9}')
    for source in (pd.Series({"p3": 0.4, "p1": 0.5, "p2": 0.7}), [0.5, 0.7, 0.4],
                   tmp_path / "s.csv", str(tmp_path / "s.json")):
        assert np.allclose(MajorityVote().fit(_toy(), skills=source).vote_share_, expected)


def test_skills_from_a_workers_file_and_the_cli_route(tmp_path):
    from crowdkit_core.application import aggregate
    from crowdkit_core.writers import write_result

    first = aggregate("bundled:labelme", "OneCoinDS")
    record = write_result(first, fmt="csv", output_dir=tmp_path)
    result = aggregate("bundled:labelme", "MV[ties=lowest]", task_data={"skills": record["workers"]})
    assert record["workers"] in result.provenance["inputs"]
    weights = dict(zip(first.workers().worker_ids, first.model.skills_))
    direct = MajorityVote(ties="lowest").fit(first.dataset, skills=weights)
    assert np.array_equal(result.labels, direct.labels_)
    with pytest.raises(DatasetError, match="no 'skill' field"):
        other = write_result(aggregate("bundled:labelme", "DS"), fmt="csv", output_dir=tmp_path / "ds")
        MajorityVote().fit(first.dataset, skills=other["workers"])


def test_missing_skills_error_ignore_or_value():
    partial = {"p1": 0.5, "p3": 0.4}
    with pytest.raises(DatasetError, match="1 workers have no skill .first: 'p2'"):
        MajorityVote().fit(_toy(), skills=partial)
    ignored = MajorityVote(on_missing_skill="ignore").fit(_toy(), skills=partial)
    assert ignored.labels_.tolist() == [0, 1]  # p2's answers left out: t1 is 0.5 v 0.4
    valued = MajorityVote(on_missing_skill="value", default_skill=2.0).fit(_toy(), skills=partial)
    assert valued.labels_.tolist() == [0, 0]
    with pytest.raises(DatasetError, match="tasks have no answer from a worker with a skill"):
        MajorityVote(on_missing_skill="ignore").fit(
            CrowdDataset.from_arrays(["a", "b"], ["p1", "p2"], [0, 1], n_classes=2), skills={"p1": 1})


def test_bad_skills_and_parameters_are_one_line_errors():
    with pytest.raises(SpecError, match="default_skill is given exactly when"):
        MajorityVote(on_missing_skill="value")
    with pytest.raises(SpecError, match="default_skill is given exactly when"):
        MajorityVote(default_skill=0.5)
    with pytest.raises(DatasetError, match="one number per worker"):
        MajorityVote().fit(_toy(), skills={"p1": "high", "p2": 1, "p3": 1})
    with pytest.raises(DatasetError, match="not a finite number"):
        MajorityVote().fit(_toy(), skills={"p1": float("nan"), "p2": 1, "p3": 1})
    with pytest.raises(DatasetError, match="2 values for 3 workers"):
        MajorityVote().fit(_toy(), skills=[1, 2])
    with pytest.raises(DatasetError, match="no such file"):
        MajorityVote().fit(_toy(), skills="missing-skills.csv")
