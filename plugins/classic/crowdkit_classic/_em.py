"""Pieces shared by the EM strategies: parameters, initial posteriors, convergence test.

All statistics are functions of the sparse answer arrays of a :class:`CrowdDataset`, so each
E-step and M-step is a sum over task partitions (a map-reduce) and nothing dense of size
tasks x workers is ever built.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from crowdkit_core.blocks import matmul_into
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.params import StrategyParams

InitName = Literal["mv", "naive_soft"]


class EMParams(StrategyParams):
    """Parameters of every EM strategy: iteration cap, tolerance and initialisation."""

    max_iter: int = Field(
        100, ge=0, description="Maximum number of EM iterations; 0 keeps the initialisation "
                               "(crowd-kit's n_iter=0).")
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
    if init == "naive_soft":
        return vote_shares(dataset)
    counts = dataset.vote_counts
    top = counts == counts.max(axis=1, keepdims=True)
    return top / top.sum(axis=1, keepdims=True)


def vote_shares(dataset: CrowdDataset) -> np.ndarray:
    """(n_tasks, K) share of each task's answers given to each label (every task has one).

    Once the answer matrix exists, the counts are one sparse product with a small label
    indicator, written straight into the result and divided in place.
    """
    k = dataset.n_classes
    if not dataset.has_cached("answer_matrix") or dataset.n_workers * k * k > dataset.n_answers:
        return dataset.vote_counts / dataset.answers_per_task[:, None]
    shares = np.empty((dataset.n_tasks, k))
    matmul_into(dataset.answer_matrix, np.tile(np.eye(k), (dataset.n_workers, 1)), shares)
    shares /= dataset.answers_per_task[:, None]
    return shares


def has_converged(previous: float, current: float, tol: float) -> bool:
    """Relative change of the objective below ``tol`` (absolute when it is near zero)."""
    if not np.isfinite(previous):
        return False
    return abs(current - previous) <= tol * max(1.0, abs(previous))


# -- one-coin likelihoods (GLAD, MACE): per-answer log-probabilities, no dense arrays --------
def task_label_index(dataset: CrowdDataset) -> np.ndarray:
    """Per answer, ``task * K + label``: its cell in a flattened (n_tasks, K) array."""
    return dataset.tasks * dataset.n_classes + dataset.labels


def one_coin_posteriors(
    n_tasks: int, cell: np.ndarray, log_other: np.ndarray, log_gap: np.ndarray,
    log_prior: np.ndarray,
) -> tuple[np.ndarray, float]:
    """(n_tasks, K) posteriors and the log-likelihood of one-coin style models (GLAD, MACE).

    Answer ``n`` has likelihood ``exp(log_other[n])`` under every true class but its own
    label, and ``exp(log_other[n] + log_gap[n])`` under its label. The ``log_other`` terms of
    a task do not depend on the class, so they cancel in the posteriors and add up to a
    constant in the log-likelihood; what remains is one bincount of ``log_gap`` at ``cell``
    (:func:`task_label_index`, relative to the first of the ``n_tasks`` tasks). Nothing of
    size answers x K is built.
    """
    k = log_prior.shape[0]
    scores = np.bincount(cell, weights=log_gap, minlength=n_tasks * k).reshape(n_tasks, k)
    scores += log_prior
    proba, log_likelihood = softmax_log_joint(scores)
    return proba, log_likelihood + float(log_other.sum())


def softmax_log_joint(log_joint: np.ndarray) -> tuple[np.ndarray, float]:
    """Row-wise softmax of a (n_tasks, K) log-joint, and the log-likelihood; fast for small K.

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
