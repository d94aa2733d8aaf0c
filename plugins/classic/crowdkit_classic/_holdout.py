"""Held-out answers for model choice without gold: seeded splits and predictive scores.

A split hides a share of every worker's answers; candidates are fitted on the rest and
scored by how probable they make the hidden answers. Everything works on the sparse answer
arrays: a split is a boolean mask over answers, a training set is a :class:`CrowdDataset`
of the kept answers, and a score needs one (hidden answers, K) gather, never a dense task x
worker array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crowdkit_core.dataset import CrowdDataset

#: Floor on a predicted answer probability (keeps the log finite for a confident mistake).
PROBABILITY_FLOOR = 1e-12


def answer_positions(dataset: CrowdDataset, seed: int) -> np.ndarray:
    """Per answer, a position in [0, 1) evenly spread within each worker's answers.

    Worker ``w``'s ``n_w`` answers get the positions ``(r + u_w) / n_w``, where ``r`` ranks
    them by a pseudo-random key of (task, worker) and ``u_w`` in [0, 1) is a pseudo-random
    offset of the worker. Any window of width ``h`` then holds ``floor(h n_w)`` or
    ``ceil(h n_w)`` of the worker's answers (a stratified draw), and a worker with a single
    answer lands in it with probability ``h``. A worker is identified by a hash of its
    (task, label) answers, never by its id or index, so the split does not depend on how
    workers are named or in which order rows came; it depends on the seed and the tasks.
    """
    rng = np.random.default_rng([seed, 0x5EED])
    task_hash = rng.integers(0, 2**63, size=dataset.n_tasks, dtype=np.uint64)
    tasks, workers = dataset.tasks, dataset.workers
    answer_hash = mix64(task_hash[tasks] ^ mix64(dataset.labels.astype(np.uint64) + np.uint64(1)))
    # Each worker's answers are summed in task order whatever the worker's name or index.
    worker_sum = np.bincount(workers, weights=unit_interval(answer_hash),
                             minlength=dataset.n_workers)
    worker_hash = mix64(worker_sum.view(np.uint64))
    keys = unit_interval(mix64(task_hash[tasks] ^ worker_hash[workers]))
    order = np.argsort(workers + 0.5 * keys, kind="stable")  # by worker, then by key
    per_worker = np.bincount(workers, minlength=dataset.n_workers)
    starts = np.concatenate(([0], np.cumsum(per_worker)[:-1]))
    ranks = np.empty(dataset.n_answers, dtype=np.float64)
    ranks[order] = np.arange(dataset.n_answers) - np.repeat(starts, per_worker)
    offsets = unit_interval(worker_hash)
    return (ranks + offsets[workers]) / per_worker[workers]


def unit_interval(values: np.ndarray) -> np.ndarray:
    """uint64 hashes as floats in [0, 1) (their top 53 bits)."""
    return (values >> np.uint64(11)).astype(np.float64) / 2.0**53


def mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea & Flood, OOPSLA 2014): a bijective uint64 mix."""
    z = np.asarray(values, dtype=np.uint64).copy()
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def hidden_mask(positions: np.ndarray, split: int, holdout: float) -> np.ndarray:
    """Answers hidden in ``split``: positions in ``[split h, (split + 1) h)`` modulo 1.

    Splits ``0 .. 1/h - 1`` are disjoint (k-fold); later ones wrap around and overlap.
    """
    start = (split * holdout) % 1.0
    shifted = (positions - start) % 1.0
    return shifted < holdout


@dataclass(frozen=True)
class Split:
    """One train / held-out split of a dataset.

    ``train`` holds the kept answers of the tasks and workers that keep at least one;
    ``tasks`` / ``workers`` / ``labels`` are the scored hidden answers, with task and worker
    indices into ``train`` (a hidden answer whose task or worker kept no answer says
    nothing about a fitted model and is not scored).
    """

    train: CrowdDataset
    tasks: np.ndarray
    workers: np.ndarray
    labels: np.ndarray

    @property
    def n_scored(self) -> int:
        return int(self.tasks.size)


def make_split(dataset: CrowdDataset, hidden: np.ndarray) -> Split | None:
    """The training set without the ``hidden`` answers, and the hidden answers it can score;
    None when every answer is hidden (a tiny dataset: nothing to fit on)."""
    kept = ~hidden
    if not kept.any():
        return None
    task_kept = np.bincount(dataset.tasks[kept], minlength=dataset.n_tasks) > 0
    worker_kept = np.bincount(dataset.workers[kept], minlength=dataset.n_workers) > 0
    task_index = np.cumsum(task_kept) - 1
    worker_index = np.cumsum(worker_kept) - 1
    # Renumbering kept tasks and workers in order keeps the answers sorted by (task, worker).
    train = CrowdDataset(
        task_index[dataset.tasks[kept]], worker_index[dataset.workers[kept]],
        dataset.labels[kept], dataset.n_classes, dataset.task_ids[task_kept],
        dataset.worker_ids[worker_kept], dataset.label_names, name=dataset.name,
        presorted=True,
    )
    scored = hidden & task_kept[dataset.tasks] & worker_kept[dataset.workers]
    return Split(train, task_index[dataset.tasks[scored]],
                 worker_index[dataset.workers[scored]], dataset.labels[scored].copy())


def make_splits(dataset: CrowdDataset, folds: int, holdout: float, seed: int) -> list[Split]:
    """``folds`` seeded splits, each hiding a share ``holdout`` of every worker's answers
    (those that score no answer are left out)."""
    positions = answer_positions(dataset, seed)
    splits = [make_split(dataset, hidden_mask(positions, split, holdout)) for split in range(folds)]
    return [split for split in splits if split is not None and split.n_scored > 0]


# -- predictive distributions of hidden answers --------------------------------------------
def posterior_confusion(train: CrowdDataset, proba: np.ndarray, smoothing: float) -> np.ndarray:
    """(n_workers, K, K) confusion matrices from task posteriors: one smoothed DS M-step.

    ``pi_w[k, l] = (sum_i T_ik n_iwl + s) / (sum_i T_ik n_iw + K s)``.
    """
    k = train.n_classes
    counts = np.asarray(train.answer_matrix_t @ proba)  # row w*K + l, column true class
    counts = counts.reshape(train.n_workers, k, k).transpose(0, 2, 1) + smoothing
    return counts / counts.sum(axis=-1, keepdims=True)


def posterior_one_coin(train: CrowdDataset, proba: np.ndarray, smoothing: float) -> np.ndarray:
    """(n_workers, K, K) one-coin matrices from task posteriors (one smoothed M-step).

    ``p_w = (sum of T_i,answer over w's answers + s) / (n_w + 2 s)``; errors uniform.
    """
    k = train.n_classes
    correct = np.bincount(train.workers, weights=proba[train.tasks, train.labels],
                          minlength=train.n_workers)
    skills = (correct + smoothing) / (train.answers_per_worker + 2.0 * smoothing)
    confusion = np.repeat(((1.0 - skills) / (k - 1))[:, None, None], k, axis=1).repeat(k, axis=2)
    confusion[:, np.arange(k), np.arange(k)] = skills[:, None]
    return confusion


def worker_model(model: Any, train: CrowdDataset, rule: str, smoothing: float) -> np.ndarray:
    """The (n_workers, K, K) answer model a fitted candidate predicts hidden answers with.

    ``rule``: ``own`` takes the candidate's own per-worker confusion matrices (its output
    with the ``confusion`` role) and falls back on ``one_coin`` for candidates without one;
    ``confusion`` / ``one_coin`` fit that model to every candidate's posteriors.
    """
    if rule == "own":
        output = type(model).output_with_role("confusion")
        if output is not None:
            return np.asarray(getattr(model, output.name), dtype=np.float64)
        rule = "one_coin"
    fitted = posterior_confusion if rule == "confusion" else posterior_one_coin
    return fitted(train, np.asarray(model.proba_, dtype=np.float64), smoothing)


def answer_probabilities(split: Split, proba: np.ndarray, confusion: np.ndarray) -> np.ndarray:
    """Per scored hidden answer, ``sum_k P(k | kept answers) P(answer | k, worker)``."""
    rows = proba[split.tasks]  # (n_scored, K)
    columns = confusion[split.workers, :, split.labels]  # (n_scored, K): pi_w[:, l]
    return np.maximum(np.einsum("nk,nk->n", rows, columns), PROBABILITY_FLOOR)
