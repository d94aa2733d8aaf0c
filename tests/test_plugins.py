"""Plugin loading: entry points, failures, env controls, conflicts, a pip-installed third party."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from importlib import metadata
from pathlib import Path

import pytest

from crowdkit_core import hookimpl
from crowdkit_core.errors import UnknownStrategyError
from crowdkit_core.plugins import PluginRegistry
from crowdkit_core.registry import StrategyInfo

FIXTURE_PLUGIN = Path(__file__).parent / "fixtures" / "example_plugin"


def make_module(name: str, *infos: StrategyInfo, hook_name: str = "crowdkit_register_strategies"):
    module = types.ModuleType(name)

    def register_all(register):
        for info in infos:
            register(info)

    setattr(module, hook_name, hookimpl(register_all) if hook_name.startswith("crowdkit_register_s") else register_all)
    return module


def info(name: str, *aliases: str) -> StrategyInfo:
    return StrategyInfo(name=name, aliases=aliases, target="crowdkit_classic.majority_vote:MajorityVote")


def fake_entry_point(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group="crowdkit")


def test_builtins_come_through_entry_points():
    registry = PluginRegistry()
    names = {s.name for s in registry.strategies()}
    assert {"MV", "NaiveSoft"} <= names
    mv = registry.get_strategy("majority_voting")
    assert mv.plugin == "classic" and mv.distribution == "crowdkit-classic"


def test_import_failure_is_reported_not_fatal():
    registry = PluginRegistry(entry_points=[fake_entry_point("broken", "no_such_module_xyz.plugin")])
    status = registry.statuses[-1]
    assert status.status == "error" and "ModuleNotFoundError" in status.error
    assert registry.failures() == [status]
    with pytest.raises(UnknownStrategyError, match="failed to load: broken"):
        registry.get_strategy("anything")


def test_hook_exception_is_reported():
    module = types.ModuleType("raising")

    @hookimpl
    def crowdkit_register_strategies(register):
        raise RuntimeError("boom")

    module.crowdkit_register_strategies = crowdkit_register_strategies
    registry = PluginRegistry(entry_points=[])
    status = registry.add_plugin(module, "raising")
    assert status.status == "error" and "RuntimeError: boom" in status.error


def test_misspelled_hook_is_an_error():
    module = types.ModuleType("typo")
    module.crowdkit_register_strategy = lambda register: None
    registry = PluginRegistry(entry_points=[])
    status = registry.add_plugin(module, "typo")
    assert status.status == "error" and "did you mean 'crowdkit_register_strategies'" in status.error


def test_name_conflict_names_both_distributions():
    registry = PluginRegistry(entry_points=[])
    registry.add_plugin(make_module("a", info("Alpha", "first")), "a", distribution="dist-a")
    status = registry.add_plugin(make_module("b", info("Beta", "FIRST")), "b", distribution="dist-b")
    assert status.status == "error"
    assert "'dist-a'" in status.error and "'dist-b'" in status.error and "FIRST" in status.error
    assert [s.name for s in registry.strategies()] == ["Alpha"]


def test_unmarked_prefixed_functions_are_hooks():
    registry = PluginRegistry(entry_points=[])
    module = types.ModuleType("plain")
    module.crowdkit_register_strategies = lambda register: register(info("Plain"))
    assert registry.add_plugin(module, "plain").status == "loaded"
    assert registry.get_strategy("plain").name == "Plain"


def test_register_rejects_non_info():
    registry = PluginRegistry(entry_points=[])
    module = types.ModuleType("bad")
    module.crowdkit_register_strategies = lambda register: register("MV")
    status = registry.add_plugin(module, "bad")
    assert status.status == "error" and "expects a StrategyInfo" in status.error


def test_disable_and_allow_list_env():
    eps = list(metadata.entry_points(group="crowdkit"))
    disabled = PluginRegistry(environ={"CROWDKIT_DISABLE_PLUGINS": "MV, naive_soft"})
    classic = {s.name: s for s in disabled.statuses}["classic"]
    assert classic.status == "loaded" and classic.disabled == ["MV", "NaiveSoft"]
    names = {s.name for s in disabled.strategies()}
    assert "MV" not in names and "NaiveSoft" not in names and "DS" in names
    whole = PluginRegistry(environ={"CROWDKIT_DISABLE_PLUGINS": "classic"})
    assert {s.name: s.status for s in whole.statuses}["classic"] == "disabled"
    assert not [s for s in whole.strategies() if s.plugin == "classic"]  # other plugins (deep) stay
    allowed = PluginRegistry(environ={"CROWDKIT_PLUGINS": "some-other-dist"})
    from_entry_points = [s for s in allowed.statuses if s.name != "builtins"]
    assert all(s.status == "not-allowed" for s in from_entry_points) and len(from_entry_points) == len(eps)
    assert allowed.reader_for(".csv") is not None, "the core's built-ins always load"
    allowed = PluginRegistry(environ={"CROWDKIT_PLUGINS": "Crowdkit_Classic"})
    assert "MV" in {s.name for s in allowed.strategies()}


def test_strategy_info_validation():
    with pytest.raises(ValueError):
        StrategyInfo(name="bad name", target="m:C")
    with pytest.raises(ValueError):
        StrategyInfo(name="Ok", target="no_colon")


def test_listing_imports_no_strategy_implementation():
    code = (
        "import sys; from crowdkit_core.plugins import get_registry; r = get_registry(); "
        "r.strategies(); heavy = [m for m in ('numpy', 'scipy', 'torch', 'crowdkit_classic.majority_vote') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_imports_no_numpy_or_torch():
    code = (
        "import sys; from crowdkit_core.cli.app import main; sys.argv = ['crowd', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('numpy', 'torch') if m in sys.modules], file=sys.stderr)"
    )
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr
    assert err.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_third_party_plugin_installed_with_pip(tmp_path):
    """pip-install the fixture distribution (a strategy, a command, a dataset resolver) into a
    fresh venv; all three must work through `crowd`."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_dir = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    # Make the current environment (crowdkit-core, numpy, ...) visible inside the new venv.
    import site as host_site
    parents = [p for p in host_site.getsitepackages() + [host_site.getusersitepackages()] if os.path.isdir(p)]
    Path(site_dir, "_crowdkit_host.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", str(FIXTURE_PLUGIN)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROWDKIT_")}
    listing = subprocess.run([str(python), "-m", "crowdkit_core", "list-strategies", "--json"],
                             capture_output=True, text=True, check=True, env=env).stdout
    rows = {r["name"]: r for r in json.loads(listing)}
    assert rows["Sharpened"]["distribution"] == "crowdkit-example-plugin"
    assert "MV" in rows
    out_dir = tmp_path / "out"
    result = subprocess.run(
        [str(python), "-m", "crowdkit_core", "aggregate", "bundled:labelme", "-s", "sharpened_vote[temperature=0.25]",
         "-o", str(out_dir), "--json"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    prov = json.loads(result.stdout)
    assert prov["strategy"] == "Sharpened[temperature=0.25]"
    assert prov["distribution"] == "crowdkit-example-plugin"
    assert (out_dir / "labels_labelme_sharpened[temperature=0.25].npy").exists()
    # Its command and its dataset resolver work through `crowd` too.
    agreement = subprocess.run([str(python), "-m", "crowdkit_core", "agreement", "example:tiny"],
                               capture_output=True, text=True, env=env)
    assert agreement.returncode == 0, agreement.stderr
    assert agreement.stdout.strip() == "tiny: 0.818 of 11 answers agree with the majority"
    help_text = subprocess.run([str(python), "-m", "crowdkit_core", "--help"],
                               capture_output=True, text=True, env=env).stdout
    assert "agreement" in help_text
    tiny = subprocess.run([str(python), "-m", "crowdkit_core", "aggregate", "example:tiny", "-s", "MV",
                           "--hard", "--format", "csv", "-o", str(out_dir), "--json"],
                          capture_output=True, text=True, env=env)
    assert tiny.returncode == 0, tiny.stderr
    assert (out_dir / "labels_tiny_mv.csv").read_text().splitlines()[1:] == [
        "t1,cat", "t2,dog", "t3,cat", "t4,dog"]
    plugins_listing = json.loads(subprocess.run(
        [str(python), "-m", "crowdkit_core", "plugins", "--json"], capture_output=True, text=True,
        env=env, check=True).stdout)
    example = next(r for r in plugins_listing if r["name"] == "example")
    assert example["commands"] == ["agreement"] and example["resolvers"] == ["example"]
    # The system's conformance kit accepts it too.
    check = subprocess.run([str(python), "-c", "from crowdkit_core.testing import check_strategy; "
                            "from crowdkit_example import Sharpened; check_strategy(Sharpened); print('ok')"],
                           capture_output=True, text=True, env=env)
    assert check.stdout.strip() == "ok", check.stderr
