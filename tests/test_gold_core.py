"""Gold labels in the core: checking them, the holdout split, and the honest scoring of
``crowd aggregate --gold / --holdout-gold`` and ``crowd evaluate --holdout-gold``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crowdkit_core.dataset import CrowdDataset, load_dataset
from crowdkit_core.errors import CrowdkitError, DatasetError
from crowdkit_core.gold import as_gold, holdout_split, plan_gold

LABELME = "bundled:labelme"


def small() -> CrowdDataset:
    return CrowdDataset.from_arrays(["a", "a", "b", "c"], ["x", "y", "x", "y"],
                                    ["cat", "dog", "dog", "cat"])


def test_as_gold_accepts_arrays_and_mappings_and_drops_all_unknown():
    data = small()
    np.testing.assert_array_equal(as_gold({"b": "dog", "c": 0}, data), [-1, 1, 0])
    np.testing.assert_array_equal(as_gold([1, -1, -1], data), [1, -1, -1])
    assert as_gold([-1, -1, -1], data) is None and as_gold(None, data) is None
    assert not as_gold([1, -1, -1], data).flags.writeable


@pytest.mark.parametrize("gold, message", [
    ([0, 1], "gold has shape (2,)"), ([0, 2, -1], "gold label 2 is outside -1..1"),
    ({"zz": "cat"}, "gold task 'zz' is not in the dataset"),
    ({"a": "bird"}, "unknown label 'bird'")])
def test_bad_gold_is_a_one_line_dataset_error(gold, message):
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        as_gold(gold, small())


def test_holdout_fraction_must_be_a_fraction():
    with pytest.raises(CrowdkitError, match="between 0 and 1"):
        holdout_split(np.array([0, 1]), 1.5)


def test_plan_scores_only_tasks_the_strategy_did_not_see():
    data = load_dataset(LABELME)
    plan = plan_gold(data, None, 0.9, seed=3)
    assert plan.n_fit == 100 and int((plan.score >= 0).sum()) == 900
    assert not ((plan.fit >= 0) & (plan.score >= 0)).any()
    given = np.where(np.arange(data.n_tasks) < 10, data.gold, -1)
    plan = plan_gold(data, given)
    np.testing.assert_array_equal(plan.score >= 0, np.arange(data.n_tasks) >= 10)


def gold_file(tmp_path, data, tasks):
    path = tmp_path / "known.csv"
    path.write_text("task,label\n" + "".join(
        f"{data.task_ids[i]},{data.label_name(data.gold[i])}\n" for i in tasks))
    return path


def test_aggregate_with_a_gold_file_scores_the_other_tasks(cli, tmp_path):
    data = load_dataset(LABELME)
    path = gold_file(tmp_path, data, range(0, 1000, 10))
    result = cli("aggregate", LABELME, "-s", "DS", "--gold", str(path), "-o", str(tmp_path / "out"),
                 "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["gold_tasks"] == 900
    assert record["fit_gold"]["fit_tasks"] == 100 and record["fit_gold"]["accuracy"] == 1.0
    assert str(path) in record["inputs"]
    labels = np.load(tmp_path / "out" / "labels_labelme_ds.npy").argmax(axis=1)
    assert (labels[::10] == data.gold[::10]).all()


def test_aggregate_holdout_summary_reports_non_gold_accuracy(cli, tmp_path):
    result = cli("aggregate", LABELME, "-s", "GoldMV", "--holdout-gold", "0.9", "--seed", "0",
                 "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "accuracy on non-gold tasks" in result.stdout and "900 held-out" in result.stdout
    assert "accuracy on fitting gold" in result.stdout


def test_strategy_without_gold_says_so_in_one_line(cli, tmp_path):
    result = cli("aggregate", LABELME, "-s", "MV", "--holdout-gold", "0.9", "-o", str(tmp_path))
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if "does not use gold" in line]
    assert len(lines) == 1 and lines[0].startswith("Warning: MV does not use gold labels")


@pytest.mark.parametrize("args, message", [
    (["--gold", "nope.csv"], "nope.csv: gold file not found"),
    (["--holdout-gold", "2"], "--holdout-gold 2: give a fraction between 0 and 1")])
def test_bad_gold_options_are_one_line_errors_and_write_nothing(cli, tmp_path, args, message):
    out = tmp_path / "out"
    result = cli("aggregate", LABELME, "-s", "DS", *args, "-o", str(out))
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())


def test_evaluate_holdout_scores_every_strategy_on_the_same_tasks(cli):
    from crowdkit_core.evaluation import evaluate

    report = evaluate([LABELME], ["MV", "GoldMV", "DS"], holdout_gold=0.9, seed=1).datasets[0]
    assert report.n_gold == 900 and report.n_fit_gold == 100
    assert {run.scores.n_gold for run in report.runs} == {900}
    mv = next(run for run in report.runs if run.spec.startswith("MV"))
    assert any("does not use gold" in w for w in mv.warnings)
    result = cli("evaluate", LABELME, "-s", "GoldMV", "--holdout-gold", "0.9", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["datasets"][0]["n_fit_gold"] == 100
