"""Writing an answer-only dataset in crowdkit's layout from (task, worker, label) strings.

The source's ids become integers: tasks and workers are numbered 0..n-1 in sorted order of
their original ids (numbers numerically, then text), and ``task_ids.csv`` / ``worker_ids.csv``
map every number back to the original id, so nothing is lost and the bytes do not depend on
file order. Class ``i`` is ``labels[i]`` of the source (recorded as ``source_labels`` in
metadata.json): label values such as ``1``/``2`` cannot be label names, since the loader
would read a name ``"1"`` as class 0 and the index 1 as the same text.

answers.json holds one answer per (task, worker) pair. Where the source repeats a pair, the
first (or, with ``duplicates="last"``, the last) answer in file order is kept there and every
raw answer is also written to ``answers_raw.csv`` (task,worker,label, integer ids).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from crowdkit_core.errors import DatasetError
from crowdkit_core.install.layout import write_answers, write_metadata, write_truth
from crowdkit_core.installers import DatasetCard
from crowdkit_core.output import atomic_write_bytes


def id_key(value: str) -> tuple[int, int, str]:
    """Sort key: integers numerically first, then everything else as text."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return (0, int(text), "")
    return (1, 0, text)


@dataclass
class SourceAnswers:
    """What a source holds: raw answers in file order and the known true labels."""

    rows: list[tuple[str, str, str]]
    truth: list[tuple[str, str]] = field(default_factory=list)


def write_dataset(folder: Path, source: SourceAnswers, *, name: str, card: DatasetCard,
                  source_url: str, labels: Sequence[str] | None = None,
                  label_names: Sequence[str] | None = None, duplicates: str = "first",
                  log: Any = None) -> dict[str, int]:
    """Write answers.json, answers_raw.csv (if pairs repeat), task_ids.csv, worker_ids.csv,
    truth.csv and metadata.json into ``folder``; returns the counts written."""
    if not source.rows:
        raise DatasetError(f"{name}: the downloaded files hold no answers; delete the download "
                           "from the cache and install again")
    classes = list(labels) if labels is not None else sorted(
        {r[2] for r in source.rows} | {t[1] for t in source.truth}, key=id_key)
    class_of = {str(v): i for i, v in enumerate(classes)}
    tasks = {t: i for i, t in enumerate(sorted({r[0] for r in source.rows}, key=id_key))}
    workers = {w: i for i, w in enumerate(sorted({r[1] for r in source.rows}, key=id_key))}
    raw = [(tasks[t], workers[w], _class(class_of, y, name, f"task {t!r}, worker {w!r}"))
           for t, w, y in source.rows]
    answers: dict[int, dict[int, int]] = {}
    n_repeats = 0
    for t, w, y in raw:
        cell = answers.setdefault(t, {})
        if w in cell:
            n_repeats += 1
            if duplicates != "last":
                continue
        cell[w] = y
    write_answers(folder, answers)
    if n_repeats:
        _write_table(folder / "answers_raw.csv", ("task", "worker", "label"), raw, ordered=False)
    _write_table(folder / "task_ids.csv", ("task", "id"), [(i, t) for t, i in tasks.items()])
    _write_table(folder / "worker_ids.csv", ("worker", "id"), [(i, w) for w, i in workers.items()])
    gold = _gold(source.truth, tasks, class_of, name)
    write_truth(folder, gold.items())
    dropped = len({t for t, _ in source.truth}) - len(gold)
    if dropped and log is not None:
        log(f"{name}: {dropped} true labels belong to tasks nobody answered; not written")
    write_metadata(
        folder, name=name, n_classes=card.n_classes or len(classes),
        label_names=list(label_names) if label_names is not None else None,
        source_labels=[str(c) for c in classes], n_workers=len(workers), n_tasks=len(tasks),
        n_answers=len(raw), n_repeated_answers=n_repeats or None,
        license=card.license, citation=card.citation, source=source_url,
        ids="task_ids.csv and worker_ids.csv map the integer ids to the source's ids")
    return {"tasks": len(tasks), "workers": len(workers), "answers": len(raw), "gold": len(gold),
            "repeated": n_repeats}


def _class(class_of: dict[str, int], value: str, name: str, where: str) -> int:
    index = class_of.get(str(value).strip())
    if index is None:
        raise DatasetError(f"{name}: {where}: label {value!r} is not one of the dataset's classes "
                           f"{', '.join(class_of)}; the source changed, report it to the installer's authors")
    return index


def _gold(truth: Iterable[tuple[str, str]], tasks: dict[str, int], class_of: dict[str, int],
          name: str) -> dict[int, int]:
    gold: dict[int, int] = {}
    for task, label in truth:
        if task in tasks:
            value = _class(class_of, label, name, f"true label of task {task!r}")
            previous = gold.setdefault(tasks[task], value)
            if previous != value:
                raise DatasetError(f"{name}: task {task!r} has two different true labels; report it "
                                   "to the installer's authors")
    return gold


def _write_table(path: Path, header: tuple[str, ...], rows: Iterable[tuple[Any, ...]],
                 *, ordered: bool = True) -> None:
    """A CSV table, rows sorted by their first column unless ``ordered`` is False."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(sorted(rows, key=lambda r: r[0]) if ordered else rows)
    atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))
