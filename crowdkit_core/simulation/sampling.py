"""Answers drawn from confusion matrices, in chunks, one uniform draw per answer."""

from __future__ import annotations

import numpy as np

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.simulation.assignment import distinct_workers

#: Answers labelled per chunk (bounds the (chunk, K) temporary).
CHUNK = 2_000_000


def draw_labels(confusion: np.ndarray, workers: np.ndarray, true_classes: np.ndarray,
                rng: np.random.Generator, chunk: int = CHUNK) -> np.ndarray:
    """One label per answer: ``workers[a]`` answers from row ``true_classes[a]`` of its
    confusion matrix (inverse-CDF on one uniform per answer, drawn in answer order)."""
    n_workers, k, _ = confusion.shape
    cumulative = np.cumsum(confusion, axis=2).reshape(n_workers * k, k)
    labels = np.empty(workers.size, dtype=np.int64)
    for start in range(0, workers.size, chunk):
        stop = min(start + chunk, workers.size)
        rows = workers[start:stop] * k + true_classes[start:stop]
        draws = rng.random(stop - start)
        labels[start:stop] = np.minimum((draws[:, None] > cumulative[rows]).sum(axis=1), k - 1)
    return labels


def sample_answers(confusion: np.ndarray, priors: np.ndarray | None, n_tasks: int,
                   answers_per_task: int, rng: np.random.Generator,
                   name: str = "simulated", truth: np.ndarray | None = None) -> CrowdDataset:
    """A dataset drawn from the Dawid-Skene model, gold = the true classes.

    Each task's class comes from ``priors`` (or is given as ``truth``); ``answers_per_task`` distinct workers, a uniform
    subset, answer it from the row of their confusion matrix for that class. Task and worker
    ids are their indices, so fitted parameters compare with the truth directly.
    """
    n_workers, k, _ = confusion.shape
    if truth is None:
        truth = rng.choice(k, size=n_tasks, p=priors)
    workers = distinct_workers(n_tasks, n_workers, answers_per_task, rng).ravel()
    tasks = np.repeat(np.arange(n_tasks), answers_per_task)
    labels = draw_labels(confusion, workers, truth[tasks], rng)
    return CrowdDataset(tasks, workers, labels, k, np.arange(n_tasks), np.arange(n_workers),
                        name=name, gold=truth)
