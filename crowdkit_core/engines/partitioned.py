"""A dataset cut into task partitions that live where an engine computes (Dask workers).

Each partition is a :class:`~crowdkit_core.dataset.CrowdDataset` over a set of whole tasks
(local task codes, the original task ids kept) and *all* workers and classes (global worker
codes), so every per-dataset kernel of a strategy runs on it unchanged and its statistics
(e.g. DS's workers x K x K counts) add across partitions. The driver keeps only a
:class:`PartitionedDataset`: partition handles, sizes and the small per-worker counts.
Tasks are numbered partition after partition, so concatenating per-partition rows gives
rows in task order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.engine import Engine, Statistics


@dataclass(frozen=True)
class PartitionSummary(Statistics):
    """What the driver needs to know of the partitions: sizes and per-(worker, label) counts."""

    answers_per_column: np.ndarray
    n_answers: int
    n_duplicates: int


def summarize(part: CrowdDataset) -> tuple[int, PartitionSummary]:
    """A partition's task count (its output) and its summary (statistics)."""
    return part.n_tasks, PartitionSummary(part.answers_per_column.astype(np.int64),
                                          part.n_answers, part.n_duplicates)


class PartitionedDataset:
    """Driver-side view of a dataset whose partitions are held by ``engine``.

    Offers the sizes and per-worker counts a CrowdDataset offers (``n_tasks``,
    ``n_workers``, ``n_classes``, ``n_answers``, ``answers_per_column``,
    ``answers_per_worker``, ``worker_ids``), never the answers. ``gather``: whether fits
    bring ``proba_`` / ``labels_`` back to the driver (False for inputs larger than memory,
    whose labels are written partition by partition).
    """

    partitioned = True

    def __init__(self, engine: Engine, parts: Sequence[Any], worker_ids: Sequence[Any],
                 n_classes: int, *, label_names: Sequence[str] | None = None,
                 name: str = "dataset", source: str | None = None, inputs: Sequence[str] = (),
                 gather: bool = True, warnings: Sequence[str] = ()) -> None:
        self.engine = engine
        self.parts = list(parts)
        self.worker_ids = np.asarray(worker_ids, dtype=object)
        self.n_classes = int(n_classes)
        self.label_names = tuple(label_names) if label_names is not None else None
        self.name, self.source, self.inputs = name, source, tuple(inputs)
        self.gather = gather
        self.gold = None
        self.task_data: dict[str, Any] = {}
        sizes, summary = engine.map_reduce(summarize, self.parts)
        self.part_tasks = np.asarray(engine.gather(sizes), dtype=np.int64)
        self.answers_per_column = summary.answers_per_column
        self.n_answers = int(summary.n_answers)
        self.n_duplicates = int(summary.n_duplicates)
        self.warnings = tuple(warnings)

    @property
    def n_tasks(self) -> int:
        return int(self.part_tasks.sum())

    @property
    def n_workers(self) -> int:
        return len(self.worker_ids)

    @property
    def n_partitions(self) -> int:
        return len(self.parts)

    @property
    def answers_per_worker(self) -> np.ndarray:
        return self.answers_per_column.reshape(self.n_workers, self.n_classes).sum(axis=1)

    @property
    def task_ids(self) -> np.ndarray:
        """Every task's original id, in task order (gathered from the partitions)."""
        return np.concatenate(self.engine.gather(self.engine.map_resident(_task_ids, self.parts)))

    def rows(self, handles: Sequence[Any]) -> np.ndarray:
        """Per-partition row blocks (handles) joined into one array in task order."""
        return np.concatenate(self.engine.gather(handles))

    def label_name(self, index: int) -> str:
        return self.label_names[index] if self.label_names else str(index)

    def __repr__(self) -> str:
        return (f"PartitionedDataset(name={self.name!r}, n_partitions={self.n_partitions}, "
                f"n_tasks={self.n_tasks}, n_workers={self.n_workers}, "
                f"n_answers={self.n_answers}, n_classes={self.n_classes})")


def is_partitioned(data: Any) -> bool:
    return getattr(data, "partitioned", False) is True


def _task_ids(part: CrowdDataset) -> np.ndarray:
    return part.task_ids


def split_tasks(dataset: CrowdDataset, n_partitions: int) -> list[CrowdDataset]:
    """``dataset`` cut into about ``n_partitions`` task ranges of about equal answer counts."""
    from crowdkit_core.blocks import task_ranges

    offsets = np.append(dataset.task_starts, dataset.n_answers)
    parts = []
    for start, stop in task_ranges(offsets, max(1, n_partitions)):
        first, last = int(offsets[start]), int(offsets[stop])
        parts.append(CrowdDataset(
            dataset.tasks[first:last] - start, dataset.workers[first:last],
            dataset.labels[first:last], dataset.n_classes, dataset.task_ids[start:stop],
            dataset.worker_ids, dataset.label_names, name=dataset.name, presorted=True))
    return parts


def partition_dataset(dataset: CrowdDataset, engine: Engine, n_partitions: int,
                      gather: bool = True) -> PartitionedDataset:
    """An in-memory dataset cut into ``n_partitions`` and placed on ``engine``'s workers."""
    return PartitionedDataset(
        engine, engine.scatter(split_tasks(dataset, n_partitions)), dataset.worker_ids,
        dataset.n_classes, label_names=dataset.label_names, name=dataset.name,
        source=dataset.source, inputs=dataset.inputs, gather=gather, warnings=dataset.warnings)


# -- hard labels per partition, with the local engine's seeded tie-breaks --------------------
def partition_labels(engine: Engine, proba: Sequence[Any], ties: str, seed: int,
                     rtol: float = 1e-9) -> list[Any]:
    """Handles of each partition's hard labels, equal to ``labels_from_proba`` on all rows.

    With ``ties='random'`` the local engine draws K uniforms per tied row, in row order, from
    ``default_rng([seed, 0])``; here each partition counts its tied rows, and partition
    ``j`` advances the same generator past the draws of partitions ``0..j-1``
    (``PCG64.advance``), so its draws, and the labels, are those of the one-pass run.
    """
    if ties != "random":
        return engine.map_resident(_labels, proba, ties, seed, 0)
    tied = np.asarray(engine.map_blocks(_tied_rows, proba), dtype=np.int64)
    before = np.concatenate(([0], np.cumsum(tied)[:-1]))
    return engine.map_resident(_labels_after, list(zip(proba, before.tolist())), ties, seed)


def _tied_rows(proba: np.ndarray, rtol: float = 1e-9) -> int:
    best = proba.max(axis=1)
    threshold = best - rtol * np.abs(best)
    return int(((proba >= threshold[:, None]).sum(axis=1) > 1).sum())


def _labels(proba: np.ndarray, ties: str, seed: int, skip_rows: int) -> np.ndarray:
    from crowdkit_core.aggregator import labels_from_proba

    rng = np.random.default_rng([seed, 0])
    if skip_rows:
        rng.bit_generator.advance(skip_rows * proba.shape[1])  # one 64-bit draw per double
    return labels_from_proba(proba, ties, rng)


def _labels_after(item: tuple[np.ndarray, int], ties: str, seed: int) -> np.ndarray:
    proba, skip_rows = item
    return _labels(proba, ties, seed, skip_rows)
