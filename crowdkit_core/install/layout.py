"""The standard dataset layout: writing it, and checking a built folder before it is installed.

::

    answers.json     {task: {worker: label}}, task keys are the indices in the file names
    metadata.json    name, n_classes, n_workers, n_tasks, label_names, licence, citation
    truth.csv        task,label where the true label is known
    train/<class>/<stem>-<task>.<ext>, val/<class>/..., test/<class>/...

Class folders are named by ``label_names`` so that their sorted order (the order torchvision's
``ImageFolder`` gives them) is the class index order.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterable, Mapping

from crowdkit_core.errors import DatasetError
from crowdkit_core.output import atomic_write_bytes

SPLITS = ("train", "val", "test")
_INDEXED = re.compile(r"^(?P<stem>.+)-(?P<index>\d+)\.(?P<ext>[A-Za-z0-9]+)$")


def _key(value: Any) -> tuple[int, Any]:
    text = str(value)
    return (0, int(text)) if text.isdigit() else (1, text)


def write_answers(folder: Path, answers: Mapping[Any, Mapping[Any, int]],
                  filename: str = "answers.json") -> Path:
    """Write ``answers.json`` (or ``filename``, e.g. the answers of held-out validation tasks)
    with tasks and workers in numeric-then-text order (stable bytes)."""
    ordered = {str(t): {str(w): int(answers[t][w]) for w in sorted(answers[t], key=_key)}
               for t in sorted(answers, key=_key)}
    path = folder / filename
    atomic_write_bytes(path, (json.dumps(ordered, separators=(",", ":")) + "\n").encode("utf-8"))
    return path


def write_metadata(folder: Path, *, name: str, n_classes: int, **fields: Any) -> Path:
    """Write ``metadata.json`` (``fields`` such as n_workers, n_tasks, label_names, license)."""
    data = {"name": name, "n_classes": int(n_classes),
            **{k: v for k, v in fields.items() if v is not None}}
    path = folder / "metadata.json"
    atomic_write_bytes(path, (json.dumps(data, indent=1) + "\n").encode("utf-8"))
    return path


def write_truth(folder: Path, pairs: Iterable[tuple[Any, Any]], filename: str = "truth.csv") -> Path:
    """Write ``task,label`` rows (tasks in numeric-then-text order)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["task", "label"])
    for task, label in sorted(pairs, key=lambda p: _key(p[0])):
        writer.writerow([task, label])
    path = folder / filename
    atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))
    return path


def indexed_name(stem: str, task: int, ext: str) -> str:
    """``<stem>-<task>.<ext>``: the file name whose trailing integer is the task's key."""
    return f"{stem}-{int(task)}.{ext.lstrip('.')}"


def place_file(source: Path, target: Path, *, link: bool = False) -> Path:
    """Copy ``source`` to ``target`` (a symlink with ``link``); the source is never moved."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        os.symlink(Path(source).absolute(), target)
    else:
        shutil.copyfile(source, target)
    return target


def split_files(folder: Path, split: str) -> dict[int, tuple[str, Path]]:
    """{task index: (class folder, file)} of one split, refusing badly named or repeated files."""
    found: dict[int, tuple[str, Path]] = {}
    root = folder / split
    for class_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for file in sorted(class_dir.iterdir()):
            match = _INDEXED.match(file.name)
            if match is None:
                raise DatasetError(f"{file}: not named <stem>-<task index>.<ext>; fix the installer")
            index = int(match["index"])
            if index in found:
                raise DatasetError(f"{file}: task index {index} also used by {found[index][1]}; "
                                   "fix the installer")
            found[index] = (class_dir.name, file)
    return found


def check_layout(folder: Path, data: Any = None) -> list[str]:
    """Problems of a built dataset folder's image/audio splits (empty when consistent).

    ``train/`` must hold exactly one file per task of ``answers.json``; class folders must be
    the label names in sorted order; a training file's class folder must be its gold label.
    """
    if not (folder / "train").is_dir():
        return []
    if data is None:  # the caller may pass the dataset it already loaded from ``folder``
        from crowdkit_core.dataset import load_dataset

        data = load_dataset(folder)
    problems: list[str] = []
    names = list(data.label_names) if data.label_names is not None else None
    for split in SPLITS:
        if not (folder / split).is_dir():
            continue
        classes = sorted(p.name for p in (folder / split).iterdir() if p.is_dir())
        if names is not None and sorted(names) == names and not set(classes) <= set(names):
            problems.append(f"{split}/: class folders {classes} are not among the label names {names}")
    train = split_files(folder, "train")
    tasks = {int(t) for t in data.task_ids} if all(str(t).isdigit() for t in data.task_ids) else None
    if tasks is None:
        return problems + ["answers.json: task keys are not integers, so no file can be matched to them"]
    missing = sorted(tasks - set(train))
    extra = sorted(set(train) - tasks)
    if missing:
        problems.append(f"train/: no file for {len(missing)} answered tasks (first: {missing[:3]})")
    if extra:
        problems.append(f"train/: {len(extra)} files have no answers (first task indices: {extra[:3]})")
    if data.gold is not None and names is not None:
        position = {int(t): i for i, t in enumerate(data.task_ids)}
        wrong = [t for t, (cls, _) in train.items()
                 if t in position and data.gold[position[t]] >= 0 and names[data.gold[position[t]]] != cls]
        if wrong:
            problems.append(f"train/: {len(wrong)} files sit in a class folder other than their "
                            f"gold label (first task indices: {sorted(wrong)[:3]})")
    return problems
