"""The workers file: a fitted strategy's per-worker parameters, keyed by original worker ids,
to warm-start a later run (``crowd aggregate --init-from FILE``).

Format (JSON, ``format = "crowdkit-workers"``, ``version = 1``)::

    {"format": "crowdkit-workers", "version": 1,
     "strategy": "DS", "parameters": {...spec parameters...},
     "label_names": ["neg", "pos"],
     "dataset": {"priors": [0.4, 0.6]},          # dataset-level values (may be empty)
     "fields": {"confusion": ["K", "K"], ...},    # per-worker values and their shapes
     "workers": {"w1": {"confusion": [[...]], "counts": [[...]]}, ...}}

A strategy that can write one implements ``export_workers()`` returning a
:class:`WorkerTable`; one that can start from one accepts ``fit(data, init=WorkerInit)``
(:class:`WorkerInit`: the table, read back and checked, plus the mode ``assign`` or
``addition``). Reading checks the format, version, strategy, label set and every worker's
shapes and values, and a problem is a one-line :class:`~crowdkit_core.errors.CrowdkitError`
naming the file, the entry and the fix.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

import numpy as np

from crowdkit_core.errors import CrowdkitError

FORMAT = "crowdkit-workers"
VERSION = 1
InitMode = Literal["assign", "addition", "prior"]
INIT_MODES: tuple[str, ...] = ("assign", "addition", "prior")


class WorkerFileError(CrowdkitError, ValueError):
    """A workers file is malformed, from another strategy or for another label set."""


@dataclass(frozen=True)
class WorkerTable:
    """Per-worker arrays (first axis: ``worker_ids``) and dataset-level arrays of one fit.

    ``fields`` maps a name (``confusion``, ``counts``, ``skill``...) to an array of shape
    (n_workers, ...); ``dataset`` holds values not tied to a worker (class priors).
    """

    strategy: str
    label_names: tuple[str, ...]
    worker_ids: tuple[str, ...]
    fields: Mapping[str, np.ndarray]
    dataset: Mapping[str, np.ndarray] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def index_of(self, worker_ids: Sequence[Any]) -> np.ndarray:
        """For each of ``worker_ids``, its row in this table, or -1 for a worker it lacks."""
        rows = {w: i for i, w in enumerate(self.worker_ids)}
        return np.fromiter((rows.get(str(w), -1) for w in worker_ids), dtype=np.int64,
                           count=len(worker_ids))


@dataclass(frozen=True)
class WorkerInit:
    """A warm start from a workers file: the table and how to use it.

    ``assign``: the saved parameters of known workers are the starting point of EM (used
    once, then re-estimated from the new data alone); ``addition``: the saved sufficient
    statistics (expected counts) are a prior added to the new evidence at every M-step.
    Workers absent from the table get the strategy's default initialisation; workers of the
    table absent from the data are ignored.
    """

    table: WorkerTable
    mode: InitMode = "assign"
    source: str = "init"

    def __post_init__(self) -> None:
        if self.mode not in INIT_MODES:
            raise WorkerFileError(f"--init-mode {self.mode!r}: use one of {', '.join(INIT_MODES)}")

    def check(self, strategy: str, label_names: Sequence[str]) -> None:
        """Refuse a table from another strategy or with another label set (one line)."""
        table = self.table
        if table.strategy != strategy:
            raise WorkerFileError(
                f"{self.source}: workers saved by {table.strategy}, not {strategy}; start "
                f"{strategy} from a file written by {strategy} (or run -s {table.strategy})")
        if tuple(table.label_names) != tuple(str(n) for n in label_names):
            raise WorkerFileError(
                f"{self.source}: label set {list(table.label_names)} differs from the data's "
                f"{[str(n) for n in label_names]}; use a file fitted on the same labels")

    def rows(self, worker_ids: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(mask of the data's workers the table knows, their rows in the table)."""
        index = self.table.index_of(worker_ids)
        known = index >= 0
        return known, index[known]


def label_names_of(dataset: Any) -> tuple[str, ...]:
    """The dataset's class names (indices as text where it has none)."""
    return tuple(dataset.label_name(k) for k in range(dataset.n_classes))


def worker_table(strategy: str, dataset: Any, fields: Mapping[str, np.ndarray],
                 extra: Mapping[str, np.ndarray] | None = None,
                 parameters: Mapping[str, Any] | None = None) -> WorkerTable:
    """A :class:`WorkerTable` of ``dataset``'s workers (ids as text)."""
    return WorkerTable(strategy, label_names_of(dataset),
                       tuple(str(w) for w in dataset.worker_ids),
                       {k: np.asarray(v, dtype=np.float64) for k, v in fields.items()},
                       {k: np.asarray(v, dtype=np.float64) for k, v in (extra or {}).items()},
                       dict(parameters or {}))


def encode_worker_table(table: WorkerTable) -> bytes:
    """The workers file's bytes (one line per worker, values at full float precision)."""
    head = {
        "format": FORMAT, "version": VERSION, "strategy": table.strategy,
        "parameters": dict(table.parameters), "label_names": list(table.label_names),
        "dataset": {k: v.tolist() for k, v in table.dataset.items()},
        "fields": {k: ["K" if d == len(table.label_names) else d for d in v.shape[1:]]
                   for k, v in table.fields.items()},
    }
    lines = []
    columns = {k: v.tolist() for k, v in table.fields.items()}
    for i, worker in enumerate(table.worker_ids):
        entry = {k: values[i] for k, values in columns.items()}
        lines.append(f"  {json.dumps(worker)}: {json.dumps(entry)}")
    text = json.dumps(head, indent=1)[:-2]  # reopen the object to add the workers
    body = ",\n".join(lines)
    return f"{text},\n \"workers\": {{\n{body}\n }}\n}}\n".encode()


def read_worker_table(path: str | os.PathLike[str]) -> WorkerTable:
    """Read and check a workers file; a one-line :class:`WorkerFileError` for any problem."""
    source = os.fspath(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkerFileError(f"{source}: no such workers file; give the .workers.json that "
                              "crowd aggregate wrote") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorkerFileError(f"{source}: not a readable JSON workers file ({exc}); give the "
                              ".workers.json that crowd aggregate wrote") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise WorkerFileError(f"{source}: not a crowdkit workers file (\"format\" is not "
                              f"{FORMAT!r}); give the .workers.json that crowd aggregate wrote")
    if raw.get("version") != VERSION:
        raise WorkerFileError(f"{source}: workers file version {raw.get('version')!r} is not "
                              f"supported (this crowdkit reads version {VERSION}); refit to "
                              "write a new one")
    labels = raw.get("label_names")
    if not isinstance(labels, list) or len(labels) < 2:
        raise WorkerFileError(f"{source}: \"label_names\" must list at least two class names")
    k = len(labels)
    shapes = raw.get("fields")
    workers = raw.get("workers")
    if not isinstance(shapes, dict) or not isinstance(workers, dict) or not isinstance(raw.get("strategy"), str):
        raise WorkerFileError(f"{source}: \"strategy\", \"fields\" and \"workers\" are required; "
                              "give the .workers.json that crowd aggregate wrote")
    fields = {name: _field_array(source, name, shape, workers, k) for name, shape in shapes.items()}
    dataset = {}
    for name, value in (raw.get("dataset") or {}).items():
        dataset[name] = _finite(source, f"dataset.{name}", value)
    return WorkerTable(raw["strategy"], tuple(str(n) for n in labels),
                       tuple(str(w) for w in workers), fields, dataset,
                       dict(raw.get("parameters") or {}))


def _field_array(source: str, name: str, shape: Any, workers: dict[str, Any], k: int) -> np.ndarray:
    """The (n_workers, *shape) array of field ``name``, every entry checked."""
    if not isinstance(shape, list):
        raise WorkerFileError(f"{source}: fields.{name} must be a list of dimensions")
    dims = tuple(k if d == "K" else d for d in shape)
    if not all(isinstance(d, int) and d > 0 for d in dims):
        raise WorkerFileError(f"{source}: fields.{name} has an invalid shape {shape}")
    out = np.empty((len(workers), *dims))
    for i, (worker, entry) in enumerate(workers.items()):
        if not isinstance(entry, dict) or name not in entry:
            raise WorkerFileError(f"{source}: worker {worker!r} has no {name!r}; every worker "
                                  f"needs every field of \"fields\"")
        value = _finite(source, f"worker {worker!r} {name}", entry[name])
        if value.shape != dims:
            raise WorkerFileError(f"{source}: worker {worker!r} {name} has shape {value.shape}, "
                                  f"expected {dims} ({k} classes)")
        if (value < 0).any():
            raise WorkerFileError(f"{source}: worker {worker!r} {name} has a negative value; "
                                  "probabilities and counts are at least 0")
        out[i] = value
    return out


def _finite(source: str, where: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise WorkerFileError(f"{source}: {where} is not numeric") from None
    if not np.isfinite(array).all():
        raise WorkerFileError(f"{source}: {where} has a non-finite value; refit to write a new file")
    return array


def require_fields(init: WorkerInit, *names: str) -> None:
    """Refuse a table that lacks one of the per-worker fields ``names`` (one line)."""
    for name in names:
        if name not in init.table.fields:
            raise WorkerFileError(f"{init.source}: no {name!r} field; give a file written by "
                                  f"{init.table.strategy}")


def check_probabilities(init: WorkerInit, name: str) -> None:
    """Refuse a table whose ``name`` rows do not each sum to 1 (one line naming the worker)."""
    require_fields(init, name)
    values = init.table.fields[name]
    sums = values.sum(axis=-1)
    bad = np.flatnonzero(~np.isclose(sums, 1.0, atol=1e-6).reshape(len(values), -1).all(axis=1))
    if bad.size:
        raise WorkerFileError(
            f"{init.source}: worker {init.table.worker_ids[bad[0]]!r} {name} rows do not sum "
            f"to 1 (sums {np.round(sums[bad[0]], 6).tolist()}); fix or refit the file")
