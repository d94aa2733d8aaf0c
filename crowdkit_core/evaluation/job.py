"""The evaluation use case: strategies x datasets, each run scored against gold labels.

``crowd evaluate`` and ``benchmarks/accuracy.py`` are thin callers of :func:`evaluate`::

    from crowdkit_core.evaluation import evaluate
    report = evaluate(["bundled:labelme"], "all", time_limit=60, jobs=2)
    [(run.spec, run.scores.accuracy) for run in report.datasets[0].ranked() if run.scores]
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, Union

import numpy as np

from crowdkit_core.errors import CrowdkitError, DatasetError
from crowdkit_core.evaluation.runner import Outcome, Status, failure_reason, run_limited
from crowdkit_core.metrics import Scores, score_labels

if TYPE_CHECKING:
    from crowdkit_core.dataset import CrowdDataset
    from crowdkit_core.gold import GoldPlan
    from crowdkit_core.plugins import PluginRegistry
    from crowdkit_core.spec import ResolvedSpec

DatasetLike = Union[str, "os.PathLike[str]", "CrowdDataset"]
GoldLike = Union[None, str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]", None]]]


@dataclass
class StrategyRun:
    """One strategy on one dataset: its scores, or why there are none (timed out, failed)."""

    spec: str
    status: Status
    reason: str = ""
    scores: Scores | None = None
    fit_seconds: float | None = None
    wall_seconds: float = 0.0
    iterative: bool = False
    n_iter: int | None = None
    converged: bool | None = None
    warnings: list[str] = field(default_factory=list)

    def sort_key(self) -> tuple[float, float]:
        """Ranking: share of gold tasks labelled correctly (accuracy x coverage, so labelling
        only the easy tasks does not win), then log-loss; runs without scores last."""
        if self.scores is None:
            return (1.0, float("inf"))
        loss = self.scores.log_loss
        return (-self.scores.accuracy_all, loss if loss == loss else float("inf"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (scores flattened in)."""
        out: dict[str, Any] = {"spec": self.spec, "status": self.status, "reason": self.reason,
                               "fit_seconds": self.fit_seconds, "wall_seconds": self.wall_seconds,
                               "iterative": self.iterative, "n_iter": self.n_iter,
                               "converged": self.converged, "warnings": self.warnings}
        out["scores"] = self.scores.to_dict() if self.scores is not None else None
        return out


@dataclass
class DatasetEvaluation:
    """Every run on one dataset, in the order the strategies were given."""

    name: str
    source: str
    n_tasks: int
    n_workers: int
    n_answers: int
    n_classes: int
    n_gold: int
    gold_file: str | None
    label_names: list[str]
    runs: list[StrategyRun] = field(default_factory=list)
    #: Gold tasks given to the strategies for fitting (``--holdout-gold``), never scored;
    #: ``n_gold`` counts the scored ones.
    n_fit_gold: int = 0

    def ranked(self) -> list[StrategyRun]:
        """The runs best first (:meth:`StrategyRun.sort_key`; ties keep the given order)."""
        return sorted(self.runs, key=StrategyRun.sort_key)

    def to_dict(self) -> dict[str, Any]:
        ranked = self.ranked()
        return {"name": self.name, "source": self.source, "n_tasks": self.n_tasks,
                "n_workers": self.n_workers, "n_answers": self.n_answers,
                "n_classes": self.n_classes, "n_gold": self.n_gold, "n_fit_gold": self.n_fit_gold,
                "gold_file": self.gold_file,
                "label_names": self.label_names,
                "ranking": [r.spec for r in ranked if r.scores is not None],
                "runs": [r.to_dict() for r in self.runs]}


@dataclass
class Evaluation:
    """The result of :func:`evaluate`: one :class:`DatasetEvaluation` per dataset."""

    specs: list[str]
    datasets: list[DatasetEvaluation]
    time_limit: float | None
    seed: int | None
    holdout_gold: float | None = None

    def accuracy_table(self) -> dict[str, dict[str, float | None]]:
        """{spec: {dataset: accuracy on labelled gold tasks (None without a score)}}."""
        table: dict[str, dict[str, float | None]] = {spec: {} for spec in self.specs}
        for ds in self.datasets:
            for run in ds.runs:
                table[run.spec][ds.name] = run.scores.accuracy if run.scores else None
        return table

    def to_dict(self) -> dict[str, Any]:
        return {"specs": self.specs, "time_limit": self.time_limit, "seed": self.seed,
                "holdout_gold": self.holdout_gold,
                "datasets": [d.to_dict() for d in self.datasets],
                "accuracy_table": self.accuracy_table()}


def split_specs(text: str) -> list[str]:
    """Split a comma-separated list of specs on commas outside brackets, so
    ``MV[ties=lowest],DS[max_iter=5,tol=0]`` is two specs."""
    out, depth, current = [], 0, []
    for char in text:
        depth += (char == "[") - (char == "]")
        if char == "," and depth == 0:
            out.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    out.append("".join(current).strip())
    return [spec for spec in out if spec]


@dataclass
class PlannedSpec:
    """A strategy to run: its resolved spec, or why it cannot be built (``error``)."""

    text: str
    spec: "ResolvedSpec | None" = None
    error: str = ""


def plan_specs(strategies: "str | Sequence[str | ResolvedSpec]" = "all", *,
               seed: int | None = None, registry: "PluginRegistry | None" = None,
               ) -> list[PlannedSpec]:
    """The specs to run, each once (by canonical spec), in the given order.

    ``"all"`` (alone or as an item) stands for every registered aggregation strategy with
    its default parameters; one of those that cannot be built (its plugin fails to import)
    is kept with its error. A spec given by name that is wrong raises its SpecError.
    """
    from crowdkit_core.application import resolve_strategy
    from crowdkit_core.plugins import get_registry

    registry = registry or get_registry()
    items: list[str | ResolvedSpec] = (
        split_specs(strategies) if isinstance(strategies, str) else list(strategies))
    planned: list[PlannedSpec] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, str) and item.strip().lower() == "all":
            for info in registry.strategies("aggregation"):
                try:
                    spec = resolve_strategy(info.name, seed=seed, registry=registry)
                except CrowdkitError as exc:
                    planned.append(PlannedSpec(info.name, error=failure_reason(exc)))
                    seen.add(info.name)
                    continue
                if spec.canonical not in seen:
                    planned.append(PlannedSpec(spec.canonical, spec))
                    seen.add(spec.canonical)
            continue
        spec = item if not isinstance(item, str) else resolve_strategy(item, seed=seed, registry=registry)
        if spec.canonical not in seen:
            planned.append(PlannedSpec(spec.canonical, spec))
            seen.add(spec.canonical)
    if not planned:
        raise CrowdkitError("no strategy to evaluate; give -s SPEC or --strategies all")
    return planned


def load_gold_dataset(dataset: DatasetLike, gold: "str | os.PathLike[str] | None" = None) -> "CrowdDataset":
    """The dataset with the gold labels to score against: those of ``gold`` (a truth.csv /
    .tsv / .json file, every entry checked) or the dataset's own; an error without any."""
    from crowdkit_core.dataset import CrowdDataset, load_dataset, read_gold

    data = dataset if isinstance(dataset, CrowdDataset) else load_dataset(dataset)
    where = data.source or data.name
    if gold is not None:
        path = Path(gold)
        if not path.is_file():
            raise DatasetError(f"{path}: gold file not found; check --gold")
        labels = read_gold(path, data.task_ids, data.n_classes, data.label_names, strict=True)
        if not (labels >= 0).any():
            raise DatasetError(f"{path}: no gold label in the file; give task,label lines")
        return data.with_gold(labels)
    if data.gold is None or not (data.gold >= 0).any():
        raise DatasetError(f"{where}: no gold labels (no truth.csv next to the answers, or none "
                           "for an answered task); pass --gold FILE")
    return data


def _gold_files(gold: GoldLike, n: int) -> list["str | os.PathLike[str] | None"]:
    """One gold file (or None) per dataset: a single one applies to every dataset."""
    if gold is None or isinstance(gold, (str, os.PathLike)):
        return [gold] * n
    files = list(gold)
    if len(files) == 1:
        return files * n
    if len(files) != n:
        raise CrowdkitError(f"--gold: {len(files)} gold files for {n} datasets; give one for "
                            "all datasets or one per dataset, in the same order")
    return files


def _run_strategy(data: "CrowdDataset", spec: "ResolvedSpec",
                  plan: "GoldPlan | None" = None) -> dict[str, Any]:
    """Fit ``spec`` on ``data`` (the aggregate job) and score it; runs in a worker process.

    With a gold ``plan``, its fitting part goes to the strategy and only its scoring part is
    scored."""
    from crowdkit_core.application import aggregate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = aggregate(data, spec, gold=None if plan is None else plan.fit)
    model = result.model
    truth = data.gold if plan is None else plan.score
    assert truth is not None
    return {
        "scores": score_labels(result.labels, result.proba, truth, data.n_classes),
        "fit_seconds": float(getattr(model, "fit_seconds_", 0.0)),
        "n_iter": int(getattr(model, "n_iter_", 0) or 0),
        "converged": bool(getattr(model, "converged_", True)),
        "warnings": [str(w) for w in result.warnings if w not in data.warnings],
    }


def evaluate(
    datasets: Sequence[DatasetLike],
    strategies: "str | Sequence[str | ResolvedSpec]" = "all",
    *,
    gold: GoldLike = None,
    time_limit: float | None = None,
    jobs: int = 1,
    seed: int | None = None,
    registry: "PluginRegistry | None" = None,
    on_run: Callable[[str, StrategyRun], None] | None = None,
    holdout_gold: float | None = None,
) -> Evaluation:
    """Run every strategy on every dataset and score it against the gold labels.

    ``strategies``: ``"all"`` (every registered aggregator), a comma-separated string or
    a list of specs / resolved specs; ``gold``: a gold file for every dataset, one per
    dataset, or None for each dataset's own truth file. Each run gets ``time_limit`` wall
    seconds in a worker process (see :mod:`crowdkit_core.evaluation.runner`); ``jobs`` run
    at once; results come back in the given order whatever ``jobs`` is, and ``on_run(dataset
    name, run)`` sees each as it finishes. ``seed`` overrides every strategy's seed.
    ``holdout_gold``: hold out this fraction of each dataset's gold tasks for scoring and give
    the rest to the strategies that use gold (:func:`crowdkit_core.gold.holdout_split`,
    stratified, seeded by ``seed`` or 0); every strategy is scored on the same held-out tasks.
    Bad input (a dataset, a gold file, a spec) raises a one-line CrowdkitError before any run.
    """
    if time_limit is not None and time_limit <= 0:
        raise CrowdkitError(f"--time-limit {time_limit:g}: give a positive number of seconds")
    if jobs < 1:
        raise CrowdkitError(f"--jobs {jobs}: give at least 1")
    if not datasets:
        raise CrowdkitError("no dataset to evaluate on; give at least one")
    planned = plan_specs(strategies, seed=seed, registry=registry)
    loaded = [load_gold_dataset(d, g) for d, g in zip(datasets, _gold_files(gold, len(datasets)))]
    plans = [None if holdout_gold is None else _holdout_plan(d, holdout_gold, seed) for d in loaded]
    for data in loaded:
        _warm(data)
    cells = [(d, p, g) for d, g in zip(loaded, plans) for p in planned]
    runnable = [(i, d, p, g) for i, (d, p, g) in enumerate(cells) if p.spec is not None]
    runs: list[StrategyRun | None] = [
        None if p.spec is not None else StrategyRun(p.text, "failed", reason=p.error) for _, p, _ in cells]

    def report(position: int, outcome: Outcome) -> None:
        index, data, plan, _ = runnable[position]
        runs[index] = _as_run(plan, outcome)
        if on_run is not None:
            on_run(data.name, runs[index])  # type: ignore[arg-type]

    calls = [_bound(d, p.spec, g) for _, d, p, g in runnable]
    run_limited(calls, time_limit, jobs, on_outcome=report)
    results = []
    names = _unique_names([data.name for data in loaded])
    for k, data in enumerate(loaded):
        gold_file = _gold_files(gold, len(datasets))[k]
        ds = DatasetEvaluation(
            names[k], data.source or data.name, data.n_tasks, data.n_workers, data.n_answers,
            data.n_classes, int((np.asarray(data.gold if plans[k] is None else plans[k].score) >= 0).sum()),
            None if gold_file is None else os.fspath(gold_file),
            [data.label_name(c) for c in range(data.n_classes)],
            n_fit_gold=0 if plans[k] is None else plans[k].n_fit)
        ds.runs = [r for r in runs[k * len(planned):(k + 1) * len(planned)] if r is not None]
        results.append(ds)
    return Evaluation([p.text for p in planned], results, time_limit, seed, holdout_gold)


def _holdout_plan(data: "CrowdDataset", fraction: float, seed: int | None) -> "GoldPlan":
    """The dataset's scoring gold split into a fitting and a held-out part; an error when
    nothing is left to score."""
    from crowdkit_core.gold import plan_gold

    plan = plan_gold(data, None, fraction, seed)
    if plan.score is None:
        raise CrowdkitError(f"--holdout-gold {fraction:g}: holds out no gold task of "
                            f"{data.source or data.name}, so nothing would be scored; give a "
                            "larger fraction")
    return plan


def _unique_names(names: list[str]) -> list[str]:
    """The datasets' names, a repeated one numbered (``answers``, ``answers (2)``), so that
    tables keyed by dataset keep every column."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


#: Derived structures of a dataset most strategies use, built once before the workers fork.
_SHARED_STRUCTURES = ("task_starts", "answer_matrix", "answer_matrix_t", "vote_counts",
                      "answers_per_column", "answers_per_worker")


def _warm(data: "CrowdDataset") -> None:
    """Build the dataset's shared derived arrays in this process, so that every forked run
    inherits them (a run's fit time then measures the strategy, as in one process)."""
    for name in _SHARED_STRUCTURES:
        getattr(data, name)


def _bound(data: "CrowdDataset", spec: "ResolvedSpec | None",
           plan: "GoldPlan | None" = None) -> Callable[[], dict[str, Any]]:
    def call() -> dict[str, Any]:
        assert spec is not None
        return _run_strategy(data, spec, plan)

    return call


def _as_run(plan: PlannedSpec, outcome: Outcome) -> StrategyRun:
    """A StrategyRun from the worker's outcome."""
    assert plan.spec is not None
    iterative = bool(plan.spec.strategy_class.tags.iterative)
    run = StrategyRun(plan.text, outcome.status, outcome.reason, wall_seconds=outcome.seconds,
                      iterative=iterative)
    if outcome.status == "ok":
        value = outcome.value
        run.scores = value["scores"]
        run.fit_seconds = value["fit_seconds"]
        run.n_iter = value["n_iter"] if iterative else None
        run.converged = value["converged"] if iterative else None
        run.warnings = value["warnings"]
    return run
