"""Reference outputs of crowd-kit 1.4.2 for the migration tests (tests/test_migration_crowdkit.py).

crowd-kit's documented examples (its README and the class docstrings) are run with the real
crowd-kit 1.4.2, in the ``.bench`` virtual environment (created once by
``benchmarks/_common.ensure_bench_env``, from PyPI), on data available offline: the toy
DataFrame of MajorityVote's docstring, the bundled LabelMe and Music answers and two binary
datasets of ``../shared/data`` (crowd-kit's own ``load_dataset`` downloads, so it is not
used). Each example's labels (and, where the test compares them, probabilities, skills,
errors, priors and the iteration count) are written to ``tests/fixtures/crowdkit/NAME.json``
with the crowd-kit, pandas and numpy versions. The tests then only read these files: they
never need crowd-kit, and fail if our outputs change.

    python benchmarks/make_crowdkit_fixtures.py            # every example (a few minutes)
    python benchmarks/make_crowdkit_fixtures.py --only ds_labelme,mv_toy

The child half (``--child``) runs under the ``.bench`` interpreter and imports only crowd-kit
and pandas; the parent runs it once per example.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "crowdkit"
BUNDLED = REPO / "crowdkit_core" / "bundled"
SHARED = REPO.parent / "shared" / "data"

#: crowd-kit 1.4.2 predates scikit-learn 1.6 (its check_is_fitted fails on Wawa, ZBS, GoldMV,
#: MMSR) and pandas 3: the versions of its time are installed next to it.
COMPAT_PINS = ("scikit-learn<1.6", "pandas<3")

#: The toy DataFrame of crowd-kit's MajorityVote docstring, and its skills.
TOY = [["t1", "p1", 0], ["t1", "p2", 0], ["t1", "p3", 1],
       ["t2", "p1", 1], ["t2", "p2", 0], ["t2", "p3", 1]]
TOY_SKILLS = {"p1": 0.5, "p2": 0.7, "p3": 0.4}

#: Every example: the crowd-kit class, its constructor arguments, the data, what fit gets
#: besides the data, and which outputs are kept. ``gold_first`` gives the first N gold
#: labels (in task-id order of truth.csv) to fit, as the docstrings' ``gt[:N]``.
EXAMPLES: dict[str, dict] = {
    "mv_toy": {"cls": "MajorityVote", "data": "toy", "keep": ["probas"]},
    "mv_toy_skills": {"cls": "MajorityVote", "data": "toy", "skills": TOY_SKILLS,
                      "keep": ["probas"]},
    "mv_labelme": {"cls": "MajorityVote", "data": "bundled:labelme", "keep": ["probas", "skills"]},
    "wawa_labelme": {"cls": "Wawa", "data": "bundled:labelme", "keep": ["probas", "skills"]},
    "ds_labelme": {"cls": "DawidSkene", "args": {"n_iter": 100}, "data": "bundled:labelme",
                   "keep": ["probas", "errors", "priors", "loss"]},
    "ds_music": {"cls": "DawidSkene", "args": {"n_iter": 100}, "data": "bundled:music",
                 "keep": ["probas", "loss"]},
    "ds_rte": {"cls": "DawidSkene", "args": {"n_iter": 100}, "data": "shared:rte",
               "keep": ["probas", "loss"]},
    "ds_labelme_gold": {"cls": "DawidSkene", "args": {"n_iter": 100}, "data": "bundled:labelme",
                        "gold_first": 100, "keep": ["probas", "loss"]},
    "ds_labelme_init_only": {"cls": "DawidSkene", "args": {"n_iter": 0},
                             "data": "bundled:labelme", "keep": ["probas"]},
    "onecoin_labelme": {"cls": "OneCoinDawidSkene", "args": {"n_iter": 100},
                        "data": "bundled:labelme", "keep": ["probas", "skills", "loss"]},
    "glad_rte": {"cls": "GLAD", "data": "shared:rte", "keep": ["probas", "loss"]},
    "zbs_labelme": {"cls": "ZeroBasedSkill", "data": "bundled:labelme", "keep": ["probas", "skills"]},
    "mmsr_labelme": {"cls": "MMSR", "data": "bundled:labelme", "keep": ["skills"]},
    "kos_rte": {"cls": "KOS", "data": "shared:rte", "keep": []},
    "kos_temp": {"cls": "KOS", "data": "shared:temp", "keep": []},
    "mace_labelme": {"cls": "MACE", "data": "bundled:labelme", "keep": ["probas"]},
    "goldmv_labelme": {"cls": "GoldMajorityVote", "data": "bundled:labelme", "gold_first": 1000,
                       "keep": ["probas", "skills"]},
    # DawidSkene's docstring example: historical error counts for some workers, added to the
    # first M-step; and the `assign` form, which needs every worker's matrix.
    "ds_music_initial_error_addition": {
        "cls": "DawidSkene", "args": {"n_iter": 100, "initial_error_strategy": "addition"},
        "data": "bundled:music", "initial_error": {"workers": 10, "diag": 0.9, "scale": 10.0},
        "keep": ["probas", "loss"]},
    "ds_music_initial_error_assign": {
        "cls": "DawidSkene", "args": {"n_iter": 100, "initial_error_strategy": "assign"},
        "data": "bundled:music", "initial_error": {"workers": None, "diag": 0.7, "scale": 1.0},
        "keep": ["probas", "loss"]},
}


# -- data, read the same way on both sides (tests/test_migration_crowdkit.py mirrors it) --------
def answers_frame(source: str):
    """The DataFrame ``task, worker, label`` of ``source``: ``toy``, ``bundled:NAME`` (a
    ``{task: {worker: label}}`` JSON file: ids as text, labels as numbers) or ``shared:NAME``
    (``answers.csv`` read by pandas)."""
    import pandas as pd

    if source == "toy":
        return pd.DataFrame(TOY, columns=["task", "worker", "label"])
    kind, _, name = source.partition(":")
    if kind == "bundled":
        answers = json.loads((BUNDLED / name / "answers.json").read_text())
        rows = [(t, w, label) for t, given in answers.items() for w, label in given.items()]
        return pd.DataFrame(rows, columns=["task", "worker", "label"])
    return pd.read_csv(SHARED / name / "answers.csv")[["task", "worker", "label"]]


def gold_series(source: str, first: int):
    """The first ``first`` gold labels of ``source`` (truth.csv order) as a Series by task."""
    import pandas as pd

    kind, _, name = source.partition(":")
    folder = (BUNDLED if kind == "bundled" else SHARED) / name
    truth = pd.read_csv(folder / "truth.csv")
    task_column = truth.columns[0]
    tasks = truth[task_column].astype(str) if kind == "bundled" else truth[task_column]
    return pd.Series(truth[truth.columns[1]].to_numpy(), index=tasks).iloc[:first]


def initial_error_frame(df, workers: int | None, diag: float, scale: float):
    """crowd-kit's ``initial_error`` layout, (worker, observed label) x true label, for the
    first ``workers`` worker ids in sorted order (all when None): ``scale * diag`` on the
    diagonal, the rest of ``scale`` spread evenly over the other labels."""
    import pandas as pd

    labels = sorted(df["label"].unique().tolist())
    ids = sorted(df["worker"].unique().tolist(), key=str)
    ids = ids if workers is None else ids[:workers]
    off = scale * (1.0 - diag) / (len(labels) - 1)
    index = pd.MultiIndex.from_tuples([(w, lab) for w in ids for lab in labels],
                                      names=["worker", "label"])
    rows = [[scale * diag if lab == true else off for true in labels]
            for _ in ids for lab in labels]
    return pd.DataFrame(rows, index=index, columns=labels)


# -- the child: runs one example under crowd-kit -----------------------------------------------
def run_example(name: str) -> dict:
    """Fit crowd-kit on example ``name``; its outputs as JSON-ready lists."""
    import numpy as np
    import pandas as pd
    from crowdkit import aggregation

    spec = EXAMPLES[name]
    df = answers_frame(spec["data"])
    model = getattr(aggregation, spec["cls"])(**spec.get("args", {}))
    fit_args = []
    if "skills" in spec:
        fit_args.append(pd.Series(spec["skills"]))
    if "gold_first" in spec:
        fit_args.append(gold_series(spec["data"], spec["gold_first"]))
    fit_kwargs = {}
    if "initial_error" in spec:
        fit_kwargs["initial_error"] = initial_error_frame(df, **spec["initial_error"])
    labels = model.fit_predict(df, *fit_args, **fit_kwargs)
    out = {"example": name, "class": spec["cls"], "args": spec.get("args", {}),
           "data": spec["data"], "tasks": [_plain(t) for t in labels.index],
           "labels": [_plain(v) for v in labels.to_numpy()]}
    if "skills" in spec:
        out["fit_skills"] = spec["skills"]
    if "gold_first" in spec:
        out["gold_first"] = spec["gold_first"]
    if "initial_error" in spec:
        out["initial_error"] = spec["initial_error"]
    keep = spec["keep"]
    if "probas" in keep:
        probas = model.probas_ if getattr(model, "probas_", None) is not None else None
        if probas is None:  # Wawa, ZBS, GoldMV: probas_ is set by predict_proba
            probas = model.predict_proba(df)
        probas = probas.reindex(labels.index)
        out["proba_columns"] = [_plain(c) for c in probas.columns]
        out["probas"] = np.round(probas.to_numpy(dtype=float), 12).tolist()
    if "skills" in keep:
        out["skills"] = {str(k): float(v) for k, v in model.skills_.items()}
    if "errors" in keep:
        errors = model.errors_
        out["errors_columns"] = [_plain(c) for c in errors.columns]
        out["errors"] = [[str(w), _plain(lab), *np.round(row, 12).tolist()]
                         for (w, lab), row in zip(errors.index, errors.to_numpy(dtype=float))]
    if "priors" in keep:
        out["priors"] = {str(k): float(v) for k, v in model.priors_.items()}
    if "loss" in keep:
        out["n_iter"] = len(model.loss_history_)
    return out


def _plain(value):
    """A numpy scalar as the Python value JSON can hold."""
    return value.item() if hasattr(value, "item") else value


def child(names: list[str]) -> int:
    from importlib import metadata

    versions = {d: metadata.version(d) for d in ("crowd-kit", "pandas", "numpy", "scipy")}
    for name in names:
        result = run_example(name)
        result["versions"] = versions
        print(json.dumps(result))
    return 0


# -- the parent ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated example names")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(EXAMPLES)
    unknown = sorted(set(names) - set(EXAMPLES))
    if unknown:
        raise SystemExit(f"unknown example(s): {', '.join(unknown)}; known: {', '.join(EXAMPLES)}")
    if args.child:
        return child(names)
    import subprocess

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import ensure_bench_env, single_thread_env

    env = ensure_bench_env(want_peerannot=False)
    if not env.has_crowdkit:
        raise SystemExit(f"crowd-kit is not available: {env.errors.get('crowd-kit')}")
    subprocess.run([str(env.python), "-m", "pip", "install", "-q", *COMPAT_PINS], check=True)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name in names:
        proc = subprocess.run([str(env.python), __file__, "--child", "--only", name],
                              capture_output=True, text=True, env=single_thread_env())
        if proc.returncode != 0:
            raise SystemExit(f"{name}: crowd-kit failed:\n{proc.stderr[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        path = FIXTURES / f"{name}.json"
        path.write_text(json.dumps(result, separators=(",", ":")) + "\n")
        print(f"{name}: {len(result['labels'])} labels -> {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
