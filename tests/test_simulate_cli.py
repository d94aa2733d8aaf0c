"""`crowd simulate`: default folder, peerannot's option names, JSON, errors, --force, and a
folder that `crowd aggregate` reads."""

from __future__ import annotations

import json

import numpy as np


def test_default_folder_and_aggregate(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("simulate", "-s", "independent-confusion", "--n-worker", "30", "--n-task", "200",
                 "-K", "5", "-fb", "10", "--seed", "2")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "simulation-independent-confusion-2"
    assert "2000" in result.stdout and (folder / "answers.json").is_file()
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["n_workers"] == 30 and meta["simulation"]["feedback"] == 10
    answers = json.loads((folder / "answers.json").read_text())
    assert len(answers) == 200 and all(len(v) == 10 for v in answers.values())
    agg = cli("aggregate", str(folder), "-s", "DS", "--json")
    assert agg.exit_code == 0, agg.output
    record = json.loads(agg.stdout)
    assert record["gold_accuracy"] > 0.75


def test_plural_names_json_and_force(cli, tmp_path):
    target = tmp_path / "crowd"
    args = ["simulate", "-s", "student-teacher", "--n-workers", "10", "--n-tasks", "50",
            "-r", "0.5", "-wl", "40", "--feedback", "4", "--folder", str(target), "--json"]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["n_answers"] == 200 and summary["answers_per_worker"]["max"] <= 40
    assert "student_teacher_association.npy" in summary["files"]
    before = (target / "answers.json").read_bytes()
    again = cli(*args)
    assert again.exit_code == 2 and "--force" in again.stderr and "Traceback" not in again.output
    assert cli(*args, "--force").exit_code == 0
    assert (target / "answers.json").read_bytes() == before  # same seed, same bytes
    assert np.load(target / "student_teacher_association.npy").shape == (5, 2)


def test_contradictions_exit_2_and_write_nothing(cli, tmp_path):
    bad = tmp_path / "m.npy"
    np.save(bad, np.full((3, 2, 2), 0.7))
    cases = [
        ["--n-workers", "5", "-fb", "6"],
        ["--n-workers", "5", "--n-tasks", "20", "-fb", "3", "-wl", "2"],
        ["-s", "independent-confusion", "--n-workers", "3", "-K", "2", "--matrix-file", str(bad)],
        ["-s", "hammer-spammer", "--ratio-diff", "2"],
    ]
    for i, extra in enumerate(cases):
        folder = tmp_path / f"out{i}"
        result = cli("simulate", "--folder", str(folder), *extra)
        assert result.exit_code == 2, (extra, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert not folder.exists()
