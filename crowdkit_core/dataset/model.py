"""In-memory dataset and the ``metadata.json`` model.

Answers are three parallel integer arrays (task index, worker index, class index), sorted by
task then worker then label, so that results never depend on the order of input rows. Ids are
kept in ``task_ids`` / ``worker_ids`` to map results back. No dense task x worker structure is
ever built; the sparse matrices below have one stored entry per answer.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Callable, Literal, Sequence, TypeVar

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from crowdkit_core.errors import DatasetError

DuplicatePolicy = Literal["keep", "first", "last", "error"]
DUPLICATE_POLICIES: tuple[str, ...] = ("keep", "first", "last", "error")
T = TypeVar("T")


class Metadata(BaseModel):
    """Contents of ``metadata.json`` (peerannot's format); unknown fields are kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: str = Field(description="Dataset name, used in output file names.")
    n_classes: int = Field(ge=2, description="Number of classes K; labels are 0..K-1.")
    n_workers: int | None = Field(
        None, ge=1, validation_alias=AliasChoices("n_workers", "n_worker"),
        description="Declared number of workers (may exceed those who answered).",
    )
    n_tasks: int | None = Field(
        None, ge=1, validation_alias=AliasChoices("n_tasks", "n_task"),
        description="Declared number of tasks; every task must have an answer.",
    )
    label_names: list[str] | None = Field(
        None, description="Name of each class, in class-index order."
    )


class CrowdDataset:
    """Crowdsourced answers as sparse integer arrays.

    Build one with :func:`crowdkit_core.dataset.load_dataset` (files) or
    :meth:`from_arrays` / :func:`crowdkit_core.dataset.as_dataset` (memory). ``presorted``
    is for the readers: their freshly built int64 arrays, already sorted by (task, worker,
    label), are adopted without a check or a copy.
    """

    def __init__(
        self,
        tasks: np.ndarray,
        workers: np.ndarray,
        labels: np.ndarray,
        n_classes: int,
        task_ids: Sequence[Any],
        worker_ids: Sequence[Any],
        label_names: Sequence[str] | None = None,
        name: str = "dataset",
        metadata: Metadata | None = None,
        gold: np.ndarray | None = None,
        source: str | None = None,
        n_duplicates: int = 0,
        warnings: Sequence[str] = (),
        *,
        inputs: Sequence[Any] = (),
        presorted: bool = False,
    ) -> None:
        tasks = np.asarray(tasks, dtype=np.int64)
        workers = np.asarray(workers, dtype=np.int64)
        labels = np.asarray(labels, dtype=np.int64)
        if not (tasks.shape == workers.shape == labels.shape) or tasks.ndim != 1:
            raise DatasetError("tasks, workers and labels must be 1-D arrays of the same length")
        if tasks.size == 0:
            raise DatasetError(f"{source or name}: the dataset has no answers; add at least one")
        self.n_classes = int(n_classes)
        self.task_ids = np.asarray(task_ids, dtype=object)
        self.worker_ids = np.asarray(worker_ids, dtype=object)
        _check_range(labels, self.n_classes, "label", source or name)
        _check_range(tasks, len(self.task_ids), "task index", source or name)
        _check_range(workers, len(self.worker_ids), "worker index", source or name)
        order = None if presorted else sort_order(
            tasks, workers, labels, len(self.worker_ids), self.n_classes)
        if presorted:  # the readers' own fresh arrays, already sorted: adopted as they are
            self.tasks, self.workers, self.labels = tasks, workers, labels
        elif order is None:  # already sorted: copy, so the caller's arrays stay writable
            self.tasks, self.workers, self.labels = tasks.copy(), workers.copy(), labels.copy()
        else:
            self.tasks, self.workers, self.labels = tasks[order], workers[order], labels[order]
        for array in (self.tasks, self.workers, self.labels):
            array.setflags(write=False)
        counts = np.bincount(self.tasks, minlength=len(self.task_ids))
        self.__dict__["answers_per_task"] = counts  # seeds the cached property below
        if (counts == 0).any():
            missing = self.task_ids[np.flatnonzero(counts == 0)[0]]
            raise DatasetError(
                f"{source or name}: task {missing!r} has no answers; remove it or add answers"
            )
        self.label_names = tuple(str(n) for n in label_names) if label_names is not None else None
        if self.label_names is not None and len(self.label_names) != self.n_classes:
            raise DatasetError(
                f"{source or name}: {len(self.label_names)} label names for {self.n_classes} classes"
            )
        self.name = name
        self.metadata = metadata or Metadata(name=name, n_classes=self.n_classes)
        self.gold = None if gold is None else np.asarray(gold, dtype=np.int64)
        self.source = source
        self.n_duplicates = int(n_duplicates)
        self.warnings = tuple(warnings)
        #: Every file read to build this dataset (answers, metadata, gold...), for provenance.
        self.inputs: tuple[str, ...] = tuple(str(f) for f in inputs)
        self._cache: dict[Any, Any] = {}

    def cached(self, key: Any, build: Callable[[], T]) -> T:
        """The value cached under ``key``, built by ``build()`` on first use.

        Derived structures that other modules need (e.g. the engine's task blocks) live
        here, owned by the dataset, instead of being written into its ``__dict__``.
        """
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = build()
            return value

    def has_cached(self, key: Any) -> bool:
        """Whether :meth:`cached` already holds ``key``."""
        return key in self._cache

    # -- construction helpers ------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        tasks: Sequence[Any],
        workers: Sequence[Any],
        labels: Sequence[Any],
        n_classes: int | None = None,
        label_names: Sequence[str] | None = None,
        name: str = "dataset",
        duplicates: DuplicatePolicy = "keep",
    ) -> "CrowdDataset":
        """Build from raw ids and labels (any hashable ids; labels as indices or names)."""
        from crowdkit_core.dataset.readers import build_dataset

        return build_dataset(
            list(tasks), list(workers), list(labels), name=name, n_classes=n_classes,
            label_names=label_names, duplicates=duplicates, source="arrays",
        )

    # -- sizes ---------------------------------------------------------------------------
    @property
    def n_tasks(self) -> int:
        return len(self.task_ids)

    @property
    def n_workers(self) -> int:
        return len(self.worker_ids)

    @property
    def n_answers(self) -> int:
        return int(self.tasks.size)

    def __len__(self) -> int:
        return self.n_answers

    def __repr__(self) -> str:
        return (
            f"CrowdDataset(name={self.name!r}, n_tasks={self.n_tasks}, n_workers={self.n_workers}, "
            f"n_answers={self.n_answers}, n_classes={self.n_classes})"
        )

    # -- derived sparse structures (computed once, cached) -------------------------------
    @cached_property
    def task_starts(self) -> np.ndarray:
        """Offsets of each task's first answer (answers are sorted by task): for reduceat."""
        starts = np.zeros(self.n_tasks, dtype=np.int64)
        np.cumsum(self.answers_per_task[:-1], out=starts[1:])
        return starts

    @cached_property
    def vote_counts(self) -> np.ndarray:
        """(n_tasks, K) float array: how many answers gave each label to each task."""
        k = self.n_classes
        if self._has_answer_matrix() and self.n_workers * k * k <= self.n_answers:
            # One sparse product with a (n_workers*K, K) label indicator: faster than the
            # bincount below once the matrix exists (the indicator is small next to it).
            indicator = np.tile(np.eye(k), (self.n_workers, 1))
            return np.asarray(self.answer_matrix @ indicator)
        flat = np.bincount(self.tasks * k + self.labels, weights=np.ones(self.n_answers),
                           minlength=self.n_tasks * k)
        return flat.reshape(self.n_tasks, k)

    @cached_property
    def answers_per_task(self) -> np.ndarray:
        return np.bincount(self.tasks, minlength=self.n_tasks)

    @cached_property
    def answers_per_worker(self) -> np.ndarray:
        return self.answers_per_column.reshape(self.n_workers, self.n_classes).sum(axis=1)

    @cached_property
    def answers_per_column(self) -> np.ndarray:
        """(n_workers*K,) how many answers worker w gave with label l, at ``w*K + l``."""
        if self._has_answer_matrix():  # column sums of the CSR: no index array to build
            sums = self.answer_matrix.T @ np.ones(self.n_tasks)
            return np.rint(sums).astype(np.int64)
        return np.bincount(self.worker_label_index, minlength=self.n_workers * self.n_classes)

    def _has_answer_matrix(self) -> bool:
        """Whether :attr:`answer_matrix` is already built (cached)."""
        return "answer_matrix" in self.__dict__

    @cached_property
    def worker_label_index(self) -> np.ndarray:
        """Per answer, ``worker * K + label``: the column of the answer in :attr:`answer_matrix`."""
        return self.workers * self.n_classes + self.labels

    @cached_property
    def answer_matrix(self):
        """CSR (n_tasks, n_workers*K) with the number of times worker w gave label l to a task.

        E-steps are ``answer_matrix @ log_confusion_flat`` and M-steps
        ``answer_matrix_t @ posteriors``: each a sum over a task partition, so one EM
        iteration is a map-reduce over rows.
        """
        from scipy import sparse

        # Answers are sorted by (task, worker, label), so the CSR arrays are the answer arrays
        # themselves: no COO sort. A repeated answer is a repeated column index, which sparse
        # products sum exactly like a stored count of 2. Indices are int32 whenever they fit
        # (scipy would otherwise scan and convert them), halving the index traffic.
        n_columns = self.n_workers * self.n_classes
        small = max(n_columns, self.n_answers) < np.iinfo(np.int32).max
        index_type = np.int32 if small else np.int64
        indptr = np.empty(self.n_tasks + 1, dtype=index_type)
        indptr[0] = 0
        np.cumsum(self.answers_per_task, out=indptr[1:])
        indices = np.empty(self.n_answers, dtype=index_type)  # one pass each, no temporaries
        np.multiply(self.workers, self.n_classes, out=indices, casting="unsafe")
        np.add(indices, self.labels, out=indices, casting="unsafe")
        return sparse.csr_matrix(
            (np.ones(self.n_answers, dtype=np.float64), indices, indptr),
            shape=(self.n_tasks, n_columns),
        )

    @cached_property
    def answer_matrix_t(self):
        """Transpose of :attr:`answer_matrix` (a CSC view, no copy): M-step products."""
        return self.answer_matrix.T

    # -- transformations -----------------------------------------------------------------
    def subset_tasks(self, keep_mask: np.ndarray) -> "CrowdDataset":
        """A dataset with only the tasks where ``keep_mask`` is true (indices renumbered)."""
        keep_mask = np.asarray(keep_mask, dtype=bool)
        new_index = np.cumsum(keep_mask) - 1
        answer_keep = keep_mask[self.tasks]
        gold = self.gold[keep_mask] if self.gold is not None else None
        return CrowdDataset(
            new_index[self.tasks[answer_keep]], self.workers[answer_keep],
            self.labels[answer_keep], self.n_classes, self.task_ids[keep_mask],
            self.worker_ids, self.label_names, self.name, self.metadata, gold, self.source,
            self.n_duplicates, self.warnings, inputs=self.inputs,
        )

    def label_name(self, index: int) -> str:
        """Name of class ``index`` (its index as text when the dataset has no names)."""
        if index < 0:
            return ""
        return self.label_names[index] if self.label_names else str(index)

    def statistics(self) -> dict[str, Any]:
        """Summary used by ``crowd validate``: sizes, answers per task/worker, class balance."""
        def summary(values: np.ndarray) -> dict[str, float]:
            return {"min": int(values.min()), "median": float(np.median(values)),
                    "mean": round(float(values.mean()), 3), "max": int(values.max())}

        class_counts = np.bincount(self.labels, minlength=self.n_classes)
        return {
            "name": self.name,
            "n_tasks": self.n_tasks,
            "n_workers": self.n_workers,
            "n_answers": self.n_answers,
            "n_classes": self.n_classes,
            "answers_per_task": summary(self.answers_per_task),
            "answers_per_worker": summary(self.answers_per_worker),
            "class_balance": {self.label_name(k): int(c) for k, c in enumerate(class_counts)},
            "duplicate_pairs": self.n_duplicates,
            "gold_tasks": int((self.gold >= 0).sum()) if self.gold is not None else 0,
        }


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


def _check_range(values: np.ndarray, upper: int, what: str, where: str) -> None:
    if values.size and (values.min() < 0 or values.max() >= upper):
        bad = values[(values < 0) | (values >= upper)][0]
        raise DatasetError(f"{where}: {what} {int(bad)} is outside 0..{upper - 1}")
