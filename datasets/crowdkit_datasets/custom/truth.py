"""Reading ``--test-ground-truth`` in peerannot's formats (or a task,label table).

peerannot reads the ground truth with its answers converters: a matrix (one line per task,
its label in the column(s) that are not -1), ``{task: {worker: label}}`` or, fixed here,
``{worker: {task: label}}`` (peerannot's format 2 called the format-1 converter). Also
accepted: ``{task: label}`` and a table with a ``task,label`` header (crowdkit's truth.csv).
"""

from __future__ import annotations

from pathlib import Path

from crowdkit_core.dataset.formats import load_json
from crowdkit_core.dataset.side_files import gold_pairs
from crowdkit_core.errors import DatasetError

from crowdkit_datasets.custom.answer_files import Row, read_rows


def read_truth_rows(path: Path, fmt: str) -> list[Row]:
    """One row per task with its true label (raw, not yet coded)."""
    if fmt == "table":
        return [Row(str(task), "", label, f"task {task!r}") for task, label in gold_pairs(path)]
    if fmt == "task-json" and _flat(path):
        raw = load_json(path, "an object {task: label}")
        return [Row(str(task), "", label, f"task {task!r}") for task, label in raw.items()]
    by_task: dict[str, Row] = {}
    for row in read_rows(path, fmt):
        first = by_task.setdefault(row.task, row)
        if str(first.label).strip() != str(row.label).strip():
            raise DatasetError(f"{path}: task {row.task!r} has two true labels ({first.label!r} at "
                               f"{first.where}, {row.label!r} at {row.where}); keep one")
    return list(by_task.values())


def _flat(path: Path) -> bool:
    """Whether a JSON truth file is ``{task: label}`` rather than ``{task: {worker: label}}``."""
    raw = load_json(path, "an object {task: label} or {task: {worker: label}}")
    return isinstance(raw, dict) and bool(raw) and not any(isinstance(v, dict) for v in raw.values())
