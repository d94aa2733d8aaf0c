"""Plugins extend dataset loading: new answers formats (readers) and dataset names (resolvers)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from crowdkit_core import plugins
from crowdkit_core.dataset import AnswerColumns, CrowdDataset, load_dataset
from crowdkit_core.errors import DatasetError
from crowdkit_core.registry import ReaderInfo, ResolverInfo


def read_jsonl(path: Path) -> AnswerColumns:
    """A third-party format: one {"task", "worker", "label"} object per line."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return AnswerColumns([r["task"] for r in rows], [r["worker"] for r in rows],
                         [r["label"] for r in rows], lambda i: f"line {i + 1}")


def _plugin(name: str, **hooks) -> types.ModuleType:
    """A plugin module named ``name`` implementing ``hooks`` (hook name -> function)."""
    module = types.ModuleType(name)
    for hook, function in hooks.items():
        setattr(module, hook, function)
    return module


@pytest.fixture
def install():
    """Make a registry with the given plugin modules the process-wide one (undone after)."""
    def install(*modules: types.ModuleType) -> plugins.PluginRegistry:
        registry = plugins.PluginRegistry(entry_points=[])
        for module in modules:
            status = registry.add_plugin(module, module.__name__, "thirdparty", "1.0")
            assert status.status == "loaded", status.error
        plugins.reset_registry(registry)
        return registry

    yield install
    plugins.reset_registry(None)


@pytest.fixture
def target_module(monkeypatch):
    """A module importable as ``thirdparty_dataset``, to hold the plugin targets."""
    module = types.ModuleType("thirdparty_dataset")
    monkeypatch.setitem(sys.modules, "thirdparty_dataset", module)
    return module


def test_reader_plugin_adds_a_format(tmp_path, install, target_module):
    target_module.read_jsonl = read_jsonl

    def crowdkit_register_readers(register):
        register(ReaderInfo(name="jsonl", suffixes=(".jsonl",), target="thirdparty_dataset:read_jsonl"))

    install(_plugin("jsonl_plugin", crowdkit_register_readers=crowdkit_register_readers))
    rows = [("t1", "w1", "cat"), ("t1", "w2", "dog"), ("t2", "w1", "dog")]
    (tmp_path / "answers.jsonl").write_text(
        "".join(json.dumps({"task": t, "worker": w, "label": lab}) + "\n" for t, w, lab in rows))
    data = load_dataset(tmp_path / "answers.jsonl")
    assert data.task_ids.tolist() == ["t1", "t2"] and data.label_names == ("cat", "dog")
    assert data.labels.tolist() == [0, 1, 1] and data.inputs == (str(tmp_path / "answers.jsonl"),)

    (tmp_path / "answers.xml").write_text("<answers/>")
    with pytest.raises(DatasetError, match=r"unsupported answers format '\.xml'; use one of .*\.jsonl"):
        load_dataset(tmp_path / "answers.xml")


def test_failing_reader_is_one_line_naming_the_plugin(tmp_path, install, target_module):
    def broken(path):
        raise KeyError("task")

    target_module.broken = broken

    def crowdkit_register_readers(register):
        register(ReaderInfo(name="broken", suffixes=(".brk",), target="thirdparty_dataset:broken"))

    install(_plugin("broken_reader", crowdkit_register_readers=crowdkit_register_readers))
    (tmp_path / "answers.brk").write_text("x")
    with pytest.raises(DatasetError) as error:
        load_dataset(tmp_path / "answers.brk")
    message = str(error.value)
    assert "\n" not in message and "plugin 'broken_reader'" in message and "KeyError" in message


def test_resolver_plugin_prefix_and_bare_names(tmp_path, install, target_module):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "answers.json").write_text(json.dumps({"t1": {"w1": 0, "w2": 1}, "t2": {"w1": 1}}))
    (folder / "truth.csv").write_text("task,label\nt1,0\n")
    known = {"toy": folder}

    def resolve(argument):
        return known.get(argument)

    resolve.known_names = lambda: sorted(known)
    target_module.resolve = resolve

    def crowdkit_register_dataset_resolvers(register):
        register(ResolverInfo(name="zoo", target="thirdparty_dataset:resolve", bare_names=True))

    install(_plugin("zoo_plugin", crowdkit_register_dataset_resolvers=crowdkit_register_dataset_resolvers))
    by_prefix, by_name = load_dataset("zoo:toy"), load_dataset("toy")
    for data in (by_prefix, by_name):
        assert data.name == "toy" and data.gold.tolist() == [0, -1]
        assert data.inputs == (str(folder / "answers.json"), str(folder / "truth.csv"))
    with pytest.raises(DatasetError, match=r"^zoo:nope: no zoo dataset named 'nope'; available: toy$"):
        load_dataset("zoo:nope")
    with pytest.raises(DatasetError, match="no such file or folder"):
        load_dataset("nope")
    assert load_dataset("bundled:labelme").name == "labelme"  # the core's resolver still works


def test_unregistered_prefix_is_a_path(tmp_path, monkeypatch, install):
    install()
    (tmp_path / "my:file.csv").write_text("task,worker,label\nt1,w1,0\nt1,w2,1\n")
    monkeypatch.chdir(tmp_path)
    assert load_dataset("./my:file.csv").n_answers == 2
    assert load_dataset("my:file.csv").n_answers == 2


def test_failing_resolver_is_one_line_naming_the_plugin(install, target_module):
    def resolve(argument):
        raise RuntimeError("index server\nunreachable")

    target_module.resolve = resolve

    def crowdkit_register_dataset_resolvers(register):
        register(ResolverInfo(name="remote", target="thirdparty_dataset:resolve", bare_names=True))

    install(_plugin("remote_plugin", crowdkit_register_dataset_resolvers=crowdkit_register_dataset_resolvers))
    for argument in ("remote:x", "some-name"):
        with pytest.raises(DatasetError) as error:
            load_dataset(argument)
        message = str(error.value)
        assert "\n" not in message and message.startswith(f"{argument}: ")
        assert "plugin 'remote_plugin'" in message and "RuntimeError: index server unreachable" in message


def test_a_resolver_returning_no_path_is_reported(install, target_module):
    target_module.resolve_number = lambda argument: 42

    def crowdkit_register_dataset_resolvers(register):
        register(ResolverInfo(name="numbers", target="thirdparty_dataset:resolve_number"))

    install(_plugin("numbers_plugin", crowdkit_register_dataset_resolvers=crowdkit_register_dataset_resolvers))
    with pytest.raises(DatasetError, match=r"^numbers:x: .*returned type int, not a path"):
        load_dataset("numbers:x")


def test_side_columns_are_given_at_construction_and_read_only():
    data = CrowdDataset(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1, 0, 1]), 2,
                        ["a", "b"], ["w1", "w2"], gold=[1, -1],
                        task_data={"ai_score": np.array([0.9, 0.2])})
    assert data.gold.tolist() == [1, -1] and not data.gold.flags.writeable
    assert not data.task_data["ai_score"].flags.writeable
    with pytest.raises(TypeError):
        data.task_data["other"] = np.zeros(2)  # type: ignore[index]
    part = data.subset_tasks(np.array([False, True]))
    assert part.gold.tolist() == [-1] and part.task_data["ai_score"].tolist() == [0.2]
    relabelled = data.with_gold([0, 1])
    assert relabelled.gold.tolist() == [0, 1] and data.gold.tolist() == [1, -1]
    assert np.shares_memory(relabelled.tasks, data.tasks)
    with pytest.raises(DatasetError, match="gold has shape \\(3,\\) but the dataset has 2 tasks"):
        data.with_gold([0, 1, 1])
    with pytest.raises(DatasetError, match="gold label 2 is outside -1..1"):
        data.with_gold([2, 0])
    with pytest.raises(DatasetError, match="task_data 'authors' has 3 entries but the dataset has 2"):
        CrowdDataset(np.array([0, 1]), np.array([0, 0]), np.array([0, 1]), 2, ["a", "b"], ["w"],
                     task_data={"authors": [1, 2, 3]})
