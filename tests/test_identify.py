"""``crowd identify`` and its library job: files, tables, JSON, bad input."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from crowdkit_core.identify_job import identify, write_identification

TOY = {"0": {"0": 1, "1": 0, "2": 1, "3": 1}, "1": {"0": 1, "2": 0, "3": 0}, "2": {"1": 1, "3": 1}}


@pytest.fixture
def toy(tmp_path):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "answers.json").write_text(json.dumps(TOY))
    (folder / "metadata.json").write_text(json.dumps({"name": "toy", "n_classes": 2}))
    return folder


@pytest.mark.parametrize("method, array, shape", [
    ("entropy", "entropies.npy", (3,)), ("krippendorff_alpha", "krippendorff_alpha.npy", ()),
    ("spam_score", "spam_score.npy", (4,)), ("trace_confusion", "traces_confusion.npy", (4,)),
    ("reliability", "reliability.npy", (4,)),
])
def test_identify_writes_peerannot_s_array_a_ranked_csv_and_a_summary(cli, toy, method, array, shape):
    result = cli("identify", str(toy), "-s", method, "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    folder = toy / "identification"
    assert np.load(folder / array).shape == shape and record["array"] == str(folder / array)
    rows = list(csv.DictReader(io.StringIO((folder / f"identify_toy_{method}.csv").read_text())))
    axis = "task" if method == "entropy" else "worker"
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores) and len(rows) == shape[0] if shape else 4
    assert {r[axis] for r in rows} == ({"0", "1", "2"} if axis == "task" else {"0", "1", "2", "3"})
    assert json.loads((folder / f"identify_toy_{method}.json").read_text()) == record
    assert record["axis"] == axis and record["strategy"] == method and record["input_sha256"]


def test_same_input_and_seed_give_the_same_bytes(tmp_path, toy):
    first = write_identification(identify(toy, "spam_score[on=DSWC]", seed=3), output_dir=tmp_path / "a")
    second = write_identification(identify(toy, "spam_score[on=DSWC]", seed=3), output_dir=tmp_path / "b")
    for key in ("array", "table"):
        assert open(first[key], "rb").read() == open(second[key], "rb").read()


def test_alpha_is_in_the_summary_and_the_table(cli, toy):
    result = cli("identify", str(toy), "-s", "alpha", "-o", str(toy / "out"), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    assert "alpha: " in result.stdout and "least reliable workers of 4" in result.stdout
    record = json.loads((toy / "out" / "identify_toy_krippendorff_alpha.json").read_text())
    assert record["alpha"] == pytest.approx(float(np.load(toy / "out" / "krippendorff_alpha.npy")))


def test_the_table_fits_80_columns_and_lists_top_n(cli, shared_data, tmp_path):
    result = cli("identify", str(shared_data / "labelme"), "-s", "entropy[on=DS]", "-n", "4",
                 "-o", str(tmp_path), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert "4 most uncertain tasks of 1000" in lines[0]
    assert len([line for line in lines if line.startswith("│")]) == 4
    assert not (shared_data / "labelme" / "identification").exists()


@pytest.mark.parametrize("args, message", [
    (["-s", "spam_score[on=MV]"], "MV has no per-worker confusion matrices; use a strategy that has them (DS"),
    (["-s", "reliability[on=DS]"], "DS has no per-worker skills; use a strategy that has them (BWA, GLAD"),
    (["-s", "spam_score", "-p", "matrix_file=missing.npy"], "missing.npy: matrix file not found"),
    (["-s", "MV"], "MV is an aggregation strategy, not an identification one; run it with `crowd aggregate`"),
    (["-s", "entropy[on=spam_score]"], "spam_score is an identification strategy, not an aggregation one"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(cli, toy, args, message):
    result = cli("identify", str(toy), *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (toy / "identification").exists()


def test_a_matrix_of_the_wrong_shape_or_with_unknown_workers(cli, toy, tmp_path):
    np.save(tmp_path / "m.npy", np.tile(np.eye(3), (4, 1, 1)))
    result = cli("identify", str(toy), "-s", f"spam_score[matrix_file='{tmp_path / 'm.npy'}']")
    assert result.exit_code == 2 and "the dataset needs (n_workers, 2, 2)" in result.stderr
    (tmp_path / "m.json").write_text(json.dumps({"x": np.eye(2).tolist()}))
    result = cli("identify", str(toy), "-s", "trace", "-p", f"matrix_file={tmp_path / 'm.json'}")
    assert result.exit_code == 2 and "worker 'x' is not in the dataset" in result.stderr
    assert not (toy / "identification").exists()


def test_aggregate_refuses_an_identification_method(cli, toy):
    result = cli("aggregate", str(toy), "-s", "entropy")
    assert result.exit_code == 2
    assert "entropy is an identification strategy" in result.stderr and "`crowd identify`" in result.stderr


def test_list_strategies_lists_the_methods(cli):
    result = cli("list-strategies", "--kind", "identification", "--json")
    names = {row["name"] for row in json.loads(result.stdout)}
    assert {"entropy", "krippendorff_alpha", "spam_score", "trace_confusion", "reliability"} <= names
