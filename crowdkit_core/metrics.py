"""Scores of aggregated labels against gold labels (numpy only, vectorised).

Hard labels are class indices per task, ``-1`` where a strategy abstained; gold labels are
class indices per task, ``-1`` where unknown. Soft labels are (n_tasks, K) distributions;
rows summing to 0 (tasks left out of a run) carry no prediction. Every function scores the
gold tasks only; :func:`score_labels` gathers them all for ``crowd evaluate``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: Probabilities are clipped to [LOG_LOSS_EPS, 1] before the logarithm, so a confident
#: mistake costs -log(1e-15) = 34.5 nats instead of infinity (scikit-learn's old default).
LOG_LOSS_EPS = 1e-15


def gold_accuracy(labels: np.ndarray, gold: np.ndarray) -> float:
    """Share of gold tasks (gold >= 0) whose label equals the gold label; -1 labels count as wrong."""
    labels, gold = np.asarray(labels), np.asarray(gold)
    mask = gold >= 0
    if not mask.any():
        raise ValueError("no task has a gold label")
    return float((labels[mask] == gold[mask]).mean())


def labelled_accuracy(labels: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """(accuracy on gold tasks that received a label, share of gold tasks labelled)."""
    labels, gold = np.asarray(labels), np.asarray(gold)
    mask = gold >= 0
    done = mask & (labels >= 0)
    coverage = float(done.sum() / max(1, mask.sum()))
    accuracy = float((labels[done] == gold[done]).mean()) if done.any() else float("nan")
    return accuracy, coverage


def confusion_matrix(labels: np.ndarray, gold: np.ndarray, n_classes: int) -> np.ndarray:
    """(K, K) counts over gold tasks that got a label: row = gold class, column = label."""
    labels, gold = np.asarray(labels, dtype=np.int64), np.asarray(gold, dtype=np.int64)
    done = (gold >= 0) & (labels >= 0)
    flat = gold[done] * n_classes + labels[done]
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def precision_recall_f1(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall and F1 from a confusion matrix (gold rows, label columns).

    A class never predicted has precision 0, one absent from the gold labels recall 0, and
    F1 is 0 where precision + recall is 0 (scikit-learn's ``zero_division=0``).
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    hits = np.diag(confusion)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(hits), where=total > 0)
    return precision, recall, f1


def _scored_rows(proba: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(proba rows, gold classes) of the gold tasks that carry a distribution."""
    proba, gold = np.asarray(proba, dtype=np.float64), np.asarray(gold, dtype=np.int64)
    rows = (gold >= 0) & (proba.sum(axis=1) > 0)
    return proba[rows], gold[rows]


def log_loss(proba: np.ndarray, gold: np.ndarray, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log-probability of the gold class, over gold tasks with a distribution.

    Rows are renormalised to sum to 1 and probabilities clipped at ``eps``. NaN when no
    gold task has a distribution.
    """
    rows, truth = _scored_rows(proba, gold)
    if not truth.size:
        return float("nan")
    p = rows[np.arange(truth.size), truth] / rows.sum(axis=1)
    return float(-np.log(np.clip(p, eps, 1.0)).mean())


def expected_calibration_error(
    proba: np.ndarray, gold: np.ndarray, n_bins: int = 15, labels: np.ndarray | None = None,
) -> float:
    """Expected calibration error (Guo et al. 2017) over the whole set of gold tasks.

    Each task's prediction is its label (``labels``, where given and >= 0, so ties are
    broken as the strategy broke them) or else the lowest most probable class; its
    confidence is the probability of that prediction. Confidences fall into ``n_bins``
    equal-width bins ((m-1)/M, m/M]; ECE = sum over bins of |B| / n * |acc(B) - conf(B)|,
    with n every scored task at once (never an average of per-batch ECEs).
    """
    proba, gold = np.asarray(proba, dtype=np.float64), np.asarray(gold, dtype=np.int64)
    rows = (gold >= 0) & (proba.sum(axis=1) > 0)
    if not rows.any():
        return float("nan")
    p = proba[rows] / proba[rows].sum(axis=1, keepdims=True)
    predicted = p.argmax(axis=1)
    if labels is not None:
        given = np.asarray(labels, dtype=np.int64)[rows]
        predicted = np.where(given >= 0, given, predicted)
    confidence = p[np.arange(predicted.size), predicted]
    correct = (predicted == gold[rows]).astype(np.float64)
    bins = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    size = np.bincount(bins, minlength=n_bins)
    gap = np.abs(np.bincount(bins, correct, n_bins) - np.bincount(bins, confidence, n_bins))
    return float(gap.sum() / size.sum())


@dataclass
class Scores:
    """Every score of one labelling against gold labels (JSON-ready through :meth:`to_dict`).

    ``accuracy`` is over the gold tasks that got a label (``coverage`` is their share of
    the gold tasks); ``accuracy_all`` counts abstentions as wrong. Precision, recall, F1
    and the confusion matrix use the labelled gold tasks (macro averages: over the classes
    present among their gold labels or labels, as scikit-learn); ``log_loss`` and ``ece`` the
    soft labels of every gold task that has one (abstaining strategies still give one).
    """

    n_gold: int
    n_labelled: int
    accuracy: float
    coverage: float
    accuracy_all: float
    precision: list[float]
    recall: list[float]
    f1: list[float]
    macro_precision: float
    macro_recall: float
    macro_f1: float
    confusion: list[list[int]]
    log_loss: float
    ece: float

    def to_dict(self) -> dict[str, Any]:
        """The scores as plain Python values (NaN becomes None, for JSON)."""
        def clean(value: Any) -> Any:
            if isinstance(value, float) and value != value:
                return None
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        return {key: clean(value) for key, value in asdict(self).items()}


def score_labels(labels: np.ndarray, proba: np.ndarray | None, gold: np.ndarray,
                 n_classes: int, n_bins: int = 15) -> Scores:
    """All the scores of hard ``labels`` and soft ``proba`` (None: scored as one-hot labels)
    on the tasks with a gold label. Raises ValueError when no task has one."""
    labels, gold = np.asarray(labels, dtype=np.int64), np.asarray(gold, dtype=np.int64)
    n_gold = int((gold >= 0).sum())
    if not n_gold:
        raise ValueError("no task has a gold label")
    if proba is None:
        proba = np.zeros((labels.size, n_classes))
        proba[labels >= 0, labels[labels >= 0]] = 1.0
    accuracy, coverage = labelled_accuracy(labels, gold)
    confusion = confusion_matrix(labels, gold, n_classes)
    precision, recall, f1 = precision_recall_f1(confusion)
    present = (confusion.sum(axis=0) > 0) | (confusion.sum(axis=1) > 0)
    present = present if present.any() else np.ones(n_classes, dtype=bool)
    return Scores(
        n_gold=n_gold, n_labelled=int(confusion.sum()), accuracy=accuracy, coverage=coverage,
        accuracy_all=gold_accuracy(labels, gold), precision=precision.tolist(),
        recall=recall.tolist(), f1=f1.tolist(), macro_precision=float(precision[present].mean()),
        macro_recall=float(recall[present].mean()), macro_f1=float(f1[present].mean()),
        confusion=confusion.tolist(), log_loss=log_loss(proba, gold),
        ece=expected_calibration_error(proba, gold, n_bins, labels),
    )
