"""The library call under ``crowd aggregate``: results, removal, gold scores and provenance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crowdkit_core.application import aggregate
from crowdkit_core.errors import CrowdkitError

PROVENANCE_KEYS = {
    "crowdkit_version", "strategy", "parameters", "plugin", "distribution", "distribution_version",
    "dataset", "inputs", "input_sha256", "n_tasks", "n_workers", "n_answers", "n_classes",
    "tasks_removed", "n_iter", "converged", "fit_seconds", "wall_seconds", "gold_accuracy",
    "gold_coverage", "gold_tasks", "warnings", "python", "numpy", "created",
}


def _folder(tmp_path, truth: str = "task,label\n0,1\n1,0\n"):
    folder = tmp_path / "toy"
    folder.mkdir(exist_ok=True)
    (folder / "answers.csv").write_text("task,worker,label\n0,a,1\n0,b,1\n0,c,0\n1,a,0\n1,b,0\n2,a,1\n")
    (folder / "metadata.json").write_text(json.dumps({"name": "toy", "n_classes": 2}))
    (folder / "truth.csv").write_text(truth)
    return folder


def test_result_and_provenance(tmp_path):
    result = aggregate(_folder(tmp_path), "MV[ties=lowest]")
    assert result.labels.tolist() == [1, 0, 1] and result.proba.shape == (3, 2)
    assert result.spec.canonical == "MV[ties=lowest]" and result.dataset.name == "toy"
    assert (result.gold_accuracy, result.gold_coverage, result.gold_tasks) == (1.0, 1.0, 2)
    prov = result.provenance
    assert set(prov) == PROVENANCE_KEYS
    assert [p.rsplit("/", 1)[-1] for p in prov["inputs"]] == ["answers.csv", "metadata.json", "truth.csv"]
    assert prov["wall_seconds"] >= prov["fit_seconds"] > 0 and prov["distribution"] == "crowdkit-classic"
    json.dumps(prov)  # JSON-ready


def test_changing_the_gold_file_changes_the_input_checksum(tmp_path):
    first = aggregate(_folder(tmp_path), "MV").provenance["input_sha256"]
    second = aggregate(_folder(tmp_path, "task,label\n0,0\n1,0\n"), "MV").provenance["input_sha256"]
    assert len(first) == 64 and first != second


def test_removed_tasks_and_their_list_in_provenance(tmp_path):
    folder = _folder(tmp_path)
    remove = tmp_path / "remove.txt"
    remove.write_text("1\n")
    result = aggregate(folder, "MV", remove=remove)
    assert result.labels[1] == -1 and not result.proba[1].any() and result.keep.tolist() == [True, False, True]
    assert result.provenance["tasks_removed"] == 1 and result.provenance["inputs"][-1] == str(remove)
    assert result.gold_tasks == 1
    unremoved = aggregate(folder, "MV").provenance["input_sha256"]
    remove.write_text("2\n")
    assert aggregate(folder, "MV", remove=remove).provenance["input_sha256"] not in (unremoved, result.provenance["input_sha256"])
    remove.write_text("0\n1\n2\n")
    with pytest.raises(CrowdkitError, match="removes every task"):
        aggregate(folder, "MV", remove=remove)


def test_in_memory_dataset_seed_and_progress_callback():
    from crowdkit_core.dataset import load_dataset

    data = load_dataset("bundled:labelme")
    seen: list[int] = []
    result = aggregate(data, "DS[max_iter=3,tol=0]", on_iteration=lambda i, _: seen.append(i))
    assert seen == [1, 2, 3] and result.dataset is data
    assert result.provenance["inputs"] == list(data.inputs)
    same = [aggregate(data, "MV", seed=s).labels for s in (1, 1, 2)]
    assert np.array_equal(same[0], same[1]) and not np.array_equal(same[0], same[2])


def test_details_keyed_by_original_ids(tmp_path):
    remove = tmp_path / "remove.txt"
    remove.write_text("0\n")
    details = aggregate("bundled:labelme", "TwoThird", remove=remove).details()
    assert "0" not in details["tasks"]["valid"] and "1" in details["tasks"]["valid"]
