"""``crowd simulate``: the command-line adapter over :mod:`crowdkit_core.simulation`.

It parses peerannot's options (and their plural spellings), draws the crowd with
:func:`~crowdkit_core.simulation.simulate`, writes the folder all or nothing with
:func:`~crowdkit_core.simulation.write_simulation` and prints a summary (or JSON).
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from crowdkit_core.cli.common import handle_user_errors, print_json, stdout

_PANEL = "Workers and tasks"


@handle_user_errors
def simulate(
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="Worker model: hammer-spammer, student-teacher, independent-confusion or discrete-difficulty.")] = "hammer-spammer",
    n_workers: Annotated[int, typer.Option("--n-worker", "--n-workers", help="Number of workers.", rich_help_panel=_PANEL)] = 30,
    n_tasks: Annotated[int, typer.Option("--n-task", "--n-tasks", help="Number of tasks.", rich_help_panel=_PANEL)] = 200,
    n_classes: Annotated[int, typer.Option("--n-classes", "-K", help="Number of classes K.", rich_help_panel=_PANEL)] = 5,
    ratio: Annotated[Optional[float], typer.Option("--ratio", "-r", help="Share of spammers (hammer-spammer), students (student-teacher) or good workers (discrete-difficulty); default 0.1.")] = None,
    ratio_diff: Annotated[Optional[float], typer.Option("--ratio-diff", help="discrete-difficulty: P(easy) / P(hard); default 1.")] = None,
    random: Annotated[Optional[float], typer.Option("--random", help="discrete-difficulty: probability that a task is random (answers uniform); default 0.")] = None,
    workerload: Annotated[Optional[int], typer.Option("--workerload", "-wl", help="Most tasks per worker (answers then dealt out evenly); default no bound.", rich_help_panel=_PANEL)] = None,
    feedback: Annotated[Optional[int], typer.Option("--feedback", "-fb", help="Answers per task (the maximum with --imbalance-votes); default every worker.", rich_help_panel=_PANEL)] = None,
    imbalance_votes: Annotated[bool, typer.Option("--imbalance-votes", help="Draw each task's number of answers uniformly in 1..feedback.", rich_help_panel=_PANEL)] = False,
    matrix_file: Annotated[Optional[str], typer.Option("--matrix-file", help=".npy confusion matrices, shape (n_workers, K, K), rows summing to 1.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random draw (same seed, same bytes).")] = 0,
    folder: Annotated[Optional[str], typer.Option("--folder", help="Output folder (default ./simulation-STRATEGY-SEED).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a folder that already holds a dataset.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Also print every option of the simulation.")] = False,
) -> None:
    """Simulate a crowd whose truth is known and write it as a dataset folder."""
    from pathlib import Path

    from crowdkit_core.simulation import SimulationOptions, simulate as draw, write_simulation

    options = SimulationOptions.parse(
        strategy=strategy.lower(), n_workers=n_workers, n_tasks=n_tasks, n_classes=n_classes,
        ratio=ratio, ratio_diff=ratio_diff, random=random, workerload=workerload,
        feedback=feedback, imbalance_votes=imbalance_votes, matrix_file=matrix_file, seed=seed)
    target = Path(folder) if folder else Path.cwd() / options.name
    simulation = draw(options)
    written = write_simulation(simulation, target, force=force)
    summary = _summary(simulation, target, written)
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary, verbose)


def _summary(simulation: Any, folder: Any, written: list[Any]) -> dict[str, Any]:
    """Sizes, loads, the mean worker accuracy of the true matrices, the files written."""
    import numpy as np

    data = simulation.dataset
    per_task, per_worker = data.answers_per_task, data.answers_per_worker
    diagonal = np.diagonal(simulation.confusion, axis1=1, axis2=2).mean()
    return {
        "folder": str(folder), "files": [p.name for p in written],
        "strategy": simulation.options.strategy, "seed": simulation.options.seed,
        "n_tasks": data.n_tasks, "n_workers": data.n_workers, "n_classes": data.n_classes,
        "n_answers": data.n_answers,
        "answers_per_task": {"min": int(per_task.min()), "mean": float(per_task.mean()),
                             "max": int(per_task.max())},
        "answers_per_worker": {"min": int(per_worker.min()), "mean": float(per_worker.mean()),
                               "max": int(per_worker.max())},
        "mean_diagonal": float(diagonal),
        "options": simulation.options.model_dump(),
    }


def _print_summary(summary: dict[str, Any], verbose: bool = False) -> None:
    from rich.markup import escape
    from rich.table import Table

    def spread(item: dict[str, Any]) -> str:
        return f"{item['min']} / {item['mean']:.1f} / {item['max']}"

    table = Table(title=escape(f"{summary['strategy']} crowd (seed {summary['seed']})"),
                  title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    table.add_row("tasks / workers / answers",
                  f"{summary['n_tasks']} / {summary['n_workers']} / {summary['n_answers']} (K={summary['n_classes']})")
    table.add_row("answers per task (min/mean/max)", spread(summary["answers_per_task"]))
    table.add_row("answers per worker (min/mean/max)", spread(summary["answers_per_worker"]))
    table.add_row("mean P(right) in the true matrices", f"{summary['mean_diagonal']:.3f}")
    table.add_row("folder", escape(summary["folder"]))
    table.add_row("files", escape(", ".join(summary["files"])))
    if verbose:
        for key, value in summary["options"].items():
            table.add_row(f"option {key}", escape(str(value)))
    stdout.print(table)
