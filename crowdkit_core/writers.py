"""The result writer: where an aggregation's files go, their bytes, and writing them as a set.

One call, :func:`write_result`, writes the labels file, the ``.details.json`` (when the model
has details) and the ``.provenance.json`` atomically as a set. The encoders work column-wise
on numpy arrays (no Python code per task), and the CSV bytes are those ``csv.writer`` makes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from crowdkit_core.errors import CrowdkitError

if TYPE_CHECKING:
    from crowdkit_core.application import AggregationResult

FORMATS = ("npy", "csv", "json")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.=,\-\[\]]+")
_CSV_BLOCK_ROWS = 100_000  # rows rendered per formatting call (bounds the temporary strings)
_CSV_SPECIAL = np.array([ord(c) for c in ',"\r\n'], dtype=np.uint32)  # what csv.writer may quote


@dataclass(frozen=True)
class OutputPaths:
    """The files one aggregation writes."""

    labels: Path
    details: Path
    provenance: Path
    workers: Path | None = None


def output_stem(dataset_name: str, canonical: str) -> str:
    """``labels_<dataset>_<spec>`` in lower case (peerannot's naming), safe as a file name and
    bounded in length (a long name keeps its start plus a hash)."""
    from crowdkit_core.output_guard import bounded_stem

    return bounded_stem(f"labels_{_UNSAFE.sub('_', dataset_name)}_{_UNSAFE.sub('_', canonical.lower())}")


def check_format(fmt: str) -> None:
    """Raise the user error for an unknown output format (early, before any work is done)."""
    if fmt not in FORMATS:
        raise CrowdkitError(f"--format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")


def output_paths(dataset_name: str, canonical: str, fmt: str, *, output_dir: str | os.PathLike[str] | None = None,
                 source: str | os.PathLike[str] | None = None) -> OutputPaths:
    """Paths for the results: in ``output_dir``, else ``SOURCE/labels`` when ``source`` (the
    dataset argument as given) is a folder named directly, else ``./labels``: a dataset found
    through a resolver (``bundled:NAME``, an installed name) lives in a folder that is not the
    user's, so nothing is written into it."""
    check_format(fmt)
    if output_dir is not None:
        folder = Path(output_dir)
    elif source is not None and _names_a_folder(source):
        folder = Path(source) / "labels"
    else:
        folder = Path("labels")
    stem = output_stem(dataset_name, canonical)
    return OutputPaths(folder / f"{stem}.{fmt}", folder / f"{stem}.details.json",
                       folder / f"{stem}.provenance.json", folder / f"{stem}.workers.json")


def _names_a_folder(source: str | os.PathLike[str]) -> bool:
    """Whether the dataset argument is a folder path itself (not a name a resolver turned
    into a folder)."""
    from crowdkit_core.dataset import resolve_dataset_path

    path = Path(source)
    try:
        return path.is_dir() and resolve_dataset_path(source) == path
    except CrowdkitError:
        return False


def check_output(dataset_name: str, canonical: str, fmt: str = "npy", *,
                 output_dir: str | os.PathLike[str] | None = None,
                 source: str | os.PathLike[str] | None = None, hard: bool = False,
                 strategy: str | None = None, glad: bool = False) -> OutputPaths:
    """The paths :func:`write_result` will use, after checking they can be written (a
    one-line :class:`~crowdkit_core.errors.OutputError` otherwise): call it before fitting.
    ``hard``, ``strategy`` (the spec as typed) and ``glad`` name the peerannot files that
    come with ``.npy`` output (:mod:`crowdkit_core.peerannot_files`); they are checked too."""
    from crowdkit_core.output_guard import check_targets

    paths = output_paths(dataset_name, canonical, fmt, output_dir=output_dir, source=source)
    extra = []
    if fmt == "npy":
        from crowdkit_core.peerannot_files import aggregate_paths

        extra = list(aggregate_paths(dataset_name, canonical, paths.labels, strategy=strategy,
                                     hard=hard, glad=glad, output_dir=output_dir).values())
    check_targets([paths.labels, paths.details, paths.provenance, *extra])
    return paths


def write_result(result: "AggregationResult", *, fmt: str = "npy", hard: bool = False,
                 output_dir: str | os.PathLike[str] | None = None,
                 source: str | os.PathLike[str] | None = None,
                 extra_files: "dict[Path, bytes] | None" = None,
                 strategy: str | None = None) -> dict[str, Any]:
    """Write ``result``'s labels, details, workers file (strategies that export one) and
    provenance as one set (the old set or the new one survives any failure or signal);
    return the provenance record as written (``result.provenance`` plus ``hard``, ``format``,
    ``output``, ``details``, ``workers``). ``extra_files`` ({path: bytes}, e.g. an
    incremental state) are written in the same set. With ``.npy`` output, the files
    peerannot would write join the set (``peerannot_files`` in the record): its label-file
    name, from ``strategy`` as typed (default: the canonical spec) and ``_hard``, and GLAD's
    ``identification/glad`` arrays."""
    from crowdkit_core.output import to_json, write_files_atomically
    from crowdkit_core.output_guard import write_error
    from crowdkit_core.peerannot_files import aggregate_files, is_glad

    paths = check_output(result.dataset.name, result.spec.canonical, fmt, output_dir=output_dir,
                         source=source, hard=hard, strategy=strategy, glad=is_glad(result))
    record = {**result.provenance, "hard": hard, "format": fmt, "output": str(paths.labels)}
    files = {paths.labels: encode_labels(result, fmt, hard)}
    if fmt == "npy":
        peerannot = aggregate_files(result, paths.labels, files[paths.labels], strategy=strategy,
                                    hard=hard, output_dir=output_dir)
        if peerannot:
            record["peerannot_files"] = [str(p) for p in peerannot]
            files.update(peerannot)
    details = result.details()
    if details:
        record["details"] = str(paths.details)
        files[paths.details] = to_json(details, depth=2).encode()  # one line per table
    workers = result.workers()
    if workers is not None and paths.workers is not None:
        from crowdkit_core.worker_file import encode_worker_table

        record["workers"] = str(paths.workers)
        files[paths.workers] = encode_worker_table(workers)
    files[paths.provenance] = to_json(record).encode()
    files.update(extra_files or {})
    try:  # an old run's details file is part of the old set: it goes when the new set lands
        write_files_atomically(files, remove=[p for p in (paths.details, paths.workers) if p is not None])
    except OSError as exc:
        raise write_error(exc, paths.labels.parent) from None
    return record


def encode_labels(result: "AggregationResult", fmt: str, hard: bool) -> bytes:
    """The labels file's bytes: ``.npy`` (hard labels or (n_tasks, K) probabilities), CSV
    (``task,label[,p_<name>...]``) or JSON (``{task: label}`` or ``{task: {name: p}}``)."""
    data = result.dataset
    names = [data.label_name(k) for k in range(data.n_classes)]
    if fmt == "npy":
        buffer = io.BytesIO()
        np.save(buffer, result.labels if hard else result.proba, allow_pickle=False)
        return buffer.getvalue()
    if fmt == "csv":
        return csv_bytes(data.task_ids, names, result.labels, None if hard else result.proba)
    return json_bytes(data.task_ids, names, result.labels, None if hard else result.proba, result.keep)


def csv_bytes(task_ids: np.ndarray, names: Sequence[str], labels: np.ndarray, proba: np.ndarray | None) -> bytes:
    """CSV of one row per task (label name, '' for -1; probabilities as ``%.10g``), byte for
    byte what ``csv.writer(lineterminator="\\n")`` writes.

    The fields are gathered column-wise into an object matrix, and each block of rows is
    rendered by a single ``%`` formatting call (C code), not by Python code per row.
    """
    k = 0 if proba is None else proba.shape[1]
    header = ["task", "label"] + ([] if proba is None else [f"p_{n}" for n in names])
    fields = np.empty((len(task_ids), 2 + k), dtype=object)
    fields[:, 0] = csv_values(task_ids)
    fields[:, 1] = np.array([_csv_field(n) for n in names] + [""], dtype=object)[labels]  # -1: ''
    if proba is not None:
        fields[:, 2:] = proba
    row = ",".join(["%s", "%s"] + ["%.10g"] * k) + "\n"
    parts = [",".join(map(_csv_field, header)) + "\n"]
    for start in range(0, len(fields), _CSV_BLOCK_ROWS):
        block = fields[start:start + _CSV_BLOCK_ROWS]
        parts.append((row * len(block)) % tuple(block.ravel().tolist()))
    return "".join(parts).encode()


def csv_values(values: np.ndarray) -> np.ndarray:
    """``values`` ready for ``%s`` in a CSV row: strings and ints as they are, the rest (ids
    holding ``,``, ``"``, CR or LF; None, floats, other types) as ``csv.writer`` writes them.

    The test runs on the whole column in numpy; only the values it flags are formatted one by one.
    """
    values = np.asarray(values, dtype=object)
    text = values.astype(str)
    types = np.fromiter(map(type, values), dtype=object, count=values.size)
    odd = ~((types == str) | (types == int))
    if text.dtype.itemsize:
        odd |= np.isin(text.view(np.uint32).reshape(text.size, -1), _CSV_SPECIAL).any(axis=1)
    if not odd.any():
        return values
    values = values.copy()
    values[odd] = [_csv_field(v) for v in values[odd]]
    return values


def _csv_field(value: Any) -> str:
    """One CSV field exactly as ``csv.writer`` writes it (quoted and escaped as needed)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([value, ""])
    return buffer.getvalue()[:-2]  # drop the empty second field's "," and the "\n"


def json_bytes(task_ids: np.ndarray, names: Sequence[str], labels: np.ndarray,
               proba: np.ndarray | None, keep: np.ndarray) -> bytes:
    """JSON object keyed by task id: label name (null for -1), or ``{name: p}`` (null for
    removed tasks); indented by one space."""
    keys = np.asarray(task_ids, dtype=object).astype(str).tolist()
    if proba is None:
        values = np.array([*names, None], dtype=object)[labels].tolist()
        # A flat object: the C encoder with the indented layout's separators, then the braces.
        flat = json.dumps(dict(zip(keys, values)), separators=(",\n ", ": "))
        return f"{{\n {flat[1:-1]}\n}}\n".encode()
    rows: list[Any] = list(map(dict, map(zip, repeat(names), proba.tolist())))
    for i in np.flatnonzero(~keep).tolist():
        rows[i] = None
    return (json.dumps(dict(zip(keys, rows)), indent=1) + "\n").encode()
