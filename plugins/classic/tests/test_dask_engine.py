"""The Dask engine: results equal the local engine's (1e-9 on posteriors) for any partitioning.

Runs on a Dask LocalCluster (threads of this process for most tests, two worker processes
for one), on the bundled LabelMe data and on the real datasets when ../shared/data exists.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

pytest.importorskip("distributed")

from crowdkit_core.dataset import load_dataset
from crowdkit_core.engine import ThreadEngine
from crowdkit_core.engines.partitioned import partition_dataset
from crowdkit_core.errors import EngineError
from crowdkit_core.testing.datasets import simulate_dataset
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.dswc import DSWC
from crowdkit_classic.glad import GLAD
from crowdkit_classic.majority_vote import MajorityVote
from crowdkit_classic.naive_soft import NaiveSoft
from crowdkit_classic.one_coin_ds import OneCoinDS
from crowdkit_classic.wds import WDS

STRATEGIES = [DawidSkene(), OneCoinDS(), WDS(), MajorityVote(), MajorityVote(ties="lowest"),
              NaiveSoft(), GLAD(max_iter=4)]


@pytest.fixture(scope="module")
def dask_engine():
    from crowdkit_core.engines.dask_engine import DaskEngine

    with DaskEngine(n_workers=2, processes=False) as engine:
        yield engine


@pytest.fixture(scope="module")
def labelme():
    return load_dataset("bundled:labelme")


@pytest.fixture
def cli():
    from typer.testing import CliRunner

    from crowdkit_core.cli.app import create_app
    from crowdkit_core.plugins import reset_registry

    reset_registry()
    yield lambda *args: CliRunner().invoke(create_app(), list(args))
    reset_registry()


def assert_same_fit(local, remote) -> None:
    assert np.abs(local.proba_ - remote.proba_).max() <= 1e-9
    assert (local.labels_ == remote.labels_).all()
    assert local.n_iter_ == remote.n_iter_
    np.testing.assert_allclose(local.history_, remote.history_, rtol=1e-12)


@pytest.mark.parametrize("n_partitions", [1, 3, 8])
@pytest.mark.parametrize("model", STRATEGIES, ids=lambda m: m.spec)
def test_dask_fit_equals_local_fit(model, n_partitions, dask_engine, labelme):
    local = type(model)(**model.get_params()).fit(labelme)
    remote = type(model)(**model.get_params()).fit(partition_dataset(labelme, dask_engine, n_partitions))
    assert_same_fit(local, remote)


def test_fitted_worker_parameters_agree(dask_engine, labelme):
    data = partition_dataset(labelme, dask_engine, 5)
    ds_local, ds_remote = DawidSkene().fit(labelme), DawidSkene().fit(data)
    np.testing.assert_allclose(ds_remote.confusion_matrices_, ds_local.confusion_matrices_, atol=1e-12)
    glad_local, glad_remote = GLAD(max_iter=3).fit(labelme), GLAD(max_iter=3).fit(data)
    np.testing.assert_allclose(glad_remote.alphas_, glad_local.alphas_, atol=1e-9)
    np.testing.assert_allclose(glad_remote.betas_, glad_local.betas_, rtol=1e-9)


@given(st.integers(1, 12), st.integers(0, 10_000))
@settings(max_examples=8, deadline=None)
def test_any_partitioning_on_threads_equals_one_pass(n_partitions, seed):
    """The partitioned code path (here on the thread engine) for random crowds and cuts."""
    data = simulate_dataset(n_tasks=60, n_workers=9, n_classes=3, seed=seed)
    parts = partition_dataset(data, ThreadEngine(), n_partitions)
    for model in (DawidSkene(ties="random", seed=seed), OneCoinDS(), MajorityVote(seed=seed)):
        assert_same_fit(type(model)(**model.get_params()).fit(data),
                        type(model)(**model.get_params()).fit(parts))


def test_worker_processes_give_the_same_result(labelme):
    from crowdkit_core.engines.dask_engine import DaskEngine

    with DaskEngine(n_workers=2, processes=True) as engine:
        remote = DawidSkene().fit(partition_dataset(labelme, engine, 4))
    assert_same_fit(DawidSkene().fit(labelme), remote)


def test_strategy_without_the_capability_names_its_engines(dask_engine, labelme):
    with pytest.raises(EngineError, match="supports: threads"):
        DSWC().fit(partition_dataset(labelme, dask_engine, 2))


def test_real_datasets_agree(shared_data, dask_engine):
    for name in ("bluebirds", "dog", "temporalness"):
        folder = shared_data / name
        if not folder.is_dir():
            continue
        data = load_dataset(folder)
        for model in (DawidSkene(), GLAD(max_iter=3)):
            assert_same_fit(type(model)(**model.get_params()).fit(data),
                            type(model)(**model.get_params()).fit(partition_dataset(data, dask_engine, 4)))


# -- inputs larger than memory ---------------------------------------------------------------
def _write_shuffled(labelme, folder, n_files, fmt="parquet"):
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    order = np.random.default_rng(0).permutation(labelme.n_answers)
    table = pa.table({"task": labelme.task_ids[labelme.tasks].astype(str)[order],
                      "worker": labelme.worker_ids[labelme.workers].astype(str)[order],
                      "label": labelme.labels[order]})
    folder.mkdir()
    for i, piece in enumerate(np.array_split(np.arange(table.num_rows), n_files)):
        part = table.take(piece)
        if fmt == "parquet":
            pq.write_table(part, folder / f"answers-{i}.parquet")
        else:
            pacsv.write_csv(part, folder / f"answers-{i}.csv")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_large_input_bucketed_by_task_equals_in_memory(fmt, tmp_path, dask_engine, labelme):
    from crowdkit_core.dataset.large import open_partitioned

    _write_shuffled(labelme, tmp_path / "answers", 3, fmt)
    data = open_partitioned(tmp_path / "answers", dask_engine, 5, spill_dir=str(tmp_path),
                            n_classes=labelme.n_classes, gather=True, batch_rows=2000)
    assert (data.n_tasks, data.n_workers, data.n_answers) == (labelme.n_tasks, labelme.n_workers, labelme.n_answers)
    remote = DawidSkene().fit(data)
    local = DawidSkene().fit(labelme)
    row = {str(t): i for i, t in enumerate(labelme.task_ids)}
    order = np.array([row[str(t)] for t in data.task_ids])
    # worker codes differ (string order here), so compare per task, through the ids
    assert np.abs(remote.proba_ - local.proba_[order]).max() <= 1e-9


def test_by_file_layout_is_checked(tmp_path, dask_engine, labelme):
    from crowdkit_core.dataset.large import open_partitioned
    from crowdkit_core.errors import DatasetError

    _write_shuffled(labelme, tmp_path / "answers", 3)
    with pytest.raises(DatasetError, match="not partitioned by task"):
        open_partitioned(tmp_path / "answers", dask_engine, by_file=True)


def test_cli_writes_parquet_labels_per_partition(tmp_path, cli, labelme):
    import pyarrow.parquet as pq

    _write_shuffled(labelme, tmp_path / "answers", 2)
    out = tmp_path / "out"
    result = cli("aggregate", str(tmp_path / "answers"), "-s", "DS", "--engine", "dask",
                 "--partitions", "3", "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    folder = out / "labels_answers_ds"
    parts = sorted(folder.glob("part-*.parquet"))
    assert len(parts) == 3 and record["engine"] == "dask" and record["input_sha256"]
    table = pq.read_table(parts)
    assert table.num_rows == labelme.n_tasks
    assert set(table.column("task").to_pylist()) == {str(t) for t in labelme.task_ids}
    assert json.loads((folder / "provenance.json").read_text())["n_partitions"] == 3


def test_cli_refuses_a_strategy_without_dask(cli):
    result = cli("aggregate", "bundled:labelme", "-s", "MACE", "--engine", "dask")
    assert result.exit_code == 2
    assert "MACE does not run on the dask engine (it supports: threads)" in result.stderr
