"""``crowd aggregate``: the command-line adapter over :func:`crowdkit_core.application.aggregate`.

It parses the options, shows a progress bar while the strategy fits, writes the results with
:func:`crowdkit_core.writers.write_result` and prints a summary table (or the provenance JSON).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated, Any, Callable, Iterator, Optional

import typer

from crowdkit_core.cli.common import handle_user_errors, print_json, stderr, stdout, warn_plugin_failures
from crowdkit_core.cli.data import AnswersOpt, DatasetArg, DuplicatesOpt, MetadataOpt


@handle_user_errors
def aggregate(
    dataset: DatasetArg,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="Strategy spec, e.g. MV or 'DS\\[max_iter=50,tol=1e-5]'.")] = "MV",
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="Extra key=value parameter (repeatable); shell-safe alternative to the [..] spec.")] = None,
    hard: Annotated[bool, typer.Option("--hard", help="Write hard labels (int, -1 = no label) instead of soft (n_tasks, K) probabilities.")] = False,
    answers_file: AnswersOpt = None,
    metadata_path: MetadataOpt = None,
    path_remove: Annotated[Optional[str], typer.Option("--path-remove", help="File of task ids to leave out (one per line, JSON list, or .npy); their rows get -1 (hard) or zeros (soft).")] = None,
    output_dir: Annotated[Optional[str], typer.Option("--output-dir", "-o", help="Where to write (default: DATASET/labels for a folder, ./labels otherwise).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="npy (peerannot layout), csv (task id, label name[, probabilities]) or json.")] = "npy",
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for every random choice (overrides the spec's seed).")] = None,
    duplicates: DuplicatesOpt = "keep",
    task_data: Annotated[Optional[list[str]], typer.Option("--task-data", help="NAME=FILE: a per-task input of the strategy (e.g. PlantNet's authors=authors.json); repeatable.")] = None,
    gold: Annotated[Optional[str], typer.Option("--gold", help="Known labels (task,label CSV/TSV or {task: label} JSON, original ids and label names, as truth.csv) given to the strategy for fitting; never scored.")] = None,
    holdout_gold: Annotated[Optional[float], typer.Option("--holdout-gold", help="Split the gold labels (--gold, else the dataset's truth) per class: this fraction is held out for scoring, the rest given to the strategy (seeded by --seed, default 0).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the provenance record as JSON instead of a summary table.")] = False,
    init_from: Annotated[Optional[str], typer.Option("--init-from", help="Workers file (.workers.json) of an earlier run of the same strategy: warm-start from its workers (DS, OneCoinDS, WDS).")] = None,
    init_mode: Annotated[str, typer.Option("--init-mode", help="How --init-from is used: assign (saved matrices start EM), addition (saved counts added to the first M-step, crowd-kit's) or prior (saved counts added at every M-step).")] = "assign",
    update: Annotated[Optional[str], typer.Option("--update", help="State file: add DATASET as a batch to it (created when absent) by incremental EM and rewrite it; labels cover every task seen (DS, OneCoinDS).")] = None,
    state_out: Annotated[Optional[str], typer.Option("--state-out", help="With --update: write the new state here instead of over the --update file.")] = None,
    revisit: Annotated[float, typer.Option("--revisit", min=0.0, help="With --update: earlier tasks re-estimated per batch task (round-robin), so early tasks catch up.")] = 1.0,
    engine: Annotated[str, typer.Option("--engine", help="threads (local, the fast default) or dask (partitions on a Dask cluster; docs/engines.md).")] = "threads",
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786); default: a local cluster.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Worker processes of the local Dask cluster (default 1).")] = None,
    memory_limit: Annotated[Optional[str], typer.Option("--memory-limit", help="Memory per local Dask worker, e.g. 4GB; beyond it Dask spills to disk.")] = None,
    partitions: Annotated[Optional[int], typer.Option("--partitions", min=1, help="Task partitions for --engine dask (default 4 per worker).")] = None,
    by_file: Annotated[bool, typer.Option("--by-file", help="With --engine dask: the Parquet files of DATASET are partitioned by task (each file one partition, no bucketing pass).")] = False,
) -> None:
    """Aggregate crowd answers into labels with a strategy."""
    from crowdkit_core.application import aggregate as run_aggregation
    from crowdkit_core.cli.peerannot import resolve
    from crowdkit_core.plugins import get_registry
    from crowdkit_core.dataset import load_dataset
    from crowdkit_core.writers import check_format, check_output, write_result

    from crowdkit_core.engines.job import check_engine_options

    check_format(fmt)
    _check_mode_options(init_from, init_mode, update, state_out, path_remove, task_data,
                        gold=gold, holdout_gold=holdout_gold, engine=engine)
    check_engine_options(engine, scheduler, workers, memory_limit)
    registry = get_registry()
    warn_plugin_failures(registry)
    spec = resolve(strategy, overrides=param or (), seed=seed, registry=registry)
    max_iter = spec.params.max_iter if spec.strategy_class.tags.iterative else None  # type: ignore[attr-defined]
    if engine != "threads":
        _on_engine(dataset, spec, engine, max_iter, as_json, hard=hard, fmt=fmt, output_dir=output_dir,
                   scheduler=scheduler, workers=workers, memory_limit=memory_limit,
                   partitions=partitions, by_file=by_file)
        return
    extra = None
    if update is not None:
        from pathlib import Path

        from crowdkit_core.incremental import update as run_update

        result, payload, fresh = run_update(dataset, update, spec, revisit=revisit,
                                            answers_file=answers_file,
                                            metadata_path=metadata_path, duplicates=duplicates)
        if fresh:
            stderr.print(f"Note: {update} does not exist; starting a new state there", markup=False)
        extra = {Path(state_out or update): payload}
    else:
        data = load_dataset(dataset, answers_file=answers_file, metadata_path=metadata_path,
                            duplicates=duplicates)
        check_output(data.name, spec.canonical, fmt, output_dir=output_dir, source=dataset,
                     hard=hard, strategy=strategy, glad=spec.info.name == "GLAD")  # before the fit
        with _progress_bar(spec.info.name, max_iter) as on_iteration:
            result = run_aggregation(
                data, spec, remove=path_remove, on_iteration=on_iteration,
                task_data=_named_files(task_data or []), init_from=init_from, init_mode=init_mode,
                gold=gold, holdout_gold=holdout_gold,
            )
    record = write_result(result, fmt=fmt, hard=hard, output_dir=output_dir, source=dataset,
                          extra_files=extra, strategy=strategy)
    if extra:
        record["state"] = str(next(iter(extra)))
    for message in result.warnings:
        stderr.print(f"Warning: {message}", markup=False)
    if as_json:
        print_json(record)
    else:
        _print_summary(result, record)


def _check_mode_options(init_from: Any, init_mode: str, update: Any, state_out: Any,
                        path_remove: Any, task_data: Any, *, gold: Any, holdout_gold: Any,
                        engine: str) -> None:
    """One-line errors for option combinations that make no sense, before any work."""
    from crowdkit_core.errors import CrowdkitError
    from crowdkit_core.worker_file import INIT_MODES

    if init_mode not in INIT_MODES:
        raise CrowdkitError(f"--init-mode {init_mode!r}: use one of {', '.join(INIT_MODES)}")
    if state_out is not None and update is None:
        raise CrowdkitError("--state-out needs --update STATE (the state to add the batch to)")
    if update is not None:
        for name, value in (("--init-from", init_from), ("--path-remove", path_remove),
                            ("--task-data", task_data), ("--gold", gold),
                            ("--holdout-gold", holdout_gold)):
            if value is not None and value not in ("", []):
                raise CrowdkitError(f"{name} cannot be combined with --update; a state carries "
                                    "its own history")
    if engine != "threads" and any(v is not None for v in (init_from, update, gold, holdout_gold)):
        raise CrowdkitError("--init-from, --update, --gold and --holdout-gold run on the local "
                            "engine only; drop --engine or them")


def _on_engine(dataset: str, spec: Any, engine: str, max_iter: int | None, as_json: bool, *,
               scheduler: str | None, workers: int | None, memory_limit: str | None,
               partitions: int | None, **write: Any) -> None:
    """``--engine dask``: the job of :mod:`crowdkit_core.engines.job` on a cluster engine."""
    from crowdkit_core.engines import make_engine, require_engine
    from crowdkit_core.engines.job import run_partitioned

    require_engine(spec.strategy_class, engine, spec.info.name)
    cluster = make_engine(engine, scheduler=scheduler, workers=workers, memory_limit=memory_limit)
    try:
        with _progress_bar(spec.info.name, max_iter) as on_iteration:
            model, record = run_partitioned(dataset, spec, cluster, n_partitions=partitions,
                                            on_iteration=on_iteration, **write)
    finally:
        getattr(cluster, "close", lambda: None)()
    for message in record.get("warnings", []):
        stderr.print(f"Warning: {message}", markup=False)
    if as_json:
        print_json(record)
    else:
        stdout.print(f"{spec.canonical} on {record['dataset']} ({record['engine']}, "
                     f"{record['n_partitions']} partitions): {record['n_iter']} iterations, "
                     f"fit {record['fit_seconds']:.3f} s; labels: {record['output']}", markup=False)


def _named_files(items: list[str]) -> dict[str, str]:
    """``--task-data NAME=FILE`` options as a mapping (a one-line error for a malformed one)."""
    from crowdkit_core.errors import CrowdkitError

    named: dict[str, str] = {}
    for item in items:
        name, equals, path = item.partition("=")
        if not equals or not name.strip() or not path.strip():
            raise CrowdkitError(f"--task-data {item!r}: write NAME=FILE, e.g. authors=authors.json")
        if name.strip() in named:
            raise CrowdkitError(f"--task-data {name.strip()}: given twice; give each input once")
        named[name.strip()] = path.strip()
    return named


@contextmanager
def _progress_bar(name: str, max_iter: int | None) -> Iterator[Callable[[int, float], None] | None]:
    """A rich progress bar on a terminal's stderr (iteration and objective); yields its
    callback, or None off a terminal (then rich.progress is not even imported)."""
    if not stderr.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(name, markup=False), BarColumn(), TextColumn("iter {task.completed:.0f}"),
        TextColumn("{task.fields[objective]}"), TimeElapsedColumn(), console=stderr, transient=True,
    )
    with progress:
        task = progress.add_task(name, total=max_iter, objective="")

        def on_iteration(iteration: int, objective: float) -> None:
            progress.update(task, completed=iteration, objective=f"objective {objective:.6g}")

        yield on_iteration


def _print_summary(result: Any, record: dict[str, Any]) -> None:
    """The human-readable table: sizes, iterations, fit time, gold accuracy, labels file."""
    from rich.markup import escape
    from rich.table import Table

    data = result.dataset
    table = Table(title=escape(f"{result.spec.canonical} on {data.name}"), title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    table.add_row("tasks / workers / answers", f"{data.n_tasks} / {data.n_workers} / {data.n_answers} (K={data.n_classes})")
    table.add_row("iterations", f"{record['n_iter']} ({'converged' if record['converged'] else 'not converged'})")
    table.add_row("fit time", f"{record['fit_seconds']:.3f} s")
    for what, value in record.get("summary", {}).items():
        table.add_row(escape(what), escape(value))
    fitted = result.fit_gold_tasks
    if result.gold_accuracy is not None:
        labelled = round(result.gold_coverage * result.gold_tasks)
        table.add_row("accuracy on non-gold tasks" if fitted else "accuracy on gold",
                      f"{result.gold_accuracy:.4f} (on {labelled} of {result.gold_tasks} "
                      f"{'held-out ' if fitted else ''}gold tasks labelled)")
    if fitted:
        table.add_row("accuracy on fitting gold",
                      f"{result.fit_gold_accuracy:.4f} (on the {fitted} gold tasks given to the "
                      "strategy; not a score)")
    table.add_row("labels", escape(record["output"]))
    if "workers" in record:
        table.add_row("workers file", escape(record["workers"]))
    if "state" in record:
        inc = record.get("incremental", {})
        table.add_row("state", escape(f"{record['state']} ({inc.get('n_batches')} batches, "
                                      f"{data.n_answers} answers)"))
    stdout.print(table)
