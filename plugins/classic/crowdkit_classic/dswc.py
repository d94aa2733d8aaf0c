"""DSWC: Dawid-Skene with worker clusters (Imamura, Sato & Sugiyama, ICML 2018).

Workers fall into L clusters and all workers of a cluster share one confusion matrix, so
workers with few answers borrow strength from similar workers. Inference is the paper's
mean-field variational EM: ``q(z_i) = theta_i`` over true classes, ``q(g_w) = phi_w`` over
clusters, point estimates of the class priors ``rho``, cluster priors ``tau`` and cluster
confusion matrices ``lambda``. Every statistic is a sparse product with the answer matrix,
summed over task blocks by the engine (:mod:`crowdkit_core.engine`), never a dense task x
worker array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field, model_validator
from scipy import special, stats

from crowdkit_core.aggregator import Aggregator, normalize_rows
from crowdkit_core.blocks import TaskBlock, task_blocks
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.engine import get_engine
from crowdkit_core.estimator import Output, Tags

from crowdkit_classic._confusion import (
    ConfusionStats, LogScores, ParallelEMParams, block_e_step, block_stats, column_sums,
    joined_rows, smoothed_distribution,
)
from crowdkit_classic._em import has_converged, initial_posteriors, softmax_log_joint
from crowdkit_classic._gold import clamp_rows, clamped


class DSWCParams(ParallelEMParams):
    """DSWC parameters: number of clusters, restarts, EM control and smoothing."""

    n_clusters: int = Field(
        2, ge=1,
        description="Number L of worker clusters, each with one confusion matrix (also "
                    "accepted as 'L', peerannot's name). Any value: it need not divide the "
                    "number of workers; clusters beyond the number of workers stay empty.",
    )
    n_restarts: int = Field(
        10, ge=0,
        description="Restarts from randomly perturbed vote shares (seeded) when a fit "
                    "collapses to one class for every task although majority vote uses "
                    "several (the paper's 'chance rate' case).",
    )

    @model_validator(mode="before")
    @classmethod
    def _accept_peerannot_name(cls, data: Any) -> Any:
        """Map peerannot's key ``L`` to ``n_clusters`` (``L`` wins when both are given)."""
        if isinstance(data, dict) and "L" in data:
            data = dict(data)
            data["n_clusters"] = data.pop("L")
        return data


class DSWC(Aggregator[DSWCParams]):
    """Worker-clustered Dawid-Skene, fitted by variational EM with chance-rate restarts.

    Fitted: ``proba_`` (theta), ``clusters_`` (most likely cluster of each worker),
    ``cluster_proba_`` (phi, n_workers x L), ``confusion_matrices_`` (L, K, K) with
    ``[l, true k, answered m]``, ``priors_`` (rho), ``cluster_priors_`` (tau), ``elbo_``,
    ``n_restarts_``, ``worker_ids_``. ``history_`` holds the objective of every iteration of
    every run (restarts included).
    """

    reference = (
        "Imamura, Sato & Sugiyama, Analysis of minimax error rate for crowdsourcing and its "
        "application to worker clustering model, ICML 2018 (PMLR 80:2147-2156)"
    )
    outputs = (
        Output('clusters_', 'worker', ('n_workers',),
               'most likely cluster of each worker'),
        Output('cluster_proba_', 'worker', ('n_workers', 'L'),
               'cluster membership probabilities of each worker'),
        Output('confusion_matrices_', 'dataset', ('L', 'K', 'K'),
               'confusion matrix of each cluster [cluster, true, answered]'),
        Output('worker_confusion_matrices_', 'worker', ('n_workers', 'K', 'K'),
               "each worker's expected confusion matrix: the clusters' matrices weighted by "
               "its membership probabilities", saved=False, role='confusion'),
        Output('priors_', 'dataset', ('K',),
               'class priors'),
        Output('cluster_priors_', 'dataset', ('L',),
               'share of workers in each cluster'),
        Output('elbo_', 'dataset', (),
               'evidence lower bound at the end'),
    )
    tags = Tags(iterative=True, uses_gold=True)

    def _fit(self, dataset: CrowdDataset, gold: np.ndarray | None = None) -> None:
        """Variational EM with restarts; tasks with a ``gold`` class keep it (q(z_i) one-hot)."""
        p = self.params
        start = initial_posteriors(dataset, p.init)
        several_classes = np.unique(start.argmax(axis=1)).size > 1
        self._iteration = 0
        for restart in range(p.n_restarts + 1):
            theta = start if restart == 0 else perturb(start, self.rng(restart))
            fit = self._variational_em(dataset, clamped(theta, gold), gold)
            if not (several_classes and collapsed(fit["proba_"])):
                break
        self.n_restarts_ = restart
        if restart and collapsed(fit["proba_"]) and several_classes:
            self.warnings_.append(
                f"DSWC: every run ({restart + 1}) collapsed to a single class; "
                "try another seed, more restarts or fewer clusters"
            )
        self.__dict__.update(fit)
        self.clusters_ = fit["cluster_proba_"].argmax(axis=1)
        self.worker_confusion_matrices_ = np.einsum(
            "jl,lkm->jkm", fit["cluster_proba_"], fit["confusion_matrices_"])
        self.worker_ids_ = dataset.worker_ids
        if p.n_clusters > dataset.n_workers:
            self.warnings_.append(
                f"DSWC: n_clusters={p.n_clusters} exceeds the {dataset.n_workers} workers; "
                f"at least {p.n_clusters - dataset.n_workers} clusters stay empty"
            )

    def _variational_em(self, dataset: CrowdDataset, theta: np.ndarray,
                        gold: np.ndarray | None = None) -> dict[str, Any]:
        """One run from task posteriors ``theta``; returns the fitted attributes.

        Each iteration is one fused pass of the engine over the task blocks (q(z) and its
        statistics, :func:`cluster_block`), then q(g) and the M-step from the sums.
        """
        p = self.params
        k, n_clusters, s = dataset.n_classes, p.n_clusters, p.smoothing
        engine = get_engine(n_jobs=p.n_jobs)
        blocks = task_blocks(dataset)
        single = len(blocks) == 1
        stats = engine.map_reduce(lambda b: (None, theta_stats(b, theta[b.rows])), blocks)[1]
        counts = stats.confusion_counts()
        phi = initial_clusters(smoothed_distribution(counts, s), n_clusters)
        members = phi.sum(axis=0)
        worker_pi = smoothed_distribution(counts, s).reshape(dataset.n_workers, k * k)
        pooled = worker_pi.mean(axis=0)
        lam = np.where(members[:, None] > 0, (phi.T @ worker_pi) / np.maximum(members, 1)[:, None],
                       pooled).reshape(n_clusters, k, k)
        rho = smoothed_distribution(stats.posterior_sums, s)
        tau = smoothed_distribution(members, s)
        if p.max_iter == 0:  # the initialisation only: the start and the M-step it gives
            counts = counts.reshape(dataset.n_workers, k * k)
            self.converged_ = False
            return {"proba_": theta.copy(), "cluster_proba_": phi, "confusion_matrices_": lam,
                    "priors_": rho, "cluster_priors_": tau,
                    "elbo_": elbo(stats, phi, counts, lam, rho, tau, s)}
        theta = np.empty_like(theta)  # the start stays intact for restarts
        parts = [theta[block.rows] for block in blocks]
        previous = -np.inf
        converged = False
        for _ in range(p.max_iter):
            log_lam = np.log(lam).reshape(n_clusters, k * k)
            # q(z): DS E-step with each worker's expected log confusion under q(g).
            worker_log_conf = (phi @ log_lam).reshape(dataset.n_workers, k, k)
            scores = LogScores.of(np.log(rho), worker_log_conf)
            parts, stats = engine.map_reduce(
                lambda item: cluster_block(*item, scores, single, gold), list(zip(blocks, parts)))
            # q(g): cluster responsibilities from the expected confusion counts.
            counts = stats.confusion_counts().reshape(dataset.n_workers, k * k)
            phi, _ = softmax_log_joint(counts @ log_lam.T + np.log(tau))
            # M-step: MAP estimates of lambda, rho, tau.
            lam = smoothed_distribution((phi.T @ counts).reshape(n_clusters, k, k), s)
            rho = smoothed_distribution(stats.class_totals, s)
            tau = smoothed_distribution(phi.sum(axis=0), s)
            objective = elbo(stats, phi, counts, lam, rho, tau, s)
            self._iteration += 1
            self._report(self._iteration, objective)
            if has_converged(previous, objective, p.tol):
                converged = True
                break
            previous = objective
        self.converged_ = converged
        return {"proba_": joined_rows(parts, theta), "cluster_proba_": phi,
                "confusion_matrices_": lam, "priors_": rho, "cluster_priors_": tau,
                "elbo_": objective}


@dataclass(frozen=True)
class ClusterStats(ConfusionStats):
    """Confusion statistics taken on the posteriors themselves, plus what the ELBO needs:
    their plain column sums and their summed entropy."""

    posterior_sums: np.ndarray
    entropy: float


def theta_stats(block: TaskBlock, theta: np.ndarray, class_totals: np.ndarray | None = None,
                log_total: float = 0.0) -> ClusterStats:
    """A block's statistics under its posteriors ``theta`` (rows, K)."""
    base = block_stats(block, theta, log_total)
    totals = base.class_totals if class_totals is None else class_totals
    return ClusterStats(base.counts, totals, log_total, theta.sum(axis=0),
                        float(special.entr(theta).sum()))


def cluster_block(
    block: TaskBlock, out: np.ndarray, scores: LogScores, single: bool,
    gold: np.ndarray | None = None,
) -> tuple[np.ndarray, ClusterStats]:
    """The fused pass over one block: q(z) (posteriors in ``out``), then their statistics;
    the block's ``gold`` tasks get a one-hot q(z) (zero entropy in the ELBO)."""
    shares, log_total = block_e_step(block, scores, out, single)
    class_totals = column_sums(shares) * scores.prior_ratio
    theta = np.multiply(shares, scores.prior_ratio, out=shares)
    if gold is not None:
        clamp_rows(theta, gold, block.start)
        class_totals = column_sums(theta)
    return theta, theta_stats(block, theta, class_totals, log_total)


def initial_clusters(worker_pi: np.ndarray, n_clusters: int) -> np.ndarray:
    """(n_workers, L) hard assignment: workers sorted by the nuclear norm of their confusion
    matrix (largest first) and cut into L consecutive groups of near-equal size, as in the
    authors' code. Tied norms share their average rank, hence a group, so the result does
    not depend on worker order.
    """
    n_workers = worker_pi.shape[0]
    norms = np.linalg.svd(worker_pi, compute_uv=False).sum(axis=1)
    rank = stats.rankdata(-np.round(norms, 10), method="average") - 1.0
    bounds = np.floor(n_workers * np.arange(n_clusters) / n_clusters)
    group = np.searchsorted(bounds, np.floor(rank), side="right") - 1
    phi = np.zeros((n_workers, n_clusters))
    phi[np.arange(n_workers), group] = 1.0
    return phi


def elbo(
    stats: ClusterStats, phi: np.ndarray, counts: np.ndarray, lam: np.ndarray, rho: np.ndarray,
    tau: np.ndarray, smoothing: float,
) -> float:
    """Evidence lower bound plus the log Dirichlet prior of the MAP M-step (monotone in EM).

    ``stats`` sum the posteriors' terms over tasks; ``counts`` is (n_workers, K*K): the
    expected confusion counts under the posteriors.
    """
    log_lam = np.log(lam).reshape(lam.shape[0], -1)
    value = float(np.sum(phi * (counts @ log_lam.T)))
    value += float(stats.posterior_sums @ np.log(rho)) + float(phi.sum(axis=0) @ np.log(tau))
    value += float(stats.entropy + special.entr(phi).sum())
    value += smoothing * float(log_lam.sum() + np.log(rho).sum() + np.log(tau).sum())
    return value


def collapsed(theta: np.ndarray) -> bool:
    """True when every task has the same most likely class."""
    return np.unique(theta.argmax(axis=1)).size == 1


def perturb(theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Vote shares plus N(0, 0.1) noise, clipped to [0, 1] and renormalised (authors' code)."""
    noisy = np.clip(theta + rng.normal(scale=0.1, size=theta.shape), 0.0, 1.0)
    return normalize_rows(noisy)
