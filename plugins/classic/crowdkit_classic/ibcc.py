"""IBCC: Dawid-Skene with Dirichlet priors, fitted by mean-field variational Bayes.

Kim and Ghahramani, "Bayesian classifier combination", AISTATS 2012. Each confusion row and
the class prior get a Dirichlet prior; the variational posterior over them is Dirichlet too,
and the E-step is DS's with the expected logarithms ``E[log pi] = digamma(a) -
digamma(sum a)`` in place of ``log pi``. Workers with few answers keep a confusion matrix
near the prior instead of an overfitted one. Same fused sparse pass as DS
(:mod:`crowdkit_classic._confusion`); only the M-step, the log parameters and the objective
(the evidence lower bound) differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Any

import numpy as np
from pydantic import Field
from scipy.special import digamma, gammaln

from crowdkit_core.estimator import Output

from crowdkit_core.dataset import CrowdDataset

from crowdkit_classic._confusion import (
    ConfusionEM, ConfusionParams, ConfusionState, ConfusionStats, LogScores,
)
from crowdkit_classic._em import EMParams, InitName

_SHARED = ConfusionParams.model_fields


class IBCCParams(EMParams):
    """IBCC parameters: VB control (those of DS but ``smoothing``, which the priors replace),
    the Dirichlet priors and the few-answers warning."""

    init: InitName = _SHARED["init"]
    n_jobs: int | None = _SHARED["n_jobs"]
    min_answers_warning: int | None = _SHARED["min_answers_warning"]

    alpha_diag: float = Field(
        4.0, gt=0.0,
        description="Dirichlet pseudo-count on the diagonal of every worker's confusion rows "
                    "(the prior belief that a worker gives the true class).",
    )
    alpha_off: float = Field(
        1.0, gt=0.0,
        description="Dirichlet pseudo-count on each off-diagonal cell of every confusion row.",
    )
    nu: float = Field(
        1.0, gt=0.0, description="Dirichlet pseudo-count of each class in the class-prior prior.",
    )


@dataclass(frozen=True)
class DirichletState(ConfusionState):
    """A variational posterior: Dirichlet parameters (``prior_counts`` (K,), ``confusion_counts``
    (n_workers, K, K)) and their means in ``priors`` and ``confusion``."""

    prior_counts: np.ndarray = None  # type: ignore[assignment]
    confusion_counts: np.ndarray = None  # type: ignore[assignment]

    @classmethod
    def of(cls, prior_counts: np.ndarray, confusion_counts: np.ndarray) -> "DirichletState":
        """The state of the posterior Dirichlet parameters, with their means."""
        return cls(priors=prior_counts / prior_counts.sum(),
                   confusion=confusion_counts / confusion_counts.sum(axis=-1, keepdims=True),
                   prior_counts=prior_counts, confusion_counts=confusion_counts)


    def with_confusion(self, known: np.ndarray, confusion: np.ndarray,
                       priors: np.ndarray | None) -> "DirichletState":
        """A warm start's ``assign`` for a posterior: the known workers' Dirichlet rows get
        the given means, keeping each row's concentration (its weight of evidence); given
        priors likewise rescale the class counts."""
        counts = self.confusion_counts.copy()
        counts[known] = confusion * counts[known].sum(axis=-1, keepdims=True)
        prior_counts = self.prior_counts if priors is None else priors * self.prior_counts.sum()
        return DirichletState.of(prior_counts, counts)


def dirichlet_prior(n_classes: int, diag: float, off: float) -> np.ndarray:
    """(K, K) pseudo-counts: ``diag`` on the diagonal, ``off`` elsewhere."""
    return np.full((n_classes, n_classes), off) + np.eye(n_classes) * (diag - off)


def expected_log(counts: np.ndarray) -> np.ndarray:
    """``E[log p]`` under Dirichlet(``counts``) along the last axis."""
    return digamma(counts) - digamma(counts.sum(axis=-1, keepdims=True))


def dirichlet_kl(posterior: np.ndarray, prior: np.ndarray) -> float:
    """Sum over the rows (last axis) of KL(Dirichlet(posterior) || Dirichlet(prior))."""
    total = posterior.sum(axis=-1)
    kl = (gammaln(total) - gammaln(prior.sum(axis=-1))
          - (gammaln(posterior) - gammaln(prior)).sum(axis=-1)
          + ((posterior - prior) * expected_log(posterior)).sum(axis=-1))
    return float(np.sum(kl))


class IBCC(ConfusionEM[IBCCParams]):  # type: ignore[type-var]
    """IBCC: ``pi_w[k, :] ~ Dirichlet(alpha_k)``, ``rho ~ Dirichlet(nu)``, DS likelihood.

    VB M-step (the variational posteriors, from the E-step's expected counts)::

        a_w[k, l] = alpha[k, l] + sum_i T_ik n_iwl        (alpha: alpha_diag / alpha_off)
        b_k       = nu + sum_i T_ik

    VB E-step: ``T_ik ∝ exp(E[log rho_k] + sum_w sum_l n_iwl E[log pi_w[k, l]])`` with
    ``E[log x_j] = digamma(a_j) - digamma(sum a)``. The objective is the evidence lower bound
    ``sum_i log Z_i - KL(q(pi) || p(pi)) - KL(q(rho) || p(rho))``, which never decreases.
    """

    reference = (
        "Kim & Ghahramani, Bayesian classifier combination, AISTATS 2012 (JMLR W&CP 22)"
    )
    outputs = (
        Output("confusion_matrices_", "worker", ("n_workers", "K", "K"),
               "posterior mean confusion matrix of each worker [worker, true class, answered "
               "label]", role="confusion"),
        Output("priors_", "dataset", ("K",), "posterior mean class priors"),
        Output("confusion_counts_", "worker", ("n_workers", "K", "K"),
               "Dirichlet parameters of each confusion row's posterior (prior plus expected "
               "counts)"),
        Output("log_likelihood_", "dataset", (),
               "evidence lower bound (ELBO) on the marginal log-likelihood at the end"),
    )

    def _prior(self, n_classes: int) -> np.ndarray:
        return dirichlet_prior(n_classes, self.params.alpha_diag, self.params.alpha_off)

    def _m_step(self, stats: ConfusionStats, given: np.ndarray) -> DirichletState:
        k = stats.class_totals.shape[0]
        return DirichletState.of(stats.class_totals + self.params.nu,
                                 stats.confusion_counts() + self._prior(k))

    def _scores(self, state: ConfusionState) -> LogScores:
        assert isinstance(state, DirichletState)
        return LogScores.of(expected_log(state.prior_counts), expected_log(state.confusion_counts))

    def _objective(self, log_likelihood: float, state: ConfusionState) -> float:
        assert isinstance(state, DirichletState)
        k = state.prior_counts.shape[0]
        return (log_likelihood
                - dirichlet_kl(state.confusion_counts, self._prior(k))
                - dirichlet_kl(state.prior_counts, np.full(k, self.params.nu)))

    def _fit(self, dataset: CrowdDataset, init: Any = None, gold: np.ndarray | None = None) -> None:
        """VB from vote shares, a state, a workers file or a DS point estimate (turned into a
        posterior); gold tasks keep their class as in DS."""
        if isinstance(init, ConfusionState) and not isinstance(init, DirichletState):
            init.check_fits(dataset.n_workers, dataset.n_classes)
            init = self._posterior_of(init, dataset)
        super()._fit(dataset, init, gold)
        self.confusion_counts_ = self.state_.confusion_counts

    def _posterior_of(self, state: ConfusionState, dataset: CrowdDataset) -> DirichletState:
        """A point estimate (e.g. DS's ``state_``) as a posterior: the prior plus the counts it
        expects, each worker's answers spread over true classes by the class priors."""
        k = dataset.n_classes
        per_row = dataset.answers_per_worker[:, None, None] * state.priors[None, :, None]
        return DirichletState.of(self.params.nu + dataset.n_tasks * state.priors,
                                 self._prior(k) + per_row * state.confusion)
