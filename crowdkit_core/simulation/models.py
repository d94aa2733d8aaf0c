"""The four worker models and :func:`simulate`, which draws a whole crowd from options.

Draw order (fixed, so a seed fixes the bytes): true classes, the model's matrices (and
difficulties or teachers), answers per task, the workers of each task, the labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crowdkit_core.dataset import CrowdDataset, Metadata
from crowdkit_core.simulation.assignment import answer_counts, balanced_assignment, uniform_assignment
from crowdkit_core.simulation.confusion import (
    diagonally_dominant, dirichlet_rows, hammer_spammer, load_matrix_file,
)
from crowdkit_core.simulation.options import SimulationOptions
from crowdkit_core.simulation.sampling import draw_labels

#: Difficulty levels of discrete-difficulty, as written in ``difficulties.npy``.
DIFFICULTY_LEVELS = ("easy", "hard", "random")

#: Dirichlet concentration of good and bad workers' rows in discrete-difficulty.
GOOD_ALPHA, BAD_ALPHA = 0.2, 1.0


@dataclass(frozen=True)
class Simulation:
    """A simulated crowd and its hidden truth.

    ``dataset`` has the true classes as gold; ``confusion`` (n_workers, K, K) the matrices
    the answers were drawn from (for discrete-difficulty, those of hard tasks);
    ``difficulties`` (n_tasks,) 'easy'/'hard'/'random' or None; ``teachers`` (n_students, 2)
    rows (student index, teacher index) or None.
    """

    dataset: CrowdDataset
    truth: np.ndarray
    confusion: np.ndarray
    options: SimulationOptions
    difficulties: np.ndarray | None = None
    teachers: np.ndarray | None = None

    @property
    def n_answers(self) -> int:
        return self.dataset.n_answers


def simulate(options: SimulationOptions | None = None, **values: Any) -> Simulation:
    """Draw a crowd: ``simulate(strategy="student-teacher", n_workers=30, seed=1)`` or
    ``simulate(SimulationOptions(...))``. Bad options are a one-line SpecError."""
    if options is None:
        options = SimulationOptions.parse(**values)
    elif values:
        options = SimulationOptions.parse(**{**options.model_dump(), **values})
    rng = np.random.default_rng(options.seed)
    k = options.n_classes
    truth = rng.integers(0, k, size=options.n_tasks)
    difficulties = teachers = None
    if options.strategy == "hammer-spammer":
        n_spam = options.n_special
        confusion = hammer_spammer(options.n_workers - n_spam, n_spam, k)
    elif options.strategy == "independent-confusion":
        confusion = _given_or_random(options, rng, options.n_workers)
    elif options.strategy == "student-teacher":
        confusion, teachers = _student_teacher(options, rng)
    else:
        confusion, difficulties = _discrete_difficulty(options, rng)
    counts = answer_counts(options.n_tasks, options.answers_per_task, options.imbalance_votes, rng)
    _check_capacity(options, counts)
    assign = uniform_assignment if options.workerload is None else balanced_assignment
    tasks, workers = assign(counts, options.n_workers, rng)
    labels = draw_labels(confusion, workers, truth[tasks], rng)
    if difficulties is not None:
        level = difficulties[tasks]
        labels[level == 0] = truth[tasks][level == 0]
        shuffled = level == 2
        labels[shuffled] = rng.integers(0, k, size=int(shuffled.sum()))
        difficulties = np.asarray(DIFFICULTY_LEVELS)[difficulties]
    metadata = Metadata(name=options.name, n_classes=k, n_workers=options.n_workers,
                        n_tasks=options.n_tasks)
    dataset = CrowdDataset(tasks, workers, labels, k, np.arange(options.n_tasks),
                           np.arange(options.n_workers), name=options.name, metadata=metadata,
                           gold=truth, source=options.name)
    return Simulation(dataset, truth, confusion, options, difficulties, teachers)


def _given_or_random(options: SimulationOptions, rng: np.random.Generator, n: int,
                     sizes: tuple[int, ...] | None = None) -> np.ndarray:
    """The matrix file's matrices, else ``n`` random diagonally dominant ones (Dirichlet(1)
    rows with each row's maximum swapped onto the diagonal)."""
    if options.matrix_file is not None:
        return load_matrix_file(options.matrix_file, options.n_classes, sizes or (n,))
    return diagonally_dominant(dirichlet_rows(rng, n, options.n_classes))


def _student_teacher(options: SimulationOptions,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Teachers (workers 0..T-1) get random diagonally dominant matrices; each student
    (workers T..n-1) copies the matrix of a teacher drawn uniformly."""
    n_students = options.n_special
    n_teachers = options.n_workers - n_students
    matrices = _given_or_random(options, rng, n_teachers, (options.n_workers, n_teachers))
    matrices = matrices[:n_teachers]
    follows = rng.integers(0, n_teachers, size=n_students)
    confusion = np.concatenate([matrices, matrices[follows]])
    teachers = np.stack([n_teachers + np.arange(n_students), follows], axis=1).astype(np.int64)
    return confusion, teachers


def _discrete_difficulty(options: SimulationOptions,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Difficulty codes (0 easy, 1 hard, 2 random) with P(easy) = ratio_diff * P(hard) and
    P(random) = random; good workers (first round(ratio * n)) have Dirichlet(0.2) rows with
    the maximum on the diagonal, bad ones Dirichlet(1) rows as drawn."""
    p_random = options.effective_random
    p_hard = (1.0 - p_random) / (options.effective_ratio_diff + 1.0)
    probabilities = np.array([options.effective_ratio_diff * p_hard, p_hard, p_random])
    levels = rng.choice(3, size=options.n_tasks, p=probabilities / probabilities.sum())
    if options.matrix_file is not None:
        confusion = load_matrix_file(options.matrix_file, options.n_classes, (options.n_workers,))
    else:
        n_good = options.n_special
        good = diagonally_dominant(dirichlet_rows(rng, n_good, options.n_classes, GOOD_ALPHA))
        bad = dirichlet_rows(rng, options.n_workers - n_good, options.n_classes, BAD_ALPHA)
        confusion = np.concatenate([good, bad])
    return confusion, levels


def _check_capacity(options: SimulationOptions, counts: np.ndarray) -> None:
    """Under imbalance_votes the total is drawn: it must still fit the worker load."""
    from crowdkit_core.errors import SpecError

    if options.workerload is None:
        return
    total, capacity = int(counts.sum()), options.n_workers * options.workerload
    if total > capacity:
        raise SpecError(
            f"simulate: --workerload {options.workerload} is too small for the {total} answers "
            f"drawn with --imbalance-votes (seed {options.seed}); {options.n_workers} workers "
            f"x {options.workerload} = {capacity}; raise it to at least "
            f"{-(-total // options.n_workers)} or lower --feedback")
