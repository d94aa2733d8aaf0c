"""Pieces shared by the EM strategies: parameters, initial posteriors, convergence test.

All statistics are functions of the sparse answer arrays of a :class:`CrowdDataset`, so each
E-step and M-step is a sum over task partitions (a map-reduce) and nothing dense of size
tasks x workers is ever built.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.params import StrategyParams

InitName = Literal["mv", "naive_soft"]


class EMParams(StrategyParams):
    """Parameters of every EM strategy: iteration cap, tolerance and initialisation."""

    max_iter: int = Field(100, ge=1, description="Maximum number of EM iterations.")
    tol: float = Field(
        1e-5, ge=0.0,
        description="Stop when the objective (log-likelihood) improves by less than tol "
                    "relative to its magnitude between two iterations.",
    )
    init: InitName = Field(
        "mv",
        description="Initial task posteriors: 'mv' (one-hot majority vote, ties shared "
                    "equally) or 'naive_soft' (share of answers per class).",
    )


def initial_posteriors(dataset: CrowdDataset, init: str) -> np.ndarray:
    """(n_tasks, K) starting posteriors from the vote counts."""
    counts = dataset.vote_counts
    if init == "naive_soft":
        return counts / counts.sum(axis=1, keepdims=True)
    top = counts == counts.max(axis=1, keepdims=True)
    return top / top.sum(axis=1, keepdims=True)


def has_converged(previous: float, current: float, tol: float) -> bool:
    """Relative change of the objective below ``tol`` (absolute when it is near zero)."""
    if not np.isfinite(previous):
        return False
    return abs(current - previous) <= tol * max(1.0, abs(previous))


# -- one-coin likelihoods (GLAD, MACE): per-answer log-probabilities, no dense arrays --------
def task_label_index(dataset: CrowdDataset) -> np.ndarray:
    """Per answer, ``task * K + label``: its cell in a flattened (n_tasks, K) array."""
    return dataset.tasks * dataset.n_classes + dataset.labels


def one_coin_log_joint(
    dataset: CrowdDataset, cell: np.ndarray, log_other: np.ndarray, log_gap: np.ndarray,
    log_prior: np.ndarray,
) -> np.ndarray:
    """(n_tasks, K) ``log p(answers of task i, true class k)`` for one-coin style models.

    Answer ``n`` has likelihood ``exp(log_other[n])`` under every true class but its own
    label, and ``exp(log_other[n] + log_gap[n])`` under its label. So the sum over answers is
    a per-task bincount of ``log_other`` plus a bincount of ``log_gap`` at ``cell``
    (:func:`task_label_index`): two passes over the answers, nothing of size answers x K.
    """
    n_tasks, k = dataset.n_tasks, dataset.n_classes
    base = np.bincount(dataset.tasks, weights=log_other, minlength=n_tasks)
    gap = np.bincount(cell, weights=log_gap, minlength=n_tasks * k).reshape(n_tasks, k)
    gap += base[:, None]
    gap += log_prior
    return gap


def posteriors_from_log_joint(log_joint: np.ndarray) -> tuple[np.ndarray, float]:
    """Row-normalised posteriors and the log-likelihood ``sum_i log sum_k exp(log_joint)``."""
    top = log_joint.max(axis=1, keepdims=True)
    proba = np.exp(log_joint - top)
    totals = proba.sum(axis=1, keepdims=True)
    proba /= totals
    log_likelihood = float((np.log(totals[:, 0]) + top[:, 0]).sum())
    return proba, log_likelihood


def softmax_log_joint(log_joint: np.ndarray) -> tuple[np.ndarray, float]:
    """Same result as :func:`posteriors_from_log_joint`, several times faster for small K.

    Row-wise reductions over a narrow (n_tasks, K) array are slow in numpy, so the work is
    done on its (K, n_tasks) transpose, where max and sum run over contiguous rows.
    Returns C-ordered (n_tasks, K) posteriors and ``sum_i log sum_k exp(log_joint[i, k])``.
    """
    scores = np.array(log_joint.T, dtype=np.float64, order="C")
    top = scores.max(axis=0)
    scores -= top
    np.exp(scores, out=scores)
    totals = scores.sum(axis=0)
    scores /= totals
    log_likelihood = float(top.sum() + np.log(totals).sum())
    return np.ascontiguousarray(scores.T), log_likelihood
