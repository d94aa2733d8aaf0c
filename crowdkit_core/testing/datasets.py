"""Small datasets for the conformance kit and for plugin tests: simulated crowds with gold
labels and the degenerate shapes a strategy must survive."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from crowdkit_core.dataset import CrowdDataset

__all__ = ["simulate_dataset", "dataset_rows", "unanimous_dataset", "degenerate_datasets",
           "task_batches"]


def simulate_dataset(
    n_tasks: int = 40, n_workers: int = 8, n_classes: int = 3, answers_per_task: int = 5,
    accuracy: tuple[float, float] = (0.65, 0.95), seed: int = 0, name: str = "simulated",
) -> CrowdDataset:
    """Answers from one-coin workers of accuracy uniform in ``accuracy`` (errors uniform over
    the other classes), uniform class priors; gold kept. A thin front of
    :func:`crowdkit_core.simulation.sample_answers`, the core's one simulator.

    The only place the kit attaches gold labels to a dataset, so how gold is given to a
    dataset can change here alone.
    """
    from crowdkit_core.simulation import one_coin, sample_answers

    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_tasks)
    confusion = one_coin(rng.uniform(*accuracy, n_workers), n_classes)
    data = sample_answers(confusion, None, n_tasks, min(answers_per_task, n_workers), rng,
                          name=name, truth=truth)
    answered = np.unique(data.workers)  # ids "w0", "w1", ... of the workers who answered
    return CrowdDataset(data.tasks, np.searchsorted(answered, data.workers), data.labels,
                        n_classes, data.task_ids, [f"w{w}" for w in answered], name=name,
                        gold=data.gold)


def task_batches(data: CrowdDataset, n: int, seed: int = 0) -> list[CrowdDataset]:
    """``data``'s tasks in ``n`` seeded random groups, each with all its answers (the batches
    of the incremental tests and benchmark)."""
    order = np.random.default_rng(seed).permutation(data.n_tasks)
    batches = []
    for part in np.array_split(order, n):
        mask = np.zeros(data.n_tasks, dtype=bool)
        mask[part] = True
        batches.append(data.subset_tasks(mask))
    return batches


def dataset_rows(data: CrowdDataset) -> tuple[list[Any], list[Any], list[int]]:
    """The answers as (task ids, worker ids, labels) lists, one entry per answer."""
    return (list(data.task_ids[data.tasks]), list(data.worker_ids[data.workers]),
            data.labels.tolist())


def unanimous_dataset(n_classes: int, n_tasks: int = 30, seed: int = 1) -> tuple[CrowdDataset, np.ndarray]:
    """Three agreeing answers per task from six workers; returns the dataset and each task's
    label (in the dataset's task order)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_tasks)
    tasks, workers, labels = [], [], []
    for t in range(n_tasks):
        for w in rng.choice(6, size=3, replace=False):
            tasks.append(t)
            workers.append(int(w))
            labels.append(int(truth[t]))
    data = CrowdDataset.from_arrays(tasks, workers, labels, n_classes=n_classes)
    return data, truth[np.asarray(data.task_ids, dtype=np.int64)]


def degenerate_datasets(classes: Callable[[int], int] = int) -> list[CrowdDataset]:
    """One worker answering everything; single-answer tasks with a constant label and unused
    classes; a constant worker next to a varied one. ``classes(k)`` maps the number of classes
    each case wants to one the strategy supports."""
    return [
        CrowdDataset.from_arrays([0, 1, 2], ["a", "a", "a"], [0, 1, 0], n_classes=classes(2)),
        CrowdDataset.from_arrays([0, 1, 2, 2], ["a", "b", "a", "b"], [0, 0, 0, 0],
                                 n_classes=classes(5)),
        CrowdDataset.from_arrays(list(range(6)) * 2, ["a"] * 6 + ["b"] * 6,
                                 [0, 1, 0, 0, 1, 1] + [1] * 6, n_classes=classes(3)),
    ]
