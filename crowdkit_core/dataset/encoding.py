"""Encoding raw answers into sorted integer arrays: ids, labels, repeats, metadata counts.

Pure array functions: they know nothing of files or of :class:`CrowdDataset` (which builds
itself from an :class:`EncodedAnswers` with ``CrowdDataset.from_encoded``), so every input
path (files, DataFrames, plain lists) shares one encoder and no module imports in a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Literal, NamedTuple, Sequence

import numpy as np

from crowdkit_core.errors import DatasetError

if TYPE_CHECKING:
    from crowdkit_core.dataset.model import Metadata

DuplicatePolicy = Literal["keep", "first", "last", "error"]
DUPLICATE_POLICIES: tuple[str, ...] = ("keep", "first", "last", "error")
#: Answer index -> where it came from ("line 12", "task 't1', worker 'w3'"), for errors.
Describe = Callable[[int], str]


class EncodedColumn:
    """A column given as distinct values plus one int64 code per row (no per-row objects).

    Readers of large tables produce these so a 1e7-row file never becomes 1e7 Python strings;
    :func:`encode_answers` accepts them wherever it accepts a sequence.
    """

    __slots__ = ("values", "codes")

    def __init__(self, values: Sequence[Any], codes: np.ndarray) -> None:
        self.values = list(values)
        self.codes = np.asarray(codes, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.codes.size)


class EncodedAnswers(NamedTuple):
    """Answers as int64 codes sorted by (task, worker, label), with the id and label maps."""

    tasks: np.ndarray
    workers: np.ndarray
    labels: np.ndarray
    n_classes: int
    task_ids: np.ndarray
    worker_ids: np.ndarray
    label_names: tuple[str, ...] | None
    n_duplicates: int
    warnings: tuple[str, ...]


def check_duplicate_policy(duplicates: str) -> None:
    """Reject an unknown ``duplicates`` value before any file is read."""
    if duplicates not in DUPLICATE_POLICIES:
        raise DatasetError(
            f"unknown duplicates policy {duplicates!r}; use one of {', '.join(DUPLICATE_POLICIES)}")


def encode_answers(
    tasks: Sequence[Any] | EncodedColumn,
    workers: Sequence[Any] | EncodedColumn,
    labels: Sequence[Any] | EncodedColumn,
    *,
    n_classes: int | None = None,
    label_names: Sequence[str] | None = None,
    duplicates: DuplicatePolicy = "keep",
    source: str = "input",
    describe: Describe | None = None,
    metadata: "Metadata | None" = None,
    metadata_source: str | None = None,
    label_format: str = "auto",
) -> EncodedAnswers:
    """Encode raw ids and labels, apply the duplicate policy and check the metadata counts.

    Ids and labels must be text or integers (None, NaN, booleans and floats are refused as
    the file readers refuse them); ``label_format`` settles text labels that read both as
    label names and as class indices (:mod:`crowdkit_core.dataset.label_rule`)."""
    if not (len(tasks) == len(workers) == len(labels)):
        raise DatasetError(f"{source}: tasks, workers and labels have different lengths")
    if len(tasks) == 0:
        raise DatasetError(f"{source}: the dataset has no answers; add at least one")
    check_duplicate_policy(duplicates)
    describe = describe or (lambda i: f"answer {i}")
    if n_classes is not None and n_classes < 2:
        raise DatasetError(f"{source}: n_classes={n_classes}; there must be at least 2 classes")
    if label_names is not None and n_classes is not None and len(label_names) != n_classes:
        raise DatasetError(
            f"{metadata_source or source}: label_names has {len(label_names)} names but "
            f"n_classes={n_classes}; make them agree"
        )
    from crowdkit_core.dataset.label_rule import check_label_format
    from crowdkit_core.dataset.values import check_values

    check_label_format(label_format, metadata_source or source)
    for column, what in ((tasks, "task id"), (workers, "worker id"), (labels, "label")):
        check_values(column, what, source, describe)
    warnings: list[str] = []
    task_ids, task_codes = encode_ids(tasks)
    worker_ids, worker_codes = encode_ids(workers)
    label_codes, k, names = encode_labels(labels, n_classes, label_names, source, describe, warnings,
                                          label_format)
    from crowdkit_core.resources import check_memory

    check_memory(len(task_ids), len(worker_ids), len(tasks), k, metadata_source or source)

    n_workers = len(worker_ids)
    task_codes, worker_codes, label_codes, n_dup, keep = apply_duplicates(
        task_codes.astype(np.int64, copy=False), worker_codes.astype(np.int64, copy=False),
        label_codes, n_workers, k, duplicates, source, describe, task_ids, worker_ids,
    )
    if n_dup and keep is None:
        warnings.append(f"{source}: {n_dup} repeated (task, worker) answers are all kept (duplicates=keep)")
    if metadata is not None:
        warnings += check_metadata_counts(metadata, len(task_ids), n_workers,
                                          metadata_source or source)
    return EncodedAnswers(task_codes, worker_codes, label_codes, k, task_ids, worker_ids, names,
                          n_dup if keep is None else 0, tuple(warnings))


def check_metadata_counts(metadata: "Metadata", n_tasks: int, n_workers: int, where: str) -> list[str]:
    """Errors for declared counts the answers contradict; warnings for workers who never answered."""
    if metadata.n_tasks is not None and metadata.n_tasks != n_tasks:
        raise DatasetError(
            f"{where}: n_tasks={metadata.n_tasks} but the answers have {n_tasks} tasks "
            "with answers; fix n_tasks (tasks without answers cannot be aggregated)"
        )
    if metadata.n_workers is not None and metadata.n_workers < n_workers:
        raise DatasetError(
            f"{where}: n_workers={metadata.n_workers} but {n_workers} distinct workers "
            "answered; fix n_workers"
        )
    if metadata.n_workers is not None and metadata.n_workers > n_workers:
        return [f"{where}: n_workers={metadata.n_workers} but only {n_workers} workers answered"]
    return []


# -- ids --------------------------------------------------------------------------------------
def is_int_like(value: Any) -> bool:
    """Whether ``value`` is an integer or the text of one (booleans are not)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    if isinstance(value, str):
        text = value.strip()
        return text.lstrip("-").isdigit()
    return False


def encode_integers(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct integers and each value's index among them.

    When the values span a range not much wider than their count (ids 0..n-1, say), a
    presence table does it in O(n); otherwise ``np.unique`` sorts.
    """
    low, high = int(array.min()), int(array.max())
    if high - low <= 4 * array.size + 1024:
        offsets = (array - low).astype(np.int64, copy=False)
        present = np.zeros(high - low + 1, dtype=bool)
        present[offsets] = True
        if present.all():  # every value of the range occurs: the offsets are the codes
            return np.arange(low, high + 1), offsets if offsets is not array else offsets.copy()
        index_of = np.cumsum(present, dtype=np.int64)
        index_of -= 1
        return np.flatnonzero(present) + low, index_of[offsets]
    uniques, codes = np.unique(array, return_inverse=True)
    return uniques, codes.astype(np.int64, copy=False)


def encode_ids(raw: Sequence[Any] | EncodedColumn) -> tuple[np.ndarray, np.ndarray]:
    """Unique ids (numeric order when every id is an integer, else text order) and codes."""
    if isinstance(raw, EncodedColumn):
        uniques, codes = encode_ids(raw.values)  # codes: position of each value in its order
        return uniques, codes[raw.codes]
    array = np.asarray(raw)
    if array.dtype.kind in "iu":
        uniques, codes = encode_integers(array)
        return uniques.astype(object), codes
    if array.dtype.kind not in "U":
        array = np.asarray([str(v) for v in raw])
    uniques, codes = np.unique(array, return_inverse=True)
    if np.char.isdigit(uniques).all() and uniques.size:
        try:
            keys = uniques.astype(np.int64)
        except (OverflowError, ValueError):
            keys = None
        if keys is not None:
            order = np.argsort(keys, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            uniques, codes = uniques[order], rank[codes]
    return np.asarray(uniques.tolist(), dtype=object), codes


# -- labels -----------------------------------------------------------------------------------
def encode_labels(
    raw: Sequence[Any] | EncodedColumn,
    n_classes: int | None,
    label_names: Sequence[str] | None,
    where: str,
    describe: Describe,
    warnings: list[str],
    label_format: str = "auto",
) -> tuple[np.ndarray, int, tuple[str, ...] | None]:
    """Class index per answer, K and the label names (read by
    :mod:`crowdkit_core.dataset.label_rule`); appends warnings about guessed classes."""
    if label_names is not None:
        from crowdkit_core.dataset.label_rule import ambiguous_message, check_label_names, label_classes

        names = check_label_names(label_names, where)
        k = n_classes or len(names)
        values, codes = distinct_typed(raw)
        classes = label_classes(values, names, k, label_format)
        for j, (v, c) in enumerate(zip(values, classes)):
            if c == "ambiguous":
                raise _first_error(codes, j, where, describe, ambiguous_message(v, names, k))
            if c is None:
                raise _first_error(codes, j, where, describe,
                                   f"unknown label {v!r}; known labels: {', '.join(names)} "
                                   f"(or class indices 0..{k - 1}); fix the label or label_names")
        return np.asarray(classes, dtype=np.int64)[codes], k, tuple(names)
    uniques, codes = encode_ids(raw)
    values = list(uniques)

    def fail(bad: Any, message: str) -> DatasetError:
        return _first_error(codes, values.index(bad), where, describe, message)

    if n_classes is not None:
        mapping = []
        for v in values:
            if not is_int_like(v):
                raise fail(v, f"label {v!r} is not a class index; without label_names labels "
                              f"must be integers 0..{n_classes - 1} (add label_names to the metadata)")
            if not 0 <= int(v) < n_classes:
                raise fail(v, f"label {int(v)} is outside 0..{n_classes - 1}; labels are class "
                              f"indices below n_classes={n_classes}: fix the label or n_classes")
            mapping.append(int(v))
        return np.asarray(mapping, dtype=np.int64)[codes], n_classes, None
    # No metadata: the distinct labels are the classes, in sorted order.
    if len(values) < 2:
        warnings.append(f"{where}: only one distinct label ({values[0]!r}) appears; "
                        "give n_classes in metadata.json if there are more classes")
    names_found = tuple(str(v) for v in values)
    if all(is_int_like(v) for v in values):
        ints = [int(v) for v in values]
        if ints[0] == 0 and ints != list(range(len(ints))):
            warnings.append(
                f"{where}: labels look like class indices but {sorted(set(range(max(ints) + 1)) - set(ints))} "
                "never occur; they are treated as label names. Give n_classes in metadata.json "
                "to keep them as indices"
            )
    k = max(len(values), 2)
    if k > len(names_found):
        names_found = names_found + tuple(f"class_{i}" for i in range(len(names_found), k))
    return codes.astype(np.int64), k, names_found


def _first_error(codes: np.ndarray, value: int, where: str, describe: Describe, message: str) -> DatasetError:
    """The error for distinct value ``value``, naming the first answer that holds it."""
    first = int(np.flatnonzero(codes == value)[0])
    return DatasetError(f"{where}: {describe(first)}: {message}")


def distinct_typed(raw: Sequence[Any] | EncodedColumn) -> tuple[list[Any], np.ndarray]:
    """Distinct values in first-seen order, keeping their types (the number 4 and the text
    "4" stay apart: one is an index, the other a name), and each row's code."""
    if isinstance(raw, EncodedColumn):
        values, inner = distinct_typed(raw.values)
        return values, inner[raw.codes]
    array = np.asarray(raw) if not isinstance(raw, list) else None
    if array is not None and array.dtype.kind in "iuU":
        uniques, codes = np.unique(array, return_inverse=True)
        return uniques.tolist(), codes.astype(np.int64).ravel()
    index: dict[Any, int] = {}
    keyed = [(type(v) is str, v) for v in raw]  # 1 == 1.0 == True: key on the type too
    codes = np.fromiter((index.setdefault(key, len(index)) for key in keyed), dtype=np.int64,
                        count=len(keyed))
    return [v for _, v in index], codes


def label_index(label: Any, names: dict[str, int], n_classes: int) -> int | None:
    """Class of one ``label``, None if it is none: a typed integer (a JSON number) is always a
    class index, so names that look like numbers ("1", "2") cannot capture it; text is a name
    in ``names`` first, else the text of an index below K."""
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        return int(label) if 0 <= int(label) < n_classes else None
    if str(label) in names:
        return names[str(label)]
    if is_int_like(label) and 0 <= int(label) < n_classes:
        return int(label)
    return None


# -- order and repeats ------------------------------------------------------------------------
def sort_order(
    tasks: np.ndarray, workers: np.ndarray, labels: np.ndarray, n_workers: int, n_classes: int,
) -> np.ndarray | None:
    """Permutation sorting answers by (task, worker, label); None when they already are.

    The three columns are packed into one int64 key when it fits (one vectorised sort, and
    an O(n) check that skips sorting input that is already in order); answers with equal
    keys are identical, so the sort need not be stable. Otherwise a lexicographic sort.
    """
    n_tasks = int(tasks.max()) + 1
    if n_tasks * n_workers * n_classes >= 2**62:
        return np.lexsort((labels, workers, tasks))
    key = tasks * (n_workers * n_classes)
    key += workers * n_classes
    key += labels
    if not (key[1:] < key[:-1]).any():
        return None
    return np.argsort(key)


def apply_duplicates(
    task_codes: np.ndarray, worker_codes: np.ndarray, label_codes: np.ndarray, n_workers: int,
    k: int, duplicates: DuplicatePolicy, source: str, describe: Describe,
    task_ids: np.ndarray, worker_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray | None]:
    """Sort answers by (task, worker, label), count repeated (task, worker) pairs, apply the policy.

    Returns the sorted codes, the number of repeats, and the kept original positions (None
    when every answer is kept). One unstable sort of a packed key finds repeats; only when
    some exist and the policy needs input order (first, last, error) is a stable sort run.
    """
    pair = task_codes * n_workers + worker_codes
    order = sort_order(task_codes, worker_codes, label_codes, n_workers, k)
    sorted_pair = pair if order is None else pair[order]
    repeated = sorted_pair[1:] == sorted_pair[:-1]
    n_dup = int(np.count_nonzero(repeated))

    def take(index: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if index is None:
            return task_codes, worker_codes, label_codes
        return task_codes[index], worker_codes[index], label_codes[index]

    if n_dup == 0 or duplicates == "keep":
        return (*take(order), n_dup, None)
    stable = np.argsort(pair, kind="stable")  # input order within each repeated pair
    in_order = pair[stable]
    starts = np.flatnonzero(np.r_[True, in_order[1:] != in_order[:-1]])
    if duplicates == "error":
        sizes = np.diff(np.r_[starts, pair.size])
        second = stable[starts[sizes > 1] + 1]  # each repeated pair's second answer
        i = int(second.min())
        raise DatasetError(
            f"{source}: {describe(i)}: worker {worker_ids[worker_codes[i]]!r} answered task "
            f"{task_ids[task_codes[i]]!r} more than once; choose --duplicates keep, first or last"
        )
    ends = np.r_[starts[1:], pair.size] - 1
    keep = stable[starts] if duplicates == "first" else stable[ends]  # sorted by pair already
    return (*take(keep), n_dup, keep)
