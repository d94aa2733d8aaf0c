"""The result writer: output paths, byte-exact encoders, all-or-nothing writes, file modes."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from crowdkit_core.errors import OutputError

from crowdkit_core.application import aggregate
from crowdkit_core.writers import csv_bytes, json_bytes, output_paths, write_result

BUNDLED = ("labelme", "music")


def reference_csv(task_ids, names, labels, proba) -> bytes:
    """The row-by-row csv.writer encoder the writer replaced (its output is the contract)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["task", "label"] + ([] if proba is None else [f"p_{n}" for n in names]))
    for i, task in enumerate(task_ids):
        row = [task, names[labels[i]] if labels[i] >= 0 else ""]
        if proba is not None:
            row += [f"{p:.10g}" for p in proba[i]]
        writer.writerow(row)
    return buffer.getvalue().encode()


def reference_json(task_ids, names, labels, proba, keep) -> bytes:
    result = {}
    for i, task in enumerate(task_ids):
        if proba is None:
            result[str(task)] = names[labels[i]] if labels[i] >= 0 else None
        else:
            result[str(task)] = {n: float(p) for n, p in zip(names, proba[i])} if keep[i] else None
    return (json.dumps(result, indent=1) + "\n").encode()


def _names(data):
    return [data.label_name(k) for k in range(data.n_classes)]


@pytest.mark.parametrize("name", BUNDLED)
def test_encoders_match_the_row_by_row_encoders_on_bundled_data(name, tmp_path):
    from crowdkit_core.dataset import load_dataset

    data = load_dataset(f"bundled:{name}")
    remove = tmp_path / "remove.txt"
    remove.write_text(f"{data.task_ids[0]}\n{data.task_ids[3]}\n")
    result = aggregate(data, "MV", seed=0, remove=remove)
    data, names = result.dataset, _names(result.dataset)
    assert (result.labels == -1).sum() == 2
    for proba in (None, result.proba):
        assert csv_bytes(data.task_ids, names, result.labels, proba) == \
            reference_csv(data.task_ids, names, result.labels, proba)
        assert json_bytes(data.task_ids, names, result.labels, proba, result.keep) == \
            reference_json(data.task_ids, names, result.labels, proba, result.keep)


def test_csv_quotes_ids_and_names_as_csv_writer_does():
    task_ids = np.array(["plain", "a,b", 'say "hi"', "two\nlines", "cr\r", "", 7, None, 1.5, "é"], dtype=object)
    names = ["yes", "no, really"]
    labels = np.array([0, 1, -1, 0, 1, 0, 1, 0, 1, -1])
    proba = np.random.default_rng(0).dirichlet([1, 1], size=len(task_ids))
    for p in (None, proba):
        assert csv_bytes(task_ids, names, labels, p) == reference_csv(task_ids, names, labels, p)


def test_output_path_policy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "answers.csv").write_text("task,worker,label\n")
    assert output_paths("d", "MV", "csv", output_dir="out").labels == Path("out/labels_d_mv.csv")
    assert output_paths("d", "MV", "npy", source="folder").provenance == Path("folder/labels/labels_d_mv.provenance.json")
    assert output_paths("d", "DS[tol=0.1]", "json", source="answers.csv").labels == Path("labels/labels_d_ds[tol=0.1].json")
    assert output_paths("labelme", "MV", "npy", source="bundled:labelme").labels.parent == Path("labels")


def test_failed_last_write_leaves_nothing_new(tmp_path, monkeypatch):
    from crowdkit_core import output

    result = aggregate("bundled:labelme", "TwoThird")  # writes labels, details and provenance
    out = tmp_path / "out"
    real_replace = os.replace

    def fail_on_provenance(src, dst):
        if str(dst).endswith(".provenance.json"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", fail_on_provenance)
    with pytest.raises(OutputError, match="disk full"):  # one line for the user, not a traceback
        write_result(result, fmt="csv", hard=True, output_dir=out)
    assert not out.exists()

    monkeypatch.setattr(output.os, "replace", real_replace)
    record = write_result(result, fmt="csv", hard=True, output_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(before) == 3 and "details" in record
    monkeypatch.setattr(output.os, "replace", fail_on_provenance)
    with pytest.raises(OutputError):
        write_result(aggregate("bundled:labelme", "TwoThird", seed=5), fmt="csv", hard=True, output_dir=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # old set intact, no temporaries


def test_files_follow_the_umask(tmp_path):
    result = aggregate("bundled:music", "MV")
    old = os.umask(0o022)
    try:
        write_result(result, fmt="csv", output_dir=tmp_path)
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes and set(modes.values()) == {0o644}, modes


def test_written_provenance_adds_the_output_keys(tmp_path):
    result = aggregate("bundled:music", "MV")
    record = write_result(result, fmt="json", hard=True, output_dir=tmp_path)
    on_disk = json.loads((tmp_path / "labels_music_mv.provenance.json").read_text())
    assert on_disk == record == {**result.provenance, "hard": True, "format": "json",
                                 "output": str(tmp_path / "labels_music_mv.json"),
                                 "details": str(tmp_path / "labels_music_mv.details.json")}


def test_details_file_indents_the_outer_levels_only(tmp_path):
    result = aggregate("bundled:labelme", "DS[max_iter=2]")
    write_result(result, output_dir=tmp_path)
    text = (tmp_path / "labels_labelme_ds[max_iter=2].details.json").read_text()
    assert json.loads(text) == json.loads(json.dumps(result.details()))
    assert text.startswith('{\n  "workers": {\n    "confusion_matrices": {"')
    # one line per table: {, workers, its table, }, dataset, priors, log_likelihood, }, }
    assert len(text.splitlines()) == 9 and '    "priors": [' in text
