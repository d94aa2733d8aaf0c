"""The pandas-first Python API: top-level names, strategies by name, pandas in and out with
crowd-kit's conventions, frames of fitted results, loss_history_ and notebook summaries."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import crowdkit_core as ck
from crowdkit_core.dataset import load_dataset
from crowdkit_core.errors import NotFittedError, SpecError
from crowdkit_core.strategies import DS, GLAD, MV, DawidSkene, MajorityVote, Wawa

TOY = pd.DataFrame([["t1", "p1", 0], ["t1", "p2", 0], ["t1", "p3", 1],
                    ["t2", "p1", 1], ["t2", "p2", 0], ["t2", "p3", 1]],
                   columns=["task", "worker", "label"])


def labelme_frame() -> pd.DataFrame:
    data = load_dataset("bundled:labelme")
    return pd.DataFrame({"task": data.task_ids[data.tasks], "worker": data.worker_ids[data.workers],
                         "label": data.labels})


def test_top_level_names_resolve_lazily_and_stay_import_light():
    assert ck.aggregate.__module__ == "crowdkit_core.application"
    assert ck.strategy("DS[tol=1e-4]").params.tol == 1e-4
    assert {"aggregate", "load_dataset", "strategy", "write_result"} <= set(dir(ck))
    with pytest.raises(AttributeError):
        ck.no_such_name  # noqa: B018
    code = ("import sys, crowdkit_core; heavy = [m for m in ('numpy', 'pydantic', 'pandas') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_strategy_classes_by_name_and_alias():
    assert DS is DawidSkene and MV is MajorityVote and GLAD.__name__ == "GLAD"
    from crowdkit_core.strategies import OneCoinDawidSkene, ZeroBasedSkill

    assert OneCoinDawidSkene.name == "OneCoinDS" and ZeroBasedSkill.name == "ZBS"
    import crowdkit_core.strategies as strategies

    assert {"DS", "DawidSkene", "MajorityVote", "strategy"} <= set(dir(strategies))
    with pytest.raises(ImportError):
        from crowdkit_core.strategies import NoSuchStrategy  # noqa: F401
    with pytest.raises(AttributeError, match="did you mean"):
        strategies.DawidSkeen  # noqa: B018


class ThirdParty(MajorityVote):
    """A strategy registered by another distribution."""


def test_third_party_strategies_are_reachable(monkeypatch):
    from crowdkit_core import hookimpl, plugins, strategies
    from crowdkit_core.registry import StrategyInfo

    module = types.ModuleType("third_party")
    module.crowdkit_register_strategies = hookimpl(lambda register: register(
        StrategyInfo("ThirdParty", f"{__name__}:ThirdParty", "a plugin's MV", ("third_mv",))))
    registry = plugins.PluginRegistry()
    registry.add_plugin(module, "third", "third-party-dist", "1.0")
    plugins.reset_registry(registry)
    try:
        assert strategies.strategy_class("third_mv") is ThirdParty
        assert strategies.__getattr__("ThirdParty") is ThirdParty
        assert type(ck.strategy("third_mv[ties=lowest]")) is ThirdParty
    finally:
        plugins.reset_registry()
        vars(strategies).pop("ThirdParty", None)


def test_strategy_from_spec_is_unfitted_with_overrides():
    model = ck.strategy("DS[max_iter=5]", seed=3, tol=0.0)
    assert isinstance(model, DS) and (model.params.max_iter, model.params.tol, model.params.seed) == (5, 0.0, 3)
    assert "n_tasks_" not in vars(model)
    with pytest.raises(SpecError, match="unknown parameter"):
        ck.strategy("DS[no_such=1]")
    with pytest.raises(SpecError, match="identification"):
        ck.strategy("entropy", kind="aggregation")


def test_dataframe_in_series_out_with_original_ids_and_labels():
    labels = DS(smoothing=0).fit_predict(TOY)
    assert isinstance(labels, pd.Series) and labels.index.name == "task"
    assert labels.name == "agg_label" and labels.to_dict() == {"t1": 0, "t2": 1}
    assert labels.dtype.kind == "i"  # integer labels stay integers, not the names "0", "1"
    named = MV(ties="lowest").fit_predict(TOY.assign(label=TOY.label.map({0: "no", 1: "yes"})))
    assert named.to_dict() == {"t1": "no", "t2": "yes"}
    proba = DS().fit_predict_proba(TOY)
    assert list(proba.columns) == [0, 1] and proba.columns.name == "label"
    assert list(proba.index) == ["t1", "t2"] and np.allclose(proba.sum(axis=1), 1.0)


def test_non_contiguous_integer_labels_and_gold_use_the_frame_values():
    frame = TOY.assign(label=TOY.label.map({0: 5, 1: 9}))
    model = DS(smoothing=0)
    assert model.fit_predict(frame).to_dict() == {"t1": 5, "t2": 9}
    # gold as a Series of the frame's own labels: 9 is a label value, not class index 9
    assert model.fit_predict(frame, gold=pd.Series({"t1": 9})).to_dict()["t1"] == 9
    assert list(model.frames.proba.columns) == [5, 9]


def test_arrays_stay_the_api_for_datasets_and_arrays():
    data = load_dataset("bundled:labelme")
    model = DS()
    labels = model.fit_predict(data)
    assert isinstance(labels, np.ndarray) and labels.shape == (data.n_tasks,)
    assert isinstance(model.labels_, np.ndarray) and isinstance(model.proba_, np.ndarray)
    framed = DS().fit(labelme_frame())
    assert isinstance(framed.labels_, np.ndarray)  # fitted attributes stay arrays
    series = model.frames.labels
    assert series.index.tolist()[:3] == list(data.task_ids[:3])
    assert series.tolist() == [data.label_names[k] for k in labels]  # a dataset's label names


def test_frames_of_worker_estimates_in_crowdkit_layout():
    frame = labelme_frame()
    model = DS().fit(frame)
    errors = model.frames.errors
    assert errors.index.names == ["worker", "label"] and errors.columns.name == "label"
    worker = model.frames.workers.index[0]
    block = errors.loc[worker]
    assert block.shape == (8, 8) and np.allclose(block.sum(axis=0), 1.0)
    k, answered = 2, 5
    w = list(model.worker_ids_).index(worker)
    assert block.loc[answered, k] == pytest.approx(model.confusion_matrices_[w, k, answered])
    assert model.frames.priors.name == "prior" and np.allclose(model.frames.priors, model.priors_)
    skills = GLAD(max_iter=3).fit(frame).frames.skills
    assert skills.name == "skill" and skills.index.name == "worker" and len(skills) == 59
    wawa = Wawa().fit(frame)
    assert np.allclose(wawa.frames.skills.to_numpy(), wawa.skills_)
    assert "skills" in wawa.frames.workers.columns
    glad = GLAD(max_iter=2).fit(frame)
    assert list(glad.frames.tasks.columns) == ["betas"]
    assert glad.frames.output("alphas_").index.name == "worker"
    with pytest.raises(AttributeError, match="no per-worker skill"):
        DS().fit(frame).frames.skills  # noqa: B018
    with pytest.raises(AttributeError, match="confusion"):
        wawa.frames.errors  # noqa: B018
    with pytest.raises(NotFittedError):
        DS().frames.labels  # noqa: B018


def test_frames_say_how_to_install_pandas_when_it_is_missing(monkeypatch):
    model = MV().fit(load_dataset("bundled:labelme"))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install pandas") as info:
        model.frames.labels  # noqa: B018
    assert "\n" not in str(info.value)
    assert MV().fit_predict(load_dataset("bundled:labelme")).shape == (1000,)  # arrays need no pandas


def test_loss_history_is_history_on_iterative_strategies():
    model = DS(max_iter=4, tol=0).fit(TOY)
    assert model.loss_history_ is model.history_ and len(model.loss_history_) == model.n_iter_
    with pytest.raises(NotFittedError):
        DS().loss_history_  # noqa: B018
    with pytest.raises(AttributeError, match="not iterative"):
        MV().fit(TOY).loss_history_  # noqa: B018
    with pytest.raises(AttributeError, match="not iterative"):
        MV().loss_history_  # noqa: B018


def test_notebook_summaries():
    assert "no: call fit" in DS()._repr_html_() and "DawidSkene" in DS()._repr_html_()
    html = DS().fit(TOY)._repr_html_()
    assert "2 × 3 × 2" in html and "converged" in html and "t1 → 0" in html
    assert "&lt;b&gt;" in MV().fit(TOY.assign(task=["<b>", "<b>", "<b>", "x", "x", "x"]))._repr_html_()
    result = ck.aggregate(load_dataset("bundled:labelme"), "DS[max_iter=3]")
    page = result._repr_html_()
    assert "AggregationResult" in page and "gold accuracy" in page and "labelme" in page
    assert result.frames.labels.shape == (1000,)


def test_report_shows_inline_and_its_figures_as_png():
    from crowdkit_core.report import Report

    report = Report("<html><body><p class='x'>hi \"there\"</p></body></html>",
                    {"class_balance": b"\x89PNG fake"}, data=None)  # type: ignore[arg-type]
    frame = report._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&quot;there&quot;" in frame
    assert report.figure("class_balance")._repr_png_() == b"\x89PNG fake"
    with pytest.raises(KeyError, match="class_balance"):
        report.figure("nope")


def test_write_results_with_provenance_from_python(tmp_path):
    result = ck.aggregate(load_dataset("bundled:labelme"), "MV[ties=lowest]")
    record = result.write(fmt="csv", hard=True, output_dir=tmp_path)
    written = json.loads((tmp_path / f"{record['output'].rsplit('/', 1)[-1].rsplit('.', 1)[0]}"
                          ".provenance.json").read_text())
    assert written["strategy"] == "MV[ties=lowest]" and written["input_sha256"]
    assert (tmp_path / record["output"].rsplit("/", 1)[-1]).read_text().startswith("task,label\n")


@pytest.mark.slow
def test_the_python_api_page_runs(tmp_path, monkeypatch):
    """Every code block of docs/python-api.md runs, in order, in one namespace."""
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "python-api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/python-api.md", "exec"), namespace)  # noqa: S102
    assert (tmp_path / "labels").is_dir() and namespace["result"].frames.labels.shape == (1000,)


def test_aggregate_takes_a_dataframe():
    result = ck.aggregate(TOY.assign(label=TOY.label.map({0: 5, 1: 9})), "DS[smoothing=0]")
    assert result.frames.labels.to_dict() == {"t1": 5, "t2": 9}
    assert result.provenance["inputs"] == [] and result.provenance["input_sha256"] is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", 7, 8]), st.integers(0, 5),
                          st.sampled_from([3, 10, 11])), min_size=1, max_size=40))
def test_frames_round_trip_ids_and_label_values(rows):
    """For any small frame, fit_predict labels every task once with one of its own labels, and
    majority vote with ties='lowest' equals pandas' own count."""
    df = pd.DataFrame(rows, columns=["task", "worker", "label"]).astype({"task": str})
    labels = MV(ties="lowest").fit_predict(df)
    assert sorted(labels.index) == sorted(df.task.unique())
    counts = df.groupby(["task", "label"]).size().unstack(fill_value=0)
    expected = counts.idxmax(axis=1)  # columns sorted: the lowest label wins ties
    assert labels.reindex(expected.index).tolist() == expected.tolist()
    proba = DS(max_iter=3).fit_predict_proba(df)
    assert set(df.label.unique()) <= set(proba.columns)  # one label alone gets a second class
    assert np.allclose(proba.sum(axis=1), 1.0)
