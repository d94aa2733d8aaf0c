"""The aggregation use case as a library call: spec + dataset in, labels and provenance out.

``crowd aggregate`` is a thin adapter over :func:`aggregate`; Python users call it directly
and get the same labels, checks and provenance record as the command line::

    from crowdkit_core.application import aggregate
    result = aggregate("bundled:labelme", "DS[max_iter=50]", seed=0)
    result.labels, result.provenance["input_sha256"]
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from crowdkit_core.errors import CrowdkitError, StrategyFailed
from crowdkit_core.gold import plan_gold

if TYPE_CHECKING:
    from crowdkit_core.dataset import CrowdDataset
    from crowdkit_core.gold import GoldPlan
    from crowdkit_core.plugins import PluginRegistry
    from crowdkit_core.spec import ResolvedSpec


@dataclass
class AggregationResult:
    """Everything one aggregation produced, full-size over the dataset's tasks.

    ``labels`` is -1 and ``proba`` is all zeros for tasks left out by ``keep``; the fitted
    ``model`` saw only the kept tasks. ``provenance`` is the JSON-ready record of the run
    (the writer adds where the files went).
    """

    labels: np.ndarray
    proba: np.ndarray
    keep: np.ndarray
    model: Any
    spec: "ResolvedSpec"
    dataset: "CrowdDataset"
    gold_accuracy: float | None = None
    gold_coverage: float | None = None
    gold_tasks: int = 0
    #: Gold labels given to the strategy for fitting (never scored), and their accuracy.
    fit_gold_tasks: int = 0
    fit_gold_accuracy: float | None = None
    gold_plan: "GoldPlan | None" = None
    warnings: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        """The model's per-task / per-worker outputs keyed by the original ids (JSON-ready)."""
        return self.model.details(self.dataset.task_ids[self.keep], self.dataset.worker_ids)

    def workers(self) -> Any:
        """The fitted workers table (:class:`~crowdkit_core.worker_file.WorkerTable`) of a
        strategy that exports one (``export_workers``), else None."""
        export = getattr(self.model, "export_workers", None)
        return export(self.dataset) if export is not None else None

    @property
    def frames(self) -> Any:
        """pandas views of the results keyed by the original ids (the fitted model's
        :class:`~crowdkit_core.frame_view.FrameView`: tasks left out by ``remove`` are not
        in them)."""
        return self.model.frames

    def write(self, **options: Any) -> dict[str, Any]:
        """Write the labels, details and provenance files as ``crowd aggregate`` does
        (:func:`crowdkit_core.writers.write_result` with ``options``: ``fmt``, ``hard``,
        ``output_dir``...); returns the provenance record as written."""
        from crowdkit_core.writers import write_result

        return write_result(self, **options)

    def _repr_html_(self) -> str:
        from crowdkit_core.notebook import result_html

        return result_html(self)


def resolve_strategy(strategy: str, *, overrides: Sequence[str] = (), seed: int | None = None,
                     registry: "PluginRegistry | None" = None,
                     kind: str = "aggregation") -> "ResolvedSpec":
    """The installed strategy of ``kind`` and validated parameters for the spec ``strategy``,
    with the ``key=value`` ``overrides`` and then ``seed`` applied on top."""
    from crowdkit_core.spec import resolve_spec

    seeded = [*overrides, *([f"seed={seed}"] if seed is not None else [])]
    return resolve_spec(strategy, registry, overrides=seeded, kind=kind)


def aggregate(
    dataset: "str | os.PathLike[str] | CrowdDataset",
    strategy: "str | ResolvedSpec" = "MV",
    *,
    overrides: Sequence[str] = (),
    seed: int | None = None,
    remove: "str | os.PathLike[str] | None" = None,
    on_iteration: Callable[[int, float], None] | None = None,
    registry: "PluginRegistry | None" = None,
    answers_file: "str | os.PathLike[str] | None" = None,
    metadata_path: "str | os.PathLike[str] | None" = None,
    duplicates: str = "keep",
    task_data: Mapping[str, Any] | None = None,
    init_from: "str | os.PathLike[str] | None" = None,
    init_mode: str = "assign",
    gold: Any = None,
    holdout_gold: float | None = None,
) -> AggregationResult:
    """Run ``strategy`` (a spec such as ``"DS[tol=1e-5]"``) on ``dataset`` and return the result.

    ``dataset`` is a folder, answers file or ``bundled:NAME`` (loaded with ``answers_file``,
    ``metadata_path`` and ``duplicates``), a :class:`CrowdDataset` or a DataFrame with
    ``task``, ``worker``, ``label`` columns. A spec string is
    resolved with :func:`resolve_strategy` (``overrides``, then ``seed``); an already
    resolved spec is used as it is. ``remove`` is a task list file whose tasks are left out
    (label -1, zero probabilities); ``on_iteration(iteration, objective)`` sees every EM step.
    ``task_data`` maps the strategy's declared per-task or per-worker inputs (``fit_inputs``,
    e.g. PlantNet's ``authors``, MV's ``skills``) to values or files; files are fingerprinted
    like the dataset.
    ``init_from`` is a workers file of an earlier fit of the same strategy (a warm start,
    ``init_mode`` ``assign``, ``addition`` or ``prior``: see docs/warm-start.md); it is
    fingerprinted too.
    ``gold`` (a gold file, array or ``{task: label}`` mapping) is given to a strategy tagged
    ``uses_gold``; ``holdout_gold`` splits the gold (``gold``, else the dataset's own) into a
    fitting and a scoring part, seeded by ``seed`` (:func:`crowdkit_core.gold.plan_gold`).
    Accuracy is scored only on gold tasks the strategy did not see; a strategy that cannot
    use gold is fitted without it, with a one-line warning.
    Bad input raises a :class:`~crowdkit_core.errors.CrowdkitError` naming the file and fix;
    an unexpected exception inside the strategy becomes
    :class:`~crowdkit_core.errors.StrategyFailed` (a bug report, not a user error).
    """
    from crowdkit_core.dataset import CrowdDataset, as_dataset, load_dataset
    from crowdkit_core.dataset.frames import is_frame
    from crowdkit_core.provenance import provenance_record

    start = time.perf_counter()
    if isinstance(strategy, str):
        spec = resolve_strategy(strategy, overrides=overrides, seed=seed, registry=registry)
    else:
        spec = strategy
    if isinstance(dataset, CrowdDataset):
        data = dataset
    elif is_frame(dataset):  # a DataFrame task,worker,label: no file to fingerprint
        data = as_dataset(dataset)
    else:
        data = load_dataset(dataset, answers_file=answers_file, metadata_path=metadata_path,
                            duplicates=duplicates)  # type: ignore[arg-type]
    keep = _kept_tasks(data, remove)
    inputs = _checked_task_data(spec, task_data or {})
    if init_from is not None:
        inputs["init"] = _worker_init(spec, init_from, init_mode)
    plan = plan_gold(data, gold, holdout_gold, seed)
    gold_warnings = _gold_inputs(spec, plan, keep, inputs)
    model = spec.build()
    _fit(model, spec, data if keep.all() else data.subset_tasks(keep), on_iteration, inputs)

    labels = np.full(data.n_tasks, -1, dtype=np.int64)
    labels[keep] = model.labels_
    proba = np.zeros((data.n_tasks, data.n_classes))
    proba[keep] = model.proba_
    result = AggregationResult(labels, proba, keep, model, spec, data,
                               warnings=[*data.warnings, *gold_warnings,
                                         *getattr(model, "warnings_", [])], gold_plan=plan)
    _score_on_gold(result, plan)
    files = [*data.inputs, *([plan.file] if plan.file else []), *([os.fspath(remove)] if remove else []),
             *([os.fspath(init_from)] if init_from is not None else []),
             *(os.fspath(v) for k, v in inputs.items()
               if k != "init" and isinstance(v, (str, os.PathLike)))]
    result.provenance = provenance_record(result, files, time.perf_counter() - start)
    if plan.fit is not None or plan.holdout is not None:
        result.provenance["fit_gold"] = {**plan.to_dict(), "accuracy": result.fit_gold_accuracy}
    return result


def _gold_inputs(spec: "ResolvedSpec", plan: "GoldPlan", keep: np.ndarray,
                 inputs: dict[str, Any]) -> list[str]:
    """Put the fitting gold (of the kept tasks) into ``inputs`` if the strategy uses gold;
    otherwise return the one-line warning that it does not."""
    if plan.fit is None:
        return []
    if not spec.strategy_class.tags.uses_gold:
        return [f"{spec.info.name} does not use gold labels (tag uses_gold is off): it was "
                f"fitted without the {plan.n_fit} gold labels, which are still left out of "
                "scoring (strategies that use gold show 'uses gold' in crowd list-strategies)"]
    inputs["gold"] = plan.fit[keep]
    return []


def _checked_task_data(spec: "ResolvedSpec", task_data: Mapping[str, Any]) -> dict[str, Any]:
    """``task_data`` if the strategy declares every key as a fit input, else a one-line
    error listing what it accepts."""
    cls = spec.strategy_class
    unknown = cls.unknown_inputs(task_data)
    if unknown:
        raise CrowdkitError(f"--task-data {unknown[0]}: {spec.info.name} has no per-task input "
                            f"{unknown[0]!r} (it accepts: {cls.accepted_inputs()})")
    return dict(task_data)


def _worker_init(spec: "ResolvedSpec", path: "str | os.PathLike[str]", mode: str) -> Any:
    """The checked warm start from the workers file ``path`` (one-line errors)."""
    from crowdkit_core.worker_file import WorkerInit, read_worker_table

    cls = spec.strategy_class
    if not (cls.tags.warm_start and hasattr(cls, "export_workers")):
        raise CrowdkitError(f"--init-from {path}: {spec.info.name} cannot start from a workers "
                            "file; strategies that can: DS, OneCoinDS, WDS (see docs/warm-start.md)")
    return WorkerInit(read_worker_table(path), mode, os.fspath(path))  # type: ignore[arg-type]


def _fit(model: Any, spec: "ResolvedSpec", data: "CrowdDataset",
         on_iteration: Callable[[int, float], None] | None, inputs: dict[str, Any]) -> None:
    """Fit, telling a user error (CrowdkitError) from a bug in the strategy's code."""
    _fit_guarded(spec, lambda: model.fit(data, on_iteration=on_iteration, **inputs))


def _fit_guarded(spec: "ResolvedSpec", run: Callable[[], Any]) -> None:
    """Run ``run()`` (a fit or partial fit); an unexpected exception becomes StrategyFailed."""
    try:
        run()
    except CrowdkitError:
        raise
    except Exception as exc:
        info = spec.info
        origin = f"plugin {info.plugin!r}, {info.distribution or 'unknown distribution'} " \
                 f"{info.distribution_version}".rstrip()
        raise StrategyFailed(
            f"strategy {info.name} ({origin}) failed: {type(exc).__name__}: {exc}. This is a bug "
            "in the strategy, not in your input: please report it to the plugin's authors "
            "(CROWDKIT_TRACEBACK=1 shows the traceback)") from exc


def _kept_tasks(data: "CrowdDataset", remove: "str | os.PathLike[str] | None") -> np.ndarray:
    """Mask of the tasks to aggregate: all but those listed in the ``remove`` file."""
    if not remove:
        return np.ones(data.n_tasks, dtype=bool)
    from crowdkit_core.dataset import read_task_list

    keep = ~read_task_list(remove, data)
    if not keep.any():
        raise CrowdkitError(f"{remove}: removes every task; nothing left to aggregate; keep at least one task")
    return keep


def _score_on_gold(result: AggregationResult, plan: "GoldPlan") -> None:
    """Set the gold accuracy, coverage and count over the kept tasks that have a scoring
    gold label (never one the strategy was given), and the accuracy on the fitting gold."""
    from crowdkit_core.metrics import labelled_accuracy

    if plan.fit is not None:
        fitted = (plan.fit >= 0) & result.keep
        result.fit_gold_tasks = int(fitted.sum())
        if result.fit_gold_tasks:
            result.fit_gold_accuracy = labelled_accuracy(result.labels, np.where(fitted, plan.fit, -1))[0]
    gold = plan.score
    if gold is None:
        return
    known = (gold >= 0) & result.keep
    result.gold_tasks = int(known.sum())
    if result.gold_tasks:
        result.gold_accuracy, result.gold_coverage = labelled_accuracy(result.labels, np.where(known, gold, -1))
