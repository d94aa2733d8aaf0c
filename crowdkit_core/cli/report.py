"""``crowd report``: the command-line adapter over :mod:`crowdkit_core.report`.

It parses the options, builds the report (matplotlib is imported only then), writes the
HTML page and the optional PNG figures as one set, and prints where they went.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from crowdkit_core.cli.common import handle_user_errors, print_json, stdout, warn_plugin_failures
from crowdkit_core.cli.data import AnswersOpt, DatasetArg, DuplicatesOpt, MetadataOpt


@handle_user_errors
def report(
    dataset: DatasetArg,
    strategy: Annotated[Optional[list[str]], typer.Option("--strategy", "-s", help="Strategy spec to compare on the gold labels (repeatable, or comma-separated); default: MV, Wawa, DS, MACE when the dataset has gold labels.")] = None,
    gold: Annotated[Optional[str], typer.Option("--gold", help="Gold labels file (task,label CSV/TSV or {task: label} JSON) instead of the dataset's truth file.")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="HTML file to write (default: DATASET/report.html for a folder, ./report.html otherwise).")] = None,
    png_dir: Annotated[Optional[str], typer.Option("--png", help="Also write every figure as DIR/<name>.png.")] = None,
    confusion_on: Annotated[str, typer.Option("--on", help="Strategy whose worker confusion matrices are drawn and scored (one with confusion matrices: DS, OneCoinDS, WDS, DSWC...).")] = "DS",
    max_workers: Annotated[int, typer.Option("--max-workers", help="How many workers' confusion matrices to draw, largest workers first.")] = 36,
    top_workers: Annotated[int, typer.Option("--top-workers", help="How many of the least reliable workers the ranking shows.")] = 30,
    top_tasks: Annotated[int, typer.Option("--top-tasks", help="How many of the most ambiguous tasks to list (with their images where the dataset has them).")] = 12,
    no_compare: Annotated[bool, typer.Option("--no-compare", help="Leave out the strategy comparison even when the dataset has gold labels.")] = False,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Wall seconds each compared strategy may take; past it the run is reported as timed out.")] = 60.0,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for every random choice (overrides each strategy's seed).")] = None,
    answers_file: AnswersOpt = None,
    metadata_path: MetadataOpt = None,
    duplicates: DuplicatesOpt = "keep",
    as_json: Annotated[bool, typer.Option("--json", help="Print the written paths as JSON.")] = False,
) -> None:
    """Write a self-contained HTML report: worker confusion matrices, spam ranking, ambiguous tasks, strategies."""
    from crowdkit_core.plugins import get_registry
    from crowdkit_core.report import build_report, check_destination, write_report

    check_destination(output, dataset, png_dir)
    registry = get_registry()
    warn_plugin_failures(registry)
    specs = [] if no_compare else strategy
    built = build_report(dataset, specs, gold=gold, confusion_on=confusion_on,
                         max_workers=max_workers, top_workers=top_workers, top_tasks=top_tasks,
                         time_limit=time_limit, seed=seed, registry=registry,
                         answers_file=answers_file, metadata_path=metadata_path,
                         duplicates=duplicates)
    written = write_report(built, output, source=dataset, png_dir=png_dir)
    if as_json:
        print_json(written)
        return
    for note in built.data.notes:
        stdout.print(f"note: {note}", markup=False)
    stdout.print(f"report: {written['html']}", markup=False)
    if png_dir is not None:
        stdout.print(f"figures: {len(written) - 1} PNG files in {png_dir}", markup=False)
