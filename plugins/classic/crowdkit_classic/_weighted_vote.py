"""Weighted-vote pieces shared by Wawa, IWMV, ZBS, M-MSR, PlantNet and TwoThird.

The two statistics every weighted-vote strategy alternates are sums over the answer arrays, so
each is a map-reduce over task partitions and nothing dense of size tasks x workers is built:

* :func:`weighted_scores` (the "E-step"): per task and class, the total weight of the workers
  who gave that class;
* :func:`worker_agreement` (the "M-step"): per worker, the share of their answers that equal
  the current task labels.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from pydantic import Field

from crowdkit_core.aggregator import labels_from_proba, normalize_rows
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.params import StrategyParams


def answer_cells(dataset: CrowdDataset) -> np.ndarray:
    """Per answer, its flat cell ``task * K + label`` in an (n_tasks, K) table."""
    return dataset.tasks * dataset.n_classes + dataset.labels


def weighted_scores(
    dataset: CrowdDataset, weights: np.ndarray, cells: np.ndarray | None = None,
) -> np.ndarray:
    """(n_tasks, K): sum of ``weights[worker]`` over the answers giving class k to task i."""
    cells = answer_cells(dataset) if cells is None else cells
    return scores_from_arrays(cells, dataset.workers, weights, dataset.n_tasks, dataset.n_classes)


def scores_from_arrays(
    cells: np.ndarray, workers: np.ndarray, weights: np.ndarray, n_tasks: int, n_classes: int,
) -> np.ndarray:
    """:func:`weighted_scores` on raw answer arrays (``cells = task * K + label``)."""
    flat = np.bincount(cells, weights=np.asarray(weights, dtype=np.float64)[workers],
                       minlength=n_tasks * n_classes)
    return flat.reshape(n_tasks, n_classes)


def worker_agreement(dataset: CrowdDataset, labels: np.ndarray) -> np.ndarray:
    """(n_workers,): share of each worker's answers equal to ``labels`` of their task.

    Answers to tasks labelled -1 (no label) count as disagreements. A worker without answers
    gets 0 (never happens in a CrowdDataset, where every worker index has answered).
    """
    agree = (np.asarray(labels)[dataset.tasks] == dataset.labels).astype(np.float64)
    hits = np.bincount(dataset.workers, weights=agree, minlength=dataset.n_workers)
    return hits / np.maximum(dataset.answers_per_worker, 1)


def share_proba(scores: np.ndarray) -> np.ndarray:
    """Weighted-vote shares: non-negative scores normalised per task (uniform if all zero)."""
    return normalize_rows(np.clip(scores, 0.0, None))


def vote_labels(scores: np.ndarray, ties: str, rng: np.random.Generator) -> np.ndarray:
    """Argmax per task with the strategy's tie rule (the same noise for the same ``rng``)."""
    return labels_from_proba(scores, ties, rng)


class IterativeVoteParams(StrategyParams):
    """Iteration cap and stopping rule of the iterative weighted votes (IWMV, ZBS)."""

    max_iter: int = Field(100, ge=0, description="Maximum number of re-weighting iterations; 0 "
                                                 "keeps the first vote (a majority vote).")
    tol: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Stop when at most this share of task labels changed between two "
                    "iterations (0: stop only when no label changes).",
    )


def iterate_weighted_vote(
    model: Any, dataset: CrowdDataset, update: Callable[[int, np.ndarray, np.ndarray], np.ndarray],
    weights: np.ndarray, max_iter: int, tol: float, weights_tol: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alternate weighted vote and weight update until the labels settle.

    ``update(iteration, labels, weights)`` returns the new worker weights. Each iteration
    reports the share of labels that changed. Returns (labels, weights, scores) where labels
    and scores come from the final weights. ``weights_tol`` additionally requires the weights
    to move by at most that much before stopping.
    """
    cells = answer_cells(dataset)
    params = model.params
    scores = weighted_scores(dataset, weights, cells)
    labels = vote_labels(scores, params.ties, model.rng(1))
    model.converged_ = False
    for iteration in range(1, max_iter + 1):
        new_weights = update(iteration, labels, weights)
        scores = weighted_scores(dataset, new_weights, cells)
        new_labels = vote_labels(scores, params.ties, model.rng(1))
        changed = float(np.mean(new_labels != labels))
        moved = float(np.max(np.abs(new_weights - weights))) if weights.size else 0.0
        labels, weights = new_labels, new_weights
        model._report(iteration, changed)
        if changed <= tol and (weights_tol is None or moved <= weights_tol):
            model.converged_ = True
            break
    return labels, weights, scores
