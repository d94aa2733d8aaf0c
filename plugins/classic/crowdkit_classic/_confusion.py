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

from typing import NamedTuple

import numpy as np
from pydantic import Field

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.blocks import (
    TaskBlock, block_count, map_blocks, matmul_into, task_blocks,
)
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags

from crowdkit_classic._em import (
    EMParams, InitName, has_converged, initial_posteriors,
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


class ParallelEMParams(SmoothedEMParams):
    """Smoothed EM parameters plus the number of threads for the sparse E- and M-steps."""

    n_jobs: int | None = Field(
        1,
        description="Threads for the E-step, which runs over blocks of tasks "
                    "(scikit-learn's convention: None or 1 means one, -1 all cores). Only "
                    "datasets of at least 131072 answers are cut into blocks. Results are "
                    "the same, bit for bit, for every value.",
    )


class ConfusionParams(ParallelEMParams):
    """Parameters of DS-type models: EM control, smoothing and the few-answers warning."""

    min_answers_warning: int | None = Field(
        None, ge=0,
        description="Warn (in warnings_) about workers with fewer answers than this; their "
                    "confusion matrices are poorly estimated. None means K (the number of "
                    "classes); 0 turns the warning off.",
    )


# -- sufficient statistics (each a sum over tasks: map-reduce friendly) ----------------------
def confusion_counts(
    dataset: CrowdDataset, posteriors: np.ndarray, class_weights: np.ndarray | None = None,
) -> np.ndarray:
    """(n_workers, K, K) expected counts ``[w, true k, answered l]`` under ``posteriors``.

    With ``class_weights``, the posteriors are ``posteriors * class_weights`` (an
    :class:`EStep`'s ``shares`` and ``class_weights``): the weights scale the small output's
    columns instead of the (n_tasks, K) input.

    One product ``A.T @ T``: it walks A's rows in task order and scatters into a small
    (n_workers*K, K) output, several times faster than gathering posterior rows through a
    CSC copy. It is a sum over tasks (a map-reduce over task blocks would add per-block
    partials); it stays on one thread, where it measured faster than split across threads
    (the scatter is bound by memory traffic) and gives the same bits whatever ``n_jobs``.
    """
    k = dataset.n_classes
    stats = np.asarray(dataset.answer_matrix_t @ posteriors)  # row w*K + l, column true class
    if class_weights is not None:
        stats *= class_weights
    return stats.reshape(dataset.n_workers, k, k).transpose(0, 2, 1)


def column_sums(matrix: np.ndarray) -> np.ndarray:
    """Sum over rows of a tall (n, K) array; 4x faster than ``sum(axis=0)`` and BLAS-free."""
    return np.einsum("ik->k", matrix)


def smoothed_distribution(counts: np.ndarray, smoothing: float) -> np.ndarray:
    """Normalise along the last axis after adding ``smoothing`` (floored at COUNT_FLOOR)."""
    counts = np.maximum(np.asarray(counts, dtype=np.float64) + smoothing, COUNT_FLOOR)
    return counts / counts.sum(axis=-1, keepdims=True)


def flat_log_confusion(log_confusion: np.ndarray) -> np.ndarray:
    """(n_workers*K, K) array whose row ``w*K + l`` is ``log confusion[w, :, l]``."""
    k = log_confusion.shape[-1]
    return np.ascontiguousarray(log_confusion.transpose(0, 2, 1)).reshape(-1, k)


#: Rows whose likelihood ratio to the reference class exceeds this are redone in log space.
RATIO_LIMIT = 1e300


class EStep(NamedTuple):
    """An E-step's result. The posteriors are ``shares * class_weights`` (row by row):
    multiplying by the class prior ratios is left out of the (n_tasks, K) array, because an
    M-step can apply it to its small outputs instead (:func:`confusion_counts`);
    :meth:`posteriors_in_place` does it when the posteriors themselves are needed."""

    shares: np.ndarray
    class_weights: np.ndarray
    log_likelihood: float
    class_totals: np.ndarray  # sum_i posteriors[i]

    def posteriors_in_place(self) -> np.ndarray:
        """The posteriors, computed in ``shares`` (which then holds them)."""
        return np.multiply(self.shares, self.class_weights, out=self.shares)


def e_step(
    dataset: CrowdDataset, log_prior: np.ndarray, log_confusion: np.ndarray,
    n_jobs: int | None = 1, out: np.ndarray | None = None,
) -> EStep:
    """Task posteriors, marginal log-likelihood ``sum_i log p(answers of task i)`` and class totals.

    Scores are taken relative to a reference class ``r`` (the most probable a priori): the
    sparse product ``R = A @ (log_confusion - log_confusion[:, r])`` gives each task's log
    likelihood ratio to ``r``, whose exponential needs no per-row maximum, because the
    reference entry is exactly 1 and the row total ``Z = exp(R) @ w`` (``w`` the prior
    ratios, ``w_r = 1``) is therefore at least 1. The rare rows whose ratios overflow are
    recomputed with a log-sum-exp. The dropped reference terms come back in the
    log-likelihood through one dot product with the per-column answer counts. The result
    holds ``exp(R) / Z`` and ``w`` separately (see :class:`EStep`). This saves the two
    transposes, the row maximum and a broadcast of a plain softmax. Tasks are independent,
    so the work runs block by block, on threads when ``n_jobs > 1``; nothing in the result
    depends on the blocks (sums run over whole arrays). ``out`` may be the previous
    posteriors, which are then overwritten (saves allocating a fresh array every iteration).
    """
    n_tasks, k = dataset.n_tasks, dataset.n_classes
    ref = int(np.argmax(log_prior))
    flat = flat_log_confusion(log_confusion)
    ref_column = flat[:, ref].copy()
    with np.errstate(invalid="ignore"):  # -inf - -inf on labels never given: never read
        relative = flat - ref_column[:, None]
    log_prior_ratio = log_prior - log_prior[ref]
    prior_ratio = np.exp(log_prior_ratio)
    shares = np.empty((n_tasks, k)) if out is None else out
    log_totals = np.empty(n_tasks)
    blocks = task_blocks(dataset, block_count(dataset.n_answers, n_jobs))
    # On threads, keep BLAS out of the blocks: its own thread pool would fight ours.
    row_dot = np.dot if len(blocks) == 1 else (lambda a, v: np.einsum("ik,k->i", a, v))

    def run(block: TaskBlock) -> None:
        ratios = matmul_into(block.matrix, relative, shares[block.rows])
        with np.errstate(over="ignore", invalid="ignore"):
            np.exp(ratios, out=ratios)
            totals = row_dot(ratios, prior_ratio)
            ratios /= totals[:, None]
        np.log(totals, out=log_totals[block.rows])
        if totals.max() < RATIO_LIMIT:  # one reduction in the common case (NaN fails it too)
            return
        overflow = np.flatnonzero(~(totals < RATIO_LIMIT))
        if overflow.size:
            exact = np.asarray(block.matrix[overflow] @ relative)
            ratios[overflow], log_totals[block.start + overflow] = exact_shares(exact, log_prior_ratio)

    map_blocks(run, blocks, n_jobs)
    # Sums over whole arrays after the blocks: the same bits for any n_jobs.
    class_totals = column_sums(shares) * prior_ratio
    counts = dataset.answers_per_column
    answered = counts > 0
    log_likelihood = float(
        n_tasks * log_prior[ref] + counts[answered] @ ref_column[answered] + log_totals.sum()
    )
    return EStep(shares, prior_ratio, log_likelihood, class_totals)


def exact_shares(ratios_log: np.ndarray, log_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a few rows of log ratios ``R``: ``exp(R) / Z`` and ``log Z``, ``Z = sum exp(R + log w)``.

    Max-shifted, so it stays finite where ``exp(R)`` itself overflows.
    """
    weighted = ratios_log + log_weights
    top = weighted.max(axis=1, keepdims=True)
    log_total = top + np.log(np.exp(weighted - top).sum(axis=1, keepdims=True))
    with np.errstate(over="ignore", invalid="ignore"):
        shares = np.where(np.isfinite(log_weights), np.exp(ratios_log - log_total), 0.0)
    return shares, log_total[:, 0]


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
    outputs = (
        Output("confusion_matrices_", "worker", ("n_workers", "K", "K"),
               "confusion matrix of each worker [worker, true class, answered label]"),
        Output("priors_", "dataset", ("K",), "class priors"),
        Output("log_likelihood_", "dataset", (), "marginal log-likelihood at the end of EM"),
    )
    tags = Tags(iterative=True, engines=("threads",))

    def _m_step(
        self, dataset: CrowdDataset, counts: np.ndarray, class_totals: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(priors (K,), confusion matrices (n_workers, K, K)) from the sufficient statistics.

        ``counts`` are the expected confusion counts (:func:`confusion_counts`) and
        ``class_totals`` the summed posteriors, both sums over tasks.
        """
        raise NotImplementedError

    def _fit(self, dataset: CrowdDataset) -> None:
        p = self.params
        dataset.answer_matrix  # built first: the vote counts then come from it
        shares = initial_posteriors(dataset, p.init)
        class_weights = None  # posteriors = shares * class_weights (see EStep)
        class_totals = column_sums(shares)
        previous = -np.inf
        self.converged_ = False
        for iteration in range(1, p.max_iter + 1):
            counts = confusion_counts(dataset, shares, class_weights)
            priors, confusion = self._m_step(dataset, counts, class_totals)
            with np.errstate(divide="ignore"):  # log 0 = -inf only for labels never given,
                log_confusion = np.log(confusion)  # whose cells the sparse E-step never reads
            step = e_step(dataset, np.log(priors), log_confusion, p.n_jobs, out=shares)
            shares, class_weights, log_likelihood, class_totals = step
            self._report(iteration, log_likelihood)
            if has_converged(previous, log_likelihood, p.tol):
                self.converged_ = True
                break
            previous = log_likelihood
        self.proba_ = step.posteriors_in_place()
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
