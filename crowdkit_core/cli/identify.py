"""``crowd identify``: the command-line adapter over :mod:`crowdkit_core.identify_job`.

It parses the options, runs the method, writes the ``.npy`` array, the ranked CSV and the
JSON summary as one set, and prints the least reliable workers or tasks (or the summary JSON).
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from crowdkit_core.cli.common import handle_user_errors, print_json, stderr, stdout, warn_plugin_failures
from crowdkit_core.cli.data import DatasetArg, DuplicatesOpt, MetadataOpt

_PEERANNOT = "peerannot spellings"


@handle_user_errors
def identify(
    dataset: DatasetArg,
    method: Annotated[str, typer.Option("--method", "-s", help="Identification method spec, e.g. entropy, 'entropy\\[on=DS]', spam_score, 'reliability\\[on=GLAD]'.")] = "entropy",
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="Extra key=value parameter (repeatable); shell-safe alternative to the [..] spec.")] = None,
    answers_file: Annotated[Optional[str], typer.Option("--answers-file", "--labels", help="Answers file: a path, or a name inside the folder (default: answers.json, else answers.csv/.tsv/.parquet); --labels is peerannot's spelling.")] = None,
    metadata_path: MetadataOpt = None,
    n_classes: Annotated[Optional[int], typer.Option("--n-classes", "-K", min=2, help="Number of classes K (default: metadata.json's n_classes, else the labels seen).", rich_help_panel=_PEERANNOT)] = None,
    matrix_file: Annotated[Optional[str], typer.Option("--matrix-file", help="Saved confusion matrices (.npy (n_workers, K, K) or .json keyed by worker id) for spam_score / trace_confusion: the matrix_file= parameter.", rich_help_panel=_PEERANNOT)] = None,
    maxiter_ds: Annotated[Optional[int], typer.Option("--maxiter-dawid-skene", "--maxiter-DS", min=1, help="Iteration cap of the strategy fitted for the method (on=, DS by default): on='DS\\[max_iter=N]'.", rich_help_panel=_PEERANNOT)] = None,
    output_dir: Annotated[Optional[str], typer.Option("--output-dir", "-o", help="Where to write (default: DATASET/identification for a folder, ./identification otherwise).")] = None,
    top: Annotated[int, typer.Option("--top", "-n", min=0, help="How many of the least reliable workers / most uncertain tasks to show (and keep in the JSON summary).")] = 10,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for every random choice (overrides the spec's seed).")] = None,
    duplicates: DuplicatesOpt = "keep",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON summary instead of a table.")] = False,
) -> None:
    """Score workers or tasks: spammers, unreliable workers, ambiguous tasks."""
    from crowdkit_core.cli.peerannot import max_iter_override, resolve
    from crowdkit_core.identify_job import identification_folder
    from crowdkit_core.identify_job import identify as run_identification
    from crowdkit_core.identify_job import write_identification
    from crowdkit_core.output_guard import check_folder
    from crowdkit_core.plugins import get_registry

    registry = get_registry()
    warn_plugin_failures(registry)
    from crowdkit_core.spec import format_value

    overrides = [*(param or ()), *([f"matrix_file={format_value(matrix_file)}"] if matrix_file else [])]
    spec = resolve(method, overrides=overrides, seed=seed, registry=registry, kind="identification")
    if maxiter_ds is not None:
        overrides.append(max_iter_override(spec, maxiter_ds, registry))
        spec = resolve(method, overrides=overrides, seed=seed, registry=registry,
                       kind="identification")
    check_folder(identification_folder(output_dir, dataset))  # before any work
    result = run_identification(dataset, spec, answers_file=answers_file,
                                metadata_path=metadata_path, duplicates=duplicates,
                                n_classes=n_classes)
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
