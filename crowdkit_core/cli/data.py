"""``crowd validate``: check a dataset and print its statistics."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from crowdkit_core.cli.common import handle_user_errors, print_json, stdout

DatasetArg = Annotated[str, typer.Argument(help="Dataset folder, answers file (.json/.csv/.tsv/.parquet), or a name a plugin resolves (bundled:NAME, PREFIX:NAME).")]
AnswersOpt = Annotated[Optional[str], typer.Option("--answers-file", help="Answers file inside the folder (default: answers.json, else answers.csv/.tsv/.parquet).")]
MetadataOpt = Annotated[Optional[str], typer.Option("--metadata-path", help="metadata.json to use (default: the folder's metadata.json, if any).")]
DuplicatesOpt = Annotated[str, typer.Option("--duplicates", help="Repeated (task, worker) answers: keep (all), first, last, or error.")]


def load_from_cli(dataset: str, answers_file: str | None, metadata_path: str | None, duplicates: str):
    from crowdkit_core.dataset import load_dataset

    return load_dataset(dataset, answers_file=answers_file, metadata_path=metadata_path,
                        duplicates=duplicates)  # type: ignore[arg-type]


@handle_user_errors
def validate(
    dataset: DatasetArg,
    answers_file: AnswersOpt = None,
    metadata_path: MetadataOpt = None,
    duplicates: DuplicatesOpt = "keep",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Check a dataset: report problems (exit 2 on errors) and statistics."""
    from rich.markup import escape

    from crowdkit_core.dataset.report import dataset_report

    data = load_from_cli(dataset, answers_file, metadata_path, duplicates)
    stats = dataset_report(data)
    problems = stats["warnings"]
    if as_json:
        print_json(stats)
        return
    table = Table(title=escape(f"Dataset {data.name}"), title_justify="left", show_header=False)
    table.add_column("statistic")
    table.add_column("value")
    for key in ("n_tasks", "n_workers", "n_answers", "n_classes", "duplicate_pairs", "gold_tasks"):
        table.add_row(key.replace("_", " "), str(stats[key]))
    for key in ("answers_per_task", "answers_per_worker"):
        s = stats[key]
        table.add_row(key.replace("_", " "), f"min {s['min']}, median {s['median']:g}, mean {s['mean']:g}, max {s['max']}")
    total = max(1, stats["n_answers"])
    balance = ", ".join(f"{k}: {v} ({100 * v / total:.1f}%)" for k, v in stats["class_balance"].items())
    table.add_row("class balance", balance)
    stdout.print(table)
    for problem in problems:
        stdout.print(f"[yellow]warning[/yellow]: {escape(problem)}", highlight=False)
    stdout.print(f"[green]OK[/green]: {escape(str(data.source))} is a valid crowdkit dataset.")
