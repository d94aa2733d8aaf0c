"""``crowd evaluate`` and the evaluation job: gold files, time limits, failures, jobs, tables."""

from __future__ import annotations

import functools
import json
import os
import time
import types
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from crowdkit_core import hookimpl, plugins
from crowdkit_core.aggregator import Aggregator
from crowdkit_core.errors import DatasetError
from crowdkit_core.evaluation import evaluate, split_specs
from crowdkit_core.evaluation.runner import can_fork, run_limited
from crowdkit_core.plugins import PluginRegistry
from crowdkit_core.registry import StrategyInfo

LABELME = "bundled:labelme"


class Sleepy(Aggregator):
    """Sleeps far longer than any test's time limit (a test strategy)."""

    reference = "test"

    def _fit(self, dataset):
        time.sleep(60)
        self.proba_ = dataset.vote_counts / dataset.vote_counts.sum(axis=1, keepdims=True)


class Crashy(Aggregator):
    """Raises an unexpected exception, as a buggy plugin would (a test strategy)."""

    reference = "test"

    def _fit(self, dataset):
        raise RuntimeError("boom in fit")


class Dying(Aggregator):
    """Ends its process without a word, as a segfault would (a test strategy)."""

    reference = "test"

    def _fit(self, dataset):
        os._exit(3)


def _test_plugin() -> types.ModuleType:
    module = types.ModuleType("evaluate_test_strategies")

    @hookimpl
    def crowdkit_register_strategies(register):
        for cls in (Sleepy, Crashy, Dying):
            register(StrategyInfo(cls.__name__, f"{__name__}:{cls.__name__}", kind="aggregation"))

    module.crowdkit_register_strategies = crowdkit_register_strategies
    return module


@pytest.fixture
def registry():
    registry = PluginRegistry()
    registry.add_plugin(_test_plugin(), "evaluate-tests", "dist-tests")
    plugins.reset_registry(registry)
    yield registry
    plugins.reset_registry()


def invoke(*args: str):
    from crowdkit_core.cli.app import create_app

    return CliRunner().invoke(create_app(), list(args))


def _without_times(record):
    """The JSON record with the wall-clock fields removed (they vary from run to run)."""
    for ds in record["datasets"]:
        for run in ds["runs"]:
            run.pop("fit_seconds")
            run.pop("wall_seconds")
    return record


# -- the job -------------------------------------------------------------------------------
def test_scores_match_labels_computed_directly():
    from crowdkit_classic.dawid_skene import DawidSkene
    from crowdkit_core.dataset import load_dataset

    report = evaluate([LABELME], ["DS", "MV[ties=lowest]"])
    data = load_dataset(LABELME)
    run = report.datasets[0].runs[0]
    labels = DawidSkene().fit(data).labels_
    assert run.spec == "DS" and run.status == "ok"
    assert run.scores.accuracy == pytest.approx((labels == data.gold).mean())
    assert run.iterative and run.n_iter > 0 and run.converged is True
    assert report.datasets[0].runs[1].n_iter is None  # MV is not iterative


def test_abstaining_strategies_report_coverage_and_peerannot_figures():
    """TwoThird and PlantNet (tag can_abstain) on LabelMe: peerannot's published
    .820 on 829 tasks and .898 on 353 tasks."""
    runs = {r.spec: r for r in evaluate([LABELME], ["TwoThird", "PlantNet"]).datasets[0].runs}
    two, plant = runs["TwoThird"].scores, runs["PlantNet"].scores
    assert (two.n_labelled, round(two.accuracy, 3)) == (829, 0.820)
    assert (plant.n_labelled, round(plant.accuracy, 3)) == (353, 0.898)
    assert two.coverage == pytest.approx(0.829)
    assert two.accuracy_all == pytest.approx(two.accuracy * two.coverage)
    # their soft labels still cover every gold task
    assert not np.isnan(two.log_loss) and not np.isnan(two.ece)


def test_ranking_is_by_correct_labels_over_all_gold_tasks():
    ds = evaluate([LABELME], ["PlantNet", "MV", "DS"]).datasets[0]
    assert [r.spec for r in ds.ranked()] == ["DS", "MV", "PlantNet"]  # PlantNet: .898 x .353


def test_all_runs_every_registered_aggregator_once(registry):
    from crowdkit_core.evaluation import plan_specs

    planned = plan_specs(["all", "MV", "MV[ties=lowest]"], registry=registry)
    names = [p.text for p in planned]
    assert len(names) == len(set(names))
    assert {"DS", "GLAD", "Sleepy", "MV[ties=lowest]"} <= set(names)
    assert names.count("MV") == 1


def test_a_slow_strategy_is_stopped_at_the_time_limit_and_others_go_on(registry):
    start = time.perf_counter()
    report = evaluate([LABELME], ["Sleepy", "MV", "Crashy"], time_limit=1.5, registry=registry)
    assert time.perf_counter() - start < 20
    runs = {r.spec: r for r in report.datasets[0].runs}
    assert runs["Sleepy"].status == "timed_out" and runs["Sleepy"].scores is None
    assert runs["Sleepy"].wall_seconds < 10
    assert runs["MV"].status == "ok"
    assert runs["Crashy"].status == "failed"
    assert runs["Crashy"].reason == "RuntimeError: boom in fit"


@pytest.mark.skipif(not can_fork(), reason="worker processes need fork")
def test_a_strategy_that_kills_its_process_is_reported_failed(registry):
    run = evaluate([LABELME], ["Dying"], registry=registry).datasets[0].runs[0]
    assert run.status == "failed" and "exit code 3" in run.reason


def test_a_strategy_refusing_the_data_says_why():
    run = evaluate([LABELME], ["KOS"]).datasets[0].runs[0]
    assert run.status == "failed" and run.reason.startswith("KOS handles binary tasks only")


def test_runner_keeps_the_given_order_whatever_finishes_first():
    calls = [lambda: (time.sleep(0.3), "slow")[1], lambda: "fast"]
    seen = []
    outcomes = run_limited(calls, jobs=2, on_outcome=lambda i, o: seen.append(i))
    assert [o.value for o in outcomes] == ["slow", "fast"]
    if can_fork():
        assert seen == [1, 0]


def test_jobs_do_not_change_the_output(cli):
    args = ["evaluate", LABELME, "bundled:music", "-s", "MV", "-s", "DS", "-s", "GLAD",
            "-s", "TwoThird", "--json"]
    one, two = cli(*args, "--jobs", "1"), cli(*args, "--jobs", "2")
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    assert _without_times(json.loads(one.stdout)) == _without_times(json.loads(two.stdout))


def test_same_seed_same_scores():
    a = evaluate([LABELME], ["MV", "GLAD"], seed=3)
    b = evaluate([LABELME], ["MV", "GLAD"], seed=3)
    assert [r.scores for r in a.datasets[0].runs] == [r.scores for r in b.datasets[0].runs]
    assert a.specs == ["MV[seed=3]", "GLAD[seed=3]"]


def test_split_specs_keeps_brackets_together():
    assert split_specs("MV[ties=lowest], DS[max_iter=5,tol=0],,GLAD") == [
        "MV[ties=lowest]", "DS[max_iter=5,tol=0]", "GLAD"]


# -- gold files ----------------------------------------------------------------------------
def _labelme_gold(tmp_path: Path, lines: list[str], name: str = "truth.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(["task,label", *lines]) + "\n")
    return path


def test_a_gold_file_replaces_the_datasets_own(tmp_path):
    from crowdkit_core.dataset import load_dataset

    data = load_dataset(LABELME)
    some = [f"{data.task_ids[i]},{data.label_name(int(data.gold[i]))}" for i in range(10)]
    gold = _labelme_gold(tmp_path, some)
    run = evaluate([LABELME], ["MV"], gold=gold).datasets[0].runs[0]
    assert run.scores.n_gold == 10


@pytest.mark.parametrize("lines, message", [
    (["no-such-task,0"], "task 'no-such-task' is not in the dataset"),
    (["{task},not-a-label"], "unknown gold label 'not-a-label'"),
    (["{task},0", "{task},1"], "is given twice"),
])
def test_bad_gold_files_are_one_line_errors(cli, tmp_path, lines, message):
    from crowdkit_core.dataset import load_dataset

    task = load_dataset(LABELME).task_ids[0]
    gold = _labelme_gold(tmp_path, [line.format(task=task) for line in lines])
    result = cli("evaluate", LABELME, "-s", "MV", "--gold", str(gold))
    assert result.exit_code == 2
    lines_out = result.stderr.strip().splitlines()
    assert len(lines_out) == 1 and lines_out[0].startswith(f"Error: {gold}: ")
    assert message in lines_out[0] and "Traceback" not in result.output


def test_missing_gold_and_wrong_counts_are_errors(cli, tmp_path):
    result = cli("evaluate", LABELME, "-s", "MV", "--gold", str(tmp_path / "none.csv"))
    assert result.exit_code == 2 and "gold file not found" in result.stderr
    gold = _labelme_gold(tmp_path, [])
    result = cli("evaluate", LABELME, "bundled:music", LABELME, "-s", "MV",
                 "--gold", str(gold), "--gold", str(gold))
    assert result.exit_code == 2 and "2 gold files for 3 datasets" in result.stderr
    with pytest.raises(DatasetError, match="no gold label in the file"):
        evaluate([LABELME], ["MV"], gold=gold)


def test_a_dataset_without_gold_is_an_error(cli, tmp_path):
    (tmp_path / "answers.csv").write_text("task,worker,label\na,w1,0\na,w2,1\nb,w1,1\n")
    result = cli("evaluate", str(tmp_path), "-s", "MV")
    assert result.exit_code == 2 and "no gold labels" in result.stderr and "--gold" in result.stderr


def test_bad_options_are_errors(cli):
    assert "--time-limit 0" in cli("evaluate", LABELME, "--time-limit", "0").stderr
    assert "--jobs 0" in cli("evaluate", LABELME, "--jobs", "0").stderr
    result = cli("evaluate", LABELME, "-s", "NoSuchStrategy")
    assert result.exit_code == 2 and "NoSuchStrategy" in result.stderr


# -- the command line ----------------------------------------------------------------------
def test_table_is_readable_at_80_columns(registry):
    result = invoke("evaluate", LABELME, "bundled:music", "-s", "MV", "-s", "Wawa[ties=lowest]",
                    "-s", "PlantNet", "-s", "KOS", "-s", "Sleepy", "--time-limit", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, result.stdout
    assert "…" not in result.stdout
    header = next(line for line in lines if "strategy" in line and "accuracy" in line)
    for column in ("coverage", "log-loss", "ECE", "time", "iter"):
        assert column in header
    assert any("Wawa[ties=lowest]" in line for line in lines)
    assert "  Sleepy: timed out: stopped after the 1 s limit" in result.stdout
    assert "KOS: failed: KOS handles binary tasks only" in result.stdout
    assert "Accuracy on gold tasks" in result.stdout  # the table across datasets
    mv_row = next(line for line in lines if line.split()[:2] == ["1", "MV"]
                  or line.split()[:1] == ["MV"])
    assert "0.767" in mv_row


def test_per_class_tables(cli):
    result = cli("evaluate", LABELME, "-s", "MV", "--per-class")
    assert result.exit_code == 0
    assert "per class (macro F1" in result.stdout and "confusion row" in result.stdout


def test_json_has_every_metric(cli):
    result = cli("evaluate", LABELME, "-s", "DS", "--json")
    record = json.loads(result.stdout)
    ds = record["datasets"][0]
    assert ds["ranking"] == ["DS"] and ds["n_gold"] == 1000
    scores = ds["runs"][0]["scores"]
    for key in ("accuracy", "coverage", "precision", "recall", "f1", "macro_f1", "confusion",
                "log_loss", "ece"):
        assert key in scores
    assert len(scores["confusion"]) == 8
    assert record["accuracy_table"]["DS"]["labelme"] == pytest.approx(scores["accuracy"])


def test_real_datasets_match_direct_fits(shared_data):
    from crowdkit_classic.majority_vote import MajorityVote
    from crowdkit_core.dataset import load_dataset

    folders = [shared_data / "wsd", shared_data / "temp"]
    report = evaluate(folders, ["MV[ties=lowest]"], jobs=2)
    for folder, ds in zip(folders, report.datasets):
        data = load_dataset(folder)
        labels = MajorityVote(ties="lowest").fit(data).labels_
        mask = data.gold >= 0
        assert ds.runs[0].scores.accuracy == pytest.approx((labels[mask] == data.gold[mask]).mean())


def test_without_fork_runs_go_in_threads_and_still_time_out(monkeypatch):
    from crowdkit_core.evaluation import runner

    monkeypatch.setattr(runner, "can_fork", lambda: False)
    outcomes = run_limited([lambda: time.sleep(5), lambda: 1 / 0, lambda: "ok"], time_limit=0.5, jobs=2)
    assert [o.status for o in outcomes] == ["timed_out", "failed", "ok"]
    assert outcomes[1].reason == "ZeroDivisionError: division by zero"
    assert outcomes[0].seconds < 3


# -- parsers (property tests) --------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,8}", fullmatch=True)
_params = st.lists(st.from_regex(r"[a-z_]{1,6}=[a-z0-9.]{1,5}", fullmatch=True), max_size=3)
_specs = st.builds(lambda n, p: f"{n}[{','.join(p)}]" if p else n, _names, _params)


@settings(max_examples=100, deadline=None)
@given(st.lists(_specs, min_size=1, max_size=5))
def test_split_specs_inverts_joining_with_commas(specs):
    assert split_specs(",".join(specs)) == specs


@functools.lru_cache(maxsize=1)
def _labelme():
    from crowdkit_core.dataset import load_dataset

    return load_dataset(LABELME)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_a_gold_file_reads_back_exactly(tmp_path_factory, data):
    from crowdkit_core.dataset import read_gold

    labelme = _labelme()
    rows = data.draw(st.lists(st.integers(0, labelme.n_tasks - 1), unique=True, max_size=30))
    classes = data.draw(st.lists(st.integers(0, labelme.n_classes - 1), min_size=len(rows),
                                 max_size=len(rows)))
    by_name = data.draw(st.booleans())
    path = tmp_path_factory.mktemp("gold") / "gold.csv"
    path.write_text("task,label\n" + "".join(
        f"{labelme.task_ids[t]},{labelme.label_name(c) if by_name else c}\n"
        for t, c in zip(rows, classes)))
    expected = np.full(labelme.n_tasks, -1)
    expected[rows] = classes
    got = read_gold(path, labelme.task_ids, labelme.n_classes, labelme.label_names, strict=True)
    assert got.tolist() == expected.tolist()


def test_datasets_with_the_same_name_keep_their_own_columns():
    report = evaluate([LABELME, LABELME], ["MV"])
    assert [ds.name for ds in report.datasets] == ["labelme", "labelme (2)"]
    assert set(report.accuracy_table()["MV"]) == {"labelme", "labelme (2)"}
