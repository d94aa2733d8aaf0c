"""peerannot compatibility: its strategy names, option spellings and commands work, its
dataset folders are read, and every command writes the files peerannot writes (names,
shapes, dtypes) beside crowdkit's own, in the same all-or-nothing set."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

#: peerannot's datasets/toy-data/answers.json (K=2, 4 workers, 3 tasks).
TOY = {"0": {"0": 1, "1": 0, "2": 1, "3": 1}, "1": {"0": 1, "2": 0, "3": 0}, "2": {"1": 1, "3": 1}}
#: peerannot's datasets/krippendorff-data/answers.json (tasks 1 and 13 have no answers).
KRIPPENDORFF = {
    "0": {"1": 1}, "1": {}, "2": {"1": 2, "2": 2}, "3": {"1": 1, "2": 1}, "4": {"1": 3, "2": 3},
    "5": {"0": 3, "1": 3, "2": 4}, "6": {"0": 4, "1": 4, "2": 4}, "7": {"0": 1, "1": 3},
    "8": {"0": 2, "2": 2}, "9": {"0": 1, "2": 1}, "10": {"0": 1, "2": 1}, "11": {"0": 3, "2": 3},
    "12": {"0": 3, "2": 3}, "13": {}, "14": {"0": 3, "2": 4},
}


def peerannot_folder(root: Path, answers: dict, name: str = "toy", **metadata) -> Path:
    """A dataset folder as peerannot lays it out: answers.json and metadata.json."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "answers.json").write_text(json.dumps(answers))
    (folder / "metadata.json").write_text(json.dumps({"name": name, "n_classes": 2,
                                                      "n_workers": 4, **metadata}))
    return folder


@pytest.fixture
def toy(tmp_path):
    return peerannot_folder(tmp_path, TOY)


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result, *fragments):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.output, lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# -- strategy names ----------------------------------------------------------------------------
#: Every aggregation name of peerannot's registry over its history (it lower-cases them).
AGGREGATION_NAMES = {
    "MV": "MV", "majority_voting": "MV", "NaiveSoft": "NaiveSoft", "naive_soft": "NaiveSoft",
    "DS": "DS", "dawid_skene": "DS", "DSWC": "DSWC", "dawid_skene_clust": "DSWC",
    "GLAD": "GLAD", "WDS": "WDS", "PlantNet": "PlantNet", "TwoThird": "TwoThird",
    "IWMV": "IWMV", "Wawa": "Wawa",
}
IDENTIFICATION_NAMES = {"entropy": "entropy", "trace_confusion": "trace_confusion",
                        "spam_score": "spam_score", "krippendorffAlpha": "krippendorff_alpha"}


@pytest.mark.parametrize("kind, names", [("aggregation", AGGREGATION_NAMES),
                                         ("identification", IDENTIFICATION_NAMES)])
def test_every_peerannot_strategy_name_resolves_in_any_case(kind, names):
    from crowdkit_core.spec import resolve_spec

    for peerannot, ours in names.items():
        for spelling in (peerannot, peerannot.lower(), peerannot.upper()):
            assert resolve_spec(spelling, kind=kind).info.name == ours, spelling


def test_peerannot_s_plantnet_option_spellings():
    from crowdkit_core.spec import resolve_spec

    peerannot = resolve_spec("PlantNet[AI=fixed,AIweight=2,threshold_scores=0.5]")
    ours = resolve_spec("PlantNet[ai=fixed,ai_weight=2,ai_threshold=0.5]")
    assert peerannot.params == ours.params
    assert resolve_spec("PlantNet[AIweight=2,ai_weight=3]").params.ai_weight == 3.0  # ours wins
    from crowdkit_core.errors import SpecError

    with pytest.raises(SpecError):
        resolve_spec("DS[AIweight=2]")  # an alias is only an alias where the model has it


@pytest.mark.parametrize("method, advice", [
    ("AUM", "entropy[on=DS]"), ("WAUM", "--path-remove"), ("WAUM_perworker", "spam_score"),
    ("waumstacked", "WAUM"), ("IterativeWawa", "IWMV"),
])
def test_peerannot_methods_crowdkit_lacks_say_what_to_use(cli, toy, method, advice):
    command = "aggregate" if method == "IterativeWawa" else "identify"
    result = cli(command, str(toy), "-s", f"{method}[alpha=0.01]")
    one_line_error(result, f"{method}: peerannot's method is not in crowdkit", advice)
    assert not (toy / "identification").exists() and not (toy / "labels").exists()


# -- aggregate ---------------------------------------------------------------------------------
def test_aggregate_writes_peerannot_s_label_files(cli, toy):
    record = json.loads(ok(cli("aggregate", str(toy), "-s", "MV", "--json")).stdout)
    soft = np.load(toy / "labels" / "labels_toy_mv.npy")
    assert soft.shape == (3, 2) and soft.dtype == np.float64 and "peerannot_files" not in record
    record = json.loads(ok(cli("aggregate", str(toy), "-s", "majority_voting", "--hard",
                               "--json")).stdout)
    ours, theirs = toy / "labels" / "labels_toy_mv.npy", toy / "labels" / "labels_toy_majority_voting_hard.npy"
    assert record["peerannot_files"] == [str(theirs)] and record["output"] == str(ours)
    hard = np.load(theirs)
    assert hard.shape == (3,) and hard.dtype == np.int64 and hard.tolist() == [1, 0, 1]
    assert theirs.read_bytes() == ours.read_bytes()
    spec = "DS[max_iter=5]"
    ok(cli("aggregate", str(toy), "-s", spec, "--hard"))
    assert (toy / "labels" / "labels_toy_ds[max_iter=5]_hard.npy").is_file()


def test_glad_writes_peerannot_s_identification_arrays(cli, toy, tmp_path):
    from crowdkit_core.application import aggregate

    ok(cli("aggregate", str(toy), "-s", "GLAD"))
    folder = toy / "identification" / "glad"
    difficulties, abilities = np.load(folder / "difficulties.npy"), np.load(folder / "abilities.npy")
    model = aggregate(toy, "GLAD").model
    assert difficulties.shape == (3, 2) and abilities.shape == (4, 2)
    assert difficulties[:, 0].tolist() == [0, 1, 2] and abilities[:, 0].tolist() == [0, 1, 2, 3]
    # peerannot's P(right) = sigmoid(alpha * exp(beta)): its beta is crowdkit's log easiness
    assert np.allclose(np.exp(difficulties[:, 1]), model.betas_)
    assert np.allclose(abilities[:, 1], model.alphas_)
    ok(cli("aggregate", str(toy), "-s", "GLAD", "-o", str(tmp_path / "out")))
    assert (tmp_path / "out" / "identification" / "glad" / "abilities.npy").is_file()


def test_peerannot_files_come_only_with_npy_output(cli, toy):
    ok(cli("aggregate", str(toy), "-s", "GLAD", "--hard", "-f", "csv"))
    assert sorted(p.name for p in (toy / "labels").iterdir()) == [
        "labels_toy_glad.csv", "labels_toy_glad.details.json", "labels_toy_glad.provenance.json"]
    assert not (toy / "identification").exists()


def test_peerannot_files_are_in_the_same_all_or_nothing_set(cli, toy, monkeypatch):
    from crowdkit_core.testing.faults import fail_renames_to

    fail_renames_to(monkeypatch, "_hard.npy")
    result = cli("aggregate", str(toy), "-s", "naive_soft", "--hard")
    assert result.exit_code == 2 and "disk full" in result.stderr
    assert not (toy / "labels").exists()


def test_metadata_path_with_peerannot_s_underscore(cli, toy, tmp_path):
    other = tmp_path / "meta.json"
    other.write_text(json.dumps({"name": "renamed", "n_classes": 2, "n_workers": 4}))
    ok(cli("aggregate", str(toy), "--metadata_path", str(other)))
    ok(cli("aggregate", str(toy), f"--metadata_path={other}", "-s", "DS"))
    assert {p.name for p in (toy / "labels").glob("*.npy")} == {"labels_renamed_mv.npy",
                                                                "labels_renamed_ds.npy"}
    stats = json.loads(ok(cli("validate", str(toy), "--metadata_path", str(other), "--json")).stdout)
    assert stats["n_tasks"] == 3


@pytest.mark.parametrize("fmt", ["%i", "%.18e"])  # peerannot's two np.savetxt formats
def test_path_remove_reads_peerannot_s_too_hard_file(cli, toy, tmp_path, fmt):
    too_hard = tmp_path / "too_hard_0.01.txt"
    np.savetxt(too_hard, np.array([[5, 1], [9, 2]]), fmt=fmt)  # (image index, task id)
    ok(cli("aggregate", str(toy), "-s", "MV", "--hard", "--path-remove", str(too_hard)))
    assert np.load(toy / "labels" / "labels_toy_mv_hard.npy").tolist() == [1, -1, -1]


# -- identify ----------------------------------------------------------------------------------
@pytest.mark.parametrize("method, array, shape", [
    ("entropy", "entropies.npy", (3,)), ("krippendorffalpha", "krippendorff_alpha.npy", ()),
    ("spam_score", "spam_score.npy", (4,)), ("trace_confusion", "traces_confusion.npy", (4,)),
])
def test_identify_writes_peerannot_s_arrays(cli, toy, method, array, shape):
    ok(cli("identify", str(toy), "-s", method))
    values = np.load(toy / "identification" / array)
    assert values.shape == shape and values.dtype == np.float64
    if method == "entropy":
        assert values[2] == 0  # peerannot's toy test: task 2 is unanimous


def test_krippendorff_example_gives_peerannot_s_alpha(cli, tmp_path):
    folder = peerannot_folder(tmp_path, {t: v for t, v in KRIPPENDORFF.items() if v}, "kripp",
                              n_classes=5, n_workers=3)
    ok(cli("identify", str(folder), "-s", "krippendorffAlpha"))
    alpha = np.load(folder / "identification" / "krippendorff_alpha.npy")
    assert alpha.shape == () and alpha == pytest.approx(0.691358024691358, abs=1e-15)


def test_identify_peerannot_options(cli, toy, tmp_path):
    """--labels (answers path), -K, --matrix-file and --maxiter-dawid-skene / --maxiter-DS."""
    from crowdkit_classic.dawid_skene import DawidSkene

    from crowdkit_core.dataset import load_dataset

    elsewhere = tmp_path / "votes.json"
    elsewhere.write_text(json.dumps(TOY))
    record = json.loads(ok(cli("identify", str(toy), "-s", "spam_score", "--labels", str(elsewhere),
                               "-K", "3", "--maxiter-DS", "2", "--json")).stdout)
    assert record["n_classes"] == 3 and record["parameters"]["on"] == "DS[max_iter=2]"
    assert record["inputs"][0] == str(elsewhere)
    record = json.loads(ok(cli("identify", str(toy), "-s", "trace", "--maxiter-dawid-skene", "3",
                               "--json")).stdout)
    assert record["parameters"]["on"] == "DS[max_iter=3]"
    # peerannot's toy spam scores [0, 1/4, 1, 1] from its own DS matrices (all-zero rows for
    # a class a worker never met), given as a matrix file
    data = load_dataset(toy)
    posteriors = DawidSkene(smoothing=0).fit(data).proba_
    pi = np.zeros((4, 2, 2))
    for t, w, label in zip(data.tasks, data.workers, data.labels):
        pi[w, :, label] += posteriors[t]
    sums = pi.sum(axis=2, keepdims=True)
    np.save(tmp_path / "pi.npy", np.divide(pi, sums, out=np.zeros_like(pi), where=sums > 0))
    ok(cli("identify", str(toy), "-s", "spam_score", "--matrix-file", str(tmp_path / "pi.npy")))
    assert np.load(toy / "identification" / "spam_score.npy") == pytest.approx([0, 0.25, 1, 1], abs=1e-8)


def test_identify_option_errors_are_one_line(cli, toy):
    one_line_error(cli("identify", str(toy), "-s", "entropy", "--maxiter-DS", "3"),
                   "--maxiter-dawid-skene: entropy fits no aggregation strategy")
    one_line_error(cli("identify", str(toy), "-s", "entropy", "--matrix-file", "pi.npy"),
                   "matrix_file")
    for option in ("--n-epochs", "--use-pleiss", "--model", "-optim"):
        result = cli("identify", str(toy), "-s", "WAUM", option, "x")
        one_line_error(result, f"{option}: peerannot's identify uses it for AUM / WAUM only",
                       "entropy[on=DS]")
    assert not (toy / "identification").exists()


def test_worker_arrays_are_indexed_by_integer_worker_id(cli, tmp_path):
    """peerannot sizes per-worker arrays by metadata's n_workers and indexes them by id."""
    answers = {"0": {"0": 1, "1": 0, "3": 1}, "1": {"0": 1, "3": 0}, "2": {"1": 1, "3": 1}}
    folder = peerannot_folder(tmp_path, answers, "gap", n_workers=5)
    ok(cli("identify", str(folder), "-s", "trace_confusion"))
    traces = np.load(folder / "identification" / "traces_confusion.npy")
    rows = (folder / "identification" / "identify_gap_trace_confusion.csv").read_text().splitlines()[1:]
    by_id = {int(r.split(",")[1]): float(r.split(",")[2]) for r in rows}
    assert traces.shape == (5,) and np.isnan(traces[[2, 4]]).all()
    assert traces[[0, 1, 3]] == pytest.approx([by_id[0], by_id[1], by_id[3]], rel=1e-9)
    text_ids = peerannot_folder(tmp_path, {"0": {"a": 1, "b": 0}, "1": {"a": 0}}, "text", n_workers=5)
    ok(cli("identify", str(text_ids), "-s", "trace_confusion"))
    assert np.load(text_ids / "identification" / "traces_confusion.npy").shape == (2,)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))))
def test_by_integer_id_puts_each_value_at_its_id(case):
    from crowdkit_core.peerannot_files import by_integer_id

    declared, present = case
    ids = sorted(present)
    values = np.arange(len(ids), dtype=float) + 0.5
    out = by_integer_id(values, [str(i) for i in ids], declared)
    if len(ids) == declared:
        assert out is values or np.array_equal(out, values)
        return
    assert out.shape == (declared,) and np.array_equal(out[ids], values)
    assert np.isnan(np.delete(out, ids)).all()
    assert by_integer_id(values, [f"w{i}" for i in ids], declared) is values  # text ids: unchanged


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=30, unique=True),
       st.sampled_from(["%i", "%.18e", "%d\t%d"]))
def test_too_hard_files_give_their_task_column(task_ids, fmt):
    from crowdkit_core.dataset.side_files import _second_column

    rows = np.column_stack([np.arange(len(task_ids)) * 7, task_ids])
    buffer = io.StringIO()
    np.savetxt(buffer, rows, fmt=fmt)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    assert _second_column(lines) == [str(t) for t in task_ids]
    assert _second_column([str(t) for t in task_ids]) == [str(t) for t in task_ids]


# -- the *info commands ------------------------------------------------------------------------
def test_info_commands_are_hidden_aliases(cli):
    strategies = json.loads(ok(cli("agginfo", "--json")).stdout)
    kinds = {row["kind"] for row in strategies}
    assert "MV" in {row["name"] for row in strategies} and kinds <= {"aggregation", "trainer"}
    methods = json.loads(ok(cli("identificationinfo", "--json")).stdout)
    assert {row["kind"] for row in methods} == {"identification"}
    assert "krippendorff_alpha" in {row["name"] for row in methods}
    listing = ok(cli("--help")).stdout
    assert "agginfo" not in listing and "identificationinfo" not in listing


def test_an_alias_whose_command_is_missing_names_the_plugin():
    from crowdkit_core.cli.peerannot import expand_alias
    from crowdkit_core.errors import CrowdkitError

    with pytest.raises(CrowdkitError, match="crowd modelinfo .*list-models.*crowdkit-deep"):
        expand_alias(["modelinfo"], ["aggregate"])
    assert expand_alias(["agginfo", "--json"], ["list-strategies"]) == [
        "list-strategies", "--kind", "aggregation", "--kind", "trainer", "--json"]
    assert expand_alias(["aggregate", "x", "--", "--metadata_path"], ["aggregate"])[-1] == "--metadata_path"


# -- simulate ----------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy, extra", [
    ("hammer-spammer", None), ("Student-Teacher", "student_teacher_association.npy"),
    ("independent-confusion", None), ("DISCRETE-DIFFICULTY", "difficulties.npy"),
])
def test_simulate_writes_peerannot_s_files(cli, tmp_path, strategy, extra):
    folder = tmp_path / "sim"
    ratio = [] if strategy == "independent-confusion" else ["-r", "0.3"]  # the one it has no use for
    ok(cli("simulate", "-s", strategy, "--n-worker", "10", "--n-task", "40", "-K", "3", *ratio,
           "--folder", str(folder)))
    answers = json.loads((folder / "answers.json").read_text())
    assert len(answers) == 40 and all(int(w) < 10 and 0 <= v < 3 for a in answers.values() for w, v in a.items())
    meta = json.loads((folder / "metadata.json").read_text())
    assert (meta["n_workers"], meta["n_classes"], meta["n_task"]) == (10, 3, 40)
    truth = np.load(folder / "ground_truth.npy")
    assert truth.shape == (40,) and truth.dtype == np.int64
    matrices = np.load(folder / "matrices.npy")
    assert matrices.shape == (10, 3, 3) and np.allclose(matrices.sum(2), 1)
    if extra == "student_teacher_association.npy":
        pairs = np.load(folder / extra)  # (student id, teacher index)
        assert pairs.shape == (3, 2) and pairs.dtype.kind == "i" and (pairs[:, 0] >= 7).all()
    if extra == "difficulties.npy":
        levels = np.load(folder / extra)
        assert levels.shape == (40,) and levels.dtype.kind == "U"
        assert set(levels.tolist()) <= {"easy", "hard", "random"}


def test_simulate_verbose_prints_every_option(cli, tmp_path):
    out = ok(cli("simulate", "--folder", str(tmp_path / "s"), "--verbose", env={"COLUMNS": "120"})).stdout
    assert "option imbalance_votes" in out and "option seed" in out


# -- reading a peerannot folder ----------------------------------------------------------------
def simulated_by_peerannot(root: Path) -> Path:
    """A folder as peerannot's simulate writes it: answers.json, metadata.json (n_task) and
    the ground truth as ground_truth.npy only (no truth.csv)."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 60)
    answers = {str(t): {str(w): int(truth[t] if rng.random() < 0.8 else rng.integers(0, 3))
                        for w in rng.choice(8, 4, replace=False)} for t in range(60)}
    folder = peerannot_folder(root, answers, "simulation", n_classes=3, n_workers=8, n_task=60)
    np.save(folder / "ground_truth.npy", truth)
    return folder


def test_every_answers_command_reads_a_peerannot_folder_with_ground_truth_npy(cli, tmp_path):
    folder = simulated_by_peerannot(tmp_path)
    stats = json.loads(ok(cli("validate", str(folder), "--json")).stdout)
    assert (stats["n_tasks"], stats["gold_tasks"]) == (60, 60)
    record = json.loads(ok(cli("aggregate", str(folder), "-s", "DS", "--json")).stdout)
    assert record["gold_accuracy"] > 0.8 and record["inputs"][-1] == str(folder / "ground_truth.npy")
    ok(cli("identify", str(folder), "-s", "spam_score"))
    assert np.load(folder / "identification" / "spam_score.npy").shape == (8,)
    scores = json.loads(ok(cli("evaluate", str(folder), "-s", "MV", "-s", "DS", "--json")).stdout)
    assert {run["spec"] for run in scores["datasets"][0]["runs"]} == {"MV", "DS"}


def test_report_reads_a_peerannot_folder(cli, tmp_path):
    pytest.importorskip("matplotlib")
    folder = simulated_by_peerannot(tmp_path)
    paths = json.loads(ok(cli("report", str(folder), "-s", "MV", "-s", "DS", "--json")).stdout)
    html = Path(paths["html"]).read_text()
    assert "60" in html and "DS" in html


def test_ground_truth_npy_must_be_class_indices(cli, toy):
    np.save(toy / "ground_truth.npy", np.array([[0, 1], [1, 0]]))
    one_line_error(cli("validate", str(toy)), "ground_truth.npy: gold labels must be a 1-D array")


# -- install customDataset.py ------------------------------------------------------------------
CUSTOM = '''import json
from pathlib import Path


class CustomDataset:
    def __init__(self):
        self.DIR = Path(__file__).parent.resolve()

    def setfolders(self, no_task, answers_format, answers, metadata, label_names, files_path,
                   train_path, test_ground_truth_format, test_ground_truth, test_path, val_path):
        Path("args.json").write_text(json.dumps([no_task, answers_format, answers, metadata,
            label_names, files_path, train_path, test_ground_truth_format, test_ground_truth,
            test_path, val_path]))
        by_worker = json.loads(Path(answers).read_text())  # format 2: worker -> task
        tasks = {}
        for worker, given in by_worker.items():
            for task, label in given.items():
                tasks.setdefault(task, {})[worker] = label
        Path("answers.json").write_text(json.dumps(tasks))
        Path("metadata.json").write_text(json.dumps({"name": "custom", "n_classes": 2,
                                                     "n_workers": 2, "nb_workers": 2}))
'''


@pytest.fixture
def custom(tmp_path, monkeypatch):
    """peerannot's customDataset.py protocol, run from a work folder as peerannot runs it."""
    installer = tmp_path / "installers" / "customDataset.py"
    installer.parent.mkdir()
    installer.write_text(CUSTOM)
    work = tmp_path / "work"
    work.mkdir()
    (work / "by_worker.json").write_text(json.dumps({"0": {"0": 1, "1": 0}, "1": {"0": 1}}))
    monkeypatch.chdir(work)
    return installer, work


def test_install_custom_dataset_gets_peerannot_s_arguments(cli, custom):
    installer, work = custom
    result = ok(cli("install", str(installer), "--no-task", "--answers-format", "2",
                    "--answers", "by_worker.json", "--json"))
    assert json.loads(result.stdout)["path"] == str(work)
    assert json.loads((work / "args.json").read_text()) == [
        True, 2, "by_worker.json", "", "", "", "", 2, "", "", ""]
    stats = json.loads(ok(cli("validate", str(work), "--json")).stdout)
    assert (stats["n_tasks"], stats["n_answers"]) == (2, 3)


@pytest.mark.parametrize("args, message", [
    (["--no-task"], "--answers FILE is required"),
    (["--answers", "by_worker.json"], "--train-path is required unless --no-task"),
    (["--no-task", "--answers", "by_worker.json", "--answers-format", "json"], "--answers-format 'json' is not an integer"),
    (["--no-task", "--answers", "by_worker.json", "--colour", "red"], "unknown option --colour"),
])
def test_install_custom_dataset_checks_are_one_line(cli, custom, args, message):
    installer, work = custom
    one_line_error(cli("install", str(installer), *args), message)
    assert not (work / "args.json").exists()
