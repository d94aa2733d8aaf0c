"""Warm starts from a workers file: format, checks, assign / addition / prior, and the proof
on real data (fewer iterations than a cold start, same accuracy within 0.002)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.testing.datasets import simulate_dataset
from crowdkit_core.worker_file import (
    WorkerFileError, WorkerInit, encode_worker_table, read_worker_table,
)
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.ibcc import IBCC, DirichletState
from crowdkit_classic.one_coin_ds import OneCoinDS
from crowdkit_classic.wds import WDS


def halves(data: CrowdDataset, seed: int = 0) -> tuple[CrowdDataset, CrowdDataset]:
    """A seeded random half of the tasks, and the other half."""
    first = np.zeros(data.n_tasks, dtype=bool)
    first[np.random.default_rng(seed).permutation(data.n_tasks)[:data.n_tasks // 2]] = True
    return data.subset_tasks(first), data.subset_tasks(~first)


def without_workers(data: CrowdDataset, drop: np.ndarray) -> CrowdDataset:
    """``data`` without the answers of the workers in the mask ``drop`` (tasks left with no
    answer are dropped too); worker ids are kept as they are."""
    keep = ~drop[data.workers]
    tasks, workers = data.task_ids[data.tasks[keep]], data.worker_ids[data.workers[keep]]
    labels = [data.label_name(int(k)) for k in data.labels[keep]]
    return CrowdDataset.from_arrays(list(tasks), list(workers), labels,
                                    label_names=[data.label_name(k) for k in range(data.n_classes)])


def accuracy(labels: np.ndarray, gold: np.ndarray) -> float:
    known = gold >= 0
    return float((labels[known] == gold[known]).mean())


def table_of(model, data):
    """The workers table written to disk and read back (the CLI's round trip)."""
    return model.export_workers(data)


@pytest.mark.parametrize("name", ["d_product", "s_rel"])
def test_warm_start_converges_faster_to_the_same_accuracy(load_shared, name):
    data = load_shared(name)
    first, second = halves(data)
    table = DawidSkene().fit(first).export_workers(first)
    cold = DawidSkene().fit(second)
    warm = DawidSkene().fit(second, init=WorkerInit(table, "addition"))
    assert warm.n_iter_ < cold.n_iter_
    assert abs(accuracy(warm.labels_, second.gold) - accuracy(cold.labels_, second.gold)) <= 0.002


def test_warm_start_with_partly_overlapping_workers(load_shared):
    """A third of the workers of the second half are unknown to the file, and the file holds
    workers the second half lacks: still fewer iterations, same accuracy within 0.002."""
    data = load_shared("d_product")
    first, second = halves(data)
    ids = np.array([hash_id(w) for w in data.worker_ids])
    first = without_workers(first, (ids % 3 == 0)[index_in(first, data)])
    second = without_workers(second, (ids % 5 == 1)[index_in(second, data)])
    known = np.isin(second.worker_ids, first.worker_ids)
    assert 0.4 < known.mean() < 0.9 and not np.isin(first.worker_ids, second.worker_ids).all()
    gold = gold_for(second, data)
    table = DawidSkene().fit(first).export_workers(first)
    cold = DawidSkene().fit(second)
    warm = DawidSkene().fit(second, init=WorkerInit(table, "addition"))
    assert warm.n_known_workers_ == int(known.sum())
    assert warm.n_iter_ < cold.n_iter_
    assert abs(accuracy(warm.labels_, gold) - accuracy(cold.labels_, gold)) <= 0.002


def hash_id(worker: object) -> int:
    """A stable integer of a worker id (not Python's salted hash)."""
    return int.from_bytes(str(worker).encode()[-4:].rjust(4, b"\0"), "big")


def index_in(part: CrowdDataset, data: CrowdDataset) -> np.ndarray:
    rows = {w: i for i, w in enumerate(data.worker_ids)}
    return np.array([rows[w] for w in part.worker_ids])


def gold_for(part: CrowdDataset, data: CrowdDataset) -> np.ndarray:
    rows = {t: i for i, t in enumerate(data.task_ids)}
    names = [part.label_name(k) for k in range(part.n_classes)]
    return np.array([names.index(data.label_name(int(data.gold[rows[t]]))) for t in part.task_ids])


def test_disjoint_file_gives_the_cold_fit_exactly():
    """Workers unknown to the file get the default start; the file's other workers are ignored."""
    data = simulate_dataset(n_tasks=60, n_workers=8, n_classes=3, seed=2)
    other = CrowdDataset.from_arrays(["x", "y", "x"], ["stranger", "stranger", "other"], [0, 1, 2],
                                     n_classes=3)
    table = DawidSkene(max_iter=3).fit(other).export_workers(other)
    cold = DawidSkene().fit(data)
    for mode in ("addition", "prior"):
        warm = DawidSkene().fit(data, init=WorkerInit(table, mode))
        assert warm.n_known_workers_ == 0
        assert np.array_equal(warm.proba_, cold.proba_)


def test_assign_starts_from_the_saved_matrices():
    """assign with every worker known is the warm start from the same state."""
    data = simulate_dataset(n_tasks=80, n_workers=9, n_classes=3, seed=4)
    model = DawidSkene(max_iter=4, tol=0.0).fit(data)
    from_state = DawidSkene(max_iter=3, tol=0.0).fit(data, init=model.state_)
    from_file = DawidSkene(max_iter=3, tol=0.0).fit(data, init=WorkerInit(model.export_workers(data)))
    assert np.allclose(from_file.proba_, from_state.proba_, atol=1e-12)


def test_ibcc_assign_keeps_a_posterior_with_the_saved_means():
    """IBCC's assign: the known workers' Dirichlet rows take the saved matrices as their
    means and keep their concentration, so the state stays a posterior (it was once
    replaced by a plain ConfusionState, which IBCC's E-step cannot score)."""
    data = simulate_dataset(n_tasks=60, n_workers=6, n_classes=3, seed=8)
    start = IBCC(max_iter=0).fit(data).state_
    saved = np.full((data.n_workers, 3, 3), 0.1) + np.eye(3) * 0.7
    known = np.arange(data.n_workers) % 2 == 0
    state = start.with_confusion(known, saved[known], None)
    assert isinstance(state, DirichletState)
    assert np.allclose(state.confusion[known], saved[known])
    assert np.array_equal(state.confusion[~known], start.confusion[~known])
    assert np.allclose(state.confusion_counts.sum(-1), start.confusion_counts.sum(-1))


def test_prior_counts_accumulate_over_runs():
    """prior: the saved counts plus the new expected counts are what the next file holds."""
    data = simulate_dataset(n_tasks=50, n_workers=6, n_classes=2, seed=5)
    table = DawidSkene().fit(data).export_workers(data)
    again = DawidSkene().fit(data, init=WorkerInit(table, "prior"))
    totals = again.export_workers(data).fields["counts"].sum(axis=(1, 2))
    assert np.allclose(totals, 2 * data.answers_per_worker)


@pytest.mark.parametrize("cls", [DawidSkene, OneCoinDS, WDS, IBCC])
def test_file_round_trip(tmp_path, cls):
    data = simulate_dataset(n_tasks=40, n_workers=7, n_classes=3, seed=6)
    table = cls().fit(data).export_workers(data)
    path = tmp_path / "w.json"
    path.write_bytes(encode_worker_table(table))
    back = read_worker_table(path)
    assert back.strategy == table.strategy and back.worker_ids == table.worker_ids
    for name, values in table.fields.items():
        assert np.array_equal(back.fields[name], values)
    warm = cls().fit(data, init=WorkerInit(back, "assign", str(path)))
    assert np.isfinite(warm.proba_).all()


def test_wrong_strategy_or_labels_is_refused():
    data = simulate_dataset(n_tasks=40, n_workers=7, n_classes=3, seed=6)
    table = DawidSkene().fit(data).export_workers(data)
    with pytest.raises(WorkerFileError, match="saved by DS, not OneCoinDS"):
        OneCoinDS().fit(data, init=WorkerInit(table))
    two = simulate_dataset(n_tasks=40, n_workers=7, n_classes=2, seed=6)
    with pytest.raises(WorkerFileError, match="label set"):
        DawidSkene().fit(two, init=WorkerInit(table))
    with pytest.raises(WorkerFileError, match="--init-mode"):
        WorkerInit(table, "blend")  # type: ignore[arg-type]


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(format="other"), "not a crowdkit workers file"),
    (lambda d: d.update(version=9), "version 9"),
    (lambda d: d["workers"]["w0"].pop("counts"), "has no 'counts'"),
    (lambda d: d["workers"]["w0"].update(confusion=[[1, 0]]), "shape"),
    (lambda d: d["workers"]["w0"].update(counts=[[-1, 0, 0]] * 3), "negative"),
    (lambda d: d.update(fields="x"), "required"),
])
def test_bad_files_are_one_line_errors(tmp_path, edit, message):
    data = CrowdDataset.from_arrays([0, 0, 1, 1], ["w0", "w1", "w0", "w1"], [0, 1, 2, 2], n_classes=3)
    raw = json.loads(encode_worker_table(DawidSkene().fit(data).export_workers(data)))
    edit(raw)
    path = tmp_path / "w.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(WorkerFileError, match=message) as info:
        read_worker_table(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_unsummed_confusion_is_refused(tmp_path):
    data = CrowdDataset.from_arrays([0, 0, 1, 1], ["w0", "w1", "w0", "w1"], [0, 1, 1, 1], n_classes=2)
    raw = json.loads(encode_worker_table(DawidSkene().fit(data).export_workers(data)))
    raw["workers"]["w1"]["confusion"] = [[0.5, 0.2], [0.1, 0.9]]
    path = tmp_path / "w.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(WorkerFileError, match="'w1' confusion rows do not sum to 1"):
        DawidSkene().fit(data, init=WorkerInit(read_worker_table(path), source=str(path)))
