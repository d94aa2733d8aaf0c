"""The ``crowd`` commands, run in-process as a user would."""

from __future__ import annotations

import json

import numpy as np


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and "crowdkit-core" in result.stdout


def test_help_lists_every_command(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("list-strategies", "describe", "plugins", "validate", "aggregate"):
        assert command in result.stdout


def test_list_strategies_json_and_pattern(cli, monkeypatch):
    from crowdkit_core.cli import common

    monkeypatch.setattr(common.stdout, "width", 200)
    result = cli("list-strategies", "--json")
    names = {row["name"] for row in json.loads(result.stdout)}
    assert {"MV", "NaiveSoft"} <= names
    only = json.loads(cli("list-strategies", "naive*", "--json").stdout)
    assert [row["name"] for row in only] == ["NaiveSoft"]
    table = cli("list-strategies").stdout
    assert "MV" in table and "crowdkit-classic" in table


def test_describe(cli):
    result = cli("describe", "majority_voting")
    assert result.exit_code == 0
    assert "ties" in result.stdout and "Reference" in result.stdout
    data = json.loads(cli("describe", "mv", "--json").stdout)
    assert data["name"] == "MV" and {p["name"] for p in data["parameters"]} >= {"ties", "seed"}
    assert "properties" in data["json_schema"]


def test_plugins(cli):
    rows = json.loads(cli("plugins", "--json").stdout)
    classic = next(r for r in rows if r["name"] == "classic")
    assert classic["status"] == "loaded" and classic["distribution"] == "crowdkit-classic"
    assert {"MV", "DS", "GLAD"} <= set(classic["strategies"])
    builtins = next(r for r in rows if r["name"] == "builtins")
    assert builtins["resolvers"] == ["bundled", "installed"] and "csv" in builtins["readers"]


def test_validate_bundled(cli):
    result = cli("validate", "bundled:labelme", "--json")
    stats = json.loads(result.stdout)
    assert stats["n_tasks"] == 1000 and stats["n_answers"] == 2547 and stats["gold_tasks"] == 1000
    assert "OK" in cli("validate", "bundled:music").stdout


def test_aggregate_peerannot_layout(cli, tmp_path):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "answers.json").write_text(json.dumps({"0": {"a": 1, "b": 1, "c": 0}, "1": {"a": 0, "b": 0}}))
    (folder / "metadata.json").write_text(json.dumps({"name": "toy", "n_classes": 2}))
    result = cli("aggregate", str(folder), "-s", "MV")
    assert result.exit_code == 0, result.stderr
    soft = np.load(folder / "labels" / "labels_toy_mv.npy")
    assert soft.tolist() == [[0.0, 1.0], [1.0, 0.0]]
    result = cli("aggregate", str(folder), "-s", "NaiveSoft", "--hard")
    hard = np.load(folder / "labels" / "labels_toy_naivesoft.npy")
    assert hard.dtype.kind == "i" and hard.tolist() == [1, 0]
    prov = json.loads((folder / "labels" / "labels_toy_naivesoft.provenance.json").read_text())
    assert prov["strategy"] == "NaiveSoft" and prov["hard"] is True and len(prov["input_sha256"]) == 64
    assert prov["distribution"] == "crowdkit-classic" and prov["n_answers"] == 5


def test_aggregate_csv_json_formats_and_params(cli, tmp_path):
    result = cli("aggregate", "bundled:music", "-s", "MV", "-p", "ties=lowest", "--format", "csv",
                 "--hard", "-o", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    prov = json.loads(result.stdout)
    assert prov["strategy"] == "MV[ties=lowest]"
    assert abs(prov["gold_accuracy"] - 0.71) < 1e-9  # published lowest-label MV on music
    lines = (tmp_path / "labels_music_mv[ties=lowest].csv").read_text().splitlines()
    assert lines[0] == "task,label" and len(lines) == 701
    assert lines[1].split(",")[1] in {str(i) for i in range(1, 11)}
    cli("aggregate", "bundled:labelme", "-s", "NaiveSoft", "-f", "json", "-o", str(tmp_path))
    soft = json.loads((tmp_path / "labels_labelme_naivesoft.json").read_text())
    assert set(soft["0"]) == {"coast", "forest", "highway", "insidecity", "mountain", "opencountry",
                              "street", "tallbuilding"}


def test_seed_option_changes_ties_reproducibly(cli, tmp_path):
    outs = []
    for seed in ("1", "1", "2"):
        cli("aggregate", "bundled:labelme", "-s", "MV", "--hard", "--seed", seed, "-o", str(tmp_path / seed))
        outs.append(np.load(next((tmp_path / seed).glob("*.npy"))))
    assert np.array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], outs[2])  # labelme has many ties


def test_path_remove(cli, tmp_path):
    remove = tmp_path / "remove.txt"
    remove.write_text("0\n5\n")
    result = cli("aggregate", "bundled:labelme", "-s", "MV", "--hard", "--path-remove", str(remove),
                 "-o", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    labels = np.load(tmp_path / "labels_labelme_mv.npy")
    assert labels[0] == -1 and labels[5] == -1 and (labels[1:5] >= 0).all()
    assert json.loads(result.stdout)["tasks_removed"] == 2


def test_plugin_failure_is_reported_not_fatal(cli, monkeypatch):
    monkeypatch.setenv("CROWDKIT_DISABLE_PLUGINS", "naive_soft")
    result = cli("list-strategies", "--json")
    assert result.exit_code == 0
    names = [r["name"] for r in json.loads(result.stdout)]
    assert "MV" in names and "NaiveSoft" not in names
    result = cli("aggregate", "bundled:labelme", "-s", "NaiveSoft")
    assert result.exit_code == 2 and "unknown strategy 'NaiveSoft'" in result.stderr


def test_details_file_for_abstaining_strategy(cli, tmp_path):
    result = cli("aggregate", "bundled:labelme", "-s", "TwoThird", "--hard", "-o", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    prov = json.loads(result.stdout)
    assert abs(prov["gold_accuracy"] - 0.820) < 1e-3 and abs(prov["gold_coverage"] - 0.829) < 1e-9
    details = json.loads((tmp_path / "labels_labelme_twothird.details.json").read_text())
    labels = np.load(tmp_path / "labels_labelme_twothird.npy")
    too_hard = details["task_lists"]["too_hard"]
    assert len(too_hard) == int((labels == -1).sum()) == 171
    assert all(labels[int(t)] == -1 for t in too_hard)
    assert details["tasks"]["valid"]["0"] == bool(labels[0] >= 0)


def test_worker_details_for_ds(cli, tmp_path):
    result = cli("aggregate", "bundled:labelme", "-s", "DS[max_iter=5]", "-o", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    details = json.loads((tmp_path / "labels_labelme_ds[max_iter=5].details.json").read_text())
    matrices = details["workers"]["confusion_matrices"]
    assert len(matrices) == 59 and len(next(iter(matrices.values()))) == 8


def test_broken_plugin_warns_but_commands_work(monkeypatch):
    """A plugin that fails to import: one warning line, other strategies still run."""
    from importlib import metadata

    from typer.testing import CliRunner

    from crowdkit_core import plugins
    from crowdkit_core.cli.app import create_app

    broken = metadata.EntryPoint(name="broken", value="no_such_module_xyz.plugin", group="crowdkit")
    real = list(metadata.entry_points(group="crowdkit"))
    plugins.reset_registry(plugins.PluginRegistry(entry_points=real + [broken]))
    try:
        runner = CliRunner()
        result = runner.invoke(create_app(), ["list-strategies", "--json"])
        assert result.exit_code == 0
        assert "MV" in {r["name"] for r in json.loads(result.stdout)}
        warning = [line for line in result.stderr.splitlines() if "broken" in line]
        assert len(warning) == 1 and "ModuleNotFoundError" in warning[0] and "crowd plugins" in warning[0]
        status = json.loads(runner.invoke(create_app(), ["plugins", "--json"]).stdout)
        assert {s["name"]: s["status"] for s in status}["broken"] == "error"
    finally:
        plugins.reset_registry()


def test_iteration_callback_and_history():
    """Iterative strategies report every iteration to the callback the CLI's progress bar uses."""
    from crowdkit_core.dataset import load_dataset
    from crowdkit_core.spec import resolve_spec

    data = load_dataset("bundled:labelme")
    for spec in ("DS[max_iter=7,tol=0]", "GLAD[max_iter=3,tol=0]", "IWMV"):
        seen: list[tuple[int, float]] = []
        model = resolve_spec(spec).build().fit(data, on_iteration=lambda i, obj: seen.append((i, obj)))
        assert [i for i, _ in seen] == list(range(1, model.n_iter_ + 1))
        assert [obj for _, obj in seen] == model.history_
        assert model.n_iter_ >= 1


def test_bad_format_fails_before_any_work(cli, tmp_path):
    result = cli("aggregate", "bundled:music", "-f", "xml", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "--format 'xml' is not supported" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_progress_bar_on_a_terminal(cli, tmp_path, monkeypatch):
    """On a terminal the rich progress bar runs from the fit's iteration callback."""
    from crowdkit_core.cli import common

    monkeypatch.setattr(common.stderr, "_force_terminal", True)
    result = cli("aggregate", "bundled:labelme", "-s", "DS[max_iter=3]", "-o", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["n_iter"] == 3


def test_gold_file_is_fingerprinted(cli, tmp_path):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "answers.json").write_text(json.dumps({"0": {"a": 1, "b": 1}, "1": {"a": 0, "b": 0}}))
    sums = []
    for gold in ("task,label\n0,1\n", "task,label\n0,0\n"):
        (folder / "truth.csv").write_text(gold)
        prov = json.loads(cli("aggregate", str(folder), "-s", "MV", "--json").stdout)
        assert prov["inputs"][-1] == str(folder / "truth.csv")
        sums.append(prov["input_sha256"])
    assert sums[0] != sums[1]


def test_help_shows_bracketed_spec_examples(cli):
    """Rich markup would swallow an unescaped ``[max_iter=50,...]`` in option help."""
    assert "DS[max_iter=50,tol=1e-5]" in cli("aggregate", "--help", terminal_width=200).stdout
    assert "entropy[on=DS]" in cli("identify", "--help", terminal_width=200).stdout
