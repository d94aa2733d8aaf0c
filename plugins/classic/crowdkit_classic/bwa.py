"""BWA: the Bayesian weighted average of Li, Rubinstein and Cohn.

Li, Rubinstein & Cohn, "Truth inference at scale: a Bayesian model for adjudicating highly
redundant crowd annotations", The Web Conference (WWW) 2019. Each class is a one-vs-rest
regression: a task's score for class k is a real number, each answer is that score plus
Gaussian noise whose precision belongs to the worker and the class, with a conjugate Gamma
prior whose rate comes from the data. Coordinate ascent alternates a precision-weighted
average of the answers (per task) with the workers' precisions (per worker); both are sparse
products with the answer matrix, fused per task block and run by the engine as DS is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.blocks import TaskBlock, matmul_into, task_blocks, transpose_matmul
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.engine import Statistics, get_engine
from crowdkit_core.estimator import Output, Tags

from crowdkit_core.params import StrategyParams

from crowdkit_classic._confusion import COUNT_FLOOR, ConfusionParams, column_sums
from crowdkit_classic._em import has_converged, vote_shares

_SHARED = ConfusionParams.model_fields


class BWAParams(StrategyParams):
    """BWA parameters: iteration control, the two prior strengths and the prior correction."""

    max_iter: int = Field(500, ge=0, description="Maximum number of coordinate-ascent sweeps; 0 "
                                                 "keeps the initialisation (vote shares).")
    tol: float = Field(
        1e-6, ge=0.0,
        description="Stop when the objective (the log posterior density) improves by less "
                    "than tol relative to its magnitude between two sweeps.",
    )
    a_v: float = Field(
        15.0, gt=0.0,
        description="Strength of the Gamma prior on every worker's precision, in pseudo-"
                    "answers (the authors' default); its rate is set from the data (see "
                    "prior_correction).",
    )
    lam: float = Field(
        1.0, gt=0.0,
        description="Precision of the Gaussian prior N(mu_k, 1/lam) on each task's class "
                    "score; mu_k is learnt (the mean score of class k).",
    )
    prior_correction: bool = Field(
        True,
        description="Scale the Gamma prior's rate by 4 (1 - 1/K), the authors' correction "
                    "of the one-vs-rest relaxation; False leaves the rate at a_v times the "
                    "mean per-answer variance of the vote shares.",
    )
    n_jobs: int | None = _SHARED["n_jobs"]


@dataclass(frozen=True)
class BWAStats(Statistics):
    """Sums over tasks of one sweep: ``moments`` (n_workers*K, 2K) is ``A.T @ [z, z**2]``;
    ``z_sum`` and ``z_squares`` (K,) are the column sums of ``z`` and ``z**2``."""

    moments: np.ndarray
    z_sum: np.ndarray
    z_squares: np.ndarray


def bwa_stats(block: TaskBlock, both: np.ndarray) -> BWAStats:
    """A block's statistics from its (rows, 2K) ``[z | z**2]`` (C-contiguous)."""
    k = both.shape[1] // 2
    sums = column_sums(both)
    return BWAStats(transpose_matmul(block.matrix, both), sums[:k], sums[k:])


def with_squares(scores: np.ndarray) -> np.ndarray:
    """(rows, 2K) ``[z | z**2]`` of (rows, K) scores."""
    return np.concatenate([scores, scores * scores], axis=1)


def bwa_block(block: TaskBlock, out: np.ndarray, weights: np.ndarray, offset: np.ndarray,
              lam: float) -> tuple[np.ndarray, BWAStats]:
    """One block's scores ``z = (lam mu + A V1) / (lam + A V2)`` and their statistics.

    ``weights`` (n_workers*K, 2K) is ``[V1 | V2]``: row ``w*K + l`` holds worker w's
    precisions on column ``l`` of V1 only and on every column of V2; ``offset`` is
    ``lam * mu``. ``out`` (rows, 2K) receives ``[z | z**2]``; the scores returned are a view
    of its left half.
    """
    k = offset.shape[0]
    product = matmul_into(block.matrix, weights, out)
    scores, squares = product[:, :k], product[:, k:]
    squares += lam
    scores += offset
    scores /= squares
    np.multiply(scores, scores, out=squares)
    return scores, bwa_stats(block, product)


def squared_errors(stats: BWAStats, label_counts: np.ndarray) -> np.ndarray:
    """(n_workers, K) ``sum over w's answers of (z_ik - y_ik)**2`` (y one-hot) from the sums."""
    k = label_counts.shape[1]
    moments = stats.moments.reshape(-1, k, 2 * k)  # [worker, answered label, column]
    squares = moments[:, :, k:].sum(axis=1)
    hits = np.einsum("wkk->wk", moments[:, :, :k])
    return np.maximum(squares - 2.0 * hits + label_counts, 0.0)


def weight_matrix(precision: np.ndarray) -> np.ndarray:
    """(n_workers*K, 2K) ``[V1 | V2]`` for :func:`bwa_block` from (n_workers, K) precisions."""
    n_workers, k = precision.shape
    weights = np.zeros((n_workers, k, 2 * k))
    diagonal = np.arange(k)
    weights[:, diagonal, diagonal] = precision
    weights[:, :, k:] = precision[:, None, :]
    return weights.reshape(n_workers * k, 2 * k)


class BWA(Aggregator[BWAParams]):
    """BWA, for each class k (one-vs-rest), with ``y_ik`` = 1 when an answer says k::

        z_ik ~ N(mu_k, 1/lam)     p(v_wk) ∝ v_wk**(a_v/2) exp(-b_k v_wk / 2)     y_ik ~ N(z_ik, 1/v_wk)

    Coordinate ascent on the log posterior density (the authors' updates)::

        mu_k  = mean_i z_ik
        v_wk  = (a_v + N_w) / (b_k + sum over w's answers of (y_ik - z_ik)**2)
        z_ik  = (lam mu_k + sum over i's answers of v_wk y_ik) / (lam + sum of v_wk)

    from vote shares, with ``b_k = a_v c mean_n s_ik (1 - s_ik)`` (s: vote shares, the mean
    over answers n, c = 4 (1 - 1/K) with ``prior_correction``). ``proba_`` is z normalised
    over classes.
    """

    Params = BWAParams
    reference = (
        "Li, Rubinstein & Cohn, Truth inference at scale: a Bayesian model for adjudicating "
        "highly redundant crowd annotations, The Web Conference (WWW) 2019"
    )
    outputs = (
        Output("precision_", "worker", ("n_workers", "K"),
               "precision v_wk of each worker's answers about each class (higher: more "
               "reliable)"),
        Output("skills_", "worker", ("n_workers",),
               "mean over classes of each worker's precision", role="skill"),
        Output("scores_", "task", ("n_tasks", "K"),
               "class scores z_ik before normalisation (a precision-weighted average of the "
               "one-hot answers and the class mean)"),
        Output("means_", "dataset", ("K",), "class means mu_k of the scores"),
        Output("prior_rates_", "dataset", ("K",), "rate b_k of the Gamma prior per class"),
    )
    tags = Tags(iterative=True, engines=("threads",))

    def _fit(self, dataset: CrowdDataset) -> None:
        p = self.params
        engine = get_engine(n_jobs=p.n_jobs)
        blocks = task_blocks(dataset)
        k = dataset.n_classes
        label_counts = dataset.answers_per_column.reshape(dataset.n_workers, k)
        shape = (p.a_v + dataset.answers_per_worker)[:, None]
        scores = vote_shares(dataset)
        spread = dataset.answers_per_task @ (scores * (1.0 - scores)) / dataset.n_answers
        correction = 4.0 * (1.0 - 1.0 / k) if p.prior_correction else 1.0
        rates = np.maximum(p.a_v * correction * spread, COUNT_FLOOR)
        stats = engine.map_reduce(
            lambda b: (None, bwa_stats(b, with_squares(scores[b.rows]))), blocks)[1]
        buffer = np.empty((dataset.n_tasks, 2 * k))
        parts = [scores[b.rows] for b in blocks]
        previous = -np.inf
        self.converged_ = False

        def class_and_worker_terms(stats: BWAStats) -> tuple[np.ndarray, np.ndarray]:
            return stats.z_sum / dataset.n_tasks, shape / (rates + squared_errors(stats, label_counts))

        means, precision = class_and_worker_terms(stats)  # max_iter=0 keeps these and the shares
        for iteration in range(1, p.max_iter + 1):
            if iteration > 1:
                means, precision = class_and_worker_terms(stats)
            weights, offset = weight_matrix(precision), p.lam * means
            parts, stats = engine.map_reduce(
                lambda b: bwa_block(b, buffer[b.rows], weights, offset, p.lam), blocks)
            objective = self._log_posterior(stats, precision, means, rates, shape,
                                            label_counts, dataset.n_tasks)
            self._report(iteration, objective)
            if has_converged(previous, objective, p.tol):
                self.converged_ = True
                break
            previous = objective
        scores = np.ascontiguousarray(np.concatenate(parts) if len(parts) > 1 else parts[0])
        self.scores_ = scores
        self.proba_ = scores / np.maximum(scores.sum(axis=1, keepdims=True), COUNT_FLOOR)
        self.precision_ = precision
        self.skills_ = precision.mean(axis=1)
        self.means_ = means
        self.prior_rates_ = rates
        self.worker_ids_ = dataset.worker_ids
        if not self.converged_ and p.max_iter:
            self.warnings_.append(
                f"{self.name}: stopped after max_iter={p.max_iter} sweeps without converging; "
                "raise max_iter to go on")

    def _log_posterior(self, stats: BWAStats, precision: np.ndarray, means: np.ndarray,
                       rates: np.ndarray, shape: np.ndarray, label_counts: np.ndarray,
                       n_tasks: int) -> float:
        """The log posterior density (up to a constant) that the sweeps increase."""
        errors = squared_errors(stats, label_counts)
        workers = 0.5 * (shape * np.log(precision) - precision * (errors + rates)).sum()
        spread = stats.z_squares - 2.0 * means * stats.z_sum + n_tasks * means ** 2
        return float(workers - 0.5 * self.params.lam * spread.sum())
