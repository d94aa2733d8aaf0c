"""Scores of aggregated labels against gold labels."""

from __future__ import annotations

import numpy as np


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
