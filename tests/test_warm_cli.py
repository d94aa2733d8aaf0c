"""``crowd aggregate --init-from / --init-mode / --update / --state-out``: files written as a
set, warm starts from them, batches added to a state, one-line errors with exit code 2."""

from __future__ import annotations

import csv
import json

import numpy as np


def write_batches(folder, n=2):
    """bundled:music's answers cut into ``n`` CSV batches by task."""
    from crowdkit_core.dataset import load_dataset

    data = load_dataset("bundled:music")
    names = [data.label_name(k) for k in range(data.n_classes)]
    paths = []
    for b in range(n):
        path = folder / f"batch{b}.csv"
        with path.open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["task", "worker", "label"])
            for t, w, k in zip(data.tasks, data.workers, data.labels):
                if t % n == b:
                    out.writerow([data.task_ids[t], data.worker_ids[w], names[k]])
        paths.append(path)
    return data, paths


def test_workers_file_then_warm_start(cli, tmp_path):
    result = cli("aggregate", "bundled:music", "-s", "DS", "-o", str(tmp_path / "a"), "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    workers = json.loads(open(record["workers"]).read())
    assert workers["format"] == "crowdkit-workers" and workers["version"] == 1
    assert workers["strategy"] == "DS" and len(workers["workers"]) == record["n_workers"]
    for mode in ("assign", "addition", "prior"):
        warm = cli("aggregate", "bundled:music", "-s", "DS", "-o", str(tmp_path / mode), "--json",
                   "--init-from", record["workers"], "--init-mode", mode)
        assert warm.exit_code == 0, warm.output
        assert record["workers"] in json.loads(warm.stdout)["inputs"]


def test_warm_start_errors(cli, tmp_path):
    cli("aggregate", "bundled:music", "-s", "DS", "-o", str(tmp_path))
    path = str(next(tmp_path.glob("*.workers.json")))
    for args, message in [
        (["-s", "OneCoinDS", "--init-from", path], "saved by DS, not OneCoinDS"),
        (["-s", "GLAD", "--init-from", path], "GLAD cannot start from a workers file"),
        (["-s", "DS", "--init-from", path, "--init-mode", "blend"], "--init-mode 'blend'"),
        (["-s", "DS", "--init-from", str(tmp_path / "none.json")], "no such workers file"),
    ]:
        result = cli("aggregate", "bundled:music", "-o", str(tmp_path / "x"), *args)
        assert result.exit_code == 2 and message in result.stderr, result.output
        assert "Traceback" not in result.output
    labelme = cli("aggregate", "bundled:labelme", "-s", "DS", "--init-from", path, "-o", str(tmp_path / "y"))
    assert labelme.exit_code == 2 and "label set" in labelme.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_update_adds_batches(cli, tmp_path):
    data, (first, second) = write_batches(tmp_path)
    state = tmp_path / "state.npz"
    one = cli("aggregate", str(first), "-s", "DS", "--update", str(state), "-o", str(tmp_path / "o1"), "--json")
    assert one.exit_code == 0 and "starting a new state" in one.stderr, one.output
    before = state.read_bytes()
    two = cli("aggregate", str(second), "-s", "DS", "--update", str(state), "--state-out",
              str(tmp_path / "next.npz"), "-o", str(tmp_path / "o2"), "--json")
    assert two.exit_code == 0, two.output
    record = json.loads(two.stdout)
    assert record["n_tasks"] == data.n_tasks and record["n_answers"] == data.n_answers
    assert record["incremental"]["n_batches"] == 2 and state.read_bytes() == before
    assert np.load(record["output"]).shape == (data.n_tasks, data.n_classes)


def test_update_errors_leave_the_state_alone(cli, tmp_path):
    _, (first, second) = write_batches(tmp_path)
    state = tmp_path / "state.npz"
    cli("aggregate", str(first), "-s", "DS", "--update", str(state), "-o", str(tmp_path / "o"))
    before = state.read_bytes()
    for args, message in [
        (["-s", "OneCoinDS"], "state built by 'DS', not 'OneCoinDS'"),
        (["-s", "GLAD"], "GLAD cannot add batches"),
        (["-s", "DS", "--init-from", "w.json"], "--init-from cannot be combined with --update"),
    ]:
        result = cli("aggregate", str(second), "--update", str(state), "-o", str(tmp_path / "bad"), *args)
        assert result.exit_code == 2 and message in result.stderr, result.output
    result = cli("aggregate", str(second), "-s", "DS", "--state-out", "x.npz")
    assert result.exit_code == 2 and "--state-out needs --update" in result.stderr
    assert state.read_bytes() == before and not (tmp_path / "bad").exists()
