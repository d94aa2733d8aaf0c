"""Every kind of bad input: one clear line, exit code 2, no traceback, no output file."""

from __future__ import annotations

import json

import pytest

CASES = {
    "malformed_json": ({"answers.json": '{"0": {"a": 1,}}'}, "invalid JSON at line 1"),
    "answers_not_object": ({"answers.json": "[1, 2]"}, "top level must be an object"),
    "task_not_object": ({"answers.json": '{"0": 3}'}, "task '0' must map to an object"),
    "missing_answers": ({"other.txt": "x"}, "no answers file found"),
    "label_too_big": ({"answers.json": '{"0": {"a": 5}}', "metadata.json": '{"name": "x", "n_classes": 2}'},
                      "task '0', worker 'a': label 5 is outside 0..1"),
    "negative_label": ({"answers.json": '{"0": {"a": -1}}', "metadata.json": '{"name": "x", "n_classes": 2}'},
                       "label -1 is outside 0..1"),
    "unknown_label_name": ({"answers.csv": "task,worker,label\n1,a,cat\n2,a,cow\n",
                            "metadata.json": '{"name": "x", "n_classes": 2, "label_names": ["cat", "dog"]}'},
                           "line 3: unknown label 'cow'"),
    "float_label": ({"answers.json": '{"0": {"a": 1.5}}'}, "label 1.5 must be an integer"),
    "task_without_answers": ({"answers.json": '{"0": {"a": 1}, "1": {}}'}, "task '1' has no answers"),
    "empty_dataset": ({"answers.json": "{}"}, "has no answers"),
    "empty_csv": ({"answers.csv": "task,worker,label\n"}, "has no answers"),
    "csv_missing_column": ({"answers.csv": "task,annotator_name,label\n1,a,0\n"}, "no 'worker' column"),
    "csv_ragged_row": ({"answers.csv": "task,worker,label\n1,a,0\n2,b\n"}, "line 3: expected 3 fields"),
    "metadata_tasks_contradict": ({"answers.json": '{"0": {"a": 1}}', "metadata.json": '{"name": "x", "n_classes": 2, "n_tasks": 4}'},
                                  "n_tasks=4 but the answers have 1 tasks"),
    "metadata_workers_contradict": ({"answers.json": '{"0": {"a": 1, "b": 0}}', "metadata.json": '{"name": "x", "n_classes": 2, "n_workers": 1}'},
                                    "n_workers=1 but 2 distinct workers"),
    "metadata_missing_classes": ({"answers.json": '{"0": {"a": 1}}', "metadata.json": '{"name": "x"}'},
                                 'n_classes: Field required; add "n_classes"'),
    "metadata_bad_json": ({"answers.json": '{"0": {"a": 1}}', "metadata.json": '{"name": '},
                          "metadata.json: invalid JSON"),
    "label_names_mismatch": ({"answers.json": '{"0": {"a": 1}}', "metadata.json": '{"name": "x", "n_classes": 3, "label_names": ["a", "b"]}'},
                             "label_names has 2 names but n_classes=3"),
    "gold_short_row": ({"answers.json": '{"0": {"a": 1}}', "truth.csv": "task,label\n0\n"},
                       "truth.csv: line 2: expected 2 fields, found 1"),
    "gold_unknown_label": ({"answers.json": '{"0": {"a": 1}}', "metadata.json": '{"name": "x", "n_classes": 2}',
                            "truth.csv": "task,label\n0,7\n"}, "task '0': unknown gold label '7'"),
    "string_label_without_names": ({"answers.json": '{"0": {"a": "cat"}}', "metadata.json": '{"name": "x", "n_classes": 2}'},
                                   "label 'cat' is not a class index"),
}


@pytest.mark.parametrize("files, expected", CASES.values(), ids=CASES.keys())
def test_bad_dataset(cli, tmp_path, files, expected):
    folder = tmp_path / "data"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    for command in (["validate", str(folder)], ["aggregate", str(folder), "-s", "MV"]):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: ") and expected in lines[0], lines[0]
        assert "Traceback" not in result.stderr + result.stdout
    assert not (folder / "labels").exists()


def test_missing_path(cli, tmp_path):
    result = cli("aggregate", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "no such file or folder" in result.stderr


def test_bad_spec_and_options(cli, tmp_path):
    result = cli("aggregate", "bundled:labelme", "-s", "MV[seed=abc]", "-o", str(tmp_path))
    assert result.exit_code == 2 and "seed" in result.stderr and "^" in result.stderr
    result = cli("aggregate", "bundled:labelme", "-f", "xml", "-o", str(tmp_path))
    assert result.exit_code == 2 and "--format 'xml'" in result.stderr
    result = cli("aggregate", "bundled:nope")
    assert result.exit_code == 2 and "no bundled dataset named 'nope'" in result.stderr
    result = cli("aggregate", "bundled:labelme", "--path-remove", str(tmp_path / "missing.txt"), "-o", str(tmp_path))
    assert result.exit_code == 2 and "task list not found" in result.stderr
    (tmp_path / "bad.txt").write_text("no-such-task\n")
    result = cli("aggregate", "bundled:labelme", "--path-remove", str(tmp_path / "bad.txt"), "-o", str(tmp_path))
    assert result.exit_code == 2 and "task 'no-such-task' is not in the dataset" in result.stderr
    assert not list(tmp_path.glob("*.npy"))


def test_no_partial_file_when_writing_fails(tmp_path, monkeypatch):
    from crowdkit_core import output

    target = tmp_path / "out.npy"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", broken_replace)
    with pytest.raises(OSError):
        output.atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.npy"]


def test_duplicates_error_policy_cli(cli, tmp_path):
    (tmp_path / "answers.csv").write_text("task,worker,label\n1,a,0\n1,a,1\n2,b,1\n")
    result = cli("validate", str(tmp_path), "--duplicates", "error")
    assert result.exit_code == 2 and "more than once" in result.stderr
    result = cli("validate", str(tmp_path), "--duplicates", "first", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["n_answers"] == 2
