"""EBCC: Bayesian classifier combination with latent subtypes that correlate workers.

Li, Rubinstein and Cohn, "Exploiting worker correlation for label aggregation in
crowdsourcing", ICML 2019. Each task has a true class ``k`` and a subtype ``m`` within it;
each worker has a confusion row per (class, subtype). Tasks of one subtype draw the same
rows from every worker, so workers agree (or err together) more than a per-class confusion
matrix allows. Fitted by mean-field variational Bayes from several seeded random starts,
keeping the one with the best ELBO.

The class-subtype pairs are ``S = K*M`` latent states, so an E-step is DS's sparse product
of the answer matrix with an (n_workers*K, S) table of expected log confusions, and the
M-step statistics are DS's ``A.T @ posteriors`` (:mod:`crowdkit_classic._confusion`): cost
O(answers x K x M) per iteration, fused per task block by the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

import numpy as np
from pydantic import Field, PositiveFloat

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.blocks import TaskBlock, block_count, task_blocks
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.engine import Engine, get_engine, resolve_n_jobs
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.params import StrategyParams

from crowdkit_classic._confusion import (
    ConfusionStats, LogScores, block_stats, confusion_block, joined_rows,
)
from crowdkit_classic._dirichlet import DirichletPosterior, dirichlet_posterior
from crowdkit_classic._em import vote_shares


#: Empirical class-prior pseudo-count of a class that no answer gives.
EMPTY_CLASS_PRIOR = 1e-3


class EBCCParams(StrategyParams):
    """EBCC parameters; defaults are those of the authors' code and experiments."""

    n_subtypes: int = Field(
        10, ge=1, description="Subtypes per class (M). 1 gives IBCC (no worker correlation).")
    subtype_prior: float = Field(
        0.1, gt=0.0, description="Total Dirichlet pseudo-count of each class's subtype "
                                 "weights, spread evenly (a_pi / M per subtype).")
    class_prior: Union[PositiveFloat, Literal["empirical"]] = Field(
        "empirical",
        description="Dirichlet pseudo-count of each class in the class prior: a number > 0, or "
                    "'empirical': each class's total vote share over the tasks (the authors' "
                    "experiments), 0.001 for a class no answer gives.")
    confusion_prior_diagonal: float = Field(
        4.0, gt=0.0, description="Dirichlet pseudo-count of the correct answer in every "
                                 "confusion row (a_v).")
    confusion_prior_off_diagonal: float = Field(
        1.0, gt=0.0, description="Dirichlet pseudo-count of each wrong answer in every "
                                 "confusion row (b_v).")
    n_restarts: int = Field(
        40, ge=1, description="Seeded random starts; the one with the highest final ELBO "
                              "is kept.")
    max_iter: int = Field(500, ge=0, description="Maximum VB iterations per restart; 0 keeps "
                                                 "the initialisation (vote shares).")
    tol: float = Field(
        1e-3, ge=0.0,
        description="Stop a restart when no task's class posterior moves by more than tol "
                    "between two iterations (the authors' rule).")
    n_jobs: int | None = Field(
        1, description="Threads (scikit-learn's convention: None or 1 means one, -1 all "
                       "cores): restarts run side by side, and large datasets' blocks too. "
                       "Results are the same, bit for bit, for every value.")


@dataclass(frozen=True)
class EBCCPrior:
    """Dirichlet prior pseudo-counts: ``classes`` (K,), ``subtypes`` (one per subtype) and
    ``confusion`` (K, K), row = true class, column = answered label."""

    classes: np.ndarray
    subtypes: float
    confusion: np.ndarray

    @classmethod
    def of(cls, params: EBCCParams, dataset: CrowdDataset) -> "EBCCPrior":
        k = dataset.n_classes
        if params.class_prior == "empirical":
            # A class nobody answered keeps a tiny pseudo-count (a zero one has no density).
            classes = np.maximum(np.einsum("ik->k", vote_shares(dataset)), EMPTY_CLASS_PRIOR)
        else:
            classes = np.full(k, float(params.class_prior))
        confusion = np.full((k, k), params.confusion_prior_off_diagonal)
        np.fill_diagonal(confusion, params.confusion_prior_diagonal)
        return cls(classes, params.subtype_prior / params.n_subtypes, confusion)


@dataclass(frozen=True)
class EBCCPosterior:
    """The variational posteriors of the parameters, all Dirichlet: class prior ``classes``
    (K,), subtype weights ``subtypes`` (K, M) and confusion rows ``confusion``
    (n_workers, K, M, K); ``kl`` is their summed KL divergence to the prior."""

    classes: DirichletPosterior
    subtypes: DirichletPosterior
    confusion: DirichletPosterior

    @property
    def kl(self) -> float:
        return self.classes.kl + self.subtypes.kl + self.confusion.kl

    def scores(self) -> LogScores:
        """The E-step's parameters over the K*M class-subtype states (state ``k*M + m``)."""
        log_confusion = self.confusion.expected_log
        n_workers, k, m, _ = log_confusion.shape
        log_prior = (self.classes.expected_log[:, None] + self.subtypes.expected_log).ravel()
        return LogScores.of(log_prior, log_confusion.reshape(n_workers, k * m, k))


def ebcc_posterior(stats: ConfusionStats, prior: EBCCPrior, n_subtypes: int) -> EBCCPosterior:
    """The parameters' variational update from the summed statistics (a pure function).

    ``stats.counts`` (n_workers*K, K*M), row ``w*K + l`` and column ``k*M + m``, is the
    expected number of times worker ``w`` answered ``l`` on tasks of class ``k`` and
    subtype ``m``; ``stats.class_totals`` (K*M,) the expected number of such tasks.
    """
    k, m = prior.classes.shape[0], n_subtypes
    per_state = stats.class_totals.reshape(k, m)
    counts = stats.counts.reshape(-1, k, k, m).transpose(0, 2, 3, 1)  # [w, k, m, l]
    return EBCCPosterior(
        dirichlet_posterior(prior.classes, per_state.sum(axis=1)),
        dirichlet_posterior(np.full(m, prior.subtypes), per_state),
        dirichlet_posterior(prior.confusion[None, :, None, :], np.ascontiguousarray(counts)),
    )


@dataclass(frozen=True)
class Restart:
    """One random start run to convergence: its ELBO trace, final posteriors (state shares
    ``proba`` (n_tasks, K*M)) and parameter posteriors."""

    elbo: float
    history: list[float]
    converged: bool
    proba: np.ndarray
    posterior: EBCCPosterior


def initial_state_proba(class_shares: np.ndarray, n_subtypes: int,
                        rng: np.random.Generator) -> np.ndarray:
    """(n_tasks, K*M) starting posteriors: each class's vote share split over its subtypes
    by a Dirichlet(1, ..., 1) draw per task and class (the authors' initialisation)."""
    n, k = class_shares.shape
    split = rng.standard_exponential((n, k, n_subtypes))
    split /= split.sum(axis=-1, keepdims=True)
    split *= class_shares[:, :, None]
    return split.reshape(n, k * n_subtypes)


def class_proba(state_proba: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_tasks, K) class posteriors: state posteriors summed over subtypes."""
    n = state_proba.shape[0]
    return state_proba.reshape(n, n_classes, -1).sum(axis=-1)


class EBCC(Aggregator[EBCCParams]):
    """Enhanced Bayesian classifier combination (mean-field VB, best of seeded restarts).

    Fitted: ``proba_`` (class posteriors), ``labels_``; ``subtype_proba_`` (n_tasks, K, M);
    ``confusion_matrices_`` (n_workers, K, K) posterior-mean confusion of each worker with
    subtypes averaged by their weights; ``subtype_confusion_`` (n_workers, K, M, K);
    ``priors_`` (K,); ``subtype_weights_`` (K, M); ``elbo_``, ``history_`` (the kept
    restart's ELBO per iteration), ``restart_elbos_``, ``best_restart_``.
    """

    reference = (
        "Li, Rubinstein & Cohn, Exploiting worker correlation for label aggregation in "
        "crowdsourcing, ICML 2019 (PMLR 97:3886-3895)"
    )
    outputs = (
        Output("subtype_proba_", "task", ("n_tasks", "K", "M"),
               "posterior of each (class, subtype) pair of each task", saved=False),
        Output("confusion_matrices_", "worker", ("n_workers", "K", "K"),
               "posterior-mean confusion matrix of each worker, subtypes averaged by their "
               "weights [worker, true class, answered label]", role="confusion"),
        Output("subtype_confusion_", "worker", ("n_workers", "K", "M", "K"),
               "posterior-mean confusion row of each worker per (true class, subtype)",
               saved=False),
        Output("priors_", "dataset", ("K",), "posterior-mean class priors"),
        Output("subtype_weights_", "dataset", ("K", "M"),
               "posterior-mean subtype weights within each class"),
        Output("elbo_", "dataset", (), "evidence lower bound of the kept restart"),
        Output("restart_elbos_", "dataset", ("n_restarts",), "final ELBO of every restart"),
        Output("best_restart_", "dataset", (), "index of the kept restart"),
    )
    tags = Tags(iterative=True, engines=("threads",))

    def _fit(self, dataset: CrowdDataset) -> None:
        p = self.params
        k, m = dataset.n_classes, p.n_subtypes
        prior = EBCCPrior.of(p, dataset)
        blocks = task_blocks(dataset, block_count(dataset.n_answers, dataset.n_workers * k * k * m))
        shares = vote_shares(dataset)
        n_threads = resolve_n_jobs(p.n_jobs)
        # Threads run restarts side by side; a restart runs its blocks on the threads left.
        side_by_side = max(1, min(n_threads, p.n_restarts))
        inner = get_engine(n_jobs=max(1, n_threads // side_by_side))
        outer = get_engine(n_jobs=side_by_side)
        best: Restart | None = None
        elbos: list[float] = []
        step = 0
        for first in range(0, p.n_restarts, side_by_side):
            batch = range(first, min(first + side_by_side, p.n_restarts))
            runs = outer.map_blocks(
                lambda r: self._restart(dataset, blocks, inner, shares, prior, r), list(batch))
            for index, run in zip(batch, runs):
                for elbo in run.history:
                    step += 1
                    self._report(step, elbo)
                elbos.append(run.elbo)
                if best is None or run.elbo > best.elbo:
                    best, self.best_restart_ = run, index
        assert best is not None
        self.history_ = list(best.history)
        self.n_iter_ = len(best.history)
        self.converged_ = best.converged
        self.elbo_ = best.elbo
        self.restart_elbos_ = elbos
        self.subtype_proba_ = best.proba.reshape(dataset.n_tasks, k, m)
        self.proba_ = class_proba(best.proba, k)
        post = best.posterior
        weights = post.subtypes.mean()
        self.subtype_confusion_ = post.confusion.mean()
        self.confusion_matrices_ = np.einsum("wkml,km->wkl", self.subtype_confusion_, weights)
        self.priors_ = post.classes.mean()
        self.subtype_weights_ = weights
        self.worker_ids_ = dataset.worker_ids
        if not self.converged_ and p.max_iter:
            self.warnings_.append(
                f"{self.name}: the kept restart did not converge in max_iter={p.max_iter} "
                f"iterations (tol={p.tol:g}); raise max_iter to go on")

    def _restart(self, dataset: CrowdDataset, blocks: list[TaskBlock], engine: Engine,
                 shares: np.ndarray, prior: EBCCPrior, restart: int) -> Restart:
        """Coordinate ascent from one seeded start: parameters from the task posteriors, then
        task posteriors from the parameters, and the ELBO, until the class posteriors settle.

        The ELBO after each task update is ``sum_i log Z_i - KL(q(params) || prior)``
        (``Z_i`` the normaliser of task i's update), which coordinate ascent never lowers.
        """
        p = self.params
        k, m = dataset.n_classes, p.n_subtypes
        state = initial_state_proba(shares, m, self.rng(restart + 1))
        stats = get_engine().map_reduce(lambda b: (None, block_stats(b, state[b.rows])), blocks)[1]
        buffer = np.empty_like(state)
        parts = [buffer[b.rows] for b in blocks]
        single = len(blocks) == 1
        previous = class_proba(state, k)
        history: list[float] = []
        converged = False
        if p.max_iter == 0:  # the initialisation only: its posteriors, scored under their M-step
            posterior = ebcc_posterior(stats, prior, m)
            scores = posterior.scores()
            scored = engine.map_reduce(
                lambda item: confusion_block(*item, scores, single), list(zip(blocks, parts)))[1]
            elbo = scores.log_likelihood(dataset, scored.log_total) - posterior.kl
            return Restart(elbo, history, converged, state, posterior)
        for _ in range(p.max_iter):
            posterior = ebcc_posterior(stats, prior, m)
            scores = posterior.scores()
            parts, stats = engine.map_reduce(
                lambda item: confusion_block(*item, scores, single), list(zip(blocks, parts)))
            stats = stats.weighted(scores.prior_ratio)
            history.append(scores.log_likelihood(dataset, stats.log_total) - posterior.kl)
            state = joined_rows(parts, buffer) * scores.prior_ratio
            current = class_proba(state, k)
            if np.abs(current - previous).max() <= p.tol:
                converged = True
                break
            previous = current
        return Restart(history[-1], history, converged, state, posterior)
