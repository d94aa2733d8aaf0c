"""PlantNet: Pl@ntNet's weighted vote with task validity and an optional AI voter.

Lefort, Affouard, Charlier, Lombardo, Chouet, Goëau, Salmon, Bonnet & Joly (2024). A worker's
weight grows with the number of classes ("species") they identified correctly on valid tasks;
a task is valid when its label has enough total weight (confidence) and a large enough share
of the weight (accuracy). Labels, validity and weights are iterated to a fixed point.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import DatasetError
from crowdkit_core.estimator import FitInput, Output, Tags
from crowdkit_core.params import StrategyParams

from crowdkit_classic._inputs import task_values
from crowdkit_classic._weighted_vote import scores_from_arrays, share_proba, vote_labels

#: Per-task inputs of ``fit`` (not parameters: specs and provenance never hold task lists).
PER_TASK_INPUTS = ("authors", "ai_predictions", "ai_scores")

AIMode = Literal["ignored", "worker", "fixed", "invalidating", "confident"]
LOG_2_1 = float(np.log(2.1))


class PlantNetParams(StrategyParams):
    """Weight function, validity thresholds, authorship and the AI voter."""

    #: peerannot's spellings (``-s 'PlantNet[AI=worker,AIweight=2]'``).
    key_aliases: ClassVar[dict[str, str]] = {
        **StrategyParams.key_aliases, "AI": "ai", "AIweight": "ai_weight",
        "threshold_scores": "ai_threshold"}

    max_iter: int = Field(
        100, ge=0, description="Maximum number of passes (label, validity, weights); stops "
                               "earlier when labels and validity no longer change; 0 keeps the "
                               "initial weights (one vote, no update).")
    alpha: float = Field(
        0.5, ge=0.0, description="Exponent alpha of the weight f(n) = n^alpha - n^beta + log(2.1).")
    beta: float = Field(
        0.2, gt=0.0, description="Exponent beta of the weight f(n); must not exceed alpha, so "
                                 "that f increases with n and stays >= log(2.1) for n >= 1.")
    theta_conf: float = Field(
        2.0, ge=0.0, description="A task is valid only if the total weight of its label "
                                 "(confidence) is at least this.")
    theta_acc: float = Field(
        0.7, ge=0.0, le=1.0, description="A task is valid only if its label holds at least this "
                                         "share of the task's total weight (accuracy).")
    vote_factor: float = Field(
        0.1, ge=0.0, le=1.0,
        description="A class identified only by voting on other users' tasks counts this much "
                    "(rounded after summing) against 1 for a class identified on a task the "
                    "worker authored; Pl@ntNet and peerannot use 0.1. Set 1 to count every "
                    "answer fully when the data has no authors.")
    ai: AIMode = Field(
        "ignored",
        description="How the AI votes count: 'ignored'; 'worker' (an ordinary worker with a "
                    "learnt weight); 'fixed' (weight ai_weight, once per task); 'invalidating' "
                    "(weight ai_weight that can only lower a task's accuracy when the AI "
                    "disagrees); 'confident' (as 'fixed' where the AI score >= ai_threshold).")
    ai_worker: str = Field(
        "AI", description="Worker id whose answers are the AI votes when ai_predictions is "
                          "None (peerannot's convention); they are removed from the human votes "
                          "unless ai='worker'.")
    ai_weight: float = Field(
        1.0, ge=0.0, description="Weight of the AI vote in the 'fixed', 'invalidating' and "
                                 "'confident' modes.")
    ai_threshold: float = Field(
        0.7, ge=0.0, le=1.0, description="In 'confident' mode the AI votes only on tasks whose "
                                         "score is at least this.")

    @model_validator(mode="before")
    @classmethod
    def _per_task_data_is_not_a_parameter(cls, data: Any) -> Any:
        """Point users of the old parameters to the fit-time inputs that replaced them."""
        moved = [k for k in PER_TASK_INPUTS if isinstance(data, dict) and k in data]
        if moved:
            raise ValueError(
                f"{moved[0]} is per-task data, not a parameter: pass it to "
                f"fit(data, {moved[0]}=...) or run `crowd aggregate --task-data {moved[0]}=FILE`")
        return data

    @model_validator(mode="after")
    def _check_exponents(self) -> "PlantNetParams":
        if self.beta > self.alpha:
            raise ValueError(f"beta={self.beta} exceeds alpha={self.alpha}; the weight "
                             "n^alpha - n^beta + log(2.1) would decrease and turn negative")
        return self


def weight_function(n: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """Pl@ntNet's worker weight ``f(n) = n^alpha - n^beta + log(2.1)`` (f(0) = log 2.1)."""
    n = np.asarray(n, dtype=np.float64)
    return n ** alpha - n ** beta + LOG_2_1


def identified_classes(
    workers: np.ndarray, labels: np.ndarray, correct: np.ndarray, authored: np.ndarray,
    n_slots: int, n_classes: int, vote_factor: float,
) -> np.ndarray:
    """Per worker, classes identified on valid tasks: authored + round(vote_factor * voted).

    ``correct`` marks answers equal to the label of a valid task; ``authored`` answers given
    by the task's author. A class counts once per worker, as authored if it ever was.
    """
    codes = workers * n_classes + labels
    own = _distinct(codes[correct & authored], n_slots * n_classes)
    voted = _distinct(codes[correct & ~authored], n_slots * n_classes)
    voted = voted[~np.isin(voted, own, assume_unique=True)]
    n_own = np.bincount(own // n_classes, minlength=n_slots)
    n_voted = np.bincount(voted // n_classes, minlength=n_slots)
    return n_own + np.round(vote_factor * n_voted)


def _distinct(codes: np.ndarray, size: int) -> np.ndarray:
    """Sorted distinct codes (a presence table when small, else a sort)."""
    if size <= 4 * codes.size + 1_000_000:
        return np.flatnonzero(np.bincount(codes, minlength=size))
    return np.unique(codes)


class PlantNet(Aggregator[PlantNetParams]):
    """Pl@ntNet weighted vote: weights from identified classes, labels only on valid tasks.

    Each pass: the weighted vote gives the labels (plus the AI vote in 'fixed'/'confident'
    mode); confidence = total weight of the label, accuracy = its share of the task's weight
    (the AI weight joins the denominator where it disagrees in 'invalidating' mode); a task is
    valid when confidence >= theta_conf and accuracy >= theta_acc; each worker's n_j counts the
    classes they identified on valid tasks; weights become f(n_j). It stops when labels and
    validity repeat (then weights repeat too).

    Fitted attributes: ``labels_`` (-1 on invalid tasks); ``proba_`` the weighted-vote shares
    of every task; ``valid_``; ``too_hard_`` indices of invalid tasks; ``confidence_``;
    ``accuracy_``; ``weights_`` (the weights behind ``labels_``) and ``n_identified_`` per
    worker (0 for the AI worker outside 'worker' mode); ``ai_labels_`` the AI vote per task (-1 for none);
    ``ai_weight_`` the AI's learnt weight in 'worker' mode.
    """

    reference = ("Lefort, Affouard, Charlier, Lombardo, Chouet, Goëau, Salmon, Bonnet & Joly, "
                 "'Cooperative learning of Pl@ntNet's Artificial Intelligence algorithm: how does "
                 "it work and how can we improve it?' (2024, arXiv:2406.03356); peerannot "
                 "PlantNet")
    outputs = (
        Output('valid_', 'task', ('n_tasks',),
               'whether the task is valid (confidence and accuracy above the thresholds)'),
        Output('confidence_', 'task', ('n_tasks',),
               "total weight of the task's label"),
        Output('accuracy_', 'task', ('n_tasks',),
               "share of the task's weight held by its label"),
        Output('too_hard_', 'task_list', ('n',),
               'invalid tasks (no label)'),
        Output('weights_', 'worker', ('n_workers',),
               'final weight f(n_j) of each worker', role='skill'),
    )
    tags = Tags(can_abstain=True, iterative=True)
    fit_inputs = (
        FitInput("authors", "author (worker id) of each task, None where a task has none: a "
                            "list or array in task order, a {task: worker} dict, or a file "
                            "(JSON {task: worker} or list, CSV/TSV task,worker, or one id per "
                            "line in task order)"),
        FitInput("ai_predictions", "AI label of each task (class index or label name, -1 or "
                                   "None for none), in the same forms; without it the answers "
                                   "of worker ai_worker, if any, are the AI votes"),
        FitInput("ai_scores", "AI confidence score of each task, for ai='confident', in the "
                              "same forms"),
    )

    def _fit(self, dataset: CrowdDataset, authors: Any = None, ai_predictions: Any = None,
             ai_scores: Any = None) -> None:
        p = self.params
        k, n_tasks = dataset.n_classes, dataset.n_tasks
        tasks, workers, labels, n_slots, ai_labels, ai_slot, ai_worker = self._votes(
            dataset, ai_predictions)
        ai_labels_valid = ai_labels >= 0
        ai_votes = np.zeros(n_tasks, dtype=bool)
        if p.ai == "fixed":
            ai_votes = ai_labels_valid
        elif p.ai == "confident":
            scores_ai = self._load_scores(dataset, ai_scores)
            ai_votes = ai_labels_valid & (scores_ai >= p.ai_threshold)
        author = self._load_authors(dataset, authors)
        authored = author[tasks] == workers
        cells = tasks * k + labels
        rows = np.arange(n_tasks)

        weights = weight_function(np.zeros(n_slots), p.alpha, p.beta)
        previous: tuple[np.ndarray, np.ndarray] | None = None
        self.converged_ = False
        for iteration in range(1, max(p.max_iter, 1) + 1):  # max_iter=0: one unreported vote
            scores = scores_from_arrays(cells, workers, weights, n_tasks, k)
            scores[rows[ai_votes], ai_labels[ai_votes]] += p.ai_weight
            yhat = vote_labels(scores, p.ties, self.rng(1))
            confidence = scores[rows, yhat]
            total = scores.sum(axis=1)
            if p.ai == "invalidating":
                total = total + p.ai_weight * (ai_labels_valid & (ai_labels != yhat))
            accuracy = np.divide(confidence, total, out=np.zeros(n_tasks), where=total > 0)
            valid = (confidence >= p.theta_conf) & (accuracy >= p.theta_acc)
            correct = (labels == yhat[tasks]) & valid[tasks]
            n_identified = identified_classes(workers, labels, correct, authored, n_slots, k,
                                              p.vote_factor)
            changed = n_tasks if previous is None else int(
                np.sum((yhat != previous[0]) | (valid != previous[1])))
            if p.max_iter:
                self._report(iteration, float(changed))
            if previous is not None and changed == 0:
                self.converged_ = True
                break
            previous = (yhat, valid)
            if iteration < p.max_iter:  # keep the weights behind the returned labels
                weights = weight_function(n_identified, p.alpha, p.beta)

        self.valid_ = valid
        self.labels_ = np.where(valid, yhat, -1).astype(np.int64)
        self.proba_ = share_proba(scores)
        self.confidence_ = confidence
        self.accuracy_ = accuracy
        self.too_hard_ = np.flatnonzero(~valid)
        self.ai_labels_ = ai_labels
        worker_weights = weights[: dataset.n_workers].copy()
        worker_n = n_identified[: dataset.n_workers].astype(np.float64)
        if ai_worker >= 0 and p.ai != "worker":
            worker_weights[ai_worker] = 0.0
            worker_n[ai_worker] = 0.0
        self.weights_ = worker_weights
        self.n_identified_ = worker_n
        self.ai_weight_ = float(weights[ai_slot]) if ai_slot >= 0 else (
            p.ai_weight if p.ai in ("fixed", "invalidating", "confident") else 0.0)

    # -- inputs --------------------------------------------------------------------------
    def _votes(self, dataset: CrowdDataset, ai_predictions: Any) -> tuple[Any, ...]:
        """Human answer arrays (plus the AI as a worker in 'worker' mode) and the AI votes.

        Returns (tasks, workers, labels, n_slots, ai_labels, ai_slot, ai_worker): ``ai_slot``
        is the worker index of the AI in 'worker' mode (else -1), ``ai_worker`` the dataset
        index of worker ``ai_worker`` (else -1).
        """
        p = self.params
        tasks, workers, labels = dataset.tasks, dataset.workers, dataset.labels
        n_slots = dataset.n_workers
        ai_worker = _worker_index(dataset, p.ai_worker)
        ai_slot = -1
        if ai_predictions is not None:
            ai_labels = self._load_predictions(dataset, ai_predictions)
            if p.ai == "worker":
                has = np.flatnonzero(ai_labels >= 0)
                tasks = np.concatenate([tasks, has])
                workers = np.concatenate([workers, np.full(has.size, n_slots)])
                labels = np.concatenate([labels, ai_labels[has]])
                ai_slot, n_slots = n_slots, n_slots + 1
            ai_worker = -1
        else:
            ai_labels = np.full(dataset.n_tasks, -1, dtype=np.int64)
            if ai_worker >= 0:
                mine = workers == ai_worker
                ai_labels[tasks[mine]] = labels[mine]
                if p.ai == "worker":
                    ai_slot = ai_worker
                else:
                    tasks, workers, labels = tasks[~mine], workers[~mine], labels[~mine]
        if p.ai != "ignored" and not (ai_labels >= 0).any():
            self.warnings_.append(
                f"PlantNet: ai={p.ai!r} but no AI votes were found (give ai_predictions or "
                f"answers from worker {p.ai_worker!r}); the AI is ignored")
        if p.ai == "ignored":
            ai_labels = np.full(dataset.n_tasks, -1, dtype=np.int64)
        return tasks, workers, labels, n_slots, ai_labels, ai_slot, ai_worker

    def _load_predictions(self, dataset: CrowdDataset, source: Any) -> np.ndarray:
        raw = task_values(source, dataset, "ai_predictions")
        out = np.full(dataset.n_tasks, -1, dtype=np.int64)
        for i, value in enumerate(raw):
            if value is None or value == "":
                continue
            label = _as_label(value, dataset)
            if not -1 <= label < dataset.n_classes:
                raise DatasetError(
                    f"ai_predictions: label {label} of task {dataset.task_ids[i]!r} is outside "
                    f"-1..{dataset.n_classes - 1}")
            out[i] = label
        return out

    def _load_scores(self, dataset: CrowdDataset, source: Any) -> np.ndarray:
        if source is None:
            raise DatasetError("PlantNet: ai='confident' needs ai_scores (one AI confidence "
                               "score per task)")
        raw = task_values(source, dataset, "ai_scores")
        try:
            return np.array([-np.inf if v is None or v == "" else float(v) for v in raw])
        except (TypeError, ValueError) as exc:
            raise DatasetError(f"ai_scores: {exc}; give one number per task") from None

    def _load_authors(self, dataset: CrowdDataset, source: Any) -> np.ndarray:
        if source is None:
            return np.full(dataset.n_tasks, -1, dtype=np.int64)
        index = {str(w): i for i, w in enumerate(dataset.worker_ids)}
        raw = task_values(source, dataset, "authors")
        return np.array([index.get(str(v), -1) if v is not None else -1 for v in raw],
                        dtype=np.int64)


def _worker_index(dataset: CrowdDataset, worker_id: str) -> int:
    matches = np.flatnonzero(np.asarray([str(w) for w in dataset.worker_ids]) == worker_id)
    return int(matches[0]) if matches.size else -1


def _as_label(value: Any, dataset: CrowdDataset) -> int:
    if isinstance(value, str) and dataset.label_names and value in dataset.label_names:
        return dataset.label_names.index(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DatasetError(f"ai_predictions: {value!r} is neither a class index nor a label "
                           "name") from None
