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
    as_json: Annotated[bool, typer.Option("--json", help="Print the provenance record as JSON instead of a summary table.")] = False,
) -> None:
    """Aggregate crowd answers into labels with a strategy."""
    from crowdkit_core.application import aggregate as run_aggregation
    from crowdkit_core.application import resolve_strategy
    from crowdkit_core.plugins import get_registry
    from crowdkit_core.dataset import load_dataset
    from crowdkit_core.writers import check_format, check_output, write_result

    check_format(fmt)
    registry = get_registry()
    warn_plugin_failures(registry)
    spec = resolve_strategy(strategy, overrides=param or (), seed=seed, registry=registry)
    data = load_dataset(dataset, answers_file=answers_file, metadata_path=metadata_path, duplicates=duplicates)
    check_output(data.name, spec.canonical, fmt, output_dir=output_dir, source=dataset)  # before the fit
    max_iter = spec.params.max_iter if spec.strategy_class.tags.iterative else None  # type: ignore[attr-defined]
    with _progress_bar(spec.info.name, max_iter) as on_iteration:
        result = run_aggregation(
            data, spec, remove=path_remove, on_iteration=on_iteration,
            task_data=_named_files(task_data or []),
        )
    record = write_result(result, fmt=fmt, hard=hard, output_dir=output_dir, source=dataset)
    for message in result.warnings:
        stderr.print(f"Warning: {message}", markup=False)
    if as_json:
        print_json(record)
    else:
        _print_summary(result, record)


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
    if result.gold_accuracy is not None:
        labelled = round(result.gold_coverage * result.gold_tasks)
        table.add_row("accuracy on gold", f"{result.gold_accuracy:.4f} (on {labelled} of {result.gold_tasks} gold tasks labelled)")
    table.add_row("labels", escape(record["output"]))
    stdout.print(table)
