"""MACE: each worker either knows the answer or spams from a personal label distribution.

Hovy, Berg-Kirkpatrick, Vaswani and Hovy, "Learning whom to trust with MACE", NAACL 2013.

Worker ``j`` answers the true label with probability ``theta_j`` (competence) and otherwise
draws a label from its spamming strategy ``xi_j``: ``P(answer l | true k) = theta_j [l == k]
+ (1 - theta_j) xi_j[l]``. Trained by EM with smoothing or by variational Bayes (Beta prior on
``theta``, Dirichlet prior on ``xi``), from several random starts, keeping the best
log-likelihood. Every statistic is a per-answer array summed with ``np.bincount``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field
from scipy.special import digamma

from crowdkit_core.aggregator import Aggregator, normalize_rows
from crowdkit_core.blocks import AnswerBlock, answer_blocks
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.engine import Engine, Statistics, get_engine
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.params import StrategyParams

from crowdkit_classic._em import has_converged, one_coin_posteriors
from crowdkit_classic._gold import clamp_rows

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
    max_iter: int = Field(50, ge=0, description="Maximum EM iterations per restart; 0 keeps "
                                                "each restart's random initialisation.")
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
    n_jobs: int | None = Field(
        1, description="Threads for the E-step, which runs over blocks of tasks "
                       "(scikit-learn's convention: None or 1 means one, -1 all cores). Only "
                       "datasets of at least 131072 answers are cut into blocks; results are "
                       "the same, bit for bit, for every value.")
    strategy_prior: float = Field(
        10.0, gt=0.0, description="VB only: symmetric Dirichlet pseudo-count of each label in "
                                  "a worker's spamming strategy.")


@dataclass(frozen=True)
class MACEStats(Statistics):
    """Expected counts of some tasks' answers: ``know_counts`` (n_workers,) answers given
    while knowing, ``strategy_counts`` (n_workers, K) spammed answers of each label, and
    their log-likelihood. Sums over tasks, so blocks' statistics add up."""

    know_counts: np.ndarray
    strategy_counts: np.ndarray
    log_likelihood: float


def mace_block(
    dataset: CrowdDataset, block: AnswerBlock, know: np.ndarray, guess: np.ndarray,
    strategies: np.ndarray, gold: np.ndarray | None = None,
) -> tuple[np.ndarray, MACEStats]:
    """One block's posteriors and statistics under the current parameters (the E-step).

    ``know`` / ``guess``: (n_workers,) weights of knowing / spamming; ``strategies``:
    (n_workers, K). Only the block's answers are read. Tasks with a ``gold`` class keep it:
    one-hot posteriors, complete-data log-likelihood.
    """
    k = dataset.n_classes
    answers = block.answers
    workers = dataset.workers[answers]
    worker_label = dataset.worker_label_index[answers]
    cell = (dataset.tasks[answers] - block.start) * k + dataset.labels[answers]
    spam_n = np.maximum(guess[workers] * strategies.ravel()[worker_label], TINY)
    ratio_n = know[workers] / spam_n
    proba, log_likelihood = one_coin_posteriors(
        block.stop - block.start, cell, np.log(spam_n), np.log1p(ratio_n), np.full(k, -np.log(k)))
    log_likelihood += clamp_rows(proba, gold, block.start)
    # P(knowing) for an answer = P(true label = answer) * know / (spam + know)
    knowing_n = proba.ravel()[cell] * (ratio_n / (1.0 + ratio_n))
    know_counts = np.bincount(workers, weights=knowing_n, minlength=dataset.n_workers)
    strategy_counts = np.bincount(
        worker_label, weights=1.0 - knowing_n, minlength=dataset.n_workers * k,
    ).reshape(dataset.n_workers, k)
    return proba, MACEStats(know_counts, strategy_counts, log_likelihood)


def mace_e_step(
    dataset: CrowdDataset, know: np.ndarray, guess: np.ndarray, strategies: np.ndarray,
    engine: Engine | None = None, gold: np.ndarray | None = None,
) -> tuple[np.ndarray, MACEStats]:
    """(n_tasks, K) posteriors and the summed statistics: :func:`mace_block` mapped over the
    dataset's answer blocks by ``engine`` (one thread by default)."""
    blocks = answer_blocks(dataset)
    parts, stats = get_engine(engine).map_reduce(
        lambda block: mace_block(dataset, block, know, guess, strategies, gold), blocks)
    return (parts[0] if len(parts) == 1 else np.concatenate(parts)), stats


def mace_m_step(
    params: MACEParams, n_answers: np.ndarray, know_counts: np.ndarray,
    strategy_counts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New ``(know, guess, strategies)`` from the summed expected counts (a pure function).

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
               'competence: probability that the worker knows the answer', role='skill'),
        Output('strategies_', 'worker', ('n_workers', 'K'),
               'spamming distribution of each worker over labels'),
        Output('spamming_', 'worker', ('n_workers',),
               '1 - competence', saved=False),
        Output('log_likelihood_', 'dataset', (),
               'log-likelihood of the kept restart'),
        Output('restart_log_likelihoods_', 'dataset', ('n_restarts',),
               'final log-likelihood of every restart'),
    )
    tags = Tags(iterative=True, uses_gold=True, engines=("threads",), xfail={
            "worker_rename_invariance": "random restarts draw each worker's starting point in "
                                        "worker-index order, so renaming workers changes the starts "
                                        "and, beyond 1e-6, the optimum reached (as in the reference "
                                        "algorithm); default_noise=0 is invariant",
        })

    def _fit(self, dataset: CrowdDataset, gold: np.ndarray | None = None) -> None:
        """EM or VB from every restart, keeping the best; ``gold`` tasks keep their class."""
        p = self.params
        engine = get_engine(n_jobs=p.n_jobs)
        n_answers = dataset.answers_per_worker.astype(np.float64)
        best: dict[str, Any] = {}
        restart_lls = []
        step = 0
        for restart in range(p.n_restarts):
            know, guess, strategies = self._initial_parameters(dataset, restart)
            proba, stats = mace_e_step(dataset, know, guess, strategies, engine, gold)
            history = []
            converged = False
            for _ in range(p.max_iter):
                know, guess, strategies = mace_m_step(p, n_answers, stats.know_counts,
                                                      stats.strategy_counts)
                previous = stats.log_likelihood
                proba, stats = mace_e_step(dataset, know, guess, strategies, engine, gold)
                history.append(stats.log_likelihood)
                step += 1
                self._report(step, stats.log_likelihood)
                if has_converged(previous, stats.log_likelihood, p.tol):
                    converged = True
                    break
            ll = stats.log_likelihood
            restart_lls.append(ll)
            if restart == 0 or ll > best["log_likelihood"]:
                best = {"log_likelihood": ll, "proba": proba, "history": history,
                        "converged": converged, "restart": restart,
                        "counts": (stats.know_counts, stats.strategy_counts)}
        know_counts, strategy_counts = best["counts"]
        self.proba_ = best["proba"]
        self.worker_ids_ = dataset.worker_ids
        self.log_likelihood_ = best["log_likelihood"]
        self.history_ = best["history"]
        self.n_iter_ = len(best["history"])
        self.converged_ = best["converged"]
        if p.tol > 0 and p.max_iter and not self.converged_:
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
