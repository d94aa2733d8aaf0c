"""TwoThird: conformance, the abstention rules, outputs for abstained tasks, peerannot's labelme."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_classic.two_third import TwoThird
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.metrics import labelled_accuracy


CASES = [  # answers of one task, expected label (-1: abstain)
    ([2], -1),                 # a single answer is never enough
    ([1, 1], 1),               # two agreeing answers
    ([0, 1], -1),              # 1/2 < 2/3
    ([2, 2, 0], 2),            # exactly 2/3
    ([0, 0, 1, 1], -1),        # 2/4
    ([0, 0, 0, 1, 2], -1),     # 3/5 < 2/3
    ([1, 1, 1, 1, 0, 2], 1),   # 4/6 = 2/3
    ([2, 2, 2, 2, 2, 2], 2),
]


def cases_dataset() -> CrowdDataset:
    tasks, workers, labels = [], [], []
    for t, (answers, _) in enumerate(CASES):
        tasks += [f"t{t}"] * len(answers)
        workers += [f"w{j}" for j in range(len(answers))]
        labels += answers
    return CrowdDataset.from_arrays(tasks, workers, labels, n_classes=3)


def test_abstention_rules():
    data = cases_dataset()
    model = TwoThird().fit(data)
    order = [int(t[1:]) for t in data.task_ids]
    expected = np.array([CASES[t][1] for t in order])
    assert np.array_equal(model.labels_, expected)
    assert np.array_equal(model.valid_, expected >= 0)
    assert np.array_equal(model.too_hard_, np.flatnonzero(expected < 0))


def test_proba_is_the_vote_share_everywhere():
    data = cases_dataset()
    model = TwoThird().fit(data)
    assert np.allclose(model.proba_.sum(axis=1), 1.0)
    assert np.allclose(model.proba_, data.vote_counts / data.vote_counts.sum(1, keepdims=True))


def test_thresholds_are_parameters():
    data = cases_dataset()
    relaxed = TwoThird(min_answers=1, min_share=0.5, ties="lowest").fit(data)
    order = [int(t[1:]) for t in data.task_ids]
    labels = dict(zip(order, relaxed.labels_.tolist()))
    assert labels[0] == 2        # one answer now suffices
    assert labels[2] == 0        # a 1/2 tie, broken towards the lowest label
    assert labels[5] == 0        # 3/5 >= 1/2
    strict = TwoThird(min_share=1.0).fit(data)
    assert (strict.labels_ >= 0).sum() == 2  # only the unanimous tasks with >= 2 answers


def test_peerannot_labelme(load_shared):
    # peerannot: TwoThird labels 829 of labelme's 1000 tasks with accuracy .820
    data = load_shared("labelme")
    model = TwoThird().fit(data)
    accuracy, coverage = labelled_accuracy(model.labels_, data.gold)
    assert model.valid_.sum() == 829 and coverage == pytest.approx(0.829)
    assert round(accuracy, 3) == 0.820
