"""Fit-time inputs keyed by task or by worker (PlantNet's authors, MV's skills), from Python
values or files: one value per task (or worker), None where missing.

A source is a mapping ``{id: value}`` (a dict or a pandas Series, matched on the ids as
text), a sequence in dataset order, or a file: ``.json`` (an ``{id: value}`` object or a
list), ``.npy``, ``.csv``/``.tsv`` (``id,value`` rows, an optional header) or text with one
value per line in dataset order. Unreadable files are one-line DatasetErrors naming them.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import DatasetError

#: Reads a file into a mapping or a list, or returns None to let the default readers try.
FileReader = Callable[[Path], Any]


def task_values(source: Any, dataset: CrowdDataset, what: str) -> list[Any]:
    """One value per task of ``dataset`` (None where missing) from ``source``."""
    return keyed_values(source, dataset.task_ids, what, "task")


def keyed_values(source: Any, ids: Sequence[Any], what: str, axis: str,
                 read: FileReader | None = None) -> list[Any]:
    """One value per id of ``ids`` (None where missing) from ``source`` (module docstring);
    ``axis`` ("task" or "worker") names the ids in messages; ``read`` may read special files."""
    if isinstance(source, dict):
        values: Any = source
    elif hasattr(source, "index") and hasattr(source, "items") and not isinstance(source, np.ndarray):
        values = dict(source.items())  # a pandas Series: keyed by its index, never positional
    elif hasattr(source, "tolist"):
        values = source.tolist()
    elif isinstance(source, (list, tuple)):
        values = list(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise DatasetError(f"{what}: {path}: no such file; give a list or an existing file")
        values = read(path) if read is not None else None
        if values is None:
            values = _read_values_file(path, what, axis)
    if isinstance(values, dict):
        position = {str(i): n for n, i in enumerate(ids)}
        out: list[Any] = [None] * len(ids)
        for key, value in values.items():
            if str(key) in position:
                out[position[str(key)]] = value
        return out
    if len(values) != len(ids):
        raise DatasetError(f"{what}: {len(values)} values for {len(ids)} {axis}s; give one "
                           f"per {axis} in {axis} order, or a {{{axis}: value}} mapping")
    return list(values)


def _read_values_file(path: Path, what: str, axis: str) -> Any:
    """A keyed file's values (an {id: value} mapping or a list), through the core's guarded
    JSON reader; any unreadable file is a one-line DatasetError naming it."""
    from crowdkit_core.dataset.formats import load_json

    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_json(path, f"{what}: a {{{axis}: value}} object or a list")
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False).tolist()
        if suffix in (".csv", ".tsv"):
            with path.open(newline="", encoding="utf-8-sig") as handle:
                rows = [r for r in csv.reader(handle, delimiter="\t" if suffix == ".tsv" else ",") if r]
            return {r[0]: r[1] for r in rows if len(r) >= 2} if rows and len(rows[0]) >= 2 \
                else [r[0] for r in rows]
        return [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    except (OSError, ValueError, EOFError, csv.Error) as exc:  # UnicodeDecodeError is a ValueError
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DatasetError(f"{path}: cannot read {what} ({reason}); give a JSON, .npy, CSV or "
                           f"text file of one value per {axis}") from None
