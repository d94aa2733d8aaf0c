"""GLAD: worker ability times task easiness decides how often an answer is right.

Whitehill, Ruvolo, Wu, Bergsma and Movellan, "Whose vote should count more: optimal
integration of labels from labelers of unknown expertise", NeurIPS 2009.

Answer ``n`` (task ``i``, worker ``j``) is correct with probability
``sigmoid(alpha_j * beta_i)`` and otherwise uniform over the K-1 wrong classes. EM alternates
task posteriors (E-step) with a MAP update of all ``alpha`` and ``log beta`` (M-step: a few
L-BFGS-B iterations on the expected complete log-likelihood plus Gaussian priors). Every
quantity is a per-answer array summed with ``np.bincount`` or ``np.add.reduceat``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from pydantic import Field
from scipy import optimize

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags

from crowdkit_classic._em import (
    EMParams, has_converged, initial_posteriors, one_coin_posteriors, task_label_index,
)
from crowdkit_classic._gold import clamp_rows, gold_start

#: |log beta| is clipped here: keeps beta and alpha * beta finite whatever the optimiser tries.
LOG_BETA_BOUND = 15.0


class GLADParams(EMParams):
    """GLAD parameters: EM control, Gaussian priors and the inner optimiser budget."""

    alpha_prior_mean: float = Field(
        1.0, description="Mean of the Gaussian prior on each worker ability alpha (and its "
                         "starting value).")
    alpha_prior_var: float = Field(
        1.0, gt=0.0, description="Variance of the Gaussian prior on alpha; larger is weaker.")
    log_beta_prior_mean: float = Field(
        1.0, description="Mean of the Gaussian prior on each task's log beta (and its starting "
                         "value), as in the original code and crowd-kit.")
    log_beta_prior_var: float = Field(
        1.0, gt=0.0, description="Variance of the Gaussian prior on log beta; larger is weaker.")
    learn_priors: bool = Field(
        False, description="Re-estimate the class priors from the posteriors at each M-step "
                           "(otherwise they stay uniform, as in the paper's code and crowd-kit).")
    m_step_max_iter: int = Field(
        5, ge=1, description="Maximum L-BFGS-B iterations per M-step. Fewer than needed to "
                             "converge give a generalised EM step, which still increases the "
                             "objective; more rarely changes the result and costs time.")
    m_step_tol: float = Field(
        1e-2, gt=0.0,
        description="L-BFGS-B stops when every component of the gradient in the preconditioned "
                    "variables (gradient / sqrt(curvature)) is below this.")


def glad_answer_terms(
    dataset: CrowdDataset, alphas: np.ndarray, log_betas: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per answer: ``s = alpha * beta``, ``sigmoid(s)``, ``log(1 - sigmoid(s))`` and ``beta``.

    With ``t = max(s, -700)``: ``sigmoid = 1 / (1 + exp(-t))`` never overflows, and
    ``log(1 - sigmoid(s)) = log sigmoid(t) - t`` is exact for ``s >= -700`` and rounds to its
    true value (about ``-exp(s)``, i.e. 0) below.
    """
    # answers are sorted by task, so repeating is a cheaper gather than indexing by task
    beta_n = np.repeat(np.exp(np.clip(log_betas, -LOG_BETA_BOUND, LOG_BETA_BOUND)),
                       dataset.answers_per_task)
    s = alphas[dataset.workers]
    s *= beta_n
    t = np.maximum(s, -700.0)
    sigma = np.negative(t)
    np.exp(sigma, out=sigma)
    sigma += 1.0
    np.reciprocal(sigma, out=sigma)
    log_wrong = np.log(sigma)
    log_wrong -= t
    return s, sigma, log_wrong, beta_n


def glad_e_step(
    dataset: CrowdDataset, cell: np.ndarray, alphas: np.ndarray, log_betas: np.ndarray,
    log_priors: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Task posteriors and marginal log-likelihood under the current parameters.

    ``log p(answer | true k) = log(1 - sigma(s)) - log(K-1)`` for a wrong answer, plus
    ``s + log(K-1)`` when the answer is k (because ``log sigma(s) - log(1 - sigma(s)) = s``).
    """
    log_km1 = np.log(dataset.n_classes - 1)
    s, _, log_wrong, _ = glad_answer_terms(dataset, alphas, log_betas)
    return one_coin_posteriors(dataset.n_tasks, cell, log_wrong - log_km1, s + log_km1, log_priors)


def gaussian_log_prior(values: np.ndarray, mean: float, var: float) -> tuple[float, np.ndarray]:
    """Sum of Gaussian log-densities and its gradient."""
    diff = values - mean
    value = -0.5 * float((diff * diff).sum()) / var - 0.5 * values.size * np.log(2.0 * np.pi * var)
    return value, -diff / var


def glad_q_gradient(
    dataset: CrowdDataset, q: np.ndarray, x: np.ndarray, params: GLADParams,
) -> tuple[float, np.ndarray]:
    """Expected complete log-likelihood plus log priors (up to a constant) and its gradient.

    ``x`` is ``[alpha (n_workers), log beta (n_tasks)]``; ``q`` is, per answer, the posterior
    probability that the answer is correct. With ``s = alpha * beta``,
    ``Q = sum_n q_n s_n + log(1 - sigma(s_n)) + const``, ``dQ/ds_n = q_n - sigma(s_n)``,
    ``ds/dalpha = beta`` and ``ds/dlog beta = s``.
    """
    n_workers = dataset.n_workers
    alphas, log_betas = x[:n_workers], x[n_workers:]
    s, sigma, log_wrong, beta_n = glad_answer_terms(dataset, alphas, log_betas)
    # per-answer buffers are reused in place: this runs for every L-BFGS-B evaluation
    value = float(log_wrong.sum()) + float(np.multiply(q, s, out=log_wrong).sum())
    d_s = np.subtract(q, sigma, out=sigma)
    grad_alpha = np.bincount(dataset.workers, weights=np.multiply(d_s, beta_n, out=beta_n),
                             minlength=n_workers)
    grad_log_beta = np.add.reduceat(np.multiply(d_s, s, out=s), dataset.task_starts)
    prior_a, d_prior_a = gaussian_log_prior(alphas, params.alpha_prior_mean, params.alpha_prior_var)
    prior_b, d_prior_b = gaussian_log_prior(
        log_betas, params.log_beta_prior_mean, params.log_beta_prior_var)
    grad_alpha += d_prior_a
    grad_log_beta += d_prior_b
    return value + prior_a + prior_b, np.concatenate([grad_alpha, grad_log_beta])


def glad_curvature(
    dataset: CrowdDataset, x: np.ndarray, params: GLADParams,
) -> np.ndarray:
    """Gauss-Newton diagonal of ``-d2Q/dx2``: ``sum_n sigma (1 - sigma) (ds/dx)^2 + 1/var``.

    Used to rescale the variables so that L-BFGS-B sees a well-conditioned problem (tasks
    with 2 answers and workers with thousands have curvatures orders of magnitude apart).
    """
    n_workers = dataset.n_workers
    s, sigma, _, beta_n = glad_answer_terms(dataset, x[:n_workers], x[n_workers:])
    weight = sigma * (1.0 - sigma)
    h_alpha = np.bincount(dataset.workers, weights=weight * beta_n * beta_n, minlength=n_workers)
    h_log_beta = np.add.reduceat(weight * s * s, dataset.task_starts)
    h_alpha += 1.0 / params.alpha_prior_var
    h_log_beta += 1.0 / params.log_beta_prior_var
    return np.concatenate([h_alpha, h_log_beta])


def glad_m_step(
    dataset: CrowdDataset, q: np.ndarray, alphas: np.ndarray, log_betas: np.ndarray,
    params: GLADParams,
) -> tuple[np.ndarray, np.ndarray]:
    """A bounded number of L-BFGS-B iterations from the current ``alpha`` and ``log beta``.

    The optimiser works on ``z = x * sqrt(h)`` (``h``: :func:`glad_curvature` at the start),
    a diagonal preconditioning that leaves the optimum unchanged.
    """
    x0 = np.concatenate([alphas, log_betas])
    return preconditioned_lbfgs(
        lambda x: glad_q_gradient(dataset, q, x, params),
        glad_curvature(dataset, x0, params), x0, dataset.n_workers, params)


def preconditioned_lbfgs(
    value_and_gradient: Callable[[np.ndarray], tuple[float, np.ndarray]],
    curvature: np.ndarray, x0: np.ndarray, n_workers: int, params: GLADParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Maximise ``value_and_gradient`` from ``x0`` with L-BFGS-B on ``z = x * sqrt(curvature)``;
    returns ``alpha`` and the clipped ``log beta``. Any way of evaluating the objective
    (one pass, or a map-reduce over partitions) gives the same iterates."""
    scale = np.sqrt(curvature)

    def negative_q(z: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = value_and_gradient(z / scale)
        return -value, -grad / scale

    result = optimize.minimize(
        negative_q, x0 * scale, jac=True, method="L-BFGS-B",
        options={"maxiter": params.m_step_max_iter, "gtol": params.m_step_tol},
    )
    x = result.x / scale
    return x[:n_workers].copy(), np.clip(x[n_workers:], -LOG_BETA_BOUND, LOG_BETA_BOUND)


def class_priors(proba: np.ndarray) -> np.ndarray:
    """Mean posterior per class, smoothed so that no class gets probability 0."""
    counts = proba.sum(axis=0) + 1e-6
    return counts / counts.sum()


class GLAD(Aggregator[GLADParams]):
    """Generative model of Labels, Abilities and Difficulties (EM with a gradient M-step).

    Fitted attributes: ``proba_``; ``alphas_`` (ability per worker, in ``dataset.worker_ids``
    order; negative means adversarial); ``betas_`` (easiness ``1 / difficulty`` per task,
    > 0); ``priors_`` (class priors); ``history_`` (log-posterior objective: marginal
    log-likelihood plus the log Gaussian priors, per iteration); ``log_likelihood_``.
    """

    reference = (
        "Whitehill, Ruvolo, Wu, Bergsma, Movellan. Whose vote should count more: optimal "
        "integration of labels from labelers of unknown expertise. NeurIPS 2009"
    )
    outputs = (
        Output('alphas_', 'worker', ('n_workers',),
               'ability of each worker (negative: adversarial)', role='skill'),
        Output('betas_', 'task', ('n_tasks',),
               'easiness 1/difficulty of each task (> 0)'),
        Output('priors_', 'dataset', ('K',),
               'class priors'),
        Output('log_likelihood_', 'dataset', (),
               'log-posterior objective at the end of EM'),
    )
    tags = Tags(iterative=True, uses_gold=True, engines=("threads", "dask"))

    def _fit_partitioned(self, dataset: Any, gold: np.ndarray | None = None) -> None:
        """The same EM over the partitions of a cluster engine (map-reduced evaluations)."""
        from crowdkit_classic._confusion import _no_gold_on_partitions
        from crowdkit_classic._partitioned import fit_glad

        _no_gold_on_partitions(self.name, gold)
        fit_glad(self, dataset)

    def _fit(self, dataset: CrowdDataset, gold: np.ndarray | None = None) -> None:
        """EM; tasks with a ``gold`` class keep it (one-hot posteriors after every E-step,
        complete-data log-likelihood in the objective). With gold, EM starts from GoldMV's
        posteriors: the M-step takes a few gradient steps from alpha = prior mean, so GLAD
        keeps the sign pattern of its start and could not leave a majority that gold
        contradicts (adversaries in the majority); DS's exact M-step can, and starts from
        vote shares (a GoldMV start made DS less accurate on 5 of the 11 real datasets and
        more on 3, seed 0, 10% revealed)."""
        p = self.params
        k = dataset.n_classes
        cell = task_label_index(dataset)
        alphas = np.full(dataset.n_workers, p.alpha_prior_mean, dtype=np.float64)
        log_betas = np.full(dataset.n_tasks, p.log_beta_prior_mean, dtype=np.float64)
        priors = np.full(k, 1.0 / k)
        proba = gold_start(dataset, gold, initial_posteriors(dataset, p.init))
        self.converged_ = False
        previous = -np.inf
        if p.max_iter == 0:  # the initialisation only: the starting posteriors, scored
            scored, log_likelihood = glad_e_step(dataset, cell, alphas, log_betas, np.log(priors))
            log_likelihood += clamp_rows(scored, gold)
        for iteration in range(1, p.max_iter + 1):
            if p.learn_priors:
                priors = class_priors(proba)
            alphas, log_betas = glad_m_step(dataset, proba.ravel()[cell], alphas, log_betas, p)
            proba, log_likelihood = glad_e_step(dataset, cell, alphas, log_betas, np.log(priors))
            log_likelihood += clamp_rows(proba, gold)
            objective = glad_objective(log_likelihood, alphas, log_betas, p)
            self._report(iteration, objective)
            if has_converged(previous, objective, p.tol):
                self.converged_ = True
                break
            previous = objective
        self.proba_ = proba
        self._finish(dataset, alphas, log_betas, priors, log_likelihood)

    def _finish(self, dataset: Any, alphas: np.ndarray, log_betas: np.ndarray,
                priors: np.ndarray, log_likelihood: float) -> None:
        """The fitted attributes (but ``proba_``) and the convergence warning."""
        p = self.params
        if not self.converged_ and p.max_iter:
            self.warnings_.append(
                f"GLAD did not converge in {p.max_iter} iterations (tol={p.tol}); "
                "raise max_iter or tol")
        self.worker_ids_ = dataset.worker_ids
        self.alphas_ = alphas
        self.betas_ = np.exp(log_betas)
        self.priors_ = priors
        self.log_likelihood_ = log_likelihood


def glad_objective(log_likelihood: float, alphas: np.ndarray, log_betas: np.ndarray,
                   p: GLADParams) -> float:
    """The log-posterior EM reports: marginal log-likelihood plus the Gaussian log priors."""
    return log_likelihood + gaussian_log_prior(
        alphas, p.alpha_prior_mean, p.alpha_prior_var)[0] + gaussian_log_prior(
        log_betas, p.log_beta_prior_mean, p.log_beta_prior_var)[0]

