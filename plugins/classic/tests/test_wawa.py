"""Wawa: conformance, the three steps by hand, skill recovery, crowd-kit's published accuracies."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core.simulation import sample_answers
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.one_coin_ds import one_coin_confusion
from crowdkit_classic.wawa import Wawa
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import gold_accuracy


def test_three_steps_by_hand():
    # MV: t0 -> 0 (a, b vs c), t1 -> 1 (a, c vs b), t2 -> 1 (a, b, c agree)
    data = CrowdDataset.from_arrays(
        ["t0"] * 3 + ["t1"] * 3 + ["t2"] * 3, list("abc") * 3, [0, 0, 1, 1, 0, 1, 1, 1, 1],
        n_classes=2)
    model = Wawa().fit(data)
    assert model.mv_labels_.tolist() == [0, 1, 1]
    skills = dict(zip(data.worker_ids, model.skills_))
    assert skills == pytest.approx({"a": 1.0, "b": 2 / 3, "c": 2 / 3})
    # t0: class 0 gets a + b = 5/3, class 1 gets c = 2/3
    assert model.proba_[0] == pytest.approx([5 / 7, 2 / 7])
    assert model.labels_.tolist() == [0, 1, 1]


def test_weights_overturn_a_majority():
    # e, c, d form the majority on t0..t5, where a and b agree with it once; on x, e alone
    # says 1 and a, b say 0: MV says 0, but e's skill 6/7 beats a + b = 2/7 + 2/7
    tasks, workers, labels = [], [], []
    for i in range(6):
        truth = i % 2
        for w in "ecd":
            tasks.append(f"t{i}"), workers.append(w), labels.append(truth)
        for w in "ab":
            tasks.append(f"t{i}"), workers.append(w), labels.append(truth if i == 0 else 1 - truth)
    tasks += ["x"] * 3
    workers += list("eab")
    labels += [1, 0, 0]
    data = CrowdDataset.from_arrays(tasks, workers, labels, n_classes=2)
    x = list(data.task_ids).index("x")
    model = Wawa().fit(data)
    skills = dict(zip(data.worker_ids, model.skills_))
    assert skills["e"] == pytest.approx(6 / 7) and skills["a"] == pytest.approx(2 / 7)
    assert model.mv_labels_[x] == 0 and model.labels_[x] == 1
    assert model.proba_[x] == pytest.approx([0.4, 0.6])


def test_recovers_skills_on_one_coin_data():
    rng = np.random.default_rng(0)
    skills = rng.uniform(0.4, 0.95, 30)
    data = sample_answers(one_coin_confusion(skills, 3), np.full(3, 1 / 3), 3000, 7, rng)
    model = Wawa().fit(data)
    assert gold_accuracy(model.labels_, data.gold) >= gold_accuracy(
        MajorityVote().fit(data).labels_, data.gold)
    assert np.corrcoef(model.skills_, skills)[0, 1] > 0.95
    # agreement with a 7-answer majority vote slightly underestimates the true accuracy
    assert np.abs(model.skills_ - skills).mean() < 0.06


def test_worker_who_never_agrees_gets_zero_weight():
    data = CrowdDataset.from_arrays([0, 0, 0, 1, 1, 1], list("abcabc"), [0, 0, 1, 1, 1, 0],
                                    n_classes=2)
    model = Wawa().fit(data)
    assert model.skills_[list(data.worker_ids).index("c")] == 0.0
    assert np.isfinite(model.proba_).all()


@pytest.mark.parametrize("name, published", [("d_product", 0.897), ("d_possent", 0.951),
                                             ("s_rel", 0.557), ("s_adult", 0.766)])
def test_crowdkit_published_accuracy(load_shared, name, published):
    data = load_shared(name)
    # crowd-kit's MV (the first pass) breaks ties towards the lowest label
    acc = gold_accuracy(Wawa(ties="lowest").fit(data).labels_, data.gold)
    assert acc >= published - 5e-4
