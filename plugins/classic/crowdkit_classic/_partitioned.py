"""The classic strategies on a partitioned dataset (a cluster engine such as Dask).

Each partition (:mod:`crowdkit_core.engines.partitioned`) is a CrowdDataset over whole
tasks and all workers, so the per-block kernels of the local code run on it unchanged:

* DS / OneCoinDS: one EM iteration is one ``engine.map_reduce``: every partition runs
  :func:`~crowdkit_classic._confusion.confusion_block` on its answer matrix with the
  broadcast :class:`LogScores` and keeps its shares where it is; only its
  :class:`ConfusionStats` ((workers*K) x K numbers) travel, summed on the workers; the driver
  runs the same pure M-step as the local fit.
* WDS: the partitioned DS fit, then the weighted votes per partition (:func:`weighted_partition`).
* MV / NaiveSoft: vote counts per partition; MV's seeded ties as in one pass.
* GLAD: the E-step per partition; the M-step's L-BFGS-B runs on the driver, and each of its
  objective / gradient evaluations is a map-reduce (the objective and the worker gradient add
  over partitions; each partition returns the gradient of its own tasks' log beta).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crowdkit_core.aggregator import normalize_rows
from crowdkit_core.blocks import TaskBlock
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.engine import Statistics
from crowdkit_core.engines.partitioned import PartitionedDataset

from dataclasses import dataclass

from crowdkit_classic._confusion import (
    ConfusionState, LogScores, block_stats, confusion_block, few_answers_warning,
    not_converged_warning,
)
from crowdkit_classic._em import has_converged, initial_posteriors


def whole_block(part: CrowdDataset) -> TaskBlock:
    """A partition as one task block (its own answer matrix)."""
    return TaskBlock(0, part.n_tasks, part.answer_matrix)


def needs_iterations(model: Any, where: str) -> None:
    """Refuse ``max_iter=0`` (the initialisation only) where only the local fit provides it."""
    if model.params.max_iter == 0:
        from crowdkit_core.errors import EngineError

        raise EngineError(f"{model.name}: max_iter=0 (the initialisation only) is not supported "
                          f"on {where}; fit with the local engine, or give max_iter >= 1")


# -- DS family -------------------------------------------------------------------------------
def _initial_part(part: CrowdDataset, init: str) -> tuple[np.ndarray, Any]:
    shares = initial_posteriors(part, init)
    return shares, block_stats(whole_block(part), shares)


def _e_step_part(item: tuple[CrowdDataset, np.ndarray], scores: LogScores) -> tuple[np.ndarray, Any]:
    part, shares = item  # the previous shares are overwritten: each is used once
    out = shares if shares.flags.writeable else np.empty_like(shares)
    return confusion_block(whole_block(part), out, scores, True)


def _posteriors(shares: np.ndarray, prior_ratio: np.ndarray) -> np.ndarray:
    return shares * prior_ratio


def fit_confusion(model: Any, data: PartitionedDataset, init: ConfusionState | None) -> None:
    """EM of a :class:`~crowdkit_classic._confusion.ConfusionEM` over the partitions: the
    local fit's loop, with each fused pass a map-reduce of the engine (see the module)."""
    p, engine = model.params, data.engine
    needs_iterations(model, "the dask engine")
    given = (data.answers_per_column > 0).reshape(data.n_workers, data.n_classes)
    if init is None:
        shares, stats = engine.map_reduce(_initial_part, data.parts, p.init)
        state = model._m_step(stats, given)
    else:
        init.check_fits(data.n_workers, data.n_classes)
        shares = engine.map_resident(_empty_shares, data.parts)
        state = init
    previous = -np.inf
    model.converged_ = False
    for iteration in range(1, p.max_iter + 1):
        if iteration > 1:
            state = model._m_step(stats, given)
        scores = model._scores(state)
        shares, stats = engine.map_reduce(_e_step_part, list(zip(data.parts, shares)), scores)
        stats = stats.weighted(scores.prior_ratio)
        log_likelihood = model._objective(
            scores.log_likelihood(data, stats.log_total), state)  # type: ignore[arg-type]
        model._report(iteration, log_likelihood)
        if has_converged(previous, log_likelihood, p.tol):
            model.converged_ = True
            break
        previous = log_likelihood
    model.partition_proba_ = engine.map_resident(_posteriors, shares, scores.prior_ratio)
    model.state_ = state
    model.priors_ = state.priors
    model.confusion_matrices_ = state.confusion
    model.log_likelihood_ = log_likelihood
    model.worker_ids_ = data.worker_ids
    model.warnings_ += few_answers_warning(data, p.min_answers_warning, model.name)  # type: ignore[arg-type]
    if not model.converged_:
        model.warnings_ += not_converged_warning(model.name, p.max_iter, model.history_, p.tol)


def _empty_shares(part: CrowdDataset) -> np.ndarray:
    return np.empty((part.n_tasks, part.n_classes))


# -- WDS, MV, NaiveSoft ----------------------------------------------------------------------
def weighted_partition(part: CrowdDataset, weights: np.ndarray) -> np.ndarray:
    """WDS's normalised weighted votes of one partition."""
    from crowdkit_classic.wds import weighted_votes

    return normalize_rows(weighted_votes(part, weights))


def _vote_shares(part: CrowdDataset) -> np.ndarray:
    counts = part.vote_counts
    return counts / counts.sum(axis=1, keepdims=True)


def _vote_counts(part: CrowdDataset) -> np.ndarray:
    return part.vote_counts


def _one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    proba = np.zeros((labels.size, n_classes))
    proba[np.arange(labels.size), labels] = 1.0
    return proba


def fit_naive_soft(model: Any, data: PartitionedDataset) -> None:
    """Vote shares per partition."""
    model.partition_proba_ = data.engine.map_resident(_vote_shares, data.parts)


def fit_majority_vote(model: Any, data: PartitionedDataset) -> None:
    """Most frequent label per partition, ties broken as one pass over all tasks would."""
    from crowdkit_core.engines.partitioned import partition_labels

    engine = data.engine
    counts = engine.map_resident(_vote_counts, data.parts)
    model.partition_labels_ = partition_labels(engine, counts, model.params.ties, model.params.seed)
    model.partition_proba_ = engine.map_resident(_one_hot, model.partition_labels_, data.n_classes)
    if data.gather:
        model.vote_share_ = data.rows(engine.map_resident(_vote_shares, data.parts))


# -- GLAD ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GLADTerms(Statistics):
    """What the partitions of one GLAD evaluation add: objective and worker gradient."""

    value: float
    worker: np.ndarray


def _glad_setup(part: CrowdDataset, init: str) -> tuple[np.ndarray, Statistics]:
    from crowdkit_classic._em import task_label_index

    proba = initial_posteriors(part, init)
    return proba.ravel()[task_label_index(part)], _ClassTotals(proba.sum(axis=0))


@dataclass(frozen=True)
class _ClassTotals(Statistics):
    totals: np.ndarray


def _glad_value(item: tuple[CrowdDataset, np.ndarray, np.ndarray], alphas: np.ndarray,
                params: Any) -> tuple[np.ndarray, GLADTerms]:
    from crowdkit_classic.glad import glad_q_gradient

    part, q, log_betas = item
    value, grad = glad_q_gradient(part, q, np.concatenate([alphas, log_betas]), params)
    return grad[part.n_workers:], GLADTerms(value, grad[:part.n_workers])


def _glad_curvature(item: tuple[CrowdDataset, np.ndarray], alphas: np.ndarray,
                    params: Any) -> tuple[np.ndarray, GLADTerms]:
    from crowdkit_classic.glad import glad_curvature

    part, log_betas = item
    h = glad_curvature(part, np.concatenate([alphas, log_betas]), params)
    return h[part.n_workers:], GLADTerms(0.0, h[:part.n_workers])


def _glad_e_step(item: tuple[CrowdDataset, np.ndarray], alphas: np.ndarray,
                 log_priors: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], Statistics]:
    from crowdkit_classic._em import task_label_index
    from crowdkit_classic.glad import glad_e_step

    part, log_betas = item
    cell = task_label_index(part)
    proba, log_likelihood = glad_e_step(part, cell, alphas, log_betas, log_priors)
    return (proba, proba.ravel()[cell]), _GLADEStats(log_likelihood, proba.sum(axis=0))


@dataclass(frozen=True)
class _GLADEStats(Statistics):
    log_likelihood: float
    totals: np.ndarray


class _GLADObjective:
    """GLAD's M-step objective on the partitions: each evaluation is one map-reduce.

    Every partition adds the worker part of the prior (``alpha``'s Gaussian) to what it
    returns, so ``P - 1`` copies are taken off the sums (``P`` partitions).
    """

    def __init__(self, data: PartitionedDataset, q: list[Any], params: Any) -> None:
        self.data, self.q, self.params = data, q, params
        self.cuts = np.cumsum(data.part_tasks)[:-1]
        self.extra = data.n_partitions - 1

    def split(self, log_betas: np.ndarray) -> list[np.ndarray]:
        return np.split(log_betas, self.cuts)

    def value_and_gradient(self, alphas: np.ndarray, log_betas: np.ndarray) -> tuple[float, np.ndarray]:
        from crowdkit_classic.glad import gaussian_log_prior

        items = list(zip(self.data.parts, self.q, self.split(log_betas)))
        slices, terms = self.data.engine.map_reduce(_glad_value, items, alphas, self.params)
        prior, d_prior = gaussian_log_prior(alphas, self.params.alpha_prior_mean,
                                            self.params.alpha_prior_var)
        grad_alpha = terms.worker - self.extra * d_prior
        return terms.value - self.extra * prior, np.concatenate(
            [grad_alpha, *self.data.engine.gather(slices)])

    def curvature(self, alphas: np.ndarray, log_betas: np.ndarray) -> np.ndarray:
        items = list(zip(self.data.parts, self.split(log_betas)))
        slices, terms = self.data.engine.map_reduce(_glad_curvature, items, alphas, self.params)
        h_alpha = terms.worker - self.extra / self.params.alpha_prior_var
        return np.concatenate([h_alpha, *self.data.engine.gather(slices)])


def glad_m_step_partitioned(objective: _GLADObjective, alphas: np.ndarray,
                            log_betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`crowdkit_classic.glad.glad_m_step` with map-reduced evaluations (same iterates)."""
    from crowdkit_classic.glad import preconditioned_lbfgs

    n_workers = alphas.size
    return preconditioned_lbfgs(
        lambda x: objective.value_and_gradient(x[:n_workers], x[n_workers:]),
        objective.curvature(alphas, log_betas), np.concatenate([alphas, log_betas]),
        n_workers, objective.params)


def fit_glad(model: Any, data: PartitionedDataset) -> None:
    """GLAD's EM over the partitions (the local loop; see :class:`_GLADObjective`).

    The driver holds ``alpha`` (workers) and ``log beta`` (tasks) and the optimiser's memory;
    per evaluation each partition receives its tasks' log beta and returns their gradient
    (8 bytes per task each way) plus the workers' (8 bytes per worker).
    """
    from crowdkit_classic.glad import glad_objective

    p, engine, k = model.params, data.engine, data.n_classes
    needs_iterations(model, "the dask engine")
    alphas = np.full(data.n_workers, p.alpha_prior_mean, dtype=np.float64)
    log_betas = np.full(data.n_tasks, p.log_beta_prior_mean, dtype=np.float64)
    priors = np.full(k, 1.0 / k)
    q, totals = engine.map_reduce(_glad_setup, data.parts, p.init)
    totals = totals.totals
    proba: list[Any] = []
    model.converged_ = False
    previous = -np.inf
    for iteration in range(1, p.max_iter + 1):
        if p.learn_priors:
            priors = class_priors_from_totals(totals)
        objective = _GLADObjective(data, q, p)
        alphas, log_betas = glad_m_step_partitioned(objective, alphas, log_betas)
        items = list(zip(data.parts, objective.split(log_betas)))
        outputs, stats = engine.map_reduce(_glad_e_step, items, alphas, np.log(priors))
        proba = engine.map_resident(_first, outputs)
        q = engine.map_resident(_second, outputs)
        log_likelihood, totals = stats.log_likelihood, stats.totals
        value = glad_objective(log_likelihood, alphas, log_betas, p)
        model._report(iteration, value)
        if has_converged(previous, value, p.tol):
            model.converged_ = True
            break
        previous = value
    model.partition_proba_ = proba
    model._finish(data, alphas, log_betas, priors, log_likelihood)


def class_priors_from_totals(totals: np.ndarray) -> np.ndarray:
    """GLAD's :func:`~crowdkit_classic.glad.class_priors` from the summed posteriors."""
    counts = totals + 1e-6
    return counts / counts.sum()


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _second(pair: tuple[Any, Any]) -> Any:
    return pair[1]
