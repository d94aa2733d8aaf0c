"""Compact HTML summaries that notebooks show for fitted models and aggregation results.

Jupyter calls ``_repr_html_`` on the last value of a cell; the estimators and
:class:`~crowdkit_core.application.AggregationResult` delegate here. A summary is a small
table (strategy, sizes, iterations, convergence, warnings) and the first few labels, never
the whole result, so displaying a model of a million tasks stays instant.
"""

from __future__ import annotations

from html import escape
from typing import Any, Iterable, Sequence

import numpy as np

#: How many task labels a summary shows.
SHOWN_LABELS = 5


def table(rows: Iterable[tuple[str, Any]], caption: str = "") -> str:
    """An HTML table of (name, value) rows, values escaped."""
    body = "".join(f"<tr><th style='text-align:left'>{escape(str(k))}</th>"
                   f"<td style='text-align:left'>{escape(str(v))}</td></tr>" for k, v in rows)
    head = f"<caption style='text-align:left'><b>{escape(caption)}</b></caption>" if caption else ""
    return f"<table>{head}{body}</table>"


def first_labels(task_ids: Sequence[Any], labels: np.ndarray, values: Sequence[Any],
                 limit: int = SHOWN_LABELS) -> str:
    """``task → label`` for the first ``limit`` tasks (``…`` when there are more)."""
    shown = [f"{task} → {values[int(label)] if label >= 0 else 'no label'}"
             for task, label in zip(list(task_ids[:limit]), np.asarray(labels[:limit]))]
    return ", ".join(shown) + (", …" if len(labels) > limit else "")


def estimator_html(model: Any) -> str:
    """The summary of an estimator: its spec, and once fitted its sizes, iterations,
    convergence, fit time, warnings and first labels."""
    name = f"{type(model).__name__} ({model.kind or 'estimator'})"
    rows: list[tuple[str, Any]] = [("strategy", model.spec)]
    fitted = "n_tasks_" in model.__dict__
    if not fitted:
        return table([*rows, ("fitted", "no: call fit(data)")], name)
    rows += [("tasks × workers × classes", f"{model.n_tasks_} × {model.n_workers_} × {model.n_classes_}")]
    if model.tags.iterative:
        rows += [("iterations", model.n_iter_), ("converged", model.converged_)]
    rows += [("fit time", f"{model.fit_seconds_:.3g} s")]
    rows += list(model.summary().items())
    index = model.__dict__.get("_fit_index")
    if "labels_" in model.__dict__ and index is not None:
        ids = model.__dict__.get("task_ids_", index.task_ids)
        rows.append(("labels", first_labels(ids, model.labels_, index.label_values)))
    if model.warnings_:
        rows.append(("warnings", f"{len(model.warnings_)}: {model.warnings_[0]}"))
    return table(rows, name)


def result_html(result: Any) -> str:
    """The summary of an aggregation result: spec, dataset, sizes, gold scores, first labels."""
    data, model = result.dataset, result.model
    rows: list[tuple[str, Any]] = [
        ("strategy", result.spec.canonical), ("dataset", data.name),
        ("tasks × workers × classes", f"{data.n_tasks} × {data.n_workers} × {data.n_classes}"),
    ]
    removed = int((~result.keep).sum())
    if removed:
        rows.append(("tasks removed", removed))
    if model.tags.iterative:
        rows += [("iterations", model.n_iter_), ("converged", model.converged_)]
    if result.gold_accuracy is not None:
        rows.append(("gold accuracy", f"{result.gold_accuracy:.4f} on {result.gold_tasks} tasks "
                                      f"(coverage {result.gold_coverage:.3f})"))
    from crowdkit_core.dataset.frames import label_values

    rows.append(("labels", first_labels(data.task_ids, result.labels, label_values(data))))
    if result.warnings:
        rows.append(("warnings", f"{len(result.warnings)}: {result.warnings[0]}"))
    return table(rows, "AggregationResult")
