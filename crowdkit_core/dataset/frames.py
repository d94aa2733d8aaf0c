"""In-memory input: dicts, column tuples and pandas DataFrames coerced to a CrowdDataset.

Every ``Aggregator.fit`` goes through :func:`as_dataset`, so a DataFrame of a million
answers must not become a million Python objects: pandas columns are factorised here.
A dataset built from a DataFrame remembers the label values as the frame held them (the
integer 3, not the name "3"), so that results given back as pandas objects carry the
user's own labels (:func:`label_values`).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from crowdkit_core.dataset.encoding import EncodedColumn, encode_answers
from crowdkit_core.dataset.formats import COLUMN_ALIASES
from crowdkit_core.dataset.model import CrowdDataset
from crowdkit_core.errors import DatasetError


def as_dataset(data: Any, **kwargs: Any) -> CrowdDataset:
    """Coerce in-memory input to a :class:`CrowdDataset`.

    Accepts a CrowdDataset, a ``{task: {worker: label}}`` dict, a ``(tasks, workers, labels)``
    tuple of sequences, or a pandas DataFrame with ``task``, ``worker``, ``label`` columns.
    ``kwargs`` (``n_classes``, ``label_names``, ``duplicates``, ``name``) shape the encoding.
    """
    if isinstance(data, CrowdDataset):
        return data
    if isinstance(data, dict):
        return _build(*_dict_columns(data), source="dict", **kwargs)
    if is_frame(data):
        cols = {str(c).lower(): c for c in data.columns}
        picked = []
        for column, aliases in COLUMN_ALIASES.items():
            key = next((cols[a] for a in aliases if a in cols), None)
            if key is None:
                raise DatasetError(f"DataFrame: no {column!r} column (columns: {', '.join(map(str, data.columns))})")
            picked.append(column_values(data[key]))
        dataset = _build(*picked, source="DataFrame", **kwargs)
        originals = _original_labels(picked[2], dataset.label_names or ())
        dataset.cached(ORIGINAL_LABELS, lambda: originals)
        return dataset
    if isinstance(data, (tuple, list)) and len(data) == 3:
        return _build(*(column_values(c) for c in data), source="arrays", **kwargs)
    raise TypeError(
        f"cannot build a dataset from {type(data).__name__}: pass a CrowdDataset, a "
        "{task: {worker: label}} dict, (tasks, workers, labels) sequences or a DataFrame "
        "with task, worker, label columns"
    )


#: Cache key (:meth:`CrowdDataset.cached`) of the label values a DataFrame held.
ORIGINAL_LABELS = "frame_label_values"


def is_frame(data: Any) -> bool:
    """Whether ``data`` is a DataFrame (anything with columns that can be indexed by them)."""
    return hasattr(data, "columns") and hasattr(data, "__getitem__") and not isinstance(data, type)


def label_values(dataset: CrowdDataset) -> tuple[Any, ...]:
    """The label of each class as the user wrote it: a DataFrame's own values (ints stay
    ints), else the label names, else the class indices 0..K-1."""
    if isinstance(dataset, CrowdDataset) and dataset.has_cached(ORIGINAL_LABELS):
        return dataset.cached(ORIGINAL_LABELS, tuple)
    if dataset.label_names is not None:
        return tuple(dataset.label_names)
    return tuple(range(dataset.n_classes))


def _original_labels(column: Any, names: Sequence[str]) -> tuple[Any, ...]:
    """Each class's value in the label ``column`` (names are ``str`` of those values); a
    name no value gives (a padding class) stays the name."""
    if isinstance(column, np.ndarray):  # an integer column: names are its numbers as text
        lookup = {name: int(name) for name in names if name.lstrip("-").isdigit()}
    else:
        values = column.values if isinstance(column, EncodedColumn) else dict.fromkeys(column)
        lookup = {str(v): v.item() if isinstance(v, np.generic) else v for v in values}
    return tuple(lookup.get(name, name) for name in names)


def _build(tasks: Any, workers: Any, labels: Any, *, source: str, name: str = "dataset",
           **kwargs: Any) -> CrowdDataset:
    encoded = encode_answers(tasks, workers, labels, source=source, **kwargs)
    return CrowdDataset.from_encoded(encoded, name=name, source=source)


def _dict_columns(data: dict) -> tuple[list, list, list]:
    """The three columns of a ``{task: {worker: label}}`` dict."""
    tasks, workers, labels = [], [], []
    for task, answers in data.items():
        if not isinstance(answers, dict) or not answers:
            raise DatasetError(f"input: task {task!r} must map to a non-empty {{worker: label}} dict")
        for worker, label in answers.items():
            tasks.append(task)
            workers.append(worker)
            labels.append(label)
    return tasks, workers, labels


def column_values(column: Any) -> Sequence[Any] | EncodedColumn:
    """A column's values without per-row Python objects where possible.

    Integer columns stay numpy arrays; other pandas columns are factorised by pandas (a hash
    table, much faster than sorting 1e6 strings) into an :class:`EncodedColumn`; anything
    else becomes a list.
    """
    if getattr(getattr(column, "dtype", None), "kind", "") in ("i", "u"):
        return np.asarray(column.to_numpy() if hasattr(column, "to_numpy") else column)
    if type(column).__module__.startswith("pandas"):
        import pandas as pd

        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        if not pd.isna(uniques).any():  # missing values keep their own text (None, nan) below
            return EncodedColumn(np.asarray(uniques.to_numpy(), dtype=object), codes)
    return list(column.to_numpy() if hasattr(column, "to_numpy") else column)


def frame_gold(gold: Any, dataset: CrowdDataset) -> Any:
    """A ``{task: label}`` gold mapping (a dict or a Series) over a DataFrame's label values,
    turned into class indices (the integer label 3 of a frame is its value, not class 3);
    anything else is returned unchanged for :func:`~crowdkit_core.gold.as_gold`."""
    if not hasattr(gold, "items") or not dataset.has_cached(ORIGINAL_LABELS):
        return gold
    classes = {value: k for k, value in enumerate(label_values(dataset))}
    return {task: classes.get(label, label) for task, label in gold.items()}
