"""Confusion-matrix EM shared by DS, OneCoinDS, WDS and DSWC.

Conventions: ``confusion[w, k, l]`` is the probability that worker ``w`` answers ``l`` when
the true class is ``k`` (rows sum to 1). Every statistic is a sparse product with the
dataset's answer matrix, so an E-step and an M-step are each a sum over task partitions:

* E-step: ``log p(answers of task i, true k) = log prior_k + (A @ log_pi_flat)[i, k]`` where
  ``A`` is :attr:`CrowdDataset.answer_matrix` (n_tasks, n_workers*K) and row ``w*K + l`` of
  ``log_pi_flat`` holds ``log confusion[w, :, l]``.
* M-step: ``A.T @ posteriors`` gives, for each (worker, answered label), the expected count
  of each true class, i.e. the expected confusion counts.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset

from crowdkit_classic._em import (
    EMParams, InitName, has_converged, initial_posteriors, softmax_log_joint,
)

#: Floor on every count before normalising (crowd-kit's ``_EPS``): keeps ``log`` finite when
#: ``smoothing=0`` and a worker never gave some label.
COUNT_FLOOR = 1e-10


class SmoothedEMParams(EMParams):
    """EM parameters plus a Dirichlet pseudo-count on every estimated distribution.

    ``init`` defaults to vote shares here, as in crowd-kit and peerannot (DS, one-coin DS and
    the worker-clustering model all start from them).
    """

    init: InitName = Field(
        "naive_soft",
        description="Initial task posteriors: 'naive_soft' (share of answers per class, as "
                    "crowd-kit and peerannot) or 'mv' (one-hot majority vote, ties shared "
                    "equally).",
    )
    smoothing: float = Field(
        0.001, ge=0.0,
        description="Pseudo-count added to every confusion-matrix cell and every class-prior "
                    "count before normalising (a Dirichlet(1 + smoothing) prior, MAP "
                    "estimate). 0 gives maximum likelihood; counts are then floored at 1e-10 "
                    "so that log 0 never occurs.",
    )


class ConfusionParams(SmoothedEMParams):
    """Parameters of DS-type models: EM control, smoothing and the few-answers warning."""

    min_answers_warning: int | None = Field(
        None, ge=0,
        description="Warn (in warnings_) about workers with fewer answers than this; their "
                    "confusion matrices are poorly estimated. None means K (the number of "
                    "classes); 0 turns the warning off.",
    )


# -- sufficient statistics (each a sum over tasks: map-reduce friendly) ----------------------
def confusion_counts(dataset: CrowdDataset, posteriors: np.ndarray) -> np.ndarray:
    """(n_workers, K, K) expected counts ``[w, true k, answered l]`` under ``posteriors``."""
    k = dataset.n_classes
    # A.T @ T walks A's rows in task order and scatters into a small (n_workers*K, K) output,
    # several times faster than gathering posterior rows through answer_matrix_t.
    stats = dataset.answer_matrix_t @ posteriors  # row w*K + l, column true class
    return np.asarray(stats).reshape(dataset.n_workers, k, k).transpose(0, 2, 1)


def column_sums(matrix: np.ndarray) -> np.ndarray:
    """Sum over rows of a tall (n, K) array; a BLAS product, 3x faster than ``sum(axis=0)``."""
    return np.ones(matrix.shape[0]) @ matrix


def smoothed_distribution(counts: np.ndarray, smoothing: float) -> np.ndarray:
    """Normalise along the last axis after adding ``smoothing`` (floored at COUNT_FLOOR)."""
    counts = np.maximum(np.asarray(counts, dtype=np.float64) + smoothing, COUNT_FLOOR)
    return counts / counts.sum(axis=-1, keepdims=True)


def log_joint(dataset: CrowdDataset, log_prior: np.ndarray, log_confusion: np.ndarray) -> np.ndarray:
    """(n_tasks, K) ``log p(answers of task i, true class k)`` for per-worker confusions."""
    k = dataset.n_classes
    flat = np.ascontiguousarray(log_confusion.transpose(0, 2, 1)).reshape(-1, k)
    scores = np.asarray(dataset.answer_matrix @ flat)
    scores += log_prior
    return scores


def e_step(
    dataset: CrowdDataset, log_prior: np.ndarray, log_confusion: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Task posteriors and marginal log-likelihood ``sum_i log p(answers of task i)``."""
    return softmax_log_joint(log_joint(dataset, log_prior, log_confusion))


def few_answers_warning(dataset: CrowdDataset, threshold: int | None, name: str) -> list[str]:
    """A message when some workers gave fewer than ``threshold`` (default K) answers."""
    threshold = dataset.n_classes if threshold is None else threshold
    few = int((dataset.answers_per_worker < threshold).sum())
    if threshold <= 0 or few == 0:
        return []
    return [
        f"{name}: {few} of {dataset.n_workers} workers gave fewer than {threshold} answers; "
        "their confusion matrices rest mostly on the smoothing prior and are unreliable"
    ]


def not_converged_warning(name: str, max_iter: int, history: list[float], tol: float) -> list[str]:
    """A message when EM stopped at ``max_iter`` before the relative change fell below tol."""
    change = abs(history[-1] - history[-2]) / max(1.0, abs(history[-2])) if len(history) > 1 else np.inf
    return [
        f"{name}: EM stopped after max_iter={max_iter} iterations without converging "
        f"(last relative change {change:.2e} > tol {tol:g}); raise max_iter to go on"
    ]


# -- the EM skeleton -------------------------------------------------------------------------
class ConfusionEM(Aggregator):
    """EM for models where each worker has a confusion matrix (DS and its one-coin variant).

    Subclasses implement :meth:`_m_step`, which turns posteriors into class priors and
    per-worker confusion matrices; the skeleton alternates it with the shared E-step, records
    the log-likelihood per iteration and stops on its relative change (``tol``).

    Fitted: ``proba_``, ``priors_`` (K,), ``confusion_matrices_`` (n_workers, K, K),
    ``log_likelihood_``, ``history_``, ``n_iter_``, ``converged_``, ``worker_ids_``.
    """

    Params = ConfusionParams
    worker_outputs: ClassVar[tuple[str, ...]] = ("confusion_matrices_",)

    def _m_step(self, dataset: CrowdDataset, posteriors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(priors (K,), confusion matrices (n_workers, K, K)) from task posteriors."""
        raise NotImplementedError

    def _fit(self, dataset: CrowdDataset) -> None:
        p = self.params
        posteriors = initial_posteriors(dataset, p.init)
        previous = -np.inf
        self.converged_ = False
        for iteration in range(1, p.max_iter + 1):
            priors, confusion = self._m_step(dataset, posteriors)
            with np.errstate(divide="ignore"):  # log 0 = -inf only for labels never given,
                log_confusion = np.log(confusion)  # whose cells the sparse E-step never reads
            posteriors, log_likelihood = e_step(dataset, np.log(priors), log_confusion)
            self._report(iteration, log_likelihood)
            if has_converged(previous, log_likelihood, p.tol):
                self.converged_ = True
                break
            previous = log_likelihood
        self.proba_ = posteriors
        self.priors_ = priors
        self.confusion_matrices_ = confusion
        self.log_likelihood_ = log_likelihood
        self.worker_ids_ = dataset.worker_ids
        self.warnings_ += few_answers_warning(dataset, p.min_answers_warning, self.name)
        if not self.converged_:
            self.warnings_ += not_converged_warning(self.name, p.max_iter, self.history_, p.tol)


# -- the generative process (simulations in tests and benchmarks) ---------------------------
def sample_answers(
    worker_confusion: np.ndarray, priors: np.ndarray, n_tasks: int, answers_per_task: int,
    rng: np.random.Generator,
) -> CrowdDataset:
    """Draw a dataset from the Dawid-Skene model; ``gold`` holds the true classes.

    Each task's class comes from ``priors``; ``answers_per_task`` distinct workers, chosen
    uniformly, answer it with the row of their confusion matrix for that class. Worker and
    task ids are their indices, so parameters can be compared with the truth directly.
    """
    n_workers, k, _ = worker_confusion.shape
    if not 1 <= answers_per_task <= n_workers:
        raise ValueError(f"answers_per_task must be in 1..{n_workers} (the number of workers)")
    truth = rng.choice(k, size=n_tasks, p=priors)
    workers = distinct_workers(n_tasks, n_workers, answers_per_task, rng)
    cumulative = worker_confusion[workers, truth[:, None]].cumsum(axis=-1)
    draws = rng.random((n_tasks, answers_per_task, 1))
    labels = np.minimum((draws > cumulative).sum(axis=-1), k - 1)
    tasks = np.repeat(np.arange(n_tasks), answers_per_task)
    dataset = CrowdDataset(tasks, workers.ravel(), labels.ravel(), k, np.arange(n_tasks),
                           np.arange(n_workers), name="simulated")
    dataset.gold = truth
    return dataset


def distinct_workers(
    n_tasks: int, n_workers: int, per_task: int, rng: np.random.Generator,
) -> np.ndarray:
    """(n_tasks, per_task) worker indices, distinct within each row, uniform over subsets.

    Rows with a repeated worker are redrawn (cheap while per_task is small next to
    n_workers); otherwise each row is a random permutation's head, which is then at most
    twice the size of the answers.
    """
    if 2 * per_task > n_workers:
        return np.argsort(rng.random((n_tasks, n_workers)), axis=1)[:, :per_task]
    workers = rng.integers(0, n_workers, (n_tasks, per_task))
    while True:
        ordered = np.sort(workers, axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not repeated.any():
            return workers
        workers[repeated] = rng.integers(0, n_workers, (int(repeated.sum()), per_task))
