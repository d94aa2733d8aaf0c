"""Shell completion: what completes where (pure functions), the name cache, the completers
attached to the command tree, the protocol in a subprocess (no numpy on a keystroke), and
--install-completion with real bash, zsh and fish where they are installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import types
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from _shells import BIN, complete_bash, shell_env, type_into
from crowdkit_core.completion import attach, cache, complete
from crowdkit_core.completion.shells import glue_words, relative_to_word

NAMES = {
    "strategies": [
        {"name": "DS", "aliases": ["dawid_skene"], "kind": "aggregation", "summary": "Dawid-Skene",
         "params": [{"name": "max_iter", "help": "cap", "choices": []},
                    {"name": "init", "help": "start", "choices": ["mv", "naive_soft"]}]},
        {"name": "DSWC", "aliases": [], "kind": "aggregation", "summary": "clusters", "params": []},
        {"name": "MV", "aliases": ["majority_vote"], "kind": "aggregation", "summary": "vote",
         "params": [{"name": "ties", "help": "", "choices": ["random", "lowest"]}]},
        {"name": "entropy", "aliases": [], "kind": "identification", "summary": "entropy",
         "params": [{"name": "on", "help": "strategy", "choices": []}]},
    ],
    "datasets": [{"name": "cifar10h", "aliases": [], "summary": "images"},
                 {"name": "labelme", "aliases": [], "summary": "images"}],
    "resolved": {"bundled": ["labelme", "music"], "example": ["tiny"]},
}


def values(items):
    return [value for value, _ in items]


@pytest.mark.parametrize("typed, kind, expected", [
    ("D", None, ["DS", "DSWC"]),
    ("d", "aggregation", ["DS", "DSWC"]),
    ("e", "aggregation", []),
    ("e", None, ["entropy"]),
    ("major", None, ["majority_vote"]),  # aliases only when no name matches
    ("DS[", None, ["DS[max_iter=", "DS[init="]),
    ("dawid_skene[m", None, ["dawid_skene[max_iter="]),
    ("DS[max_iter=5,i", None, ["DS[max_iter=5,init="]),
    ("DS[init=", None, ["DS[init=mv", "DS[init=naive_soft"]),
    ("DS[init=n", None, ["DS[init=naive_soft"]),
    ("DS[max_iter=", None, []),          # free values: nothing to offer
    ("DS[max_iter=5]", None, []),         # a finished spec
    ("XX[", None, []),
    ("MV,D", None, ["MV,DS", "MV,DSWC"]),
    ("MV[ties=lowest],DS[i", None, ["MV[ties=lowest],DS[init="]),
    ("entropy[on=D", "identification", ["entropy[on=DS", "entropy[on=DSWC"]),
    ("entropy[on=DS[init=m", "identification", ["entropy[on=DS[init=mv"]),
])
def test_spec_items(typed, kind, expected):
    assert values(complete.spec_items(NAMES, typed, kind)) == expected


def test_dataset_items(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "music_votes.csv").write_text("")
    (tmp_path / "music_dir").mkdir()
    assert values(complete.dataset_items(NAMES, "bundled:", [])) == ["bundled:labelme", "bundled:music"]
    assert values(complete.dataset_items(NAMES, "e", [])) == ["example:tiny"]
    assert values(complete.dataset_items(NAMES, "mu", ["music_big"])) == [
        "music_big", "music_dir/", "music_votes.csv"]  # installed names, then local entries
    assert complete.dataset_items(NAMES, "zz", []) == []          # the shell completes paths
    assert complete.dataset_items(NAMES, "./b", []) == []
    assert complete.dataset_items(NAMES, f"{tmp_path}/m", []) == []


def test_installer_items():
    assert values(complete.installer_items(NAMES, "")) == ["cifar10h", "labelme"]
    assert values(complete.installer_items(NAMES, "L")) == ["labelme"]
    assert complete.installer_items(NAMES, "./seed.py") == []


@given(st.text(alphabet="ab,[]=", max_size=20))
def test_split_top_level_cuts_at_the_last_outer_comma(text):
    head, current = complete.split_top_level(text)
    assert head + current == text
    assert head == "" or head.endswith(",")
    depth = 0
    for char in current:  # no comma outside brackets in the part being typed
        depth = depth + 1 if char == "[" else max(0, depth - 1) if char == "]" else depth
        assert not (char == "," and depth == 0)


#: Arguments as crowd takes them: never starting with ':' or '=' (bash words cannot tell
#: `a :b` from `a:b`, so a word that starts with one is glued to the previous word).
ARGUMENT = st.tuples(st.sampled_from(["bundled", "DS[max_iter", "x"]), st.lists(
    st.sampled_from(["music", "5", "x", ":", "="]), max_size=5)).map(lambda p: p[0] + "".join(p[1]))


def _bash_words(argument: str) -> list[str]:
    """How bash splits one argument at the COMP_WORDBREAKS characters : and =."""
    words, word = [], ""
    for char in argument:
        if char in ":=":
            if word and not set(word) <= set(":="):
                words.append(word)
                word = ""
            word += char
        else:
            if word and set(word) <= set(":="):
                words.append(word)
                word = ""
            word += char
    return [*words, word] if word else words


@given(ARGUMENT, st.text(alphabet="abc:=", max_size=5))
def test_bash_words_are_glued_back_and_completions_fit_the_last_word(argument, more):
    words = _bash_words(argument)
    glued, word = glue_words(["aggregate", *words])
    assert glued == ["aggregate", argument] and word == words[-1]
    value = argument + more
    replacement = relative_to_word(value, argument, word)
    assert replacement is not None
    assert argument[: len(argument) - len(word)] + replacement == value


def test_glue_words_keeps_a_new_word_after_a_space():
    assert glue_words(["aggregate", "bundled", ":", ""]) == (["aggregate", "bundled:", ""], "")
    assert relative_to_word("DS", "--strategy=", "=") == "=DS"
    assert relative_to_word("bundled:music", "bundled:m", "m") == "music"
    assert relative_to_word("other", "bundled:m", "m") is None


# -- the cache ---------------------------------------------------------------------------
def test_fingerprint_follows_plugin_settings_and_sources(monkeypatch, tmp_path):
    first = cache.fingerprint()
    assert cache.fingerprint() == first
    monkeypatch.setenv("CROWDKIT_DISABLE_PLUGINS", "DS")
    assert cache.fingerprint() != first
    monkeypatch.delenv("CROWDKIT_DISABLE_PLUGINS")
    package = tmp_path / "stamped_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    stamp = cache._source_stamp("stamped_pkg")
    os.utime(package / "__init__.py", ns=(1, 1))
    assert cache._source_stamp("stamped_pkg") != stamp
    assert cache._source_stamp("no_such_package_here") == "no_such_package_here: missing\n"


def test_cache_is_built_once_then_read(monkeypatch, tmp_path):
    path = tmp_path / "sub" / "completion.json"
    monkeypatch.setenv(cache.CACHE_ENV, str(path))
    assert cache.cache_path() == path
    built = cache.load_names()
    assert path.is_file() and json.loads(path.read_text())["fingerprint"] == built["fingerprint"]
    ds = next(s for s in built["strategies"] if s["name"] == "DS")
    assert {"max_iter", "tol", "init"} <= {p["name"] for p in ds["params"]}
    assert next(p for p in ds["params"] if p["name"] == "ties")["choices"] == ["random", "lowest"]
    assert built["resolved"]["bundled"] == ["labelme", "music"] and "installed" not in built["resolved"]
    assert "cifar10h" in {d["name"] for d in built["datasets"]}

    def no_rebuild():
        raise AssertionError("a fresh cache must not be rebuilt")

    monkeypatch.setattr(cache, "build_names", no_rebuild)
    assert cache.load_names() == built
    monkeypatch.setattr(cache, "fingerprint", lambda: "changed")
    monkeypatch.setattr(cache, "build_names", lambda: {"format": cache.FORMAT, "strategies": []})
    assert cache.load_names()["strategies"] == []  # stale: rebuilt and written back
    assert json.loads(path.read_text())["fingerprint"] == "changed"


def test_unwritable_cache_still_completes(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "completion.json"))
    assert cache.load_names()["strategies"]


def test_broken_strategy_class_is_listed_without_parameters():
    from crowdkit_core.registry import StrategyInfo

    info = StrategyInfo("Broken", "no_such_module_xyz:Broken")
    assert cache._parameters(info) == []


# -- the command tree ----------------------------------------------------------------------
def _tree(registry=None):
    import typer.main

    from crowdkit_core.cli.app import create_app
    from crowdkit_core.plugins import reset_registry

    reset_registry(registry)
    try:
        command = typer.main.get_command(create_app())
    finally:
        reset_registry()
    return command


def _param(command, path, name):
    for part in path.split():
        command = command.commands[part]
    return next(p for p in command.params if p.name == name)


def test_completers_are_attached_by_walking_the_tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no local files next to the dataset names
    command = _tree()
    calls = []
    count = attach.attach_completion(command, lambda: NAMES, lambda: calls.append(1) or ["mine"])
    assert count >= 12
    expectations = {
        ("aggregate", "strategy"): ("D", ["DS", "DSWC"]),
        ("evaluate", "strategies"): ("MV,D", ["MV,DS", "MV,DSWC"]),
        ("report", "confusion_on"): ("D", ["DS", "DSWC"]),
        ("identify", "method"): ("e", ["entropy"]),
        ("describe", "strategy"): ("e", ["entropy"]),
        ("install", "name"): ("c", ["cifar10h"]),
        ("datasets info", "name"): ("l", ["labelme"]),
        ("aggregate", "dataset"): ("bundled:m", ["bundled:music"]),
        ("evaluate", "datasets"): ("m", ["mine"]),
    }
    for (path, name), (typed, expected) in expectations.items():
        param = _param(command, path, name)
        assert [i.value for i in param.shell_complete(None, typed)] == expected, (path, name)
    assert calls, "installed datasets are read at completion time"
    assert _param(command, "simulate", "strategy")._custom_shell_complete is None  # worker models


def test_plugin_commands_get_completers_too():
    """A plugin's own command with -s/--strategy and a dataset argument (like aggregate-deep)."""
    import typer

    from crowdkit_core.plugins import PluginRegistry

    def crowdkit_register_commands(app):
        @app.command("aggregate-deep")
        def deep(dataset: str = typer.Argument(...), strategy: str = typer.Option("CoNAL", "-s", "--strategy")):
            """A stand-in for crowdkit-deep's command."""

    plugin = types.ModuleType("fake_deep_plugin")
    plugin.crowdkit_register_commands = crowdkit_register_commands
    registry = PluginRegistry()
    registry.add_plugin(plugin, "fake_deep")
    command = _tree(registry)
    names = {**NAMES, "strategies": [*NAMES["strategies"], {
        "name": "CoNAL", "aliases": [], "kind": "trainer", "summary": "", "params": []}]}
    attach.attach_completion(command, lambda: names, lambda: [])
    strategy = _param(command, "aggregate-deep", "strategy")
    assert [i.value for i in strategy.shell_complete(None, "")] == ["CoNAL"]  # trainers only
    dataset = _param(command, "aggregate-deep", "dataset")
    assert [i.value for i in dataset.shell_complete(None, "bundled:l")] == ["bundled:labelme"]


# -- the protocol in a subprocess ------------------------------------------------------------
@pytest.fixture(scope="module")
def fresh_cache(tmp_path_factory):
    """A completion cache built once for the module (as a first completion would)."""
    folder = tmp_path_factory.mktemp("completion")
    path = folder / "completion.json"
    complete_bash(shell_env(folder, path), ["crowd", "aggregate", "x", "-s", ""], 4)
    assert path.is_file()
    return path


@pytest.mark.parametrize("words, cword, expected", [
    (["crowd", "aggregate", "x", "-s", "D"], 4, ["DS", "DSWC"]),
    (["crowd", "aggregate", "x", "--strategy", "=", "G"], 5, ["GLAD", "GoldMV"]),
    (["crowd", "aggregate", "x", "-s", "DS[init", "="], 5, ["=mv", "=naive_soft"]),
    (["crowd", "aggregate", "bundled", ":"], 3, [":labelme", ":music"]),
    (["crowd", "aggregate", "bundled", ":", "mu"], 4, ["music"]),
    (["crowd", "identify", "x", "-s", "entropy[on", "=", "One"], 6, ["OneCoinDS"]),
    (["crowd", "install", "cifar"], 2, ["cifar10h"]),
    (["crowd", "describe", "wa"], 2, ["Wawa"]),
    (["crowd", "new-p"], 1, ["new-plugin"]),
])
def test_bash_protocol_without_heavy_imports(fresh_cache, tmp_path, words, cword, expected):
    found, heavy = complete_bash(shell_env(tmp_path, fresh_cache), words, cword)
    assert found == expected
    assert heavy == set(), f"a completion with a fresh cache imported {heavy}"


def test_installed_datasets_complete_by_plain_name(fresh_cache, tmp_path):
    env = shell_env(tmp_path, fresh_cache)
    folder = tmp_path / "data" / "my_votes"
    folder.mkdir(parents=True)
    (folder / "install.json").write_text("{}")
    found, heavy = complete_bash(env, ["crowd", "validate", "my"], 2)
    assert found == ["my_votes"] and heavy == set()


# -- installing the scripts, and real shells -----------------------------------------------------
SCRIPTS = {"bash": ".bash_completions/crowd.sh", "zsh": ".zfunc/_crowd",
           "fish": ".config/fish/completions/crowd.fish"}
RC_FILES = {"bash": ".bashrc", "zsh": ".zshrc"}


def _install(shell: str, home: Path, cache_file: Path) -> Path:
    env = {**shell_env(home, cache_file), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    run = subprocess.run([str(BIN / "crowd"), "--install-completion", shell], capture_output=True,
                         text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert f"{shell} completion installed in" in run.stdout
    return home / SCRIPTS[shell]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_install_completion_writes_the_script_and_rc_file(shell, tmp_path, fresh_cache):
    script = _install(shell, tmp_path, fresh_cache)
    text = script.read_text()
    assert "_CROWD_COMPLETE=complete_" + shell in text
    if shell in RC_FILES:
        rc = (tmp_path / RC_FILES[shell]).read_text()
        assert (str(script) if shell == "bash" else "fpath+=~/.zfunc") in rc
    shown = subprocess.run([str(BIN / "crowd"), "--show-completion", shell], capture_output=True, text=True,
                           env={**shell_env(tmp_path, fresh_cache),
                                "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}, timeout=60)
    assert shown.returncode == 0 and shown.stdout.strip() == text.strip()


def test_install_completion_detects_the_running_shell(tmp_path, fresh_cache):
    run = subprocess.run(["bash", "-c", f"{BIN / 'crowd'} --install-completion"], capture_output=True,
                         text=True, env=shell_env(tmp_path, fresh_cache), timeout=60)
    assert run.returncode == 0 and "bash completion installed" in run.stdout, run.stdout + run.stderr
    assert (tmp_path / SCRIPTS["bash"]).is_file()


def _need(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed (CI installs it with apt when it can)")
    return path


#: Per interactive shell: its flags, whether the installed script is sourced by hand (bash
#: runs without its rc file), the keys that complete, and a spec as typed there.
INTERACTIVE = {
    "bash": (["--norc", "--noprofile", "-i"], True, b"\t", b"DS[ini"),
    "zsh": (["-i"], False, b"\t\t", b"'DS[ini"),
}


@pytest.mark.slow
@pytest.mark.parametrize("shell", sorted(INTERACTIVE))
def test_real_shell_completes_dataset_and_spec(shell, tmp_path, fresh_cache):
    """Typed into the interactive shell on a terminal. zsh: the first Tab of a session only
    autoloads the function (Typer's script), the second completes; [ is a glob character
    there, so a spec is quoted, when typed as when run."""
    path = _need(shell)
    script = _install(shell, tmp_path, fresh_cache)
    env = shell_env(tmp_path, fresh_cache)
    flags, source, tabs, spec = INTERACTIVE[shell]
    setup = [f"source {script}\n".encode()] if source else []
    for typed, expected in [(b"crowd validate bundled:mu", b"bundled:music"),
                            (b"crowd aggregate x -s " + spec, spec + b"t=")]:
        shown = type_into([path, *flags], env, [*setup, typed + tabs], expected)
        assert expected in shown, shown[-500:]


@pytest.mark.slow
def test_real_fish_completes_dataset_and_spec(tmp_path, fresh_cache):
    fish = _need("fish")
    _install("fish", tmp_path, fresh_cache)
    env = shell_env(tmp_path, fresh_cache)
    for line, expected in [("crowd validate bundled:mu", "bundled:music"),
                           ("crowd aggregate x -s DS[ini", "DS[init="),
                           ("crowd aggregate x -s D", "DSWC")]:
        run = subprocess.run([fish, "-c", f"complete -C '{line}'"], capture_output=True, text=True,
                             env=env, timeout=60)
        assert expected in [row.split("\t")[0] for row in run.stdout.splitlines()], run.stdout + run.stderr
