"""Incremental DS (partial_fit): sums stay those of the stored posteriors, state files round
trip and are checked, and 10 task batches end near a full refit on real data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.state_file import StateFileError, encode_state, read_state
from crowdkit_core.testing.datasets import simulate_dataset, task_batches
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.one_coin_ds import OneCoinDS


def answer_batches(data: CrowdDataset, cuts: list[int]) -> list[CrowdDataset]:
    """Batches of consecutive answers (so known tasks get more answers in later batches)."""
    names = [data.label_name(k) for k in range(data.n_classes)]
    bounds = [0, *sorted(set(cuts)), data.n_answers]
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b > a:
            rows = slice(a, b)
            out.append(CrowdDataset.from_arrays(
                list(data.task_ids[data.tasks[rows]]), list(data.worker_ids[data.workers[rows]]),
                [names[k] for k in data.labels[rows]], label_names=names))
    return out


def in_data_order(model, data: CrowdDataset, values: np.ndarray) -> np.ndarray:
    rows = {t: i for i, t in enumerate(model.task_ids_)}
    return values[[rows[str(t)] for t in data.task_ids]]


def accuracy(labels, gold) -> float:
    known = gold >= 0
    return float((labels[known] == gold[known]).mean())


def test_first_batch_is_a_fit():
    data = simulate_dataset(n_tasks=60, n_workers=8, seed=1)
    assert np.array_equal(DawidSkene().partial_fit(data).proba_, DawidSkene().fit(data).proba_)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 299), max_size=4), st.sampled_from([0.0, 0.5, 2.0]),
       st.sampled_from([DawidSkene, OneCoinDS]))
def test_sums_are_those_of_the_stored_posteriors(cuts, revisit, cls):
    """After any batching, the stored counts are A^T T over every answer and the class totals
    the summed posteriors (to rounding): nothing is counted twice or lost."""
    data = simulate_dataset(n_tasks=60, n_workers=7, n_classes=3, seed=3)
    model = cls()
    for batch in answer_batches(data, cuts):
        model.partial_fit(batch, revisit=revisit)
    everything = model.state_dataset()
    assert everything.n_answers == data.n_answers and model.proba_.shape == (data.n_tasks, 3)
    expected = everything.answer_matrix.T @ model.proba_
    store = model.store_
    assert np.allclose(store.counts.view, expected, atol=1e-9)
    assert np.allclose(store.class_totals, model.proba_.sum(axis=0), atol=1e-9)
    assert np.allclose(model.proba_.sum(axis=1), 1.0)


def test_new_workers_and_more_answers_to_known_tasks():
    data = simulate_dataset(n_tasks=50, n_workers=10, n_classes=2, seed=4)
    first, second = answer_batches(data, [120])
    model = DawidSkene().partial_fit(first).partial_fit(second)
    assert model.n_tasks_ == data.n_tasks and model.n_workers_ == data.n_workers
    assert model.confusion_matrices_.shape == (data.n_workers, 2, 2)
    assert model.labels_.shape == (data.n_tasks,)


def test_state_file_round_trip_continues_exactly(tmp_path):
    data = simulate_dataset(n_tasks=90, n_workers=9, seed=5)
    a, b, c = task_batches(data, 3)
    live = DawidSkene().partial_fit(a).partial_fit(b)
    path = tmp_path / "state.npz"
    path.write_bytes(encode_state("DS", "DS", {}, ("0", "1", "2"), live.state_arrays()))
    _, arrays = read_state(path, "DS", "DS")
    resumed = DawidSkene().resume(arrays, str(path)).partial_fit(c)
    live.partial_fit(c)
    assert np.array_equal(resumed.proba_, live.proba_)
    assert np.array_equal(resumed.labels_, live.labels_)


def test_state_file_is_checked(tmp_path):
    data = simulate_dataset(n_tasks=30, n_workers=5, seed=6)
    arrays = DawidSkene().partial_fit(data).state_arrays()
    path = tmp_path / "state.npz"
    path.write_bytes(encode_state("DS", "DS", {}, ("0", "1", "2"), arrays))
    with pytest.raises(StateFileError, match="built by 'DS', not 'OneCoinDS'"):
        read_state(path, "OneCoinDS", "OneCoinDS")
    with pytest.raises(StateFileError, match=r"not 'DS\[tol=0.1\]'"):
        read_state(path, "DS", "DS[tol=0.1]")
    edited = dict(arrays, posteriors=arrays["posteriors"][::-1].copy())
    import json
    header = json.loads(str(np.load(path)["header"]))
    forged = tmp_path / "forged.npz"
    np.savez(forged, header=np.array(json.dumps(header)), **edited)
    with pytest.raises(StateFileError, match="checksum mismatch"):
        read_state(forged, "DS", "DS")
    (tmp_path / "junk.npz").write_text("junk")
    with pytest.raises(StateFileError, match="not a readable crowdkit state file"):
        read_state(tmp_path / "junk.npz", "DS", "DS")


def test_batch_with_an_unknown_label_is_refused():
    from crowdkit_core.errors import DatasetError

    first = CrowdDataset.from_arrays([0, 0, 1], ["a", "b", "a"], ["x", "y", "x"])
    other = CrowdDataset.from_arrays([2, 2], ["a", "b"], ["x", "z"])
    model = DawidSkene().partial_fit(first)
    with pytest.raises(DatasetError, match="label 'z' is not in the state's label set"):
        model.partial_fit(other)


@pytest.mark.parametrize("name", [
    "d_product",
    pytest.param("s_rel", marks=pytest.mark.xfail(
        strict=True, reason="measured 0.0211 below the refit with revisit=1 (0.0126 with 2); "
                            "s_rel's DS optimum itself moves by 0.015 with start and tolerance "
                            "(docs/warm-start.md)")),
])
def test_ten_task_batches_end_near_a_full_refit(load_shared, name):
    data = load_shared(name)
    full = accuracy(DawidSkene().fit(data).labels_, data.gold)
    model = DawidSkene()
    for batch in task_batches(data, 10):
        model.partial_fit(batch)
    incremental = accuracy(in_data_order(model, data, model.labels_), data.gold)
    assert abs(incremental - full) <= 0.005
