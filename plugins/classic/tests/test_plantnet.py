"""PlantNet: conformance, each AI mode on a hand-built example, the weight function, the fixed
point on updated labels, authors, input files, and peerannot's labelme figure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crowdkit_classic.plantnet import PlantNet, identified_classes, weight_function
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import DatasetError, SpecError
from crowdkit_core.metrics import labelled_accuracy

W0 = np.log(2.1)  # every worker's weight while no class is identified (f(0))


# Four tasks, three humans, K=3; the AI's vote is given separately. With the default
# vote_factor=0.1 nobody reaches n=1 (round(0.1 * 3) = 0), so every human weighs log(2.1).
HUMANS = {"A": [0, 0, 0], "B": [1, 1], "C": [2, 2, 2], "D": [0, 0, 1]}
AI = {"A": 0, "B": 1, "C": 0, "D": 0}
SCORES = {"A": 0.9, "B": 0.9, "C": 0.1, "D": 0.1}
EXPECTED = {  # label per task, -1 = invalid
    # B: conf 2 log 2.1 < 2; D: conf 2 log 2.1 < 2
    "ignored": {"A": 0, "B": -1, "C": 2, "D": -1},
    # B: 2 log 2.1 + 1 >= 2; C: acc (3 log 2.1) / (3 log 2.1 + 1) = 0.69 < 0.7; D: acc 0.77
    "fixed": {"A": 0, "B": 1, "C": -1, "D": 0},
    # the AI can only lower accuracy where it disagrees: C falls, B and D are not rescued
    "invalidating": {"A": 0, "B": -1, "C": -1, "D": -1},
    # as 'fixed' where the AI is confident (A, B), as 'ignored' elsewhere (C, D)
    "confident": {"A": 0, "B": 1, "C": 2, "D": -1},
    # an ordinary worker of weight log(2.1): B 3 votes, C acc 0.75, D acc 0.75
    "worker": {"A": 0, "B": 1, "C": 2, "D": 0},
}


def hand_built(ai_as_worker: bool) -> CrowdDataset:
    tasks, workers, labels = [], [], []
    for task, answers in HUMANS.items():
        for j, label in enumerate(answers):
            tasks.append(task), workers.append(f"h{j}"), labels.append(label)
        if ai_as_worker:
            tasks.append(task), workers.append("AI"), labels.append(AI[task])
    return CrowdDataset.from_arrays(tasks, workers, labels, n_classes=3)


def by_task(data: CrowdDataset, values: np.ndarray) -> dict[str, int]:
    return dict(zip(data.task_ids, values.tolist()))


@pytest.mark.parametrize("mode", list(EXPECTED))
@pytest.mark.parametrize("source", ["worker", "list"])
def test_ai_modes(mode, source):
    if source == "worker":  # peerannot's convention: answers of worker "AI"
        data = hand_built(ai_as_worker=True)
        extra = {}
    else:
        data = hand_built(ai_as_worker=False)
        extra = {"ai_predictions": [AI[t] for t in data.task_ids]}
    scores = [SCORES[t] for t in data.task_ids]
    model = PlantNet(ai=mode, ai_threshold=0.5).fit(data, ai_scores=scores, **extra)
    assert by_task(data, model.labels_) == EXPECTED[mode]
    assert model.converged_
    assert np.allclose(model.proba_.sum(axis=1), 1.0)
    assert np.array_equal(model.too_hard_, np.flatnonzero(~model.valid_))
    if source == "worker":
        ai = list(data.worker_ids).index("AI")
        assert (model.weights_[ai] > 0) == (mode == "worker")


def test_fixed_ai_weight_counts_once_per_task():
    data = hand_built(ai_as_worker=True)
    model = PlantNet(ai="fixed", ai_weight=1.0).fit(data)
    conf = by_task(data, model.confidence_)
    assert conf["A"] == pytest.approx(3 * W0 + 1.0)   # not 3 * (log 2.1 + 1)
    assert conf["B"] == pytest.approx(2 * W0 + 1.0)
    acc = by_task(data, model.accuracy_)
    assert acc["C"] == pytest.approx(3 * W0 / (3 * W0 + 1.0))


def test_invalidating_ai_only_enters_the_denominator_when_disagreeing():
    data = hand_built(ai_as_worker=True)
    model = PlantNet(ai="invalidating", ai_weight=1.0).fit(data)
    assert by_task(data, model.confidence_)["A"] == pytest.approx(3 * W0)
    assert by_task(data, model.accuracy_)["A"] == pytest.approx(1.0)
    assert by_task(data, model.accuracy_)["C"] == pytest.approx(3 * W0 / (3 * W0 + 1.0))
    # a heavy AI can invalidate, never validate
    heavy = PlantNet(ai="invalidating", ai_weight=100.0).fit(data)
    assert by_task(data, heavy.labels_) == {"A": 0, "B": -1, "C": -1, "D": -1}


def test_no_ai_votes_warns():
    model = PlantNet(ai="fixed").fit(hand_built(ai_as_worker=False))
    assert any("no AI votes" in w for w in model.warnings_)


def test_weight_function():
    n = np.array([0, 1, 4, 100])
    assert np.allclose(weight_function(n, 0.5, 0.2), n ** 0.5 - n ** 0.2 + np.log(2.1))
    assert np.allclose(weight_function(n, 1, 1), np.log(2.1))  # peerannot's default: flat
    assert np.all(np.diff(weight_function(np.arange(50), 0.5, 0.2)) >= 0)


def test_identified_classes_counts_distinct_classes():
    workers = np.array([0, 0, 0, 0, 1, 1, 1])
    labels = np.array([2, 2, 3, 4, 1, 1, 0])
    correct = np.array([True, True, True, False, True, True, True])
    authored = np.array([True, False, False, False, False, False, True])
    # worker 0: class 2 authored (1), class 3 voted (1 vote * 0.5 -> round 0.5 = 0)
    # worker 1: class 1 voted twice (counts once), class 0 authored
    n = identified_classes(workers, labels, correct, authored, 2, 5, 0.5)
    assert n.tolist() == [1 + np.round(0.5), 1 + np.round(0.5)]
    assert identified_classes(workers, labels, correct, authored, 2, 5, 1.0).tolist() == [2, 2]


def experts_dataset() -> CrowdDataset:
    """Experts e and c identify classes 0..4 with helpers; on x they are outvoted 2 to 3."""
    tasks, workers, labels = [], [], []
    for k in range(5):
        for w in ("e", "c", f"h{k}"):
            tasks.append(f"t{k}"), workers.append(w), labels.append(k)
    for w, label in (("e", 3), ("c", 3), ("a", 1), ("b", 1), ("d", 1)):
        tasks.append("x"), workers.append(w), labels.append(label)
    return CrowdDataset.from_arrays(tasks, workers, labels, n_classes=5)


def test_fixed_point_on_updated_labels():
    data = experts_dataset()
    x = list(data.task_ids).index("x")
    # first pass: MV gives x label 1 with accuracy 0.6 (invalid); experts then reach n=5,
    # f(5) = 5 - 5^0.01 + log 2.1 = 4.73, and x flips to 3 with accuracy 0.81: validity must
    # be judged on that updated label
    model = PlantNet(alpha=1.0, beta=0.01, vote_factor=1.0).fit(data)
    weights = dict(zip(data.worker_ids, model.weights_))
    assert weights["e"] == pytest.approx(weight_function(5, 1.0, 0.01))
    assert weights["a"] == pytest.approx(W0)
    assert model.labels_[x] == 3 and model.valid_[x]
    assert model.accuracy_[x] == pytest.approx(2 * weights["e"] / (2 * weights["e"] + 3 * W0))
    assert model.n_iter_ >= 2 and model.converged_
    # with every worker at log(2.1) (alpha = beta) x stays at 1 and is invalid
    flat = PlantNet(alpha=1.0, beta=1.0, vote_factor=1.0).fit(data)
    assert flat.labels_[x] == -1 and flat.proba_[x].argmax() == 1


def test_authors_count_fully_and_votes_by_vote_factor():
    data = experts_dataset()
    authors = {f"t{k}": "e" for k in range(5)}
    listed = [authors.get(t) for t in data.task_ids]
    model = PlantNet(alpha=1.0, beta=0.01).fit(data, authors=listed)
    n = dict(zip(data.worker_ids, model.n_identified_))
    assert n["e"] == 5            # author of five valid tasks of distinct classes
    assert n["c"] == np.round(0.5)  # five classes by votes * 0.1
    plain = PlantNet(alpha=1.0, beta=0.01).fit(data)
    assert dict(zip(data.worker_ids, plain.n_identified_))["e"] == np.round(0.5)


def test_inputs_from_files(tmp_path):
    data = hand_built(ai_as_worker=False)
    ids = list(data.task_ids)
    expected = PlantNet(ai="fixed").fit(data, ai_predictions=[AI[t] for t in ids]).labels_
    (tmp_path / "ai.json").write_text(json.dumps(AI))
    (tmp_path / "ai.csv").write_text("task,label\n" + "".join(f"{t},{AI[t]}\n" for t in ids))
    (tmp_path / "ai.txt").write_text("".join(f"{AI[t]}\n" for t in ids))
    np.save(tmp_path / "ai.npy", np.array([AI[t] for t in ids]))
    for name in ("ai.json", "ai.csv", "ai.txt", "ai.npy"):
        model = PlantNet(ai="fixed").fit(data, ai_predictions=str(tmp_path / name))
        assert np.array_equal(model.labels_, expected), name
    array = PlantNet(ai="fixed").fit(data, ai_predictions=np.array([AI[t] for t in ids]))
    assert np.array_equal(array.labels_, expected)


def test_bad_inputs_are_clear_errors(tmp_path):
    data = hand_built(ai_as_worker=False)
    with pytest.raises(DatasetError, match="4 tasks"):
        PlantNet(ai="fixed").fit(data, ai_predictions=[0, 1])
    with pytest.raises(DatasetError, match="outside"):
        PlantNet(ai="fixed").fit(data, ai_predictions=[0, 1, 7, 0])
    with pytest.raises(DatasetError, match="ai_scores"):
        PlantNet(ai="confident").fit(data, ai_predictions=[0, 1, 2, 0])
    with pytest.raises(DatasetError, match="no such file"):
        PlantNet(ai="fixed").fit(data, ai_predictions=str(tmp_path / "missing.json"))
    with pytest.raises(SpecError, match="beta"):
        PlantNet(alpha=0.2, beta=0.5)
    with pytest.raises(SpecError, match=r"authors is per-task data.*--task-data authors=FILE"):
        PlantNet(authors=["a", "b", "c", "d"])
    with pytest.raises(TypeError, match="unknown input 'author'"):
        PlantNet().fit(data, author=["a"] * 4)


def test_inputs_as_a_mapping_and_from_the_dataset():
    data = hand_built(ai_as_worker=False)
    expected = PlantNet(ai="fixed").fit(data, ai_predictions=[AI[t] for t in data.task_ids])
    mapped = PlantNet(ai="fixed").fit(data, ai_predictions=dict(AI))
    assert np.array_equal(mapped.labels_, expected.labels_)
    assert "ai_predictions" not in PlantNet(ai="fixed").spec


def test_peerannot_labelme(load_shared):
    # peerannot: PlantNet labels 353 labelme tasks with accuracy .898 (no authors, no AI)
    data = load_shared("labelme")
    model = PlantNet().fit(data)
    accuracy, _ = labelled_accuracy(model.labels_, data.gold)
    assert model.valid_.sum() == 353 and round(accuracy, 3) == 0.898
