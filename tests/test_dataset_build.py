"""Fast dataset construction: integer id encoding, one-key sorting, duplicate policies.

Each is compared with a plain Python reference on random inputs (hypothesis).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from crowdkit_core.dataset import CrowdDataset, as_dataset
from crowdkit_core.dataset.encoding import encode_integers, sort_order
from crowdkit_core.errors import DatasetError

integer_ids = st.lists(st.integers(-5, 5), min_size=1, max_size=40) | st.lists(
    st.integers(-2**40, 2**40), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(integer_ids)
def test_integer_encoding_matches_unique(values):
    array = np.array(values, dtype=np.int64)
    uniques, codes = encode_integers(array)
    expected_uniques, expected_codes = np.unique(array, return_inverse=True)
    assert uniques.tolist() == expected_uniques.tolist()
    assert codes.tolist() == expected_codes.tolist()
    assert not np.shares_memory(codes, array)


answers = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(0, 2)),
                   min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(answers)
def test_sort_order_sorts_by_task_worker_label(rows):
    tasks, workers, labels = (np.array(c, dtype=np.int64) for c in zip(*rows))
    order = sort_order(tasks, workers, labels, 4, 3)
    got = list(zip(tasks, workers, labels)) if order is None else list(
        zip(tasks[order], workers[order], labels[order]))
    assert got == sorted(rows)
    assert (order is None) == (rows == sorted(rows))


def reference_policy(rows, policy):
    """Python: keep every answer, or the first / last answer of each (task, worker) pair."""
    if policy == "keep":
        return sorted(rows)
    chosen = {}
    for row in rows:
        if policy == "last" or (row[0], row[1]) not in chosen:
            chosen[(row[0], row[1])] = row
    return sorted(chosen.values())


@settings(max_examples=200, deadline=None)
@given(answers, st.sampled_from(["keep", "first", "last", "error"]))
def test_duplicate_policies_match_python(rows, policy):
    tasks, workers, labels = (list(c) for c in zip(*rows))
    pairs = [(t, w) for t, w, _ in rows]
    repeated = len(set(pairs)) < len(pairs)
    if policy == "error" and repeated:
        second = next(i for i, p in enumerate(pairs) if p in pairs[:i])
        with pytest.raises(DatasetError, match=rf"answer {second}: worker {workers[second]!r} answered "
                                               rf"task {tasks[second]!r} more than once"):
            as_dataset((tasks, workers, labels), n_classes=3, duplicates=policy)
        return
    data = as_dataset((tasks, workers, labels), n_classes=3, duplicates=policy)
    got = [(int(data.task_ids[t]), int(data.worker_ids[w]), int(l))
           for t, w, l in zip(data.tasks, data.workers, data.labels)]
    assert got == reference_policy(rows, "keep" if policy == "error" else policy)
    assert data.n_duplicates == (len(pairs) - len(set(pairs)) if policy == "keep" else 0)


def test_dataframe_and_array_inputs_stay_numeric_and_unchanged():
    pd = pytest.importorskip("pandas")
    tasks = np.array([3, 1, 1, 2])
    frame = pd.DataFrame({"task": tasks, "worker": [0, 1, 0, 1], "label": [1, 0, 1, 1]})
    data = as_dataset(frame)
    assert data.task_ids.tolist() == [1, 2, 3] and data.tasks.tolist() == [0, 0, 1, 2]
    assert tasks.tolist() == [3, 1, 1, 2] and tasks.flags.writeable
    direct = CrowdDataset(tasks - 1, np.zeros(4, int), np.zeros(4, int), 2, [1, 2, 3], ["w"])
    assert direct.tasks.tolist() == [0, 0, 1, 2] and tasks.flags.writeable


@pytest.mark.parametrize("tasks", [
    ["b", "a", 1, "1", None, "a"],          # a missing id (issue 17: refused, as in files)
    [3.5, 1.0, 1.0, 2.0, 3.5, 2.0],         # floats (refused: write ids as text or integers)
])
def test_dataframe_and_lists_refuse_missing_and_float_ids_alike(tasks):
    pd = pytest.importorskip("pandas")
    from crowdkit_core.errors import DatasetError

    workers = ["w1", "w2", "w1", "w2", "w1", "w3"]
    labels = ["x", "y", "x", "y", "x", "y"]
    messages = []
    for data in (pd.DataFrame({"task": tasks, "worker": workers, "label": labels}), (list(tasks), workers, labels)):
        with pytest.raises(DatasetError, match="task id") as caught:
            as_dataset(data)
        messages.append(str(caught.value).split(": ", 1)[1])
    assert messages[0] == messages[1]


@pytest.mark.parametrize("tasks", [
    ["b", "a", 1, "1", "c", "a"],           # mixed types: ids compare as text
    ["10", "9", "9", "100", "10", "9"],     # digit strings: numeric order
])
def test_dataframe_columns_encode_like_plain_lists(tasks):
    pd = pytest.importorskip("pandas")
    workers = ["w1", "w2", "w1", "w2", "w1", "w3"]
    labels = ["x", "y", "x", "y", "x", "y"]
    frame = pd.DataFrame({"task": tasks, "worker": workers, "label": labels})
    from_frame = as_dataset(frame)
    from_lists = as_dataset((list(tasks), workers, labels))
    assert from_frame.task_ids.tolist() == from_lists.task_ids.tolist()
    for name in ("tasks", "workers", "labels"):
        assert getattr(from_frame, name).tolist() == getattr(from_lists, name).tolist()
    assert from_frame.label_names == from_lists.label_names == ("x", "y")


cells = st.text(alphabet=st.sampled_from(list("ab1 0,\"é\t")), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(cells, cells, cells), min_size=1, max_size=20),
       st.sampled_from([",", "\t"]), st.booleans())
def test_arrow_and_python_csv_readers_agree(tmp_path_factory, rows, delimiter, blank_line):
    """Where pyarrow accepts a file, it reads the same columns as the Python reader."""
    pytest.importorskip("pyarrow")
    import csv

    from crowdkit_core.dataset import formats

    path = tmp_path_factory.mktemp("csv") / ("answers.tsv" if delimiter == "\t" else "answers.csv")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["worker", "task", "label"])
        for i, row in enumerate(rows):
            writer.writerow(row)
            if blank_line and i == 0:
                handle.write("\r\n")
    try:
        expected = formats._read_table_python(path, delimiter)
    except DatasetError:
        expected = None
    fast = formats._read_table_arrow(path, delimiter)
    if fast is None:
        return  # the Python reader handles (and, where needed, reports) this file
    assert expected is not None
    for got, want in zip(fast[:3], expected[:3]):
        assert [got.values[c] for c in got.codes] == [want.values[c] for c in want.codes]


def test_csv_reading_uses_arrow_when_clean(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    from crowdkit_core.dataset import formats, load_dataset

    (tmp_path / "answers.csv").write_text("task,worker,label\n t1 ,w1,0\nt1,w2,1\n\nt2,w1,1\n")
    monkeypatch.setattr(formats, "_read_table_python",
                        lambda *a: pytest.fail("the Python reader should not be needed"))
    data = load_dataset(tmp_path / "answers.csv")
    assert data.task_ids.tolist() == ["t1", "t2"] and data.n_answers == 3
