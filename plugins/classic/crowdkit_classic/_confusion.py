"""Confusion-matrix EM shared by DS, OneCoinDS, WDS and DSWC.

Conventions: ``confusion[w, k, l]`` is the probability that worker ``w`` answers ``l`` when
the true class is ``k`` (rows sum to 1). Every statistic is a sparse product with the
dataset's answer matrix, so an E-step and an M-step are each a sum over task partitions:

* E-step: ``log p(answers of task i, true k) = log prior_k + (A @ log_pi_flat)[i, k]`` where
  ``A`` is :attr:`CrowdDataset.answer_matrix` (n_tasks, n_workers*K) and row ``w*K + l`` of
  ``log_pi_flat`` holds ``log confusion[w, :, l]``.
* M-step: ``A.T @ posteriors`` gives, for each (worker, answered label), the expected count
  of each true class, i.e. the expected confusion counts.

One iteration is a map-reduce (:mod:`crowdkit_core.engine`): each task block's E-step and
statistics in one fused pass (:func:`confusion_block`), the :class:`ConfusionStats` summed in
block order, then a pure M-step from the sums to the next :class:`ConfusionState`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
from pydantic import Field

from crowdkit_classic._crowdkit_fit import CrowdKitFit
from crowdkit_core.aggregator import Aggregator
from crowdkit_core.blocks import TaskBlock, matmul_into, task_blocks, transpose_matmul
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.engine import Statistics, get_engine
from crowdkit_core.estimator import Output, Tags
from crowdkit_core.gold import gold_rows

from crowdkit_classic._em import (
    EMParams, InitName, has_converged, initial_posteriors,
)
from crowdkit_classic._gold import clamped

if TYPE_CHECKING:
    from crowdkit_core.worker_file import WorkerInit, WorkerTable

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
        description="Threads for the fused E-step and statistics pass, which runs over "
                    "blocks of tasks (scikit-learn's convention: None or 1 means one, -1 all "
                    "cores). Only datasets of at least 131072 answers are cut into blocks, "
                    "by answer count whatever n_jobs, so results are the same, bit for bit, "
                    "for every value.",
    )


class ConfusionParams(ParallelEMParams):
    """Parameters of DS-type models: EM control, smoothing and the few-answers warning."""

    min_answers_warning: int | None = Field(
        None, ge=0,
        description="Warn (in warnings_) about workers with fewer answers than this; their "
                    "confusion matrices are poorly estimated. None means K (the number of "
                    "classes); 0 turns the warning off.",
    )


# -- state, statistics and the fused E-step + statistics pass over one block ---------------
@dataclass(frozen=True)
class ConfusionState:
    """Parameters of a DS-type model: class priors (K,) and confusion (n_workers, K, K).

    A fit leaves its final state in ``state_``; ``fit(data, init=state)`` starts EM from it
    instead of from vote shares (a warm start). ``counts`` (n_workers, K, K), when set, are
    the expected confusion counts ``[w, true k, answered l]`` of the fit's last E-step (its
    sufficient statistics, written to the workers file).
    """

    priors: np.ndarray
    confusion: np.ndarray
    counts: np.ndarray | None = None

    def with_confusion(self, known: np.ndarray, confusion: np.ndarray,
                       priors: np.ndarray | None) -> "ConfusionState":
        """This state with the ``known`` workers' confusion matrices (and the class priors,
        when given) replaced: a warm start's ``assign``."""
        merged = self.confusion.copy()
        merged[known] = confusion
        return ConfusionState(self.priors if priors is None else priors, merged)

    def check_fits(self, n_workers: int, n_classes: int) -> None:
        """Raise ValueError unless the shapes are (K,) and (n_workers, K, K)."""
        expected = ((n_classes,), (n_workers, n_classes, n_classes))
        if (np.shape(self.priors), np.shape(self.confusion)) != expected:
            raise ValueError(
                f"init: a state with priors of shape {np.shape(self.priors)} and confusion of "
                f"shape {np.shape(self.confusion)} does not fit this dataset of {n_workers} "
                f"workers and {n_classes} classes (expected {expected[0]} and {expected[1]})"
            )


@dataclass(frozen=True)
class ConfusionStats(Statistics):
    """Sums over tasks that an M-step needs, taken on E-step shares (see :class:`LogScores`).

    ``counts`` (n_workers*K, K): ``A.T @ shares``, row ``w*K + l``, column true class, the
    expected confusion counts; ``class_totals`` (K,): summed shares; ``log_total``: the sum
    of the tasks' ``log Z`` (the task-dependent part of the log-likelihood; 0 when the
    shares did not come from an E-step).
    """

    counts: np.ndarray
    class_totals: np.ndarray
    log_total: float

    def weighted(self, class_weights: np.ndarray) -> "ConfusionStats":
        """The statistics of ``shares * class_weights``: the weights scale the small sums."""
        return ConfusionStats(self.counts * class_weights, self.class_totals * class_weights,
                              self.log_total)

    def confusion_counts(self) -> np.ndarray:
        """(n_workers, K, K) view ``[w, true k, answered l]`` of ``counts``."""
        k = self.counts.shape[1]
        return self.counts.reshape(-1, k, k).transpose(0, 2, 1)


def block_stats(block: TaskBlock, shares: np.ndarray, log_total: float = 0.0) -> ConfusionStats:
    """A block's statistics under its (rows, K) ``shares``.

    ``A.T @ shares`` walks the block's rows in task order and scatters into a small
    (n_workers*K, K) output while the shares are still in cache; on one block it is exactly
    the whole-matrix product.
    """
    return ConfusionStats(transpose_matmul(block.matrix, shares), column_sums(shares), log_total)


def column_sums(matrix: np.ndarray) -> np.ndarray:
    """Sum over rows of a tall (n, K) array; 4x faster than ``sum(axis=0)`` and BLAS-free."""
    return np.einsum("ik->k", matrix)


def smoothed_distribution(counts: np.ndarray, smoothing: float) -> np.ndarray:
    """Normalise along the last axis after adding ``smoothing`` (floored at COUNT_FLOOR)."""
    counts = np.maximum(np.asarray(counts, dtype=np.float64) + smoothing, COUNT_FLOOR)
    return counts / counts.sum(axis=-1, keepdims=True)


def flat_log_confusion(log_confusion: np.ndarray) -> np.ndarray:
    """(n_workers*K, S) array whose row ``w*K + l`` is ``log confusion[w, :, l]``.

    ``log_confusion`` is (n_workers, S, K): S latent states (S = K for DS; EBCC's
    class-subtype pairs give S = K*M), K answered labels.
    """
    states = log_confusion.shape[1]
    return np.ascontiguousarray(log_confusion.transpose(0, 2, 1)).reshape(-1, states)


def labels_given(dataset: CrowdDataset) -> np.ndarray:
    """(n_workers, K) mask: did worker w ever answer label l (cached on the dataset)."""
    return dataset.cached("labels_given", lambda: (dataset.answers_per_column > 0).reshape(
        dataset.n_workers, dataset.n_classes))


#: Rows whose likelihood ratio to the reference class exceeds this are redone in log space.
RATIO_LIMIT = 1e300


@dataclass(frozen=True)
class LogScores:
    """An E-step's parameters, broadcast to every block: log ratios to a reference class.

    Scores are taken relative to a reference class ``r`` (the most probable a priori): the
    sparse product ``R = A @ relative`` (``relative`` = flat log confusion minus its column
    ``r``) gives each task's log likelihood ratio to ``r``, whose exponential needs no
    per-row maximum, because the reference entry is exactly 1 and the row total
    ``Z = exp(R) @ w`` (``w`` the prior ratios, ``w_r = 1``) is therefore at least 1. A
    block's E-step keeps ``shares = exp(R) / Z``: the posteriors are ``shares * w``, and
    the weights are applied to the small summed statistics instead of the (n_tasks, K)
    shares (:meth:`ConfusionStats.weighted`). The dropped reference terms come back in
    :meth:`log_likelihood` through one dot product with the per-column answer counts.
    """

    relative: np.ndarray
    log_prior_ratio: np.ndarray
    prior_ratio: np.ndarray
    reference_column: np.ndarray
    log_prior_reference: float

    @classmethod
    def of(cls, log_prior: np.ndarray, log_confusion: np.ndarray) -> "LogScores":
        """Scores from log priors (K,) and log confusion matrices (n_workers, K, K)."""
        ref = int(np.argmax(log_prior))
        flat = flat_log_confusion(log_confusion)
        ref_column = flat[:, ref].copy()
        with np.errstate(invalid="ignore"):  # -inf - -inf on labels never given: never read
            relative = flat - ref_column[:, None]
        log_prior_ratio = log_prior - log_prior[ref]
        return cls(relative, log_prior_ratio, np.exp(log_prior_ratio), ref_column,
                   log_prior[ref])

    @classmethod
    def of_state(cls, state: ConfusionState) -> "LogScores":
        """Scores of a model state (log 0 = -inf only on labels never given, never read)."""
        with np.errstate(divide="ignore"):
            return cls.of(np.log(state.priors), np.log(state.confusion))

    def log_likelihood(self, dataset: CrowdDataset, log_total: float) -> float:
        """``sum_i log p(answers of task i)`` from the summed ``log Z`` of every block."""
        counts = dataset.answers_per_column
        answered = counts > 0
        return float(dataset.n_tasks * self.log_prior_reference
                     + counts[answered] @ self.reference_column[answered] + log_total)


def block_e_step(
    block: TaskBlock, scores: LogScores, out: np.ndarray, single: bool = True,
) -> tuple[np.ndarray, float]:
    """A block's shares (written into its (rows, K) ``out``) and the sum of its ``log Z``.

    The rare rows whose ratios overflow are recomputed with a log-sum-exp. ``single`` says
    that the block is the whole dataset (see :func:`row_totals`).
    """
    ratios = matmul_into(block.matrix, scores.relative, out)
    with np.errstate(over="ignore", invalid="ignore"):
        np.exp(ratios, out=ratios)
        totals = row_totals(ratios, scores.prior_ratio, single)
        ratios /= totals[:, None]
    log_totals = np.log(totals)
    if not totals.max() < RATIO_LIMIT:  # one reduction in the common case (NaN fails it too)
        overflow = np.flatnonzero(~(totals < RATIO_LIMIT))
        exact = np.asarray(block.matrix[overflow] @ scores.relative)
        ratios[overflow], log_totals[overflow] = exact_shares(exact, scores.log_prior_ratio)
    return ratios, float(log_totals.sum())


def row_totals(ratios: np.ndarray, weights: np.ndarray, single: bool) -> np.ndarray:
    """``ratios @ weights`` for a narrow (rows, K) block.

    On the whole dataset (``single``) with BLAS; on a block of several, column by column
    (1.5x BLAS on a block in cache, 3x faster than einsum), because BLAS's own threads
    would fight the engine's. The choice depends on the data only, never on n_jobs.
    """
    if single:
        return np.dot(ratios, weights)
    totals = ratios[:, 0] * weights[0]
    for column in range(1, ratios.shape[1]):
        totals += ratios[:, column] * weights[column]
    return totals


def confusion_block(
    block: TaskBlock, out: np.ndarray, scores: LogScores, single: bool,
) -> tuple[np.ndarray, ConfusionStats]:
    """The fused pass over one block: E-step shares, then their statistics (unweighted)."""
    shares, log_total = block_e_step(block, scores, out, single)
    return shares, block_stats(block, shares, log_total)


@dataclass(frozen=True)
class GoldRows:
    """The known tasks of one block: their rows (relative to the block), gold classes and
    rows of the answer matrix, cut once per fit (not per iteration)."""

    rows: np.ndarray
    classes: np.ndarray
    matrix: object  # scipy.sparse.csr_matrix of the known rows

    @classmethod
    def of(cls, block: TaskBlock, gold: np.ndarray) -> "GoldRows":
        rows, classes = gold_rows(gold, block.start, block.stop)
        return cls(rows, classes, block.matrix[rows])


def gold_confusion_block(
    block: TaskBlock, out: np.ndarray, known: GoldRows, scores: LogScores, single: bool,
) -> tuple[np.ndarray, ConfusionStats]:
    """:func:`confusion_block` with the block's ``known`` tasks clamped to their gold class.

    A known task's share becomes ``1 / w_g`` at its class ``g`` (its posterior, the share
    times the prior ratio ``w``, is then one-hot) and its ``log Z`` becomes the complete-data
    ``R_g + log w_g``, from the exact log ratios of those few rows.
    """
    shares, log_total = block_e_step(block, scores, out, single)
    rows, classes = known.rows, known.classes
    if rows.size:
        exact = np.asarray(known.matrix @ scores.relative)
        _, log_z = exact_shares(exact, scores.log_prior_ratio)
        joint = exact[np.arange(rows.size), classes] + scores.log_prior_ratio[classes]
        log_total += float((joint - log_z).sum())
        shares[rows] = 0.0
        shares[rows, classes] = 1.0 / scores.prior_ratio[classes]
    return shares, block_stats(block, shares, log_total)


def joined_rows(parts: list[np.ndarray], buffer: np.ndarray) -> np.ndarray:
    """The (n_tasks, K) array of the blocks' outputs: ``buffer`` itself when they were
    written into its rows (local engines), else their concatenation."""
    if all(part.base is buffer or part is buffer for part in parts):
        return buffer
    return np.concatenate(parts)


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
CP = TypeVar("CP", bound=ConfusionParams)


class ConfusionEM(CrowdKitFit, Aggregator[CP], Generic[CP]):
    """EM for models where each worker has a confusion matrix (DS and its one-coin variant).

    Subclasses implement :meth:`_m_step`, a pure function of the summed statistics. Each
    iteration is one fused pass of the engine over the task blocks (E-step, then the
    block's statistics, see :func:`confusion_block`) and one M-step; the skeleton records
    the log-likelihood per iteration and stops on its relative change (``tol``).

    Fitted: ``proba_``, ``state_`` (the :class:`ConfusionState` of the last E-step),
    ``priors_`` (K,), ``confusion_matrices_`` (n_workers, K, K), ``log_likelihood_``,
    ``history_``, ``n_iter_``, ``converged_``, ``worker_ids_``.
    """

    Params = ConfusionParams
    outputs = (
        Output("confusion_matrices_", "worker", ("n_workers", "K", "K"),
               "confusion matrix of each worker [worker, true class, answered label]",
               role="confusion"),
        Output("priors_", "dataset", ("K",), "class priors"),
        Output("log_likelihood_", "dataset", (), "marginal log-likelihood at the end of EM"),
        Output("state_", "dataset", (), "model state (priors, confusion matrices) to warm-start "
                                        "a later fit: fit(data, init=state_)", saved=False),
    )
    tags = Tags(iterative=True, warm_start=True, uses_gold=True, engines=("threads", "dask"))

    def _m_step(self, stats: ConfusionStats, given: np.ndarray) -> ConfusionState:
        """The next state from the summed statistics of all tasks.

        ``given`` is the (n_workers, K) mask of labels each worker gave (:func:`labels_given`).
        """
        raise NotImplementedError

    def _fit_partitioned(self, dataset: Any, init: ConfusionState | None = None,
                         gold: np.ndarray | None = None) -> None:
        """The same EM over the partitions of a cluster engine (:mod:`._partitioned`)."""
        from crowdkit_classic._partitioned import fit_confusion

        _no_gold_on_partitions(self.name, gold)
        fit_confusion(self, dataset, init)

    def _scores(self, state: ConfusionState) -> LogScores:
        """The E-step's log parameters for ``state`` (Bayesian models use expected logs)."""
        return LogScores.of_state(state)

    def _objective(self, log_likelihood: float, state: ConfusionState) -> float:
        """The objective recorded and tested for convergence, from the E-step's
        ``sum_i log Z_i`` (the log-likelihood; a variational model subtracts its KL terms)."""
        return log_likelihood

    def _fit(self, dataset: CrowdDataset, init: "ConfusionState | WorkerInit | None" = None,
             gold: np.ndarray | None = None) -> None:
        """EM from vote shares, from the state ``init`` (a warm start), or from the workers
        of a :class:`~crowdkit_core.worker_file.WorkerInit` (see :mod:`crowdkit_classic._warm`);
        tasks with a ``gold`` class keep it (:func:`gold_confusion_block`), from the first
        M-step on."""
        from crowdkit_core.worker_file import WorkerInit

        p = self.params
        engine = get_engine(n_jobs=p.n_jobs)
        blocks = task_blocks(dataset)  # builds the answer matrix: vote counts then come from it
        single = len(blocks) == 1
        given = labels_given(dataset)
        extra = None
        if init is None or isinstance(init, WorkerInit):
            shares = clamped(initial_posteriors(dataset, p.init), gold)
            stats = engine.map_reduce(lambda b: (None, block_stats(b, shares[b.rows])), blocks)[1]
            plan = None
            if isinstance(init, WorkerInit):
                from crowdkit_classic._warm import warm_plan

                plan = warm_plan(init, self._workers_file_name(), dataset)
                extra = plan.extra
                self.n_known_workers_ = plan.n_known
            with_history = given if plan is None or plan.history_given is None else (
                given | plan.history_given)
            state = self._m_step(stats if extra is None else stats + extra, with_history)
            if plan is not None:
                state = plan.first_state(state)
                if plan.once:
                    extra = None
                elif extra is not None:  # prior: the history is added at every M-step
                    given = with_history
        else:
            init.check_fits(dataset.n_workers, dataset.n_classes)
            shares, state = np.empty((dataset.n_tasks, dataset.n_classes)), init
        known = [] if gold is None else [GoldRows.of(block, gold) for block in blocks]

        def e_step(state: ConfusionState, parts: list[np.ndarray]) -> tuple[Any, ...]:
            """One fused pass: the blocks' shares, the weighted statistics, the scores and
            the objective of ``state``."""
            scores = self._scores(state)
            if gold is None:
                parts, stats = engine.map_reduce(
                    lambda item: confusion_block(*item, scores, single), list(zip(blocks, parts)))
            else:
                parts, stats = engine.map_reduce(
                    lambda item: gold_confusion_block(*item, scores, single),
                    list(zip(blocks, parts, known)))
            stats = stats.weighted(scores.prior_ratio)
            objective = self._objective(scores.log_likelihood(dataset, stats.log_total), state)
            return parts, stats, scores, objective

        self.converged_ = False
        if p.max_iter == 0:  # the initialisation only (crowd-kit's n_iter=0)
            start = None if init is not None and not isinstance(init, WorkerInit) else shares.copy()
            parts, last, scores, log_likelihood = e_step(state, [shares[b.rows] for b in blocks])
            shares = joined_rows(parts, shares)
            if start is None:  # a given state: its E-step posteriors are the start
                self.proba_, stats = np.multiply(shares, scores.prior_ratio, out=shares), last
            else:  # the starting posteriors, scored under the state their M-step gave
                self.proba_ = start
        else:
            parts = [shares[block.rows] for block in blocks]
            previous = -np.inf
            for iteration in range(1, p.max_iter + 1):
                if iteration > 1:
                    state = self._m_step(stats if extra is None else stats + extra, given)
                parts, stats, scores, log_likelihood = e_step(state, parts)
                self._report(iteration, log_likelihood)
                if has_converged(previous, log_likelihood, p.tol):
                    self.converged_ = True
                    break
                previous = log_likelihood
            shares = joined_rows(parts, shares)
            self.proba_ = np.multiply(shares, scores.prior_ratio, out=shares)
        final = stats if extra is None else stats + extra
        self.state_ = dataclasses.replace(state, counts=final.confusion_counts().copy())
        self.priors_ = state.priors
        self.confusion_matrices_ = state.confusion
        self.log_likelihood_ = log_likelihood
        self.worker_ids_ = dataset.worker_ids
        self.warnings_ += few_answers_warning(dataset, p.min_answers_warning, self.name)
        if not self.converged_ and p.max_iter:
            self.warnings_ += not_converged_warning(self.name, p.max_iter, self.history_, p.tol)

    def partial_fit(self, batch: object, *, revisit: float = 1.0) -> "ConfusionEM[CP]":
        """Add a batch of answers (new tasks, new workers, more answers to known tasks) and
        update the estimates by incremental EM over the batch's tasks only (see
        :mod:`crowdkit_classic._incremental`); the first call fits the batch. Returns self.

        ``proba_`` / ``labels_`` then cover every task seen so far (ids in ``task_ids_``);
        a later :meth:`fit` starts afresh and forgets the batches. ``revisit``: earlier
        tasks re-estimated per batch task (round-robin), so early tasks catch up.
        """
        import time

        from crowdkit_classic._incremental import partial_fit

        start = time.perf_counter()
        partial_fit(self, batch, revisit)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The incremental store (after :meth:`partial_fit`) as plain arrays: the state file."""
        return self.store_.to_arrays()

    def resume(self, arrays: dict[str, np.ndarray], source: str = "state") -> "ConfusionEM[CP]":
        """Continue from a state file's arrays (:meth:`state_arrays`); returns self."""
        from crowdkit_classic._incremental import resume

        self._reset_fitted()
        resume(self, arrays, source)
        return self

    def state_dataset(self, name: str = "dataset") -> CrowdDataset:
        """Every answer added by :meth:`partial_fit`, indexed like ``proba_``."""
        from crowdkit_classic._incremental import store_dataset

        return store_dataset(self.store_, name)

    def _workers_file_name(self) -> str:
        """The strategy name a workers file must carry to start this model."""
        return self.name

    def export_workers(self, dataset: CrowdDataset) -> "WorkerTable":
        """Each worker's confusion matrix and expected counts, keyed by worker id, and the
        class priors: the workers file (``fit(data, init=WorkerInit(table))`` reads it)."""
        from crowdkit_classic._warm import export_confusion_workers

        return export_confusion_workers(self.name, self.params, dataset, self.state_)


def _no_gold_on_partitions(name: str, gold: np.ndarray | None) -> None:
    """Gold labels are not sent to cluster partitions yet: refuse them in one line."""
    if gold is not None:
        from crowdkit_core.errors import EngineError

        raise EngineError(f"{name}: gold labels are not supported on the dask engine yet; "
                          "fit with the local engine to use them")
