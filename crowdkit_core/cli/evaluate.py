"""``crowd evaluate``: the command-line adapter over :func:`crowdkit_core.evaluation.evaluate`.

It parses the options, shows progress on a terminal, and prints a ranked table per dataset
(plus a strategies x datasets accuracy table for several datasets) or the JSON record.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterator, Optional

import typer

from crowdkit_core.cli.common import handle_user_errors, print_json, stderr, stdout, warn_plugin_failures

if TYPE_CHECKING:
    from rich.table import Table

    from crowdkit_core.evaluation import DatasetEvaluation, Evaluation, StrategyRun


@handle_user_errors
def evaluate(
    datasets: Annotated[list[str], typer.Argument(help="Dataset folders, answers files or PREFIX:NAME (bundled:labelme); each needs gold labels (its truth.csv, or --gold).")],
    strategy: Annotated[Optional[list[str]], typer.Option("--strategy", "-s", help="Strategy spec to run, e.g. 'DS\\[max_iter=50]' (repeatable).")] = None,
    strategies: Annotated[Optional[str], typer.Option("--strategies", help="'all' (every registered aggregator, default parameters) or comma-separated specs; default: all unless -s is given.")] = None,
    gold: Annotated[Optional[list[str]], typer.Option("--gold", help="Gold labels file (task,label CSV/TSV or {task: label} JSON): one for every dataset, or one per dataset in order (repeatable). Default: each dataset's truth file.")] = None,
    holdout_gold: Annotated[Optional[float], typer.Option("--holdout-gold", help="Hold out this fraction of each dataset's gold tasks (per class, seeded by --seed, default 0) for scoring; the rest is given to the strategies that use gold and never scored.")] = None,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Wall seconds each strategy may take on each dataset; past it the run is stopped and reported as timed out.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Runs in parallel worker processes (the output does not depend on it).")] = 1,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for every random choice (overrides each strategy's seed).")] = None,
    per_class: Annotated[bool, typer.Option("--per-class", help="Also print each run's per-class precision, recall, F1 and confusion matrix.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print every score as JSON instead of tables.")] = False,
) -> None:
    """Score aggregation strategies against gold labels: accuracy, coverage, log-loss, ECE."""
    from crowdkit_core.evaluation import evaluate as run_evaluation
    from crowdkit_core.plugins import get_registry

    registry = get_registry()
    warn_plugin_failures(registry)
    chosen = [*([strategies] if strategies else []), *(strategy or [])] or ["all"]
    with _progress(len(datasets)) as on_run:
        report = run_evaluation(
            datasets, chosen, gold=gold or None, time_limit=time_limit, jobs=jobs, seed=seed,
            registry=registry, on_run=on_run, holdout_gold=holdout_gold)
    if as_json:
        print_json(report.to_dict())
        return
    print_report(report, per_class=per_class)


def print_report(report: "Evaluation", per_class: bool = False) -> None:
    """The ranked table of each dataset (with notes for runs without scores), then the
    accuracy table across datasets when there are several."""
    for ds in report.datasets:
        stdout.print(ranked_table(ds))
        for run in ds.runs:
            if run.status != "ok":
                state = "timed out" if run.status == "timed_out" else "failed"
                stdout.print(f"  {run.spec}: {state}: {run.reason}", markup=False, soft_wrap=False)
        if per_class:
            for run in ds.ranked():
                if run.scores is not None:
                    stdout.print(class_table(ds, run))
        stdout.print()
    if len(report.datasets) > 1:
        stdout.print(accuracy_table(report))


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None or value != value else f"{value:.{digits}f}"


def _iterations(run: "StrategyRun") -> str:
    if not run.iterative or run.n_iter is None:
        return "–"
    return f"{run.n_iter}{'' if run.converged else ' (max)'}"


def ranked_table(ds: "DatasetEvaluation") -> "Table":
    """Strategies best first on one dataset: accuracy, coverage, log-loss, ECE, time, iterations."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    fitted = f" (scored; {ds.n_fit_gold} more given to gold-using strategies)" if ds.n_fit_gold else ""
    table = Table(title=escape(f"{ds.name}: {ds.n_gold} gold tasks{fitted} of {ds.n_tasks}, K={ds.n_classes}"),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in (("#", "right"), ("strategy", "left"), ("accuracy", "right"),
                          ("coverage", "right"), ("log-loss", "right"), ("ECE", "right"),
                          ("time s", "right"), ("iter", "right")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    rank = 0
    for run in ds.ranked():
        s = run.scores
        if s is None:
            state = "timed out" if run.status == "timed_out" else "failed"
            table.add_row("", escape(run.spec), state, "", "", "", _num(run.wall_seconds, 2), "")
            continue
        rank += 1
        table.add_row(str(rank), escape(run.spec), _num(s.accuracy), _num(s.coverage),
                      _num(s.log_loss), _num(s.ece), _num(run.fit_seconds), _iterations(run))
    return table


def class_table(ds: "DatasetEvaluation", run: "StrategyRun") -> "Table":
    """Per-class precision, recall, F1, support and confusion-matrix row (how many of the
    class's gold tasks got each label, in class order) of one run."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    s = run.scores
    assert s is not None
    table = Table(title=escape(f"{run.spec} on {ds.name}: per class (macro F1 {s.macro_f1:.3f})"),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("gold class", overflow="fold")
    for name in ("precision", "recall", "F1", "support"):
        table.add_column(name, justify="right")
    table.add_column("confusion row", overflow="fold")
    for k, label in enumerate(ds.label_names):
        row = s.confusion[k]
        table.add_row(escape(label), _num(s.precision[k]), _num(s.recall[k]), _num(s.f1[k]),
                      str(sum(row)), " ".join(str(v) for v in row))
    return table


def accuracy_table(report: "Evaluation") -> "Table":
    """Strategies x datasets: accuracy on labelled gold tasks (coverage when below 1)."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Accuracy on gold tasks (coverage in brackets when below 1)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("strategy", overflow="fold")
    for ds in report.datasets:
        table.add_column(escape(ds.name), justify="right", overflow="fold")
    runs = {(run.spec, ds.name): run for ds in report.datasets for run in ds.runs}
    for spec in report.specs:
        cells = []
        for ds in report.datasets:
            run = runs[spec, ds.name]
            if run.scores is None:
                cells.append("timed out" if run.status == "timed_out" else "failed")
            elif run.scores.coverage < 1:
                cells.append(f"{run.scores.accuracy:.3f} ({run.scores.coverage:.2f})")
            else:
                cells.append(f"{run.scores.accuracy:.3f}")
        table.add_row(escape(spec), *cells)
    return table


@contextmanager
def _progress(n_datasets: int) -> Iterator[Callable[[str, Any], None] | None]:
    """A line per finished run on a terminal's stderr (nothing off a terminal)."""
    if not stderr.is_terminal:
        yield None
        return

    def on_run(dataset: str, run: Any) -> None:
        state = "ok" if run.status == "ok" else run.status.replace("_", " ")
        where = f"{dataset}: " if n_datasets > 1 else ""
        stderr.print(f"  {where}{run.spec} {state} ({run.wall_seconds:.2f} s)", markup=False,
                     style="dim")

    yield on_run
