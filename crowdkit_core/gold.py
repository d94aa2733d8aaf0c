"""Gold labels given to a strategy for fitting: checking them, and splitting a gold set into a
part the strategy sees and a part kept for scoring.

Known labels enter ``fit(data, gold=...)`` as one class index per task (-1 where unknown) or
as a mapping ``{task id: label}`` (original ids, label names or indices, as ``truth.csv``).
:func:`as_gold` turns either into a read-only array, or None when no task is known, so that
gold that is all unknown gives exactly the fit without gold. :func:`holdout_split` is the
``--holdout-gold FRACTION --seed S`` procedure: a seeded split, stratified by gold class,
so that gold used for fitting is never used for scoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from crowdkit_core.errors import CrowdkitError, DatasetError

if TYPE_CHECKING:
    from crowdkit_core.dataset import CrowdDataset

#: Generator stream of the holdout split (apart from a strategy's own streams 0, 1, ...).
HOLDOUT_STREAM = 7919


def as_gold(gold: Any, dataset: "CrowdDataset") -> np.ndarray | None:
    """``gold`` as a read-only (n_tasks,) int64 array (-1 unknown), or None when it is None or
    knows no task. A mapping is keyed by original task id (every key must be a task of the
    dataset) with label names or class indices as values."""
    if gold is None:
        return None
    where = dataset.source or dataset.name
    if isinstance(gold, Mapping) or hasattr(gold, "items"):  # a dict or a pandas Series
        values = _from_mapping(dict(gold.items()), dataset, where)
    else:
        values = np.array(gold, dtype=np.int64)
        if values.shape != (dataset.n_tasks,):
            raise DatasetError(
                f"{where}: gold has shape {values.shape} but the dataset has {dataset.n_tasks} "
                "tasks; give one class index per task (-1 where unknown) or a {task: label} mapping")
        bad = (values < -1) | (values >= dataset.n_classes)
        if bad.any():
            raise DatasetError(f"{where}: gold label {int(values[bad][0])} is outside "
                               f"-1..{dataset.n_classes - 1}; use -1 for unknown tasks")
    if not (values >= 0).any():
        return None
    values.setflags(write=False)
    return values


def _from_mapping(pairs: dict[Any, Any], dataset: "CrowdDataset", where: str) -> np.ndarray:
    from crowdkit_core.dataset.encoding import label_index

    index = {str(t): i for i, t in enumerate(dataset.task_ids)}
    names = {str(n): i for i, n in enumerate(dataset.label_names or ())}
    values = np.full(dataset.n_tasks, -1, dtype=np.int64)
    for task, label in pairs.items():
        i = index.get(str(task))
        if i is None:
            raise DatasetError(f"{where}: gold task {task!r} is not in the dataset; remove it "
                               "from the gold labels")
        value = label_index(label, names, dataset.n_classes)
        if value is None:
            raise DatasetError(f"{where}: gold task {task!r}: unknown label {label!r}; use a "
                               "label name or class index")
        values[i] = value
    return values


def gold_rows(gold: np.ndarray | None, start: int = 0, stop: int | None = None,
              ) -> tuple[np.ndarray, np.ndarray]:
    """(task indices relative to ``start``, their gold classes) of the known tasks in
    ``start:stop`` (empty arrays without gold)."""
    if gold is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    part = gold[start:stop]
    rows = np.flatnonzero(part >= 0)
    return rows, part[rows]


@dataclass(frozen=True)
class GoldSplit:
    """A gold set split in two: ``fit`` (what strategies see) and ``score`` (what they are
    scored on), each a (n_tasks,) array with -1 outside its part."""

    fit: np.ndarray
    score: np.ndarray

    @property
    def n_fit(self) -> int:
        return int((self.fit >= 0).sum())

    @property
    def n_score(self) -> int:
        return int((self.score >= 0).sum())


def holdout_split(gold: np.ndarray, fraction: float, seed: int = 0) -> GoldSplit:
    """Hold out ``fraction`` of the known tasks of ``gold`` for scoring, the rest for fitting.

    Stratified: within each gold class of ``n_c`` tasks, ``round(n_c * (1 - fraction))``
    tasks, drawn uniformly with a generator seeded by ``seed``, go to the fitting part. The
    draw depends on the gold array and the seed only (not on the strategies), so every
    strategy is scored on the same tasks.
    """
    if not 0.0 <= fraction <= 1.0 or fraction != fraction:
        raise CrowdkitError(f"--holdout-gold {fraction:g}: give a fraction between 0 and 1 "
                            "(the share of gold tasks kept for scoring)")
    gold = np.asarray(gold, dtype=np.int64)
    rng = np.random.default_rng([seed, HOLDOUT_STREAM])
    fit = np.full(gold.shape, -1, dtype=np.int64)
    for label in np.unique(gold[gold >= 0]):
        tasks = np.flatnonzero(gold == label)
        chosen = tasks[rng.permutation(tasks.size)[:int(round(tasks.size * (1.0 - fraction)))]]
        fit[chosen] = label
    score = np.where(fit >= 0, -1, gold)
    return GoldSplit(fit, score)


def scoring_gold(truth: np.ndarray | None, fit_gold: np.ndarray | None) -> np.ndarray | None:
    """The labels to score against: ``truth`` without the tasks whose gold the strategy saw."""
    if truth is None:
        return None
    if fit_gold is None:
        return truth
    return np.where(fit_gold >= 0, -1, truth)


@dataclass(frozen=True)
class GoldPlan:
    """Which known labels a run fits with and which it is scored on (never the same task).

    ``fit``: gold given to the strategy (None: none); ``score``: labels to score against
    (None: no scoring); ``file``: the gold file read, if any; ``holdout``/``seed``: the split
    that produced them, if one was asked for.
    """

    fit: np.ndarray | None
    score: np.ndarray | None
    file: str | None = None
    holdout: float | None = None
    seed: int | None = None

    @property
    def n_fit(self) -> int:
        return 0 if self.fit is None else int((self.fit >= 0).sum())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for provenance records."""
        return {"file": self.file, "holdout": self.holdout, "seed": self.seed,
                "fit_tasks": self.n_fit,
                "score_tasks": 0 if self.score is None else int((self.score >= 0).sum())}


def plan_gold(dataset: "CrowdDataset", gold: Any = None, holdout: float | None = None,
              seed: int | None = None) -> GoldPlan:
    """The fitting and scoring gold of a run on ``dataset``.

    ``gold``: a gold file (``task,label`` CSV/TSV or ``{task: label}`` JSON, every entry
    checked), an array or a mapping, given to the strategy; the dataset's own gold labels
    (``truth.csv``) are then scored on the other tasks. With ``holdout``, the gold (``gold``,
    else the dataset's own) is split by :func:`holdout_split` with ``seed`` (default 0): the
    fitting part goes to the strategy, the held-out part is scored.
    """
    import os
    from pathlib import Path

    file = None
    given = None
    if isinstance(gold, (str, os.PathLike)):
        from crowdkit_core.dataset import read_gold

        path = Path(gold)
        if not path.is_file():
            raise DatasetError(f"{path}: gold file not found; check --gold")
        file = os.fspath(path)
        given = read_gold(path, dataset.task_ids, dataset.n_classes, dataset.label_names,
                          strict=True)
        if not (given >= 0).any():
            raise DatasetError(f"{path}: no gold label in the file; give task,label lines")
    elif gold is not None:
        given = as_gold(gold, dataset)
    if holdout is None:
        return GoldPlan(given, scoring_gold(dataset.gold, given), file)
    base = given if given is not None else dataset.gold
    if base is None or not (np.asarray(base) >= 0).any():
        where = dataset.source or dataset.name
        raise DatasetError(f"{where}: --holdout-gold needs gold labels to split; pass --gold "
                           "FILE or put a truth.csv next to the answers")
    split = holdout_split(base, holdout, 0 if seed is None else seed)
    fit = split.fit if split.n_fit else None
    return GoldPlan(fit, split.score if split.n_score else None, file, holdout,
                    0 if seed is None else seed)
