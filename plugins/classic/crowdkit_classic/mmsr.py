"""M-MSR: worker reliabilities by robust rank-one completion of the worker covariance.

Ma & Olshevsky (UAI 2020 / arXiv:2010.12181). Under the one-coin model a worker answers
correctly with probability p_j and otherwise uniformly among the K-1 wrong classes; with
``s_j = (K p_j - 1) / (K - 1)`` the rescaled agreement rate of two workers has expectation
``s_i s_j``. M-MSR recovers ``s`` from the observed (co-answered) pairs by alternating
trimmed-mean updates that discard extreme ratios, so a few adversarial workers cannot drag it.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import eigsh

from crowdkit_core.aggregator import Aggregator, softmax_rows
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.params import StrategyParams

from crowdkit_classic._weighted_vote import vote_labels, weighted_scores


class MMSRParams(StrategyParams):
    """Iteration cap and tolerance of the M-MSR iteration (crowd-kit's defaults)."""

    max_iter: int = Field(10000, ge=0, description="Maximum number of M-MSR iterations; 0 "
                                                   "keeps the random initialisation.")
    tol: float = Field(
        1e-10, ge=0.0,
        description="Stop when the Frobenius norm of the change of the rank-one estimate "
                    "u v^T between two iterations is below tol.")


def worker_covariance(dataset: CrowdDataset) -> tuple[np.ndarray, np.ndarray]:
    """(C, common): the rescaled agreement matrix and the number of co-answered tasks.

    ``C_ij = K/(K-1) * agree_ij / common_ij - 1/(K-1)`` for worker pairs with a common task
    (0 elsewhere and on the diagonal). Built from two sparse products over the answers: a
    (workers x tasks) presence matrix and a (workers x tasks*K) answer matrix; only the
    workers x workers results are dense.
    """
    k, n_workers = dataset.n_classes, dataset.n_workers
    ones = np.ones(dataset.n_answers)
    shape_t = (n_workers, dataset.n_tasks)
    presence = sparse.csr_matrix((ones, (dataset.workers, dataset.tasks)), shape=shape_t)
    answered = sparse.csr_matrix(
        (ones, (dataset.workers, dataset.tasks * k + dataset.labels)),
        shape=(n_workers, dataset.n_tasks * k))
    for matrix in (presence, answered):
        matrix.sum_duplicates()
        matrix.data[:] = 1.0  # a repeated answer counts once
    common = (presence @ presence.T).toarray()
    agree = np.minimum((answered @ answered.T).toarray(), common)
    np.fill_diagonal(common, 0.0)
    rate = np.divide(agree, common, out=np.zeros_like(agree), where=common > 0)
    cov = np.where(common > 0, (k * rate - 1.0) / (k - 1.0), 0.0)
    return cov, common


def trimmed_means(
    ratios: np.ndarray, observed: np.ndarray, current: np.ndarray, n_trim: int,
    count: np.ndarray | None = None,
) -> np.ndarray:
    """Per row, the mean of the observed ratios after M-MSR's extreme-value filtering.

    Relative to the row's current value ``a``: drop the ``n_trim`` smallest ratios, or every
    ratio below ``a`` if fewer than ``n_trim`` are; likewise for the largest. A row with
    nothing kept keeps its current value. ``ratios`` must be >= 0 and 0 where unobserved; it
    is overwritten. ``count`` (observed entries per row) may be passed when known.
    """
    n = observed.shape[1]
    count = np.count_nonzero(observed, axis=1) if count is None else count
    total = ratios.sum(axis=1)
    removed = np.zeros(count.shape, dtype=np.int64)
    if n_trim > 0:
        # partitions run in place (each row keeps its values, not their order): the ratios
        # are consumed, and ``filled`` (inf where unobserved) serves the rare rows below
        filled = np.where(observed, ratios, np.inf)
        filled.partition(n_trim - 1, axis=1)
        low = filled[:, :n_trim]
        # unobserved ratios are 0 and observed ones >= 0, so the top n_trim are observed ones
        ratios.partition(n - n_trim, axis=1)
        high = ratios[:, n - n_trim:]
        # at least n_trim values lie below a exactly when the n_trim-th smallest does
        for is_low, side in ((True, low), (False, high)):
            cut = side.max(axis=1) < current if is_low else side.min(axis=1) > current
            total -= np.where(cut, side.sum(axis=1), 0.0)
            removed += np.where(cut, n_trim, 0)
            rows = np.flatnonzero(~cut)
            if rows.size:  # fewer than n_trim beyond a: drop all of them
                values, a = filled[rows], current[rows, None]
                beyond = values < a if is_low else (values > a) & np.isfinite(values)
                total[rows] -= np.where(beyond, values, 0.0).sum(axis=1)
                removed[rows] += np.count_nonzero(beyond, axis=1)
    kept = count - removed
    return np.divide(total, kept, out=current.astype(np.float64).copy(), where=kept > 0)


def sign_determination(cov: np.ndarray, common: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Signs of the reliabilities ``s`` given their magnitudes ``|s|``.

    ``C_ij`` estimates ``s_i s_j`` with a standard error of order ``1 / sqrt(n_ij)`` (``n_ij``
    common tasks), so the signs are the two-colouring that best agrees with the matrix
    ``B_ij = |s_i| sqrt(n_ij) C_ij |s_j|`` (confident pairs of informative workers count
    most): the signs of its leading eigenvector, in each connected group of workers. Each
    group's global sign makes most of its workers better than chance. Workers without an
    informative pair get 0.
    """
    weighted = np.sqrt(common) * cov * magnitude[:, None] * magnitude[None, :]
    signs = np.zeros(cov.shape[0])
    informative = np.flatnonzero(np.abs(weighted).sum(axis=1) > 0)
    if informative.size == 0:
        return signs
    block = weighted[np.ix_(informative, informative)]
    n_groups, group = connected_components(sparse.csr_matrix(block != 0), directed=False)
    for g in range(n_groups):
        inside = np.flatnonzero(group == g)
        vector = _leading_vector(block[np.ix_(inside, inside)])
        vector = np.where(vector < 0, -1.0, 1.0)
        signs[informative[inside]] = -vector if vector.sum() < 0 else vector
    return signs


def _leading_vector(matrix: np.ndarray) -> np.ndarray:
    """Eigenvector of the largest eigenvalue of a symmetric matrix (deterministic start)."""
    if matrix.shape[0] <= 64:
        return np.linalg.eigh(matrix)[1][:, -1]
    return eigsh(matrix, k=1, which="LA", v0=np.ones(matrix.shape[0]))[1][:, 0]


class MMSR(Aggregator[MMSRParams]):
    """Worker reliabilities from M-MSR, then a log-odds weighted vote.

    ``X = |C|`` on observed worker pairs is completed as a rank-one ``u v^T``: each iteration
    replaces ``v_j`` by the trimmed mean of ``X_ij / u_i`` over the pairs observed in column
    j (and then ``u_i`` likewise from ``X_ij / v_j``), discarding ``F = floor(d/2) - 1``
    extreme ratios on each side, ``d`` being the fewest co-workers any worker has. Then
    ``|s| = u / sqrt(|u| / |v|)``, signs come from :func:`sign_determination`, ``s`` is
    clipped to ``[-1/(K-1) + 1/sqrt(n_tasks), 1 - 1/sqrt(n_tasks)]``, ``p = s (K-1)/K + 1/K``
    and the weight of worker j is ``log((K-1) p_j / (1 - p_j))``.

    Fitted attributes: ``skills_`` (n_workers,) those log-odds weights; ``reliability_`` the
    estimated ``s``; ``accuracy_`` the implied ``p``; ``proba_`` the softmax of the weighted
    scores (the one-coin posterior with a uniform prior); ``labels_`` its argmax.
    """

    reference = ("Ma & Olshevsky, 'Adversarial crowdsourcing through robust rank-one matrix "
                 "completion', NeurIPS 2020 (arXiv:2010.12181); crowd-kit MMSR")
    outputs = (
        Output('skills_', 'worker', ('n_workers',),
               'log-odds weight of each worker'),
        Output('reliability_', 'worker', ('n_workers',),
               'estimated reliability s_j'),
        Output('accuracy_', 'worker', ('n_workers',),
               'implied accuracy p_j', role='skill'),
    )
    tags = Tags(iterative=True)

    def _fit(self, dataset: CrowdDataset) -> None:
        k, n_tasks = dataset.n_classes, dataset.n_tasks
        cov, common = worker_covariance(dataset)
        self.reliability_ = self._reliability(cov, common, n_tasks, k)
        accuracy = self.reliability_ * (k - 1) / k + 1.0 / k
        self.accuracy_ = accuracy
        self.skills_ = np.log((k - 1) * accuracy / (1.0 - accuracy))
        scores = weighted_scores(dataset, self.skills_)
        self.proba_ = softmax_rows(scores)
        self.labels_ = vote_labels(scores, self.params.ties, self.rng(2))

    def _reliability(self, cov: np.ndarray, common: np.ndarray, n_tasks: int, k: int) -> np.ndarray:
        """M-MSR iterations on ``|C|``, then scale, signs and clipping: the estimate of s."""
        n = cov.shape[0]
        observed = common > 0
        degree = observed.sum(axis=0)
        connected = degree > 0
        sparsity = int(degree[connected].min()) if connected.any() else 0
        n_trim = max(sparsity // 2 - 1, 0)
        floor = 1.0 / np.sqrt(n_tasks)
        x = np.abs(cov)
        rng = self.rng(1)
        u = rng.uniform(size=n)
        v = rng.uniform(size=n)
        self.converged_ = False
        for iteration in range(1, self.params.max_iter + 1):
            u_prev, v_prev = u, v
            # X is symmetric: column j of X / u is row j of X / u[None, :]
            v = trimmed_means(x / u[None, :], observed, v, n_trim, degree)
            v = np.where(v > 0, v, floor)
            u = trimmed_means(x / v[None, :], observed, u, n_trim, degree)
            u = np.where(u > 0, u, floor)
            # When no rank-one matrix fits the observed entries (e.g. an observed 0 between
            # two workers who agree with a third), u and v drift apart geometrically on the
            # unobserved entries; bounding them keeps every number finite (the final s is
            # clipped to a narrow range anyway) without touching iterations that converge.
            u, v = np.clip(u, _BOUND_LOW, _BOUND_HIGH), np.clip(v, _BOUND_LOW, _BOUND_HIGH)
            change = _rank_one_change(u, v, u_prev, v_prev)
            self._report(iteration, change)
            if change < self.params.tol:
                self.converged_ = True
                break
        # isolated workers keep their random start: leave them out of the scale (their s is 0)
        norm_u, norm_v = np.linalg.norm(u[connected]), np.linalg.norm(v[connected])
        magnitude = u / np.sqrt(norm_u / norm_v) if norm_u > 0 and norm_v > 0 else u
        s = sign_determination(cov, common, magnitude) * magnitude
        s = np.minimum(s, 1.0 - floor)
        return np.maximum(s, -1.0 / (k - 1) + floor)


_BOUND_LOW, _BOUND_HIGH = 1e-50, 1e50


def _rank_one_change(u: np.ndarray, v: np.ndarray, u_prev: np.ndarray, v_prev: np.ndarray) -> float:
    """``||u v^T - u' v'^T||_F`` without forming either matrix.

    Written as ``(u - u') v^T + u' (v - v')^T`` so that small changes are not lost to
    cancellation between the two (large) norms.
    """
    du, dv = u - u_prev, v - v_prev
    square = (du @ du) * (v @ v) + (u_prev @ u_prev) * (dv @ dv) + 2.0 * (du @ u_prev) * (v @ dv)
    return float(np.sqrt(max(square, 0.0)))
