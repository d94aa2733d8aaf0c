"""The seams plugin families build on: kinds, plugin commands, the estimator contract."""

from __future__ import annotations

import inspect
import json
import types

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from crowdkit_core import hookimpl, plugins
from crowdkit_core.aggregator import Aggregator
from crowdkit_core.errors import SpecError
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.identification import Identifier
from crowdkit_core.plugins import PluginRegistry
from crowdkit_core.registry import StrategyInfo
from crowdkit_core.spec import resolve_spec
from crowdkit_core.testing import simulate_dataset


class AnswerCount(Identifier):
    """Scores each worker by how many answers they gave (a test identifier)."""

    reference = "test"
    axis = "worker"
    outputs = (Output("scores_", "worker", ("n_workers",), "answers given"),)

    def _fit(self, dataset):
        self.scores_ = dataset.answers_per_worker.astype(float)


class NotAnAggregator:
    """Registered as aggregation although it is not one."""


def registry_with(*modules: types.ModuleType) -> PluginRegistry:
    registry = PluginRegistry()
    for i, module in enumerate(modules):
        registry.add_plugin(module, f"extra{i}", f"dist-{i}")
    return registry


def strategies_module(*infos: StrategyInfo) -> types.ModuleType:
    module = types.ModuleType("extra_strategies")

    @hookimpl
    def crowdkit_register_strategies(register):
        for info in infos:
            register(info)

    module.crowdkit_register_strategies = crowdkit_register_strategies
    return module


def commands_module(function) -> types.ModuleType:
    module = types.ModuleType("extra_commands")
    module.crowdkit_register_commands = hookimpl(function)
    return module


@pytest.fixture
def use_registry():
    def install(registry: PluginRegistry) -> PluginRegistry:
        plugins.reset_registry(registry)
        return registry

    yield install
    plugins.reset_registry()


# -- kinds -------------------------------------------------------------------------------------
def test_a_strategy_of_another_kind_names_the_command_that_runs_it():
    registry = registry_with(strategies_module(StrategyInfo(
        "Count", f"{__name__}:AnswerCount", kind="identification")))
    with pytest.raises(SpecError, match="Count is an identification strategy.*`crowd identify`"):
        resolve_spec("Count", registry, kind="aggregation")
    assert resolve_spec("Count", registry, kind="identification").strategy_class is AnswerCount


def test_a_class_outside_its_kind_is_reported_as_the_plugin_s_fault():
    registry = registry_with(strategies_module(StrategyInfo("Fake", f"{__name__}:NotAnAggregator")))
    with pytest.raises(SpecError, match="not a Aggregator subclass; report this"):
        resolve_spec("Fake", registry, kind="aggregation")


def test_unknown_kinds_are_rejected_at_registration():
    with pytest.raises(ValueError, match="unknown kind 'deep'"):
        StrategyInfo("X", "m:X", kind="deep")


def test_list_strategies_groups_and_filters_by_kind(use_registry):
    from crowdkit_core.cli.app import create_app

    use_registry(registry_with(strategies_module(StrategyInfo(
        "Count", f"{__name__}:AnswerCount", "answers per worker", kind="identification"))))
    runner = CliRunner()
    listing = runner.invoke(create_app(), ["list-strategies"], env={"COLUMNS": "80"}).stdout
    assert "Aggregation strategies" in listing and "Identification strategies" in listing
    only = json.loads(runner.invoke(create_app(), ["list-strategies", "--kind", "identification",
                                                   "--json"]).stdout)
    assert "Count" in [r["name"] for r in only] and {r["kind"] for r in only} == {"identification"}
    bad = runner.invoke(create_app(), ["list-strategies", "--kind", "deep"])
    assert bad.exit_code == 2 and "not a strategy kind" in bad.stderr


@pytest.mark.parametrize("command", [["list-strategies"], ["describe", "PlantNet"], ["plugins"]])
def test_listings_fit_in_80_columns(command):
    from crowdkit_core.cli.app import create_app

    result = CliRunner().invoke(create_app(), command, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    too_wide = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert not too_wide, too_wide
    if command == ["list-strategies"]:
        rows = [line for line in result.stdout.splitlines() if line.startswith("│ ")]
        assert len(rows) == len(PluginRegistry().strategies()), "one line per strategy"


# -- plugin commands ---------------------------------------------------------------------------
def test_a_plugin_adds_a_command(use_registry):
    from crowdkit_core.cli.app import create_app

    def add(app: typer.Typer) -> None:
        @app.command("hello")
        def hello(name: str = "crowd") -> None:
            """Say hello (a plugin command)."""
            typer.echo(f"hello {name}")

    registry = use_registry(registry_with(commands_module(add)))
    result = CliRunner().invoke(create_app(), ["hello", "--name", "you"])
    assert result.exit_code == 0 and result.stdout == "hello you\n"
    assert registry.statuses[-1].commands == ["hello"]


@pytest.mark.parametrize("mode", ["clash", "raise"])
def test_a_broken_command_plugin_never_breaks_the_cli(use_registry, mode):
    from crowdkit_core.cli.app import create_app

    def add(app: typer.Typer) -> None:
        app.command("aggregate" if mode == "clash" else "half")(lambda: None)
        if mode == "raise":
            raise RuntimeError("boom")

    registry = use_registry(registry_with(commands_module(add)))
    app = create_app()
    status = registry.statuses[-1]
    assert status.status == "error" and status.commands == []
    assert ("already exists" if mode == "clash" else "RuntimeError: boom") in status.error
    names = [c.name for c in app.registered_commands]
    assert names.count("aggregate") == 1 and "half" not in names
    assert CliRunner().invoke(app, ["list-strategies"]).exit_code == 0


# -- the estimator contract ----------------------------------------------------------------------
def test_constructor_signature_comes_from_the_parameter_model():
    from crowdkit_classic.dawid_skene import DawidSkene

    signature = inspect.signature(DawidSkene)
    assert signature.parameters["max_iter"].default == 100
    assert signature.parameters["tol"].kind is inspect.Parameter.KEYWORD_ONLY
    assert set(signature.parameters) == set(DawidSkene.Params.model_fields)


def test_names_come_from_the_registration():
    from crowdkit_classic.mmsr import MMSR

    assert MMSR.name == "M-MSR" and MMSR(max_iter=5).spec == "M-MSR[max_iter=5]"
    assert AnswerCount.name == "AnswerCount", "unregistered classes use their class name"


def test_refit_starts_from_a_clean_state():
    from crowdkit_classic.majority_vote import MajorityVote

    model = MajorityVote().fit(simulate_dataset(n_tasks=40))
    model.leftover_ = "from the first fit"
    model.fit(simulate_dataset(n_tasks=25, seed=1))
    assert model.proba_.shape[0] == model.labels_.shape[0] == 25
    assert not hasattr(model, "leftover_")


def test_n_iter_is_accepted_for_max_iter():
    from crowdkit_classic.zbs import ZBS

    assert ZBS(n_iter=7).params.max_iter == 7
    assert ZBS(n_iter=7).spec == "ZBS[max_iter=7]"


def test_fit_time_inputs_are_declared():
    from crowdkit_classic.dawid_skene import DawidSkene
    from crowdkit_classic.majority_vote import MajorityVote

    data = simulate_dataset()
    with pytest.raises(TypeError, match="does not use gold labels"):  # DS does, since issue 13
        MajorityVote().fit(data, gold=np.zeros(data.n_tasks, dtype=int))
    with pytest.raises(TypeError, match="unknown input 'authors'"):
        DawidSkene().fit(data, authors=[None] * data.n_tasks)


def test_declared_outputs_drive_the_details():
    from crowdkit_classic.two_third import TwoThird

    data = simulate_dataset(answers_per_task=2)
    model = TwoThird().fit(data)
    details = model.details(data.task_ids, data.worker_ids)
    assert set(details["tasks"]) == {"valid"} and "proba" not in details.get("tasks", {})
    assert details["task_lists"]["too_hard"] == [str(data.task_ids[i]) for i in model.too_hard_]
    assert TwoThird.tags.can_abstain


def test_outputs_must_be_well_formed():
    with pytest.raises(ValueError, match="end in '_'"):
        Output("scores", "worker", ("n_workers",), "x")
    with pytest.raises(ValueError, match="starts with n_tasks"):
        Output("s_", "task", ("K",), "x")


def test_identifiers_rank_from_least_reliable():
    data = simulate_dataset()
    model = AnswerCount().fit(data)
    order = model.ranking()
    assert model.scores_[order[0]] == model.scores_.min() and model.kind == "identification"


def test_tags_are_frozen_values():
    assert Tags().max_classes is None and Aggregator.tags == Tags()


# -- the application layer: fit-time inputs and plugin bugs --------------------------------------
class Crashing(Aggregator):
    """Raises inside fit, as a buggy plugin would."""

    reference = "test"

    def _fit(self, dataset):
        raise ZeroDivisionError("oops")


def test_a_crashing_strategy_is_a_bug_report_not_a_user_error(use_registry):
    from crowdkit_core.cli.app import create_app

    use_registry(registry_with(strategies_module(StrategyInfo("Crash", f"{__name__}:Crashing"))))
    result = CliRunner().invoke(create_app(), ["aggregate", "bundled:labelme", "-s", "Crash"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ZeroDivisionError: oops" in lines[0]
    assert "plugin 'extra0'" in lines[0] and "bug in the strategy" in lines[0]
    assert "Traceback" not in result.output


def test_task_data_files_reach_fit_and_are_fingerprinted(tmp_path):
    from crowdkit_core.cli.app import create_app

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "answers.csv").write_text(
        "task,worker,label\nt1,a,0\nt1,b,1\nt2,a,1\nt2,b,1\nt3,a,0\nt3,b,0\n")
    (folder / "ai.json").write_text(json.dumps({"t1": 1, "t2": 1, "t3": 0}))
    runner = CliRunner()

    def run(*extra):
        result = runner.invoke(create_app(), ["aggregate", str(folder), "-s", "PlantNet[ai=fixed]",
                                              "--hard", "--json", "-o", str(tmp_path / "out"), *extra])
        return result

    with_ai = run("--task-data", f"ai_predictions={folder / 'ai.json'}")
    assert with_ai.exit_code == 0, with_ai.stderr
    record = json.loads(with_ai.stdout)
    assert str(folder / "ai.json") in record["inputs"]
    assert "ai_predictions" not in record["parameters"]
    without = json.loads(run().stdout)
    assert without["input_sha256"] != record["input_sha256"]
    bad = run("--task-data", "author=x.json")
    assert bad.exit_code == 2 and "PlantNet has no per-task input 'author'" in bad.stderr
    malformed = run("--task-data", "authors")
    assert malformed.exit_code == 2 and "write NAME=FILE" in malformed.stderr


def test_aggregate_refuses_another_kind(use_registry):
    from crowdkit_core.cli.app import create_app

    use_registry(registry_with(strategies_module(StrategyInfo(
        "Count", f"{__name__}:AnswerCount", kind="identification"))))
    result = CliRunner().invoke(create_app(), ["aggregate", "bundled:labelme", "-s", "Count"])
    assert result.exit_code == 2 and "run it with `crowd identify`" in result.stderr


# -- the dataset hook ----------------------------------------------------------------------------
def test_a_third_party_plugin_registers_a_dataset_installer(use_registry):
    from crowdkit_core.cli.app import create_app
    from crowdkit_core.registry import DatasetInfo

    module = types.ModuleType("extra_datasets")

    @hookimpl
    def crowdkit_register_datasets(register):
        register(DatasetInfo("tinyset", "extra_datasets:Installer", "a tiny dataset",
                             aliases=("tiny_set",)))

    module.crowdkit_register_datasets = crowdkit_register_datasets
    registry = use_registry(registry_with(module))
    (info,) = [d for d in registry.datasets() if d.plugin == "extra0"]
    assert (info.name, info.aliases, info.plugin, info.distribution) == (
        "tinyset", ("tiny_set",), "extra0", "dist-0")
    rows = json.loads(CliRunner().invoke(create_app(), ["plugins", "--json"]).stdout)
    assert next(r for r in rows if r["name"] == "extra0")["datasets"] == ["tinyset"]
    clash = types.ModuleType("clash")
    clash.crowdkit_register_datasets = lambda register: register(DatasetInfo("TinySet", "m:I"))
    status = registry.add_plugin(clash, "clash")
    assert status.status == "error" and "dataset name 'TinySet' is already registered" in status.error
    with pytest.raises(ValueError, match="invalid dataset name"):
        DatasetInfo("bad name", "m:I")


def test_the_wrong_kind_error_is_one_line(use_registry):
    registry = registry_with(strategies_module(StrategyInfo(
        "Count", f"{__name__}:AnswerCount", kind="identification")))
    with pytest.raises(SpecError) as error:
        resolve_spec("Count[seed=1]", registry, kind="aggregation")
    assert "\n" not in str(error.value)


def test_results_of_a_resolved_name_never_go_into_the_resolved_folder(use_registry, tmp_path,
                                                                      monkeypatch):
    from crowdkit_core.cli.app import create_app
    from crowdkit_core.registry import ResolverInfo

    data = tmp_path / "installed" / "mydata"
    data.mkdir(parents=True)
    (data / "answers.csv").write_text("task,worker,label\nt1,a,x\nt1,b,x\nt2,a,y\n")
    module = types.ModuleType("extra_resolver")
    module.resolve = lambda name: data if name == "mydata" else None
    module.crowdkit_register_dataset_resolvers = lambda register: register(
        ResolverInfo("mine", "extra_resolver:resolve", bare_names=True))
    monkeypatch.setitem(__import__("sys").modules, "extra_resolver", module)
    use_registry(registry_with(module))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for argument in ("mydata", "mine:mydata"):
        result = CliRunner().invoke(create_app(), ["aggregate", argument, "-s", "MV"])
        assert result.exit_code == 0, result.stderr
    assert (work / "labels" / "labels_mydata_mv.npy").is_file()
    assert not (data / "labels").exists()
    direct = CliRunner().invoke(create_app(), ["aggregate", str(data), "-s", "MV"])
    assert direct.exit_code == 0 and (data / "labels" / "labels_mydata_mv.npy").is_file()


def test_describe_shows_outputs_inputs_and_tags():
    from crowdkit_core.cli.app import create_app

    runner = CliRunner()
    text = runner.invoke(create_app(), ["describe", "PlantNet"], env={"COLUMNS": "80"}).stdout
    assert "too_hard_ (task_list, shape (n,))" in text and "Per-task inputs" in text
    assert "Tags: classes 2-any, can abstain, iterative" in text
    data = json.loads(runner.invoke(create_app(), ["describe", "KOS", "--json"]).stdout)
    assert data["tags"]["max_classes"] == 2 and data["fit_inputs"] == []
    assert {o["name"] for o in data["outputs"]} >= {"proba_", "labels_", "skills_"}


def test_error_messages_keep_colon_names_as_text():
    from crowdkit_core.cli.app import create_app

    result = CliRunner().invoke(create_app(), ["aggregate", "nope:x:", "-s", "MV"])
    assert result.exit_code == 2 and "nope:x:" in result.stderr and "❌" not in result.stderr


@pytest.mark.parametrize("raised, code, text", [
    (ZeroDivisionError("oops"), 1, "command of plugin 'extra0', dist-0 failed: ZeroDivisionError: oops"),
    (SpecError("bad spec for the plugin"), 2, "bad spec for the plugin"),
    (typer.Exit(3), 3, ""),
    (typer.BadParameter("needs a value"), 2, "needs a value"),
])
def test_a_crashing_plugin_command_prints_one_line(use_registry, raised, code, text):
    from crowdkit_core.cli.app import create_app

    def add(app: typer.Typer) -> None:
        group = typer.Typer(name="extra", help="A plugin's command group.")

        @group.command("boom")
        def boom() -> None:
            """Fail."""
            raise raised

        app.add_typer(group)

    use_registry(registry_with(commands_module(add)))
    result = CliRunner().invoke(create_app(), ["extra", "boom"])
    assert result.exit_code == code
    assert "Traceback" not in result.output
    if text:
        assert text in result.output
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1
