"""The report's self-contained HTML page: inline CSS, figures as ``data:`` PNGs, no script.

A Content-Security-Policy forbids every fetch but ``data:`` images and the inline style,
so a browser shows the page offline and provably loads nothing from anywhere else. Nothing
varies between runs (no dates, no timings), so the same input gives the same bytes.
"""

from __future__ import annotations

import base64
from html import escape
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:
    from crowdkit_core.evaluation import DatasetEvaluation
    from crowdkit_core.report.data import ReportData

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
color:#222;background:#fafafa;line-height:1.45}
header{background:#24476b;color:#fff;padding:18px 32px}header h1{margin:0 0 4px;font-size:1.6em}
header p{margin:0;opacity:.9}nav{background:#fff;border-bottom:1px solid #ddd;padding:8px 32px}
nav a{margin-right:18px;color:#24476b;text-decoration:none;font-weight:600}
main{max-width:1100px;margin:0 auto;padding:8px 32px 40px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:6px 22px 18px;margin:18px 0}
h2{color:#24476b;border-bottom:2px solid #ef8636;padding-bottom:4px}
figure{margin:14px 0}figure img{max-width:100%;height:auto;display:block}
figcaption,.note{color:#555;font-size:.92em}.note{background:#fff7e6;border-left:4px solid #ef8636;
padding:6px 10px}table{border-collapse:collapse;margin:10px 0;font-size:.92em}
th,td{border-bottom:1px solid #e3e3e3;padding:4px 10px;text-align:left;vertical-align:middle}
th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
td img.task{width:88px;height:auto;max-height:132px;object-fit:contain;display:block}
.stats td:first-child{color:#555}footer{color:#777;font-size:.85em;text-align:center;padding:12px}
"""


def figure_tag(name: str, png: bytes, alt: str, caption: str) -> str:
    """A ``<figure>`` with the PNG inlined as base64 and a caption that says how to read it."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (f'<figure id="fig-{name}"><img src="{uri}" alt="{escape(alt)}">'
            f"<figcaption>{caption}</figcaption></figure>")


def table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool] = (),
          cls: str = "") -> str:
    """An HTML table; cells are already escaped HTML, ``numeric`` columns right-aligned."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    head = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    flags = list(numeric) + [False] * (len(header) - len(numeric))
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if flags[i] else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}>{head}<tbody>{body}</tbody></table>"


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None or value != value else f"{value:.{digits}f}"


def overview(report: "ReportData") -> str:
    """Sizes and counts of the dataset."""
    data = report.data
    stats = data.statistics()
    gold = report.tasks.gold
    rows = [("tasks", data.n_tasks), ("workers", data.n_workers), ("answers", data.n_answers),
            ("classes", f"{data.n_classes} ({', '.join(report.label_names[:12])}"
                        f"{', …' if data.n_classes > 12 else ''})"),
            ("answers per task", "median {median:g}, mean {mean:g}, min {min}, max {max}".format(
                **stats["answers_per_task"])),
            ("answers per worker", "median {median:g}, mean {mean:g}, min {min}, max {max}".format(
                **stats["answers_per_worker"])),
            ("gold labels", int((gold >= 0).sum()) if gold is not None else "none"),
            ("repeated (task, worker) pairs", stats["duplicate_pairs"])]
    return table(["", ""], [(escape(k), escape(str(v))) for k, v in rows], cls="stats")


def worker_table(report: "ReportData", top: int) -> str:
    """The ``top`` least reliable workers: spam score, answers, most frequent answer."""
    w = report.workers
    data = report.data
    counts = data.answers_per_column.reshape(data.n_workers, data.n_classes)
    rows = []
    for rank, index in enumerate(w.least_reliable(top).tolist(), start=1):
        favourite = int(np.argmax(counts[index]))
        share = counts[index, favourite] / max(1, w.answers[index])
        rows.append((str(rank), escape(str(w.ids[index])), _num(w.spam[index]), str(w.answers[index]),
                     f"{escape(report.label_names[favourite])} ({share:.0%})"))
    return table(["#", "worker", "spam score", "answers", "most frequent answer"], rows,
                 [True, False, True, True, False])


def task_table(report: "ReportData", top: int) -> str:
    """The ``top`` most ambiguous tasks: their image when known, votes, entropy, gold."""
    t = report.tasks
    names = report.label_names
    with_images = bool(t.images)
    rows = []
    for rank, index in enumerate(t.ranking[:top].tolist(), start=1):
        votes = t.votes[index]
        order = np.argsort(-votes, kind="stable")
        shown = ", ".join(f"{escape(names[k])}&nbsp;{int(votes[k])}" for k in order.tolist() if votes[k] > 0)
        row = [str(rank), escape(str(t.ids[index]))]
        if with_images:
            uri = t.images.get(index)
            row.append(f'<img class="task" src="{uri}" alt="task {escape(str(t.ids[index]))}">'
                       if uri else "")
        row += [str(t.answers[index]), shown, _num(t.entropy[index])]
        if t.gold is not None:
            row.append(escape(names[t.gold[index]]) if t.gold[index] >= 0 else "")
        rows.append(row)
    header = ["#", "task", *(["image"] if with_images else []), "answers", "votes", "entropy",
              *(["gold"] if t.gold is not None else [])]
    numeric = [True, False, *([False] if with_images else []), True, False, True]
    return table(header, rows, numeric)


def comparison_table(comparison: "DatasetEvaluation") -> str:
    """Every compared strategy, best first: the scores of ``crowd evaluate`` (no times,
    which would make the page differ between runs)."""
    rows = []
    rank = 0
    for run in comparison.ranked():
        s = run.scores
        if s is None:
            state = "timed out" if run.status == "timed_out" else "failed"
            rows.append(("", escape(run.spec), escape(f"{state}: {run.reason}"), "", "", "", "", ""))
            continue
        rank += 1
        iters = "–" if run.n_iter is None else f"{run.n_iter}{'' if run.converged else ' (max)'}"
        rows.append((str(rank), escape(run.spec), _num(s.accuracy), _num(s.coverage),
                     _num(s.macro_f1), _num(s.log_loss), _num(s.ece), iters))
    return table(["#", "strategy", "accuracy", "coverage", "macro F1", "log-loss", "ECE", "iterations"],
                 rows, [True, False, True, True, True, True, True, True])


def section(anchor: str, title: str, body: Sequence[str]) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{"".join(body)}</section>'


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, Sequence[str]]],
         footer: str) -> str:
    """The whole document: header, a navigation bar to each section, the sections."""
    nav = "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t, _ in sections)
    body = "".join(section(a, t, b) for a, t, b in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
            f"<nav>{nav}</nav><main>{body}</main><footer>{escape(footer)}</footer>"
            "</body></html>\n")


def assemble(report: "ReportData", figures: dict[str, bytes], *, max_workers: int,
             top_workers: int, top_tasks: int, comparison_note: str, extra: Any = None) -> str:
    """The report page from the gathered numbers and the rendered figures."""
    from crowdkit_core import __version__

    data = report.data
    w = report.workers
    fig = figures.get
    shown = min(max_workers, data.n_workers)
    grid_note = ([note(f"Showing the {shown} workers with most answers of {data.n_workers}; "
                       "raise --max-workers to see more.")] if shown < data.n_workers else [])
    sections: list[tuple[str, str, Sequence[str]]] = [
        ("overview", "Dataset", [
            overview(report),
            figure_tag("class_balance", figures["class_balance"], "class balance bar chart",
                       "Share of all answers given to each class (blue) and, with gold labels, "
                       "the share of gold tasks in each class (orange). A class the crowd "
                       "over-uses compared to the gold shows as a taller blue bar."),
            figure_tag("workload", figures["workload"], "answers per worker and per task",
                       "How the work is spread: most crowds have many workers with a few "
                       "answers and a few with very many; tasks with one answer cannot show "
                       "disagreement."),
        ]),
        ("workers", "Workers", [
            *grid_note,
            figure_tag("confusion_matrices", figures["confusion_matrices"],
                       "grid of worker confusion matrices",
                       f"Confusion matrix of each worker estimated by {escape(w.source)}, largest "
                       "workers first: row = true class, column = answered label, each row sums "
                       "to 1. A good worker has a dark diagonal; a spammer has identical rows "
                       "(e.g. one dark column: always the same answer)."),
            figure_tag("worker_ranking", figures["worker_ranking"], "worker spam score ranking",
                       "Raykar &amp; Yu's spam score of each worker from the same matrices: 0 "
                       "when the answers do not depend on the true class (red below 0.1), 1 "
                       "for a perfect worker. Right: the score against the number of answers."),
            worker_table(report, min(10, top_workers)),
        ]),
        ("tasks", "Tasks", [
            figure_tag("entropy", figures["entropy"], "histogram of task entropies",
                       "Entropy of each task's vote shares: 0 when every answer agrees, log K "
                       "when the votes are spread evenly. The most ambiguous tasks (right of "
                       "the dashed line) are the ones worth more answers or a closer look."),
            task_table(report, top_tasks),
        ]),
    ]
    if report.comparison is not None and "strategies" in figures:
        sections.append(("strategies", "Strategies", [
            figure_tag("strategies", figures["strategies"], "strategy comparison bar chart",
                       "Accuracy on the gold tasks of each strategy (best in orange), as "
                       "<code>crowd evaluate</code> computes it; the table adds coverage, "
                       "macro F1, log-loss and expected calibration error of the soft labels."),
            comparison_table(report.comparison),
        ]))
    else:
        sections.append(("strategies", "Strategies", [note(comparison_note)]))
    if report.notes:
        sections.append(("notes", "Notes", [note(n) for n in report.notes]))
    subtitle = (f"{data.n_tasks} tasks, {data.n_workers} workers, {data.n_answers} answers, "
                f"{data.n_classes} classes")
    footer = f"crowdkit-core {__version__} · crowd report · confusion matrices from {w.source}"
    return page(f"Crowd report: {data.name}", subtitle, sections, footer)
