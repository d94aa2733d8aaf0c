"""MACE: each worker either knows the answer or spams from a personal label distribution.

Hovy, Berg-Kirkpatrick, Vaswani and Hovy, "Learning whom to trust with MACE", NAACL 2013.

Worker ``j`` answers the true label with probability ``theta_j`` (competence) and otherwise
draws a label from its spamming strategy ``xi_j``: ``P(answer l | true k) = theta_j [l == k]
+ (1 - theta_j) xi_j[l]``. Trained by EM with smoothing or by variational Bayes (Beta prior on
``theta``, Dirichlet prior on ``xi``), from several random starts, keeping the best
log-likelihood. Every statistic is a per-answer array summed with ``np.bincount``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field
from scipy.special import digamma

from crowdkit_core.aggregator import Aggregator, normalize_rows
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.params import StrategyParams

from crowdkit_classic._em import has_converged, one_coin_posteriors, task_label_index

#: Floor of a probability before taking its log (only reached with ``smoothing=0``).
TINY = 1e-300


class MACEParams(StrategyParams):
    """MACE parameters; defaults are those of the reference implementation and crowd-kit."""

    method: Literal["vb", "em"] = Field(
        "vb", description="'vb': variational Bayes with Beta and Dirichlet priors (the "
                          "reference default); 'em': maximum likelihood EM with smoothing.")
    n_restarts: int = Field(
        10, ge=1, description="Random initialisations; the one with the best log-likelihood "
                              "is kept.")
    max_iter: int = Field(50, ge=1, description="Maximum EM iterations per restart.")
    tol: float = Field(
        1e-7, ge=0.0,
        description="Stop a restart when the log-likelihood changes by less than tol relative "
                    "to its magnitude (0: always run max_iter iterations, as the reference).")
    smoothing: float = Field(
        0.01, ge=0.0, description="EM only: smoothing / K is added to every expected count "
                                  "before normalising (the reference's 0.01 / K).")
    default_noise: float = Field(
        0.5, ge=0.0, description="Initial parameters are 1 + default_noise * U(0, 1), "
                                 "normalised; 0 starts every restart at the same point.")
    alpha: float = Field(
        0.5, gt=0.0, description="VB only: Beta prior pseudo-count of spamming (guessing).")
    beta: float = Field(
        0.5, gt=0.0, description="VB only: Beta prior pseudo-count of knowing the answer.")
    strategy_prior: float = Field(
        10.0, gt=0.0, description="VB only: symmetric Dirichlet pseudo-count of each label in "
                                  "a worker's spamming strategy.")


def mace_e_step(
    dataset: CrowdDataset, cell: np.ndarray, know: np.ndarray, guess: np.ndarray,
    strategies: np.ndarray,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Posteriors, log-likelihood and expected counts under the current parameters.

    ``know`` / ``guess``: (n_workers,) weights of knowing / spamming; ``strategies``:
    (n_workers, K). Returns ``(proba, log_likelihood, know_counts, strategy_counts)`` with
    ``know_counts`` (n_workers,) the expected answers given while knowing and
    ``strategy_counts`` (n_workers, K) the expected spammed answers of each label.
    """
    k = dataset.n_classes
    worker_label = dataset.worker_label_index
    spam_n = guess[dataset.workers] * strategies.ravel()[worker_label]
    know_n = know[dataset.workers]
    spam_n = np.maximum(spam_n, TINY)
    ratio_n = know_n / spam_n
    proba, log_likelihood = one_coin_posteriors(
        dataset, cell, np.log(spam_n), np.log1p(ratio_n), np.full(k, -np.log(k)))
    # P(knowing) for an answer = P(true label = answer) * know / (spam + know)
    knowing_n = proba.ravel()[cell] * (ratio_n / (1.0 + ratio_n))
    know_counts = np.bincount(dataset.workers, weights=knowing_n, minlength=dataset.n_workers)
    strategy_counts = np.bincount(
        worker_label, weights=1.0 - knowing_n, minlength=dataset.n_workers * k,
    ).reshape(dataset.n_workers, k)
    return proba, log_likelihood, know_counts, strategy_counts


def mace_m_step(
    params: MACEParams, n_answers: np.ndarray, know_counts: np.ndarray,
    strategy_counts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New ``(know, guess, strategies)`` from the expected counts.

    EM: smoothed relative frequencies. VB: ``exp(digamma(count + prior) - digamma(total))``,
    the geometric-mean weights of the variational posterior (they sum to less than 1).
    """
    guess_counts = np.maximum(n_answers - know_counts, 0.0)
    if params.method == "em":
        extra = params.smoothing / strategy_counts.shape[1]
        pair = normalize_rows(np.stack([know_counts, guess_counts], axis=1) + extra)
        return pair[:, 0].copy(), pair[:, 1].copy(), normalize_rows(strategy_counts + extra)
    know_post, guess_post = know_counts + params.beta, guess_counts + params.alpha
    log_total = digamma(know_post + guess_post)
    know = np.exp(digamma(know_post) - log_total)
    guess = np.exp(digamma(guess_post) - log_total)
    posterior = strategy_counts + params.strategy_prior
    strategies = np.exp(digamma(posterior) - digamma(posterior.sum(axis=1, keepdims=True)))
    return know, guess, strategies


class MACE(Aggregator[MACEParams]):
    """Multi-Annotator Competence Estimation (EM or variational Bayes, random restarts).

    Fitted attributes: ``proba_``; ``thetas_`` (n_workers,) competence, the probability of
    knowing the answer (posterior mean under VB); ``spamming_`` = ``1 - thetas_``;
    ``strategies_`` (n_workers, K) each worker's spamming distribution; ``log_likelihood_``
    of the kept restart; ``history_`` its log-likelihood per iteration;
    ``restart_log_likelihoods_`` the final log-likelihood of every restart.
    Note: crowd-kit names the (n_workers, 2) guess/know matrix ``spamming_`` and the
    strategy matrix ``thetas_``.
    """

    reference = (
        "Hovy, Berg-Kirkpatrick, Vaswani, Hovy. Learning whom to trust with MACE. NAACL-HLT 2013"
    )
    outputs = (
        Output('thetas_', 'worker', ('n_workers',),
               'competence: probability that the worker knows the answer'),
        Output('strategies_', 'worker', ('n_workers', 'K'),
               'spamming distribution of each worker over labels'),
        Output('spamming_', 'worker', ('n_workers',),
               '1 - competence', saved=False),
        Output('log_likelihood_', 'dataset', (),
               'log-likelihood of the kept restart'),
        Output('restart_log_likelihoods_', 'dataset', ('n_restarts',),
               'final log-likelihood of every restart'),
    )
    tags = Tags(iterative=True, xfail={
            "worker_rename_invariance": "random restarts draw each worker's starting point in "
                                        "worker-index order, so renaming workers changes the starts "
                                        "and, beyond 1e-6, the optimum reached (as in the reference "
                                        "algorithm); default_noise=0 is invariant",
        })

    def _fit(self, dataset: CrowdDataset) -> None:
        p = self.params
        cell = task_label_index(dataset)
        n_answers = dataset.answers_per_worker.astype(np.float64)
        best: dict[str, Any] = {}
        restart_lls = []
        step = 0
        for restart in range(p.n_restarts):
            know, guess, strategies = self._initial_parameters(dataset, restart)
            proba, ll, know_counts, strategy_counts = mace_e_step(
                dataset, cell, know, guess, strategies)
            history = []
            converged = False
            for _ in range(p.max_iter):
                know, guess, strategies = mace_m_step(p, n_answers, know_counts, strategy_counts)
                previous = ll
                proba, ll, know_counts, strategy_counts = mace_e_step(
                    dataset, cell, know, guess, strategies)
                history.append(ll)
                step += 1
                self._report(step, ll)
                if has_converged(previous, ll, p.tol):
                    converged = True
                    break
            restart_lls.append(ll)
            if restart == 0 or ll > best["log_likelihood"]:
                best = {"log_likelihood": ll, "proba": proba, "history": history,
                        "converged": converged, "restart": restart,
                        "counts": (know_counts, strategy_counts)}
        know_counts, strategy_counts = best["counts"]
        self.proba_ = best["proba"]
        self.worker_ids_ = dataset.worker_ids
        self.log_likelihood_ = best["log_likelihood"]
        self.history_ = best["history"]
        self.n_iter_ = len(best["history"])
        self.converged_ = best["converged"]
        if p.tol > 0 and not self.converged_:
            self.warnings_.append(
                f"MACE: the kept restart did not converge in {p.max_iter} iterations "
                f"(tol={p.tol}); raise max_iter for a more precise optimum")
        self.best_restart_ = best["restart"]
        self.restart_log_likelihoods_ = restart_lls
        self.thetas_, self.strategies_ = self._point_estimates(n_answers, know_counts,
                                                               strategy_counts)
        self.spamming_ = 1.0 - self.thetas_

    def _initial_parameters(
        self, dataset: CrowdDataset, restart: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reference initialisation: ``1 + noise * U(0, 1)``, rows normalised (seeded)."""
        rng = self.rng(restart + 1)
        noise = self.params.default_noise
        spam = 1.0 + noise * rng.random((dataset.n_workers, 2))
        spam /= spam.sum(axis=1, keepdims=True)
        strategies = 1.0 + noise * rng.random((dataset.n_workers, dataset.n_classes))
        strategies /= strategies.sum(axis=1, keepdims=True)
        return spam[:, 1].copy(), spam[:, 0].copy(), strategies

    def _point_estimates(
        self, n_answers: np.ndarray, know_counts: np.ndarray, strategy_counts: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Competence and strategies given the final posteriors (posterior means under VB)."""
        p = self.params
        k = strategy_counts.shape[1]
        if p.method == "em":
            a = b = c = p.smoothing / k
        else:
            a, b, c = p.alpha, p.beta, p.strategy_prior
        guess_counts = np.maximum(n_answers - know_counts, 0.0)
        pair = normalize_rows(np.stack([know_counts + b, guess_counts + a], axis=1))
        return pair[:, 0].copy(), normalize_rows(strategy_counts + c)
