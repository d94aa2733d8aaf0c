"""``crowd identify``: the command-line adapter over :mod:`crowdkit_core.identify_job`.

It parses the options, runs the method, writes the ``.npy`` array, the ranked CSV and the
JSON summary as one set, and prints the least reliable workers or tasks (or the summary JSON).
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from crowdkit_core.cli.common import handle_user_errors, print_json, stderr, stdout, warn_plugin_failures
from crowdkit_core.cli.data import AnswersOpt, DatasetArg, DuplicatesOpt, MetadataOpt


@handle_user_errors
def identify(
    dataset: DatasetArg,
    method: Annotated[str, typer.Option("--method", "-s", help="Identification method spec, e.g. entropy, 'entropy\\[on=DS]', spam_score, 'reliability\\[on=GLAD]'.")] = "entropy",
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="Extra key=value parameter (repeatable); shell-safe alternative to the [..] spec.")] = None,
    answers_file: AnswersOpt = None,
    metadata_path: MetadataOpt = None,
    output_dir: Annotated[Optional[str], typer.Option("--output-dir", "-o", help="Where to write (default: DATASET/identification for a folder, ./identification otherwise).")] = None,
    top: Annotated[int, typer.Option("--top", "-n", min=0, help="How many of the least reliable workers / most uncertain tasks to show (and keep in the JSON summary).")] = 10,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for every random choice (overrides the spec's seed).")] = None,
    duplicates: DuplicatesOpt = "keep",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON summary instead of a table.")] = False,
) -> None:
    """Score workers or tasks: spammers, unreliable workers, ambiguous tasks."""
    from crowdkit_core.application import resolve_strategy
    from crowdkit_core.identify_job import identify as run_identification
    from crowdkit_core.identify_job import write_identification
    from crowdkit_core.plugins import get_registry

    registry = get_registry()
    warn_plugin_failures(registry)
    spec = resolve_strategy(method, overrides=param or (), seed=seed, registry=registry,
                            kind="identification")
    from crowdkit_core.identify_job import identification_folder
    from crowdkit_core.output_guard import check_folder

    check_folder(identification_folder(output_dir, dataset))  # before any work
    result = run_identification(dataset, spec, answers_file=answers_file,
                                metadata_path=metadata_path, duplicates=duplicates)
    record = write_identification(result, output_dir=output_dir, source=dataset, top=top)
    for message in result.warnings:
        stderr.print(f"Warning: {message}", markup=False)
    if as_json:
        print_json(record)
    else:
        _print_table(result, record, top)


def _print_table(result: Any, record: dict[str, Any], top: int) -> None:
    """The ``top`` least reliable ids with their scores, then the dataset-level values and
    where the files went; fits in 80 columns (long ids fold)."""
    from rich.markup import escape
    from rich.table import Table

    data = result.dataset
    what = "workers" if result.axis == "worker" else "tasks"
    table = Table(title=escape(f"{result.spec.canonical} on {data.name}: {top} least "
                               f"reliable {what} of {len(result.ids)}"
                               if result.axis == "worker" else
                               f"{result.spec.canonical} on {data.name}: {top} most "
                               f"uncertain {what} of {len(result.ids)}"),
                  title_justify="left")
    rows = result.table(top)
    names = list(rows[0]) if rows else ["rank", result.axis, "score"]
    for name in names:
        table.add_column(name, overflow="fold", max_width=24 if name == result.axis else None,
                         justify="left" if name == result.axis else "right")
    for row in rows:
        table.add_row(*(escape(_cell(row[n])) for n in names))
    stdout.print(table)
    for key, value in result.dataset_values().items():
        stdout.print(f"{key}: {_cell(value)}", markup=False)
    files = Table.grid(padding=(0, 1))
    files.add_column("what")
    files.add_column("path", overflow="fold")
    for key in ("array", "table", "summary"):
        files.add_row(f"{key}:", escape(record[key]))
    stdout.print(files)


def _cell(value: Any) -> str:
    """A table cell: numbers with 4 significant decimals, ids as text."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
