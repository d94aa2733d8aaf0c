"""Who answers which task: each task's number of answers, then distinct workers for it.

Sparse throughout: the result is one (task, worker) pair per answer, never a task x worker
table. Without a worker load each task's workers are a uniform random subset; with one,
workers are dealt out in rounds so that loads differ by at most one.
"""

from __future__ import annotations

import numpy as np


def answer_counts(n_tasks: int, per_task: int, imbalance: bool,
                  rng: np.random.Generator) -> np.ndarray:
    """(n_tasks,) answers per task: ``per_task`` each, or uniform in 1..per_task."""
    if imbalance:
        return rng.integers(1, per_task + 1, size=n_tasks)
    return np.full(n_tasks, per_task, dtype=np.int64)


def distinct_workers(n_tasks: int, n_workers: int, per_task: int,
                     rng: np.random.Generator) -> np.ndarray:
    """(n_tasks, per_task) worker indices, distinct within each row, a uniform random ordered
    subset per row (so any prefix of a row is a uniform subset too).

    Rows with a repeated worker are redrawn (cheap while per_task is small next to
    n_workers); otherwise each row is a random permutation's head.
    """
    if not 1 <= per_task <= n_workers:
        raise ValueError(f"answers per task must be in 1..{n_workers} (the number of workers)")
    if 2 * per_task > n_workers:
        return np.argsort(rng.random((n_tasks, n_workers)), axis=1)[:, :per_task]
    workers = rng.integers(0, n_workers, (n_tasks, per_task))
    while True:
        ordered = np.sort(workers, axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not repeated.any():
            return workers
        workers[repeated] = rng.integers(0, n_workers, (int(repeated.sum()), per_task))


def uniform_assignment(counts: np.ndarray, n_workers: int,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(tasks, workers) of every answer: task i gets ``counts[i]`` distinct uniform workers."""
    width = int(counts.max())
    chosen = distinct_workers(counts.size, n_workers, width, rng)
    keep = np.arange(width)[None, :] < counts[:, None]
    tasks = np.broadcast_to(np.arange(counts.size)[:, None], chosen.shape)[keep]
    return tasks, chosen[keep]


def balanced_assignment(counts: np.ndarray, n_workers: int,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(tasks, workers) of every answer, dealt in rounds: each round is a fresh random order
    of all workers, laid over the answers task after task. Every worker answers
    floor or ceil(total / n_workers) tasks; a task that straddles two rounds takes, at the
    start of the new round, only workers it does not have yet (possible because a task has
    at most n_workers answers)."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    starts = ends - counts
    tasks = np.repeat(np.arange(counts.size), counts)
    workers = np.empty(total, dtype=np.int64)
    n_rounds = -(-total // n_workers)
    for r in range(n_rounds):
        low = r * n_workers
        order = rng.permutation(n_workers)
        task = tasks[low]
        if r and starts[task] < low:  # this task began in the previous round
            head = min(int(ends[task]), low + n_workers) - low
            taken = np.zeros(n_workers, dtype=bool)
            taken[workers[starts[task]:low]] = True
            first = order[~taken[order]][:head]
            rest = np.ones(n_workers, dtype=bool)
            rest[first] = False
            order = np.concatenate([first, order[rest[order]]])
        high = min(low + n_workers, total)
        workers[low:high] = order[: high - low]
    return tasks, workers
