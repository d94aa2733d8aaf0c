"""``crowd new-plugin``: names, the generated files of each kind, the skeleton's one-line
error, and (slow) a generated plugin implemented, pip-installed and used through ``crowd``."""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from _plugin_skeletons import generate, implement, skeleton_path
from crowdkit_core.errors import CrowdkitError, NotImplementedYet
from crowdkit_core.plugins import PluginRegistry, reset_registry
from crowdkit_core.scaffold import PLUGIN_KINDS, plugin_names, render_plugin

BASES = {"aggregation": "crowdkit_core.aggregator:Aggregator",
         "identification": "crowdkit_core.identification:Identifier",
         "dataset": "crowdkit_core.installers:DatasetInstaller"}


@pytest.mark.parametrize("name, expected", [
    ("my-vote", ("crowdkit-my-vote", "crowdkit_my_vote", "my_vote", "MyVote")),
    ("my_vote", ("crowdkit-my-vote", "crowdkit_my_vote", "my_vote", "MyVote")),
    ("SharpVote", ("crowdkit-sharpvote", "crowdkit_sharpvote", "sharpvote", "SharpVote")),
    ("x2", ("crowdkit-x2", "crowdkit_x2", "x2", "X2")),
])
def test_names_derive_from_name(name, expected):
    names = plugin_names(name)
    assert (names.distribution, names.package, names.entry_point, names.class_name) == expected
    assert names.registered_name == expected[3]
    assert plugin_names(name, "dataset").registered_name == expected[2]


@pytest.mark.parametrize("name, fragment", [
    ("2vote", "starting with a letter"), ("my vote", "letters and digits"),
    ("my--vote", "letters and digits"), ("vote-", "letters and digits"),
    ("crowdkit-vote", "leave out the 'crowdkit' prefix"), ("classic", "crowdkit's own"),
    ("a" * 41, "at most 40"), ("", "letters and digits"),
])
def test_bad_names_are_refused_in_one_line(name, fragment):
    with pytest.raises(CrowdkitError, match=fragment) as error:
        plugin_names(name)
    assert "\n" not in str(error.value)


def test_cli_errors_are_one_line_with_exit_2(cli, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    for args, fragment in [
        (["new-plugin", "2vote"], "starting with a letter"),
        (["new-plugin", "vote", "--kind", "trainer"], "use one of aggregation, identification, dataset"),
        (["new-plugin", "mv"], "already registered by crowdkit-classic"),
        (["new-plugin", "labelme", "--kind", "dataset"], "dataset name 'labelme' is already registered"),
        (["new-plugin", "vote", "--dir", str(tmp_path / "full")], "exists and is not empty"),
    ]:
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert result.stderr.count("\n") == 1 and fragment in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["keep.txt"]


def test_force_overwrites_generated_files_and_keeps_others(cli, tmp_path):
    target = tmp_path / "plugin"
    assert cli("new-plugin", "vote", "--dir", str(target)).exit_code == 0
    (target / "NOTES.md").write_text("mine")
    (target / "README.md").write_text("edited")
    result = cli("new-plugin", "vote", "--dir", str(target), "--force", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["distribution"] == "crowdkit-vote" and data["folder"] == str(target)
    assert (target / "NOTES.md").read_text() == "mine"
    assert (target / "README.md").read_text() != "edited"
    assert not [p for p in target.iterdir() if p.name.startswith(".crowdkit-tx")]


@pytest.mark.parametrize("kind", PLUGIN_KINDS)
def test_generation_is_deterministic(kind, tmp_path):
    one = generate("same", kind, tmp_path / "a")
    two = generate("same", kind, tmp_path / "b")
    files = sorted(p.relative_to(one.folder) for p in one.folder.rglob("*") if p.is_file())
    assert [str(p) for p in files] == sorted(one.files) == sorted(two.files)
    for path in files:
        assert (one.folder / path).read_bytes() == (two.folder / path).read_bytes()
    rendered = render_plugin(plugin_names("same", kind))
    assert all(str(tmp_path) not in data.decode() for data in rendered.values())


@pytest.mark.parametrize("kind", PLUGIN_KINDS)
def test_generated_code_passes_pyflakes_and_compiles(kind, tmp_path):
    from pyflakes.api import check
    from pyflakes.reporter import Reporter

    plugin = generate("flaky", kind, tmp_path)
    sources = sorted(plugin.folder.rglob("*.py"))
    assert len(sources) == 4  # __init__, registration, the class, the test
    out, err = io.StringIO(), io.StringIO()
    warnings = sum(check(p.read_text(), str(p), Reporter(out, err)) for p in sources)
    assert warnings == 0, out.getvalue() + err.getvalue()
    for path in sources:
        compile(path.read_text(), str(path), "exec")


@pytest.mark.parametrize("kind", PLUGIN_KINDS)
def test_generated_pyproject_and_readme(kind, tmp_path):
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    plugin = generate("flaky", kind, tmp_path)
    project = tomllib.loads((plugin.folder / "pyproject.toml").read_text())["project"]
    assert project["name"] == "crowdkit-flaky"
    assert project["entry-points"]["crowdkit"] == {"flaky": "crowdkit_flaky.registration"}
    assert any(d.startswith("crowdkit-core") for d in project["dependencies"])
    readme = (plugin.folder / "README.md").read_text()
    assert "pip install -e" in readme and "pytest" in readme and "twine upload" in readme


@pytest.fixture
def imported(monkeypatch):
    """Import a generated plugin's modules from its folder; forgotten again afterwards."""
    loaded: list[str] = []

    def load(plugin, module):
        monkeypatch.syspath_prepend(str(plugin.folder))
        loaded.append(plugin.names.package)
        return importlib.import_module(f"{plugin.names.package}.{module}")

    yield load
    for name in [m for m in sys.modules if any(m.split(".")[0] == p for p in loaded)]:
        del sys.modules[name]


@pytest.mark.parametrize("kind", PLUGIN_KINDS)
def test_each_kind_registers_a_class_of_its_base(kind, tmp_path, imported):
    from crowdkit_core.registry import load_target

    plugin = generate(f"reg-{kind[:3]}", kind, tmp_path)
    registration = imported(plugin, "registration")
    registered = []
    for hook in ("crowdkit_register_strategies", "crowdkit_register_datasets"):
        if hasattr(registration, hook):
            getattr(registration, hook)(registered.append)
    [info] = registered
    assert info.name == plugin.names.registered_name
    cls = info.load()
    assert issubclass(cls, load_target(BASES[kind])) and cls.__name__ == plugin.names.class_qualname
    if kind != "dataset":
        assert info.kind == kind
        field = cls.Params.model_fields["smoothing"]
        assert field.annotation is float and field.description
        assert cls.__doc__ and cls._fit.__doc__
    else:
        assert cls.options and cls.files and cls.build.__doc__


@pytest.mark.parametrize("kind", PLUGIN_KINDS)
def test_skeleton_says_it_is_not_implemented(kind, tmp_path, imported):
    plugin = generate(f"todo-{kind[:3]}", kind, tmp_path)
    registration = imported(plugin, "registration")
    registry = PluginRegistry(entry_points=[])
    registry.add_plugin(registration, plugin.names.entry_point, plugin.names.distribution, "0.1.0")
    reset_registry(registry)
    try:
        if kind == "dataset":
            from crowdkit_core.install.jobs import run_installer
            from crowdkit_core.testing.fileserver import FileServer

            cls = registry.get_dataset(plugin.names.registered_name).load()
            with FileServer({cls.files[0].url.split("://", 1)[1]: b"task,worker,label\n"}) as server:
                os.environ["CROWDKIT_DATASETS_BASE_URL"] = server.url
                try:
                    with pytest.raises(NotImplementedYet) as error:
                        run_installer(cls, plugin.names.registered_name, directory=tmp_path / "home",
                                      options={})
                finally:
                    del os.environ["CROWDKIT_DATASETS_BASE_URL"]
            method = "build"
        else:
            from crowdkit_core.testing import simulate_dataset

            cls = registry.get_strategy(plugin.names.registered_name).load()
            with pytest.raises(NotImplementedYet) as error:
                cls().fit(simulate_dataset())
            method = "_fit"
    finally:
        reset_registry()
    assert str(error.value) == (f"{plugin.names.registered_name} is not implemented yet: write "
                                f"{method} in {skeleton_path(plugin)}")
    assert error.value.exit_code == 1 and isinstance(error.value, NotImplementedError)


def test_unimplemented_strategy_is_one_cli_line(cli, tmp_path, imported):
    """`crowd aggregate data -s NAME` on the skeleton: one line naming the file, exit 1 (the
    plugin is incomplete; the input is fine), no traceback, nothing written."""
    plugin = generate("pending", "aggregation", tmp_path)
    registry = PluginRegistry()
    registry.add_plugin(imported(plugin, "registration"), "pending", "crowdkit-pending", "0.1.0")
    reset_registry(registry)
    out = tmp_path / "labels"
    result = cli("aggregate", "bundled:music", "-s", "Pending", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == (f"Error: Pending is not implemented yet: write _fit in "
                             f"{skeleton_path(plugin)}\n")
    assert not out.exists()


def test_generated_tests_fail_in_one_line_until_written(tmp_path):
    """The skeleton's own suite: the checks that need no fit pass, each one that fits fails
    with the one-line 'not implemented yet' (crowdkit's pytest plugin), never a traceback."""
    plugin = generate("unwritten", "aggregation", tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin.folder), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k",
                          "conformance"],
                         capture_output=True, text=True, cwd=plugin.folder, env=env, timeout=300)
    assert run.returncode == 1, run.stdout[-2000:]
    message = f"Unwritten is not implemented yet: write _fit in {skeleton_path(plugin)}"
    failures = run.stdout.split("= FAILURES =", 1)[1].split("short test summary", 1)[0]
    blocks = [b for b in failures.split("\n_") if "test_conformance" in b]
    assert blocks and all(message in b for b in blocks)
    assert "Traceback" not in failures and "raise NotImplementedYet" not in failures
    assert " passed" in run.stdout.splitlines()[-1]  # params_model, spec_round_trip, ...


def _venv_with_host_packages(venv: Path) -> Path:
    """A new venv (no pip of its own) that sees this environment's site-packages through a
    .pth file, so installing into it needs no network; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    import site

    parents = [p for p in [*site.getsitepackages(), site.getusersitepackages()] if os.path.isdir(p)]
    Path(purelib, "_crowdkit_host.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n")
    return python


@pytest.mark.slow
def test_generated_plugins_implemented_installed_and_used(tmp_path):
    """The issue's scenario for each kind: generate, write the skeleton's body, pip-install into
    a temporary venv (offline), run the plugin's own tests there, and use it through `crowd`;
    the outer environment never sees it."""
    plugins = {kind: generate(name, kind, tmp_path / "src")
               for kind, name in [("aggregation", "share-vote"), ("identification", "agree-score"),
                                  ("dataset", "tiny-birds")]}
    for plugin in plugins.values():
        implement(plugin)
    python = _venv_with_host_packages(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROWDKIT_")}
    env["CROWDKIT_DATA_HOME"] = str(tmp_path / "home")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "--disable-pip-version-check",
                    *(str(p.folder) for p in plugins.values())], check=True, env=env)

    def crowd(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), "-m", "crowdkit_core", *args], capture_output=True,
                              text=True, env=env, cwd=tmp_path)

    for plugin in plugins.values():  # each plugin's own suite, conformance kit included
        tests = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                               capture_output=True, text=True, env=env, cwd=plugin.folder)
        assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
        assert " passed" in tests.stdout and "failed" not in tests.stdout
    listing = {row["name"]: row for row in json.loads(crowd("list-strategies", "--json").stdout)}
    assert listing["ShareVote"]["distribution"] == "crowdkit-share-vote"
    assert listing["AgreeScore"]["kind"] == "identification"
    result = crowd("aggregate", "bundled:music", "-s", "ShareVote[smoothing=0.5]", "-o", "labels",
                   "-f", "csv")
    assert result.returncode == 0, result.stderr
    [labels] = (tmp_path / "labels").glob("*.csv")
    rows = labels.read_text().splitlines()
    assert len(rows) == 701 and rows[0].startswith("task,label")  # header + music's 700 tasks
    result = crowd("identify", "bundled:music", "-s", "AgreeScore", "-o", "scores")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "scores").rglob("*.npy")] == ["agree_score.npy"]
    datasets = json.loads(crowd("datasets", "list", "--json").stdout)
    assert "tiny_birds" in {d["name"] for d in datasets}
    outer = subprocess.run([sys.executable, "-m", "crowdkit_core", "list-strategies", "--json"],
                           capture_output=True, text=True, env=env, check=True).stdout
    assert not {"ShareVote", "AgreeScore"} & {row["name"] for row in json.loads(outer)}
