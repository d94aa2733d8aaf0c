"""Saved worker confusion matrices (``matrix_file=``), checked against the dataset.

A ``.npy`` array of shape (n_workers, K, K) has its rows in the dataset's worker order
(``dataset.worker_ids``, the order of every crowdkit output) unless a worker-id list
(``matrix_workers=``: one id a line, a JSON list or a .npy) names the worker of each row. A
``.json`` file is keyed by worker id: ``{worker: [[...], ...]}``, or the ``details.json``
that ``crowd aggregate -s DS`` writes (``{"workers": {"confusion_matrices": {...}}}``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.dataset.formats import load_json
from crowdkit_core.dataset.side_files import read_id_list
from crowdkit_core.errors import DatasetError


def read_confusion_matrices(path: str, dataset: CrowdDataset,
                            workers_path: str | None = None) -> np.ndarray:
    """(n_workers, K, K) matrices of the dataset's workers, in its worker order, from ``path``.

    Every problem (missing file, wrong shape, an unknown or missing worker, rows that are not
    distributions) is a one-line :class:`DatasetError` naming the file and the fix.
    """
    file = Path(path)
    if not file.is_file():
        raise DatasetError(f"{file}: matrix file not found; check matrix_file=")
    k = dataset.n_classes
    if file.suffix.lower() == ".npy":
        matrices, ids = _read_npy(file, workers_path, dataset)
    elif file.suffix.lower() == ".json":
        matrices, ids = _read_json(file, k)
    else:
        raise DatasetError(f"{file}: matrix files are .npy (n_workers, K, K) arrays or .json "
                           "objects keyed by worker id; convert it to one of those")
    if matrices.ndim != 3 or matrices.shape[1:] != (k, k):
        raise DatasetError(f"{file}: confusion matrices have shape {matrices.shape}; the dataset "
                           f"needs (n_workers, {k}, {k}) ({k} classes)")
    if ids is not None:
        matrices = _in_dataset_order(matrices, ids, dataset, workers_path or file)
    elif len(matrices) != dataset.n_workers:
        raise DatasetError(f"{file}: {len(matrices)} confusion matrices for the dataset's "
                           f"{dataset.n_workers} workers; give one per worker, or name each "
                           "row's worker with matrix_workers=FILE")
    _check_distributions(matrices, file, dataset)
    return matrices


def _read_npy(file: Path, workers_path: str | None,
              dataset: CrowdDataset) -> tuple[np.ndarray, list[str] | None]:
    try:
        matrices = np.load(file, allow_pickle=False)
    except ValueError as exc:
        raise DatasetError(f"{file}: not a numeric numpy array ({exc})") from None
    if not np.issubdtype(matrices.dtype, np.number):
        raise DatasetError(f"{file}: holds {matrices.dtype} values; save numbers")
    ids = None
    if workers_path is not None:
        ids_file = Path(workers_path)
        if not ids_file.is_file():
            raise DatasetError(f"{ids_file}: worker-id list not found; check matrix_workers=")
        ids = read_id_list(ids_file, "worker")
        if len(ids) != len(matrices):
            raise DatasetError(f"{ids_file}: {len(ids)} worker ids for the {len(matrices)} "
                               f"matrices of {file}; give one id per matrix, in row order")
    return np.asarray(matrices, dtype=np.float64), ids


def _read_json(file: Path, k: int) -> tuple[np.ndarray, list[str]]:
    raw: Any = load_json(file, "an object {worker: K x K matrix}")
    if isinstance(raw, dict) and isinstance(raw.get("workers"), dict):  # a details.json
        raw = raw["workers"].get("confusion_matrices")
        if raw is None:
            raise DatasetError(f"{file}: these details have no confusion_matrices; save them "
                               "from a strategy that has confusion matrices (e.g. DS)")
    if not isinstance(raw, dict) or not raw:
        raise DatasetError(f"{file}: must hold an object {{worker: K x K matrix}}")
    try:
        matrices = np.array(list(raw.values()), dtype=np.float64)
    except (TypeError, ValueError):
        raise DatasetError(f"{file}: every worker's entry must be a {k} x {k} matrix of "
                           "numbers") from None
    return matrices, [str(w) for w in raw]


def _in_dataset_order(matrices: np.ndarray, ids: list[str], dataset: CrowdDataset,
                      source: Any) -> np.ndarray:
    """The matrices reordered to the dataset's workers; unknown, repeated or missing
    workers are errors."""
    index = {str(w): j for j, w in enumerate(dataset.worker_ids)}
    rows = np.full(dataset.n_workers, -1, dtype=np.int64)
    for row, worker in enumerate(ids):
        j = index.get(worker)
        if j is None:
            raise DatasetError(f"{source}: worker {worker!r} is not in the dataset; remove its "
                               "matrix or use the dataset it was fitted on")
        if rows[j] >= 0:
            raise DatasetError(f"{source}: worker {worker!r} has two matrices; keep one")
        rows[j] = row
    if (rows < 0).any():
        missing = dataset.worker_ids[np.flatnonzero(rows < 0)[0]]
        raise DatasetError(f"{source}: no confusion matrix for worker {str(missing)!r} "
                           f"({int((rows < 0).sum())} workers missing); give one per worker")
    return matrices[rows]


def _check_distributions(matrices: np.ndarray, file: Path, dataset: CrowdDataset) -> None:
    """Each row (true class) must be a distribution over answered labels, or all zeros for
    a class the worker never met (peerannot's DS writes such rows)."""
    sums = matrices.sum(axis=2)
    rows_ok = np.isclose(sums, 1.0, atol=1e-6) | (np.abs(matrices).sum(axis=2) == 0)
    bad = ~np.isfinite(matrices).all(axis=(1, 2)) | (matrices < 0).any(axis=(1, 2)) \
        | ~rows_ok.all(axis=1)
    if bad.any():
        worker = dataset.worker_ids[np.flatnonzero(bad)[0]]
        raise DatasetError(f"{file}: the matrix of worker {str(worker)!r} is not row-stochastic "
                           "(finite, >= 0, each true-class row summing to 1 or all 0); normalise its rows")
