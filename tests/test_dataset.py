"""Dataset readers: formats, id maps, label names, duplicates, metadata checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdkit_core.dataset import CrowdDataset, as_dataset, load_dataset
from crowdkit_core.errors import DatasetError


def write(path, text):
    path.write_text(text)
    return path


def test_json_folder_with_metadata(tmp_path):
    write(tmp_path / "answers.json", json.dumps({"0": {"a": 1, "b": 1}, "1": {"a": 0}, "10": {"c": 2}}))
    write(tmp_path / "metadata.json", json.dumps({"name": "toy", "n_classes": 3, "extra_field": "kept"}))
    data = load_dataset(tmp_path)
    assert (data.n_tasks, data.n_workers, data.n_answers, data.n_classes) == (3, 3, 4, 3)
    assert list(data.task_ids) == ["0", "1", "10"]  # numeric order, original ids kept
    assert data.metadata.model_extra == {"extra_field": "kept"}
    assert data.vote_counts.tolist() == [[0, 2, 0], [1, 0, 0], [0, 0, 1]]
    assert data.name == "toy"


def test_peerannot_metadata_aliases(tmp_path):
    write(tmp_path / "answers.json", json.dumps({"0": {"a": 1}, "1": {"a": 0}}))
    write(tmp_path / "metadata.json", json.dumps({"name": "p", "n_classes": 2, "n_task": 2, "n_worker": 5}))
    data = load_dataset(tmp_path)
    assert data.metadata.n_tasks == 2
    assert any("only 1 workers answered" in w for w in data.warnings)


def test_csv_with_label_names_and_string_ids(tmp_path):
    write(tmp_path / "answers.csv", "worker,task,label\nw1,img-b,cat\nw2,img-b,dog\nw3,img-a,cat\n")
    data = load_dataset(tmp_path / "answers.csv")
    assert data.label_names == ("cat", "dog")
    assert list(data.task_ids) == ["img-a", "img-b"]
    assert data.labels.tolist() == [0, 0, 1]


def test_tsv_and_metadata_names(tmp_path):
    write(tmp_path / "answers.tsv", "task\tworker\tlabel\n1\tx\tno\n2\tx\t1\n")
    write(tmp_path / "metadata.json", json.dumps({"name": "t", "n_classes": 2, "label_names": ["no", "yes"]}))
    data = load_dataset(tmp_path)
    assert data.labels.tolist() == [0, 1]  # name "no" and class index 1


def test_labels_starting_at_one_become_names(tmp_path):
    write(tmp_path / "answers.csv", "task,worker,label\n1,a,1\n2,a,2\n3,b,2\n")
    data = load_dataset(tmp_path / "answers.csv")
    assert data.n_classes == 2 and data.label_names == ("1", "2")
    assert data.label_name(0) == "1"


def test_gaps_in_index_labels_warn(tmp_path):
    write(tmp_path / "answers.csv", "task,worker,label\n1,a,0\n2,a,2\n")
    data = load_dataset(tmp_path / "answers.csv")
    assert any("never occur" in w for w in data.warnings)


@pytest.mark.parametrize("policy, expected", [("keep", [0, 1, 1]), ("first", [0, 1]), ("last", [1, 1])])
def test_duplicate_policies(tmp_path, policy, expected):
    write(tmp_path / "answers.csv", "task,worker,label\nt,a,0\nt,b,1\nt,a,1\n")
    write(tmp_path / "metadata.json", json.dumps({"name": "d", "n_classes": 2}))
    data = load_dataset(tmp_path, duplicates=policy)
    assert sorted(data.labels.tolist()) == sorted(expected)


def test_duplicate_error_names_line(tmp_path):
    write(tmp_path / "answers.csv", "task,worker,label\nt,a,0\nt,b,1\nt,a,1\n")
    with pytest.raises(DatasetError, match=r"line 4: worker 'a' answered task 't' more than once"):
        load_dataset(tmp_path / "answers.csv", duplicates="error")


def test_in_memory_inputs():
    d1 = as_dataset({"t1": {"w1": 0, "w2": 1}, "t2": {"w1": 1}}, n_classes=2)
    d2 = as_dataset((["t1", "t1", "t2"], ["w1", "w2", "w1"], [0, 1, 1]), n_classes=2)
    d3 = CrowdDataset.from_arrays(np.array([5, 5, 7]), np.array([1, 2, 1]), np.array([0, 1, 1]), n_classes=2)
    assert d1.vote_counts.tolist() == d2.vote_counts.tolist() == d3.vote_counts.tolist()
    assert list(d3.task_ids) == [5, 7] and list(d3.worker_ids) == [1, 2]
    with pytest.raises(TypeError, match="cannot build a dataset"):
        as_dataset(42)


def test_pandas_input():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"task": [1, 1, 2], "worker": ["a", "b", "a"], "label": ["x", "y", "y"]})
    data = as_dataset(frame)
    assert data.label_names == ("x", "y") and data.n_answers == 3


def test_parquet_input(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pd.DataFrame({"task": ["a", "a", "b"], "worker": [1, 2, 1], "label": [0, 1, 1]}).to_parquet(tmp_path / "answers.parquet")
    (tmp_path / "metadata.json").write_text(json.dumps({"name": "pq", "n_classes": 2}))
    data = load_dataset(tmp_path)
    assert data.n_answers == 3 and data.vote_counts.tolist() == [[1, 1], [0, 1]]


def test_no_dense_task_worker_structures():
    data = CrowdDataset.from_arrays([0, 1], [0, 1], [0, 1], n_classes=2)
    assert data.answer_matrix.nnz == 2
    assert data.answer_matrix.shape == (2, 4)


def test_subset_tasks_renumbers():
    data = CrowdDataset.from_arrays([0, 1, 2], ["a", "b", "a"], [0, 1, 1], n_classes=2)
    sub = data.subset_tasks(np.array([True, False, True]))
    assert list(sub.task_ids) == [0, 2] and sub.n_answers == 2


def test_statistics():
    data = CrowdDataset.from_arrays([0, 0, 1], ["a", "b", "a"], [0, 1, 1], n_classes=2)
    stats = data.statistics()
    assert stats["n_answers"] == 3 and stats["class_balance"] == {"0": 1, "1": 2}
    assert stats["answers_per_worker"]["max"] == 2


def test_bundled_datasets_load():
    data = load_dataset("bundled:labelme")
    assert (data.n_tasks, data.n_answers, data.n_classes) == (1000, 2547, 8)
    assert data.gold is not None and (data.gold >= 0).all()
    assert data.label_names[0] == "coast"
    music = load_dataset("bundled:music")
    assert music.n_classes == 10 and music.label_names[9] == "10"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from("abcd"), st.integers(0, 2)), min_size=1, max_size=40))
def test_counts_invariant_under_any_input(rows):
    tasks, workers, labels = zip(*rows)
    data = CrowdDataset.from_arrays(tasks, workers, labels, n_classes=3)
    assert data.n_answers == len(rows)
    assert data.vote_counts.sum() == len(rows)
    assert data.answer_matrix.sum() == len(rows)
    for t, w, lab in rows:
        i = list(data.task_ids).index(t)
        assert data.vote_counts[i, lab] >= 1
    shuffled = CrowdDataset.from_arrays(tasks[::-1], workers[::-1], labels[::-1], n_classes=3)
    assert np.array_equal(shuffled.tasks, data.tasks) and np.array_equal(shuffled.labels, data.labels)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text("xyz,\"'", min_size=1, max_size=4), st.text("ab ", min_size=1, max_size=3),
                          st.sampled_from(["p", "q"])), min_size=1, max_size=20))
def test_csv_round_trip(tmp_path_factory, rows):
    import csv

    rows = [(t, w.strip() or "w", lab) for t, w, lab in rows if t.strip()]
    if not rows:
        return
    path = tmp_path_factory.mktemp("csv") / "answers.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["task", "worker", "label"])
        writer.writerows(rows)
    data = load_dataset(path)
    assert data.n_answers == len(rows)
    got = sorted(zip(data.task_ids[data.tasks], data.worker_ids[data.workers],
                     [data.label_names[k] for k in data.labels]))
    assert got == sorted((t.strip(), w.strip(), lab) for t, w, lab in rows)


def test_bundled_dataset_carries_gold_and_inputs_from_construction():
    data = load_dataset("bundled:labelme")
    assert data.gold is not None and (data.gold >= 0).all() and not data.gold.flags.writeable
    assert [f.rsplit("/", 1)[-1] for f in data.inputs] == ["answers.json", "metadata.json", "truth.csv"]
    with pytest.raises(AttributeError):
        data.gold = data.gold  # side columns come with construction only
    with pytest.raises(DatasetError, match="gold has shape"):
        data.with_gold(data.gold[:-1])
