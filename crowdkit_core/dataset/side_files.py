"""Files read next to the answers: gold labels (``truth.*``) and task lists (``--path-remove``).

Both are matched against already encoded task ids, so they work the same whatever format
the answers came in; an entry that cannot be matched is an error, never dropped silently
(except gold labels of tasks nobody answered, which cannot be scored anyway).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from crowdkit_core.dataset.encoding import label_index
from crowdkit_core.dataset.label_rule import ambiguous_message, label_classes
from crowdkit_core.dataset.formats import load_json
from crowdkit_core.errors import DatasetError

if TYPE_CHECKING:
    from crowdkit_core.dataset.model import CrowdDataset

TRUTH_FILE_CANDIDATES = ("truth.csv", "truth.tsv", "truth.json", "ground_truth.npy")


def find_gold(folder: Path) -> Path | None:
    """The folder's gold-label file (first of :data:`TRUTH_FILE_CANDIDATES`), if any."""
    return next((folder / c for c in TRUTH_FILE_CANDIDATES if (folder / c).is_file()), None)


def read_gold(
    path: Path, task_ids: Sequence[Any], n_classes: int, label_names: Sequence[str] | None = None,
    *, strict: bool = False, label_format: str = "auto",
) -> np.ndarray:
    """Gold class per task of ``task_ids`` (-1 where unknown) from truth.csv/.tsv/.json.

    Labels are names from ``label_names`` or class indices below ``n_classes``; tasks
    absent from ``task_ids`` (nobody answered them) are skipped, unless ``strict`` (a gold
    file given on purpose, e.g. ``crowd evaluate --gold``): then they are an error, and so
    is a task given twice.
    """
    pairs = gold_pairs(path)
    index = {str(t): i for i, t in enumerate(task_ids)}
    classes = _gold_classes(path, [label for _, label in pairs], n_classes, label_names, label_format)
    gold = np.full(len(task_ids), -1, dtype=np.int64)
    for (task, label), value in zip(pairs, classes):
        i = index.get(str(task))
        if i is None and strict:
            raise DatasetError(f"{path}: task {task!r} is not in the dataset; remove it from the "
                               "gold file or check that it belongs to this dataset")
        if i is None:
            continue
        if strict and gold[i] >= 0:
            raise DatasetError(f"{path}: task {task!r} is given twice; keep one gold label per task")
        if value == "ambiguous":
            raise DatasetError(f"{path}: task {task!r}: gold {ambiguous_message(label, label_names or [], n_classes)}")
        if value is None:
            raise DatasetError(f"{path}: task {task!r}: unknown gold label {label!r}; use a label name or class index")
        gold[i] = value
    return gold


def _npy_gold(path: Path) -> list[tuple[Any, Any]]:
    """``(str(i), class)`` for each row of a 1-D array of integral class indices."""
    try:
        values = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DatasetError(f"{path}: not a numpy array of gold classes ({exc})") from None
    if values.ndim != 1 or values.dtype.kind not in "iuf" or \
            (values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0)):
        raise DatasetError(f"{path}: gold labels must be a 1-D array of class indices (row i = "
                           f"task i); got shape {values.shape}, dtype {values.dtype}")
    return [(str(i), int(v)) for i, v in enumerate(values.tolist())]


def _gold_classes(path: Path, labels: list[Any], n_classes: int, label_names: Sequence[str] | None,
                  label_format: str) -> list[Any]:
    """Each gold label's class under the dataset's label rule (None: unknown)."""
    for label in labels:
        if isinstance(label, bool) or not isinstance(label, (int, str)):
            raise DatasetError(f"{path}: gold label {label!r} must be a label name or an integer class index")
    if label_names is None:
        return [label_index(label, {}, n_classes) for label in labels]
    return label_classes(labels, [str(n) for n in label_names], n_classes, label_format)


def gold_pairs(path: Path) -> list[tuple[Any, Any]]:
    """(task, label) pairs of a gold file (truth.csv, .tsv or .json; or peerannot's
    ``ground_truth.npy``, the class of task ``i`` at row ``i``), in file order, unchecked."""
    if path.suffix.lower() == ".npy":
        return _npy_gold(path)
    if path.suffix.lower() == ".json":
        raw = load_json(path, "an object {task: label}")
        if not isinstance(raw, dict):
            raise DatasetError(f"{path}: gold labels must be an object {{task: label}}")
        return list(raw.items())
    pairs = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            header = [h.strip().lower() for h in next(reader, [])]
            if "task" not in header or "label" not in header:
                raise DatasetError(f"{path}: line 1: header must name the columns task,label")
            ti, li = header.index("task"), header.index("label")
            for row in reader:
                if not row:
                    continue
                if len(row) <= max(ti, li):
                    raise DatasetError(
                        f"{path}: line {reader.line_num}: expected {len(header)} fields, found "
                        f"{len(row)}; give each line a task and a label")
                pairs.append((row[ti].strip(), row[li].strip()))
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except csv.Error as exc:
        raise DatasetError(f"{path}: malformed CSV ({exc})") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc}); check the path") from None
    return pairs


def read_task_list(path: str | os.PathLike[str], dataset: "CrowdDataset") -> np.ndarray:
    """Boolean mask of tasks named in ``path`` (text, one id a line; JSON list; or .npy ids).
    peerannot's ``too_hard_<alpha>.txt`` (two numbers a line: image index, task id) is read
    as peerannot reads it, by its second column."""
    file = Path(path)
    if not file.is_file():
        raise DatasetError(f"{file}: task list not found; check --path-remove")
    values = _second_column(read_id_list(file, "task"))
    index = {str(t): i for i, t in enumerate(dataset.task_ids)}
    mask = np.zeros(dataset.n_tasks, dtype=bool)
    for value in values:
        i = index.get(value)
        if i is None:
            raise DatasetError(f"{file}: task {value!r} is not in the dataset; remove it from the list")
        mask[i] = True
    return mask


def _second_column(lines: list[str]) -> list[str]:
    """The task ids of peerannot's two-column index file (``12 345``, or ``np.savetxt``'s
    ``1.2e+01 3.45e+02``) when every line is two integral numbers; ``lines`` otherwise."""
    ids = []
    for line in lines:
        fields = line.split()
        if len(fields) != 2:
            return lines
        try:
            number = float(fields[1])
            float(fields[0])
        except ValueError:
            return lines
        if not number.is_integer():
            return lines
        ids.append(str(int(number)))
    return ids


def read_id_list(file: Path, what: str) -> list[str]:
    """The ids (as text) listed in ``file``: one a line, a JSON list, or a .npy array of
    ``what`` ids (``task``, ``worker``), in file order."""
    if file.suffix.lower() == ".npy":
        try:
            return [str(v) for v in np.load(file, allow_pickle=False).ravel().tolist()]
        except (ValueError, OSError, EOFError) as exc:
            raise DatasetError(f"{file}: not a numpy array of {what} ids ({exc})") from None
    if file.suffix.lower() == ".json":
        raw = load_json(file, f"a list of {what} ids")
        if not isinstance(raw, list):
            raise DatasetError(f"{file}: must hold a JSON list of {what} ids")
        return [str(v) for v in raw]
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{file}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except OSError as exc:
        raise DatasetError(f"{file}: cannot read ({exc.strerror or exc}); check the path") from None
    return [line.strip() for line in text.splitlines() if line.strip()]
