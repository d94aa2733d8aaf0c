"""Class names and label coding: from the user's raw labels to class indices 0..K-1.

Labels are class indices or label names. Names come from ``--label-names`` (one a line, in
class order), else from the training class folders (sorted, as ImageFolder does), else from
the labels themselves when they are all names. A name that is the text of an integer must
equal its own index, since crowdkit reads a label that is a label name as that name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from crowdkit_core.dataset.encoding import is_int_like
from crowdkit_core.errors import DatasetError

from crowdkit_datasets.custom.answer_files import Row, text_lines


def read_label_names(path: Path) -> list[str]:
    """The names of ``path``, one a line, in class-index order."""
    names = [line for _, line in text_lines(path)]
    check_names(names, str(path))
    return names


def check_names(names: Sequence[str], where: str, *, folders: bool = False) -> None:
    """Refuse repeated names, fewer than two classes, names that read as another index and,
    with ``folders``, names that cannot be class folder names."""
    if len(names) < 2:
        raise DatasetError(f"{where}: {len(names)} class name(s); a dataset needs at least 2 classes")
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise DatasetError(f"{where}: class name {name!r} appears twice (classes {seen[name]} "
                               f"and {i}); give each class one name")
        seen[name] = i
        if is_int_like(name) and int(name) != i:
            raise DatasetError(f"{where}: class {i} is named {name!r}, which reads as class index "
                               f"{int(name)}; rename it (for example 'class_{name}')")
        if folders and (name in (".", "..") or name.startswith(".") or any(c in name for c in "/\\")):
            raise DatasetError(f"{where}: class name {name!r} cannot name a class folder; "
                               "use a name without '/', '\\' or a leading '.'")


def names_from_labels(rows: Iterable[Row]) -> list[str] | None:
    """Sorted distinct labels when every label is a name (none is an index), else None."""
    labels = {str(r.label).strip() for r in rows}
    if not labels or any(is_int_like(v) for v in labels):
        return None
    return sorted(labels)


def code_label(row: Row, lookup: dict[str, int], n_classes: int | None, source: Path) -> int:
    """Class index of ``row``'s label (a name in ``lookup`` or an index below ``n_classes``)."""
    text = str(row.label).strip()
    if text in lookup:
        return lookup[text]
    if not is_int_like(text):
        known = ", ".join(lookup) if lookup else "none given (pass --label-names)"
        raise DatasetError(f"{source}: {row.where}: label {text!r} is neither a class index nor "
                           f"a label name (names: {known}); fix the label or --label-names")
    value = int(text)
    if value < 0 or (n_classes is not None and value >= n_classes):
        top = f"0..{n_classes - 1}" if n_classes is not None else "0 or more"
        raise DatasetError(f"{source}: {row.where}: label {value} is out of range {top}; fix the "
                           "label, or give every class in --label-names")
    return value


def code_answers(rows: Sequence[Row], names: Sequence[str] | None, n_classes: int | None,
                 source: Path) -> dict[str, dict[str, int]]:
    """``{task: {worker: class index}}``; a (task, worker) pair given twice is an error."""
    lookup = {n: i for i, n in enumerate(names or ())}
    answers: dict[str, dict[str, int]] = {}
    for row in rows:
        given = answers.setdefault(row.task, {})
        if row.worker in given:
            raise DatasetError(f"{source}: {row.where}: worker {row.worker!r} answers task "
                               f"{row.task!r} a second time; keep one answer per pair")
        given[row.worker] = code_label(row, lookup, n_classes, source)
    return answers


def sorted_order(names: Sequence[str]) -> list[int]:
    """``new[i]``: the index of class ``i`` once the names are sorted (ImageFolder's order)."""
    ordered = sorted(names)
    return [ordered.index(n) for n in names]
