"""In-memory dataset and the ``metadata.json`` model.

Answers are three parallel integer arrays (task index, worker index, class index), sorted by
task then worker then label, so that results never depend on the order of input rows. Ids are
kept in ``task_ids`` / ``worker_ids`` to map results back. No dense task x worker structure is
ever built; the sparse matrices below have one stored entry per answer.
"""

from __future__ import annotations

from functools import cached_property
from types import MappingProxyType
from typing import Any, Callable, Literal, Mapping, Sequence, TypeVar

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from crowdkit_core.dataset.encoding import (
    DuplicatePolicy, EncodedAnswers, encode_answers, sort_order,
)
from crowdkit_core.errors import DatasetError

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
    label_format: Literal["auto", "names", "indices"] = Field(
        "auto", description="How text labels that read both as names and as indices are read "
        "(crowdkit_core.dataset.label_rule).")


class CrowdDataset:
    """Crowdsourced answers as sparse integer arrays.

    Build one with :func:`crowdkit_core.dataset.load_dataset` (files) or
    :meth:`from_arrays` / :func:`crowdkit_core.dataset.as_dataset` (memory). ``presorted``
    is for :meth:`from_encoded`: the encoder's fresh int64 arrays, already sorted by (task,
    worker, label), are adopted without a check or a copy.

    Side columns come with construction and are read-only afterwards: ``gold`` (class per
    task, -1 where unknown) and ``task_data`` (named per-task arrays, e.g. a model's
    predictions); :meth:`with_gold` gives a copy with other gold labels.
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
        task_data: Mapping[str, Any] | None = None,
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
        if presorted:  # fresh arrays, already sorted: adopted as they are
            self.tasks, self.workers, self.labels = tasks, workers, labels
        elif order is None:  # already sorted: copy, so the caller's arrays stay writable
            self.tasks, self.workers, self.labels = tasks.copy(), workers.copy(), labels.copy()
        else:
            self.tasks, self.workers, self.labels = tasks[order], workers[order], labels[order]
        for array in (self.tasks, self.workers, self.labels):
            array.setflags(write=False)
        counts = np.bincount(self.tasks, minlength=len(self.task_ids))
        counts.setflags(write=False)
        #: (n_tasks,) number of answers of each task (computed here: every task needs one).
        self.answers_per_task: np.ndarray = counts
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
        self.source = source
        self._gold = self._checked_gold(gold)
        self._task_data = MappingProxyType(
            {str(key): self._checked_task_column(key, value) for key, value in (task_data or {}).items()})
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
        """Whether :meth:`cached` already holds ``key``, or the cached attribute ``key``
        (such as ``"answer_matrix"``) is already built."""
        if key in self._cache:
            return True
        return (isinstance(key, str) and key in self.__dict__
                and isinstance(getattr(type(self), key, None), cached_property))

    # -- side columns --------------------------------------------------------------------
    @property
    def gold(self) -> np.ndarray | None:
        """Gold class per task (-1 where unknown), read-only; None without gold labels."""
        return self._gold

    @property
    def task_data(self) -> Mapping[str, np.ndarray]:
        """Named per-task arrays (each of length n_tasks, read-only) given at construction."""
        return self._task_data

    def with_gold(self, gold: Any) -> "CrowdDataset":
        """A copy of this dataset with ``gold`` (class per task, -1 unknown) as its gold labels.

        The answer arrays are shared, not copied (they are read-only).
        """
        return self._rebuild(np.ones(self.n_tasks, dtype=bool), gold=gold)

    def _checked_gold(self, gold: Any) -> np.ndarray | None:
        if gold is None:
            return None
        values = np.array(gold, dtype=np.int64)
        where = self.source or self.name
        if values.shape != (self.n_tasks,):
            raise DatasetError(
                f"{where}: gold has shape {values.shape} but the dataset has {self.n_tasks} tasks; "
                "give one class index per task (-1 where unknown)")
        _check_range(values, self.n_classes, "gold label", where, low=-1)
        values.setflags(write=False)
        return values

    def _checked_task_column(self, key: Any, value: Any) -> np.ndarray:
        column = np.array(value)
        if column.ndim == 0 or len(column) != self.n_tasks:
            raise DatasetError(
                f"{self.source or self.name}: task_data {key!r} has {column.size if column.ndim == 0 else len(column)} "
                f"entries but the dataset has {self.n_tasks} tasks; give one entry per task")
        column.setflags(write=False)
        return column

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
        encoded = encode_answers(
            list(tasks), list(workers), list(labels), n_classes=n_classes,
            label_names=label_names, duplicates=duplicates, source="arrays",
        )
        return cls.from_encoded(encoded, name=name, source="arrays")

    @classmethod
    def from_encoded(cls, encoded: EncodedAnswers, *, name: str = "dataset", **kwargs: Any) -> "CrowdDataset":
        """Adopt :func:`~crowdkit_core.dataset.encoding.encode_answers`' sorted arrays (no copy).

        ``kwargs`` are the other constructor arguments (metadata, gold, source, inputs, task_data).
        """
        return cls(
            encoded.tasks, encoded.workers, encoded.labels, encoded.n_classes, encoded.task_ids,
            encoded.worker_ids, encoded.label_names, name=name, n_duplicates=encoded.n_duplicates,
            warnings=encoded.warnings, presorted=True, **kwargs,
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
        if self.has_cached("answer_matrix") and self.n_workers * k * k <= self.n_answers:
            # One sparse product with a (n_workers*K, K) label indicator: faster than the
            # bincount below once the matrix exists (the indicator is small next to it).
            indicator = np.tile(np.eye(k), (self.n_workers, 1))
            return np.asarray(self.answer_matrix @ indicator)
        flat = np.bincount(self.tasks * k + self.labels, weights=np.ones(self.n_answers),
                           minlength=self.n_tasks * k)
        return flat.reshape(self.n_tasks, k)

    @cached_property
    def answers_per_worker(self) -> np.ndarray:
        return self.answers_per_column.reshape(self.n_workers, self.n_classes).sum(axis=1)

    @cached_property
    def answers_per_column(self) -> np.ndarray:
        """(n_workers*K,) how many answers worker w gave with label l, at ``w*K + l``."""
        if self.has_cached("answer_matrix"):  # column sums of the CSR: no index array to build
            sums = self.answer_matrix.T @ np.ones(self.n_tasks)
            return np.rint(sums).astype(np.int64)
        return np.bincount(self.worker_label_index, minlength=self.n_workers * self.n_classes)

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
        """A dataset with only the tasks where ``keep_mask`` is true (indices renumbered).

        Gold labels and ``task_data`` are subset along.
        """
        keep_mask = np.asarray(keep_mask, dtype=bool)
        return self._rebuild(keep_mask, gold=self.gold[keep_mask] if self.gold is not None else None)

    def _rebuild(self, keep_mask: np.ndarray, gold: Any) -> "CrowdDataset":
        """A dataset of the tasks in ``keep_mask`` with ``gold``; answers stay sorted."""
        if keep_mask.all():
            tasks, workers, labels, task_ids = self.tasks, self.workers, self.labels, self.task_ids
        else:
            new_index = np.cumsum(keep_mask) - 1
            answer_keep = keep_mask[self.tasks]
            tasks, workers, labels = (
                new_index[self.tasks[answer_keep]], self.workers[answer_keep], self.labels[answer_keep])
            task_ids = self.task_ids[keep_mask]
        return CrowdDataset(
            tasks, workers, labels, self.n_classes, task_ids, self.worker_ids, self.label_names,
            self.name, self.metadata, gold, self.source, self.n_duplicates, self.warnings,
            inputs=self.inputs, presorted=True,
            task_data={key: column[keep_mask] for key, column in self.task_data.items()},
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


def _check_range(values: np.ndarray, upper: int, what: str, where: str, low: int = 0) -> None:
    if values.size and (values.min() < low or values.max() >= upper):
        bad = values[(values < low) | (values >= upper)][0]
        raise DatasetError(f"{where}: {what} {int(bad)} is outside {low}..{upper - 1}")
