"""The files peerannot writes, written beside crowdkit's own so that scripts made for
peerannot find them where they look: the label file named after the strategy as typed (with
``_hard``), GLAD's ``identification/glad/`` arrays, and per-worker arrays indexed by integer
worker id. The callers add these bytes to their own result set, so everything lands together
or not at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from crowdkit_core.output import npy_bytes

if TYPE_CHECKING:
    from crowdkit_core.application import AggregationResult


def labels_name(dataset_name: str, strategy_text: str, hard: bool) -> str:
    """peerannot's label file name: ``labels_<name>_<strategy as typed, lower case>`` plus
    ``_hard`` for hard labels, ``.npy`` (made safe as a file name the way crowdkit's is)."""
    from crowdkit_core.writers import output_stem

    return f"{output_stem(dataset_name, strategy_text)}{'_hard' if hard else ''}.npy"


def glad_folder(labels_folder: Path, output_dir: str | os.PathLike[str] | None) -> Path:
    """Where peerannot's GLAD arrays go: ``identification/glad`` beside the ``labels`` folder
    (``DATASET/identification/glad``), or inside ``--output-dir`` when one is given."""
    base = Path(output_dir) if output_dir is not None else labels_folder.parent
    return base / "identification" / "glad"


def aggregate_paths(dataset_name: str, canonical: str, labels: Path, *, strategy: str | None,
                    hard: bool, glad: bool,
                    output_dir: str | os.PathLike[str] | None) -> dict[str, Path]:
    """The peerannot files an aggregation adds to crowdkit's ``labels`` file, by role
    (``labels``, ``difficulties``, ``abilities``); none of them repeats ``labels``: the
    peerannot label name is there only when it differs, GLAD's arrays only for GLAD."""
    paths = {}
    twin = labels.parent / labels_name(dataset_name, strategy or canonical, hard)
    if twin != labels:
        paths["labels"] = twin
    if glad:
        folder = glad_folder(labels.parent, output_dir)
        paths.update(difficulties=folder / "difficulties.npy", abilities=folder / "abilities.npy")
    return paths


def aggregate_files(result: "AggregationResult", labels: Path, labels_bytes: bytes, *,
                    strategy: str | None, hard: bool,
                    output_dir: str | os.PathLike[str] | None) -> dict[Path, bytes]:
    """The bytes of :func:`aggregate_paths`: crowdkit's labels ``.npy`` under peerannot's
    name; GLAD's ``difficulties.npy`` ((n_tasks, 2): task id, then beta as peerannot's
    ``sigmoid(alpha * exp(beta))`` uses it, the log of crowdkit's easiness) and
    ``abilities.npy`` ((n_workers, 2): worker id, alpha)."""
    glad = is_glad(result)
    paths = aggregate_paths(result.dataset.name, result.spec.canonical, labels, strategy=strategy,
                            hard=hard, glad=glad, output_dir=output_dir)
    files: dict[Path, bytes] = {}
    if "labels" in paths:
        files[paths["labels"]] = labels_bytes
    if glad:
        data, model = result.dataset, result.model
        tasks = id_column(data.task_ids[result.keep])
        files[paths["difficulties"]] = npy_bytes(np.column_stack([tasks, np.log(model.betas_)]))
        files[paths["abilities"]] = npy_bytes(np.column_stack([id_column(data.worker_ids),
                                                               model.alphas_]))
    return files


def is_glad(result: Any) -> bool:
    """Whether the fitted strategy is GLAD (the one aggregation peerannot writes arrays for)."""
    return result.spec.info.name == "GLAD" and hasattr(result.model, "betas_")


def integer_ids(ids: Sequence[Any]) -> np.ndarray | None:
    """The ids as non-negative integers when every one is written as one (``7``, ``"7"``;
    not ``"07"`` or ``"a"``), else None."""
    out = np.empty(len(ids), dtype=np.int64)
    for i, value in enumerate(ids):
        text = str(value)
        if not text.isdigit() or (len(text) > 1 and text[0] == "0"):
            return None
        out[i] = int(text)
    return out


def id_column(ids: Sequence[Any]) -> np.ndarray:
    """A numeric id column for peerannot's two-column arrays: the integer ids, or the row
    numbers when the ids are not integers (peerannot numbers such items 0..n-1 itself)."""
    numbers = integer_ids(ids)
    return (numbers if numbers is not None else np.arange(len(ids))).astype(np.float64)


def by_integer_id(values: np.ndarray, ids: Sequence[Any], declared: int | None) -> np.ndarray:
    """``values`` (one row per id, in crowdkit's order) laid out as peerannot indexes them:
    row ``i`` belongs to the item whose id is ``i``, for ``declared`` rows (metadata's
    ``n_workers``), NaN where that id gave no answer. Unchanged unless every id is an integer
    below ``declared`` and some are missing."""
    values = np.asarray(values)
    numbers = integer_ids(ids)
    if declared is None or numbers is None or len(numbers) == declared or len(numbers) == 0 \
            or numbers.max() >= declared or values.shape[:1] != (len(numbers),):
        return values
    out = np.full((declared, *values.shape[1:]), np.nan)
    out[numbers] = values
    return out
