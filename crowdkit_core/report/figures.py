"""The report's figures, drawn with matplotlib's Agg canvas into PNG bytes.

No pyplot (no global figure state, no GUI backend chosen) and fixed fonts, sizes, DPI and
metadata, so the same numbers always give the same bytes. matplotlib is imported only
here, by :func:`crowdkit_core.report.build_report`, never by ``crowd --help`` or
``crowd aggregate``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from crowdkit_core.errors import CrowdkitError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from crowdkit_core.evaluation import DatasetEvaluation
    from crowdkit_core.report.data import ReportData, TaskView, WorkerView

#: Resolution of every PNG (pixels per inch).
DPI = 100
#: Style of every figure: matplotlib's bundled DejaVu Sans, so no system font is looked up.
STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10,
         "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "crowdkit",
         "figure.dpi": DPI, "savefig.dpi": DPI, "image.interpolation": "nearest"}
BLUE, ORANGE, GREY, RED = "#3b75af", "#ef8636", "#9e9e9e", "#c44e52"
INSTALL_HINT = "crowd report needs matplotlib: pip install 'crowdkit-core[report]'"


def require_matplotlib() -> Any:
    """The matplotlib module, or a one-line error saying how to install it."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    except ImportError:
        raise CrowdkitError(INSTALL_HINT) from None
    return matplotlib


def _new_figure(width: float, height: float) -> "Figure":
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: "Figure") -> bytes:
    """The figure as PNG bytes without the Software tag (nothing varies between runs)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def short(text: Any, width: int = 16) -> str:
    """An id or label cut to ``width`` characters (with an ellipsis) for axis labels."""
    text = str(text)
    return text if len(text) <= width else text[:width - 1] + "…"


def _class_ticks(axis: Any, names: list[str], which: str = "x") -> None:
    """Class names as ticks (rotated when long), or none when there are too many."""
    k = len(names)
    setter = axis.set_xticks if which == "x" else axis.set_yticks
    if k > 30:
        setter([])
        return
    rotate = which == "x" and (k > 6 or max(len(n) for n in names) > 6)
    setter(range(k), [short(n, 12) for n in names],
           **({"rotation": 45, "ha": "right", "rotation_mode": "anchor"} if rotate else {}))


def class_balance(report: "ReportData") -> "Figure":
    """Share of answers given to each class, next to the share of gold labels when known."""
    names = report.label_names
    k = len(names)
    answers = np.bincount(report.data.labels, minlength=k) / report.data.n_answers
    figure = _new_figure(max(4.0, min(10.0, 0.5 * k + 2)), 3.0)
    ax = figure.add_subplot()
    gold = report.tasks.gold
    width = 0.4 if gold is not None else 0.8
    x = np.arange(k)
    ax.bar(x - (width / 2 if gold is not None else 0), answers, width, color=BLUE, label="answers")
    if gold is not None:
        known = gold[gold >= 0]
        ax.bar(x + width / 2, np.bincount(known, minlength=k) / max(1, known.size), width,
               color=ORANGE, label=f"gold labels ({known.size} tasks)")
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _class_ticks(ax, names)
    ax.set_ylabel("share")
    ax.set_title("Class balance")
    return figure


def _count_histogram(ax: Any, values: np.ndarray, color: str, what: str) -> None:
    """Histogram of positive counts: one bar per value when few, log-spaced bins otherwise."""
    low, high = int(values.min()), int(values.max())
    if high - low <= 40:
        bins = np.arange(low, high + 2) - 0.5
    else:
        bins = np.unique(np.round(np.geomspace(low, high + 1, 30)))
        ax.set_xscale("log")
    ax.hist(values, bins=bins, color=color)
    ax.set_xlabel(f"answers per {what}")
    ax.set_ylabel(f"{what}s")
    ax.set_title(f"Answers per {what} (median {np.median(values):g}, max {high})")


def workload(report: "ReportData") -> "Figure":
    """Histograms of the number of answers per worker and per task."""
    figure = _new_figure(9.0, 3.0)
    left, right = figure.subplots(1, 2)
    _count_histogram(left, report.workers.answers, BLUE, "worker")
    _count_histogram(right, report.tasks.answers, ORANGE, "task")
    return figure


def confusion_mosaic(matrices: np.ndarray, columns: int, gap_x: int = 1, gap_y: int = 1,
                     ) -> np.ndarray:
    """The (n, K, K) matrices tiled ``columns`` to a row into one array, each cell preceded
    by ``gap_y`` NaN rows (room for its title) and followed by ``gap_x`` NaN columns (drawn
    blank): one image instead of n axes, so drawing stays fast for any n and K."""
    n, k, _ = matrices.shape
    rows = -(-n // columns)
    mosaic = np.full((rows * (k + gap_y), columns * (k + gap_x) - gap_x), np.nan)
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = r * (k + gap_y) + gap_y, c * (k + gap_x)
        mosaic[top:top + k, left:left + k] = matrices[i]
    return mosaic


def confusion_grid(workers: "WorkerView", names: list[str], cap: int) -> "Figure":
    """The row-normalised confusion matrix of each of the ``cap`` largest workers, tiled in
    one image, with the worker's id, number of answers and spam score above each."""
    from matplotlib.patches import Rectangle

    shown = workers.largest(cap).tolist()
    n = len(shown)
    columns = min(6, n)
    rows = -(-n // columns)
    k = len(names)
    gap_x, gap_y = max(1, -(-k // 8)), max(1, -(-3 * k // 10))
    mosaic = confusion_mosaic(workers.confusion[shown], columns, gap_x, gap_y)
    height, width = mosaic.shape
    figure = _new_figure(1.6 * columns + 1.4, 1.6 * columns * height / width + 0.8)
    ax = figure.add_subplot()
    image = ax.imshow(mosaic, vmin=0.0, vmax=1.0, cmap="Blues", aspect="equal")
    for i, w in enumerate(shown):
        r, c = divmod(i, columns)
        top, left = r * (k + gap_y) + gap_y - 0.5, c * (k + gap_x) - 0.5
        ax.add_patch(Rectangle((left, top), k, k, fill=False, edgecolor=GREY, linewidth=0.6))
        ax.text(left + k / 2, top - 0.15, f"{short(workers.ids[w], 14)}\n"
                f"{workers.answers[w]} ans, spam {workers.spam[w]:.2f}", ha="center",
                va="bottom", fontsize=7)
    ax.set_axis_off()
    order = ", ".join(short(c, 12) for c in names[:12]) + (", …" if k > 12 else "")
    ax.set_title(f"rows: true class, columns: answered label, in class order:\n{order}",
                 fontsize=8, loc="left")
    figure.colorbar(image, ax=ax, shrink=0.5, label="P(answer | true class)")
    return figure


def worker_ranking(workers: "WorkerView", cap: int) -> "Figure":
    """Left: the ``cap`` least reliable workers by spam score; right: spam score against
    number of answers for every worker (are the busiest workers the good ones?)."""
    order = workers.least_reliable(cap)
    figure = _new_figure(9.0, max(3.0, 0.18 * len(order) + 1.0))
    left, right = figure.subplots(1, 2, width_ratios=[1.1, 1])
    y = np.arange(len(order))
    left.barh(y, workers.spam[order], color=[RED if s < 0.1 else BLUE for s in workers.spam[order]])
    left.set_yticks(y, [short(workers.ids[w]) for w in order.tolist()], fontsize=7)
    left.invert_yaxis()
    left.set_xlim(0, 1)
    left.set_xlabel("spam score (0 = spammer, 1 = perfect)")
    left.set_title(f"Least reliable {len(order)} of {len(workers.ids)} workers")
    right.scatter(workers.answers, workers.spam, s=12, color=BLUE, alpha=0.7, linewidths=0)
    right.set_xscale("log")
    right.set_ylim(-0.02, 1.02)
    right.set_xlabel("answers (log scale)")
    right.set_ylabel("spam score")
    right.set_title(f"Spam score vs. workload (from {workers.source})")
    return figure


def entropy_histogram(tasks: "TaskView", n_classes: int, listed: int) -> "Figure":
    """Histogram of the entropy of each task's vote shares, with the cut above which the
    ``listed`` most ambiguous tasks lie."""
    figure = _new_figure(6.0, 3.0)
    ax = figure.add_subplot()
    top = float(np.log(n_classes))
    ax.hist(tasks.entropy, bins=np.linspace(0.0, top, 26), color=BLUE)
    if listed:
        cut = float(tasks.entropy[tasks.ranking[min(listed, len(tasks.ranking)) - 1]])
        ax.axvline(cut, color=RED, linestyle="--", linewidth=1,
                   label=f"{listed} most ambiguous tasks at or above {cut:.2f}")
        ax.legend(frameon=False, loc="upper right")
    ax.set_xlim(0.0, top * 1.02)
    ax.set_xlabel(f"entropy of the vote shares (nats; max log K = {top:.2f})")
    ax.set_ylabel("tasks")
    ax.set_title("Task ambiguity")
    return figure


def strategy_comparison(comparison: "DatasetEvaluation") -> "Figure":
    """Accuracy on the gold tasks of each compared strategy, best first."""
    runs = [r for r in comparison.ranked() if r.scores is not None]
    figure = _new_figure(6.0, max(2.2, 0.35 * len(runs) + 1.0))
    ax = figure.add_subplot()
    y = np.arange(len(runs))
    accuracy = np.array([r.scores.accuracy for r in runs if r.scores is not None])
    ax.barh(y, accuracy, color=[ORANGE if i == 0 else BLUE for i in range(len(runs))])
    for i, run in enumerate(runs):
        assert run.scores is not None
        text = f"{run.scores.accuracy:.3f}"
        if run.scores.coverage < 1:
            text += f" (coverage {run.scores.coverage:.2f})"
        ax.text(accuracy[i] + 0.005, i, text, va="center", fontsize=8)
    ax.set_yticks(y, [short(r.spec, 24) for r in runs])
    ax.invert_yaxis()
    low = float(accuracy.min()) if accuracy.size else 0.0
    ax.set_xlim(max(0.0, low - 0.1), 1.0)
    ax.set_xlabel(f"accuracy on {comparison.n_gold} gold tasks")
    ax.set_title("Strategies on the gold labels")
    return figure


def render(report: "ReportData", *, max_workers: int, top_workers: int, top_tasks: int,
           ) -> dict[str, bytes]:
    """Every figure of the report as ``{file stem: PNG bytes}``, in page order."""
    import matplotlib

    makers: list[tuple[str, Callable[[], "Figure"]]] = [
        ("class_balance", lambda: class_balance(report)),
        ("workload", lambda: workload(report)),
        ("confusion_matrices", lambda: confusion_grid(report.workers, report.label_names, max_workers)),
        ("worker_ranking", lambda: worker_ranking(report.workers, top_workers)),
        ("entropy", lambda: entropy_histogram(report.tasks, report.data.n_classes, top_tasks)),
    ]
    if report.comparison is not None and any(r.scores for r in report.comparison.runs):
        makers.append(("strategies", lambda: strategy_comparison(report.comparison)))  # type: ignore[arg-type]
    with matplotlib.rc_context(STYLE):
        return dict(_draw(makers))


def _draw(makers: list[tuple[str, Callable[[], "Figure"]]]) -> Iterator[tuple[str, bytes]]:
    for name, make in makers:
        yield name, _png(make())
