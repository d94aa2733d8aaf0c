"""Incremental aggregation for the confusion-matrix EM (DS, OneCoinDS): ``partial_fit``.

The model keeps the sufficient statistics of everything seen: the expected confusion counts
``N[w*K + l, k] = sum_i T_ik n_iwl`` and class totals ``sum_i T_ik`` over all tasks, each
task's posterior ``T_i`` and the answers themselves. A batch touches a set ``B`` of tasks
(new ones, and known ones that get more answers). ``partial_fit`` is Neal & Hinton's
incremental EM restricted to ``B``:

1. remove the contributions of the known tasks of ``B`` from the sums (their old posteriors
   times their old answers): ``N_rest = N - sum_{i in B} T_i^old n_i``;
2. iterate on ``B`` alone, starting as a cold fit does (the M-step on ``N_rest`` plus the
   statistics of ``B``'s vote shares, so that a poor early state does not lock ``B`` into
   its optimum): E-step ``T_i ∝ rho_k prod pi_w[k, l]^n_iwl`` for ``i in B``
   (with all their answers, old and new), M-step from ``N_rest + sum_{i in B} T_i n_i``;
3. store the new sums and posteriors.

Tasks outside ``B`` keep their posteriors, which is where the result differs from a refit
on all answers (docs/warm-start.md measures by how much). Each iteration costs
O(answers of B x K + n_workers x K^2), never O(history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from crowdkit_core.aggregator import labels_from_proba
from crowdkit_core.blocks import TaskBlock
from crowdkit_core.dataset import CrowdDataset, as_dataset
from crowdkit_core.errors import DatasetError
from crowdkit_core.worker_file import label_names_of

from crowdkit_classic._confusion import ConfusionState, ConfusionStats, block_e_step, block_stats
from crowdkit_classic._em import has_converged


class Growing:
    """A numpy array that grows along its first axis in amortised O(appended) time."""

    def __init__(self, values: np.ndarray) -> None:
        values = np.asarray(values)
        self._data = values.copy()
        self.size = len(values)

    @property
    def view(self) -> np.ndarray:
        return self._data[:self.size]

    def append(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=self._data.dtype)
        need = self.size + len(values)
        if need > len(self._data):
            grown = np.empty((max(need, 2 * len(self._data), 16), *self._data.shape[1:]),
                             dtype=self._data.dtype)
            grown[:self.size] = self._data[:self.size]
            self._data = grown
        self._data[self.size:need] = values
        self.size = need


class IdIndex:
    """Original ids (as text) to codes, growing as batches bring new ones."""

    def __init__(self, ids: Any) -> None:
        self.ids: list[str] = [str(i) for i in ids]
        self.codes = {i: c for c, i in enumerate(self.ids)}
        if len(self.codes) != len(self.ids):
            raise DatasetError("state: duplicate ids; the state file is corrupt, rebuild it")

    def encode(self, ids: Any) -> tuple[np.ndarray, int]:
        """Codes of ``ids`` (new ones appended); also how many ids there were before."""
        before = len(self.ids)
        out = np.empty(len(ids), dtype=np.int64)
        for n, raw in enumerate(ids):
            key = str(raw)
            code = self.codes.get(key)
            if code is None:
                code = self.codes[key] = len(self.ids)
                self.ids.append(key)
            out[n] = code
        return out, before


@dataclass
class OnlineStore:
    """Everything ``partial_fit`` keeps between batches (see the module docstring)."""

    label_names: tuple[str, ...]
    tasks: IdIndex
    workers: IdIndex
    answer_tasks: Growing
    answer_workers: Growing
    answer_labels: Growing
    posteriors: Growing  # (n_tasks, K)
    labels: Growing  # (n_tasks,)
    counts: Growing  # (n_workers * K, K)
    columns: Growing  # (n_workers * K,) answers per (worker, label)
    class_totals: np.ndarray
    n_batches: int = 1
    cursor: int = 0  # next earlier task to revisit

    @property
    def k(self) -> int:
        return len(self.label_names)

    @classmethod
    def from_fit(cls, model: Any, data: CrowdDataset) -> "OnlineStore":
        """The store of a full fit on ``data`` (the first batch)."""
        counts = model.state_.counts  # (W, K, K) [w, k, l] of the last E-step
        flat = np.ascontiguousarray(counts.transpose(0, 2, 1)).reshape(-1, data.n_classes)
        return cls(
            label_names_of(data), IdIndex(data.task_ids), IdIndex(data.worker_ids),
            Growing(data.tasks), Growing(data.workers), Growing(data.labels),
            Growing(model.proba_), Growing(model.labels_), Growing(flat),
            Growing(np.asarray(data.answers_per_column, dtype=np.float64)),
            model.proba_.sum(axis=0))

    # -- (de)serialisation: plain arrays, for the state file ------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "label_names": np.array(self.label_names, dtype=str),
            "task_ids": np.array(self.tasks.ids, dtype=str),
            "worker_ids": np.array(self.workers.ids, dtype=str),
            "answer_tasks": self.answer_tasks.view, "answer_workers": self.answer_workers.view,
            "answer_labels": self.answer_labels.view, "posteriors": self.posteriors.view,
            "labels": self.labels.view, "counts": self.counts.view, "columns": self.columns.view,
            "class_totals": self.class_totals, "n_batches": np.array(self.n_batches),
            "cursor": np.array(self.cursor),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], source: str) -> "OnlineStore":
        """A store from :meth:`to_arrays`' arrays; shapes checked (a one-line error)."""
        try:
            store = cls(
                tuple(str(n) for n in arrays["label_names"]), IdIndex(arrays["task_ids"]),
                IdIndex(arrays["worker_ids"]), Growing(arrays["answer_tasks"]),
                Growing(arrays["answer_workers"]), Growing(arrays["answer_labels"]),
                Growing(arrays["posteriors"]), Growing(arrays["labels"]),
                Growing(arrays["counts"]), Growing(arrays["columns"]),
                np.asarray(arrays["class_totals"], dtype=np.float64), int(arrays["n_batches"]),
                int(arrays["cursor"]))
        except KeyError as exc:
            raise DatasetError(f"{source}: state lacks {exc.args[0]!r}; the file is corrupt or "
                               "from another strategy, rebuild it") from None
        n_t, n_w, k = len(store.tasks.ids), len(store.workers.ids), store.k
        shapes = {"posteriors": (store.posteriors.view.shape, (n_t, k)),
                  "labels": (store.labels.view.shape, (n_t,)),
                  "counts": (store.counts.view.shape, (n_w * k, k)),
                  "columns": (store.columns.view.shape, (n_w * k,)),
                  "class_totals": (store.class_totals.shape, (k,))}
        for name, (got, want) in shapes.items():
            if got != want:
                raise DatasetError(f"{source}: state {name} has shape {got}, expected {want}; "
                                   "the file is corrupt, rebuild it")
        return store

    # -- one batch -------------------------------------------------------------------------
    def encode_batch(self, batch: CrowdDataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
        """The batch's answers as state codes (tasks, workers, labels), and the numbers of
        tasks and workers known before it. New ids are added; an unknown label is an error."""
        names = label_names_of(batch)
        index = {n: i for i, n in enumerate(self.label_names)}
        missing = [n for n in names if n not in index]
        if missing:
            raise DatasetError(f"{batch.source or batch.name}: label {missing[0]!r} is not in the "
                               f"state's label set {list(self.label_names)}; a state only takes "
                               "batches with the same labels")
        label_map = np.array([index[n] for n in names], dtype=np.int64)
        task_codes, n_tasks = self.tasks.encode(batch.task_ids)
        worker_codes, n_workers = self.workers.encode(batch.worker_ids)
        new_workers = len(self.workers.ids) - n_workers
        if new_workers:
            self.counts.append(np.zeros((new_workers * self.k, self.k)))
            self.columns.append(np.zeros(new_workers * self.k))
        return (task_codes[batch.tasks], worker_codes[batch.workers], label_map[batch.labels],
                n_tasks, n_workers)


def partial_fit(model: Any, data: Any, revisit: float = 1.0) -> None:
    """Add the batch ``data`` to ``model``'s online store and update its estimates.

    ``revisit``: besides the batch's tasks, re-estimate this many earlier tasks per batch
    task (round-robin over the history), so that early tasks benefit from later worker
    estimates; 0 touches the batch's tasks only.
    """
    from crowdkit_classic._partitioned import needs_iterations

    needs_iterations(model, "incremental updates (partial_fit)")
    batch = as_dataset(data)
    store: OnlineStore | None = model.__dict__.get("store_")
    if store is None:
        model.fit(batch)
        store = OnlineStore.from_fit(model, batch)
        model.store_ = store
        _publish(model, store, model.state_)
        return
    p = model.params
    tasks, workers, labels, n_old_tasks, _ = store.encode_batch(batch)
    k = store.k
    touched = np.unique(tasks)
    n_revisit = min(int(round(revisit * touched.size)), n_old_tasks)
    if n_revisit:
        again = (store.cursor + np.arange(n_revisit)) % n_old_tasks
        store.cursor = int((store.cursor + n_revisit) % n_old_tasks)
        touched = np.union1d(touched, again)
    known = touched[touched < n_old_tasks]
    rest_counts = store.counts.view.copy()
    rest_totals = store.class_totals.copy()
    if known.size:  # take the known tasks' old contributions out of the sums
        mask = np.zeros(n_old_tasks, dtype=bool)
        mask[known] = True
        old = np.flatnonzero(mask[store.answer_tasks.view])
        old_t, old_w, old_l = (store.answer_tasks.view[old], store.answer_workers.view[old],
                               store.answer_labels.view[old])
        np.subtract.at(rest_counts, old_w * k + old_l, store.posteriors.view[old_t])
        rest_totals -= store.posteriors.view[known].sum(axis=0)
        tasks, workers, labels = (np.concatenate([old_t, tasks]), np.concatenate([old_w, workers]),
                                  np.concatenate([old_l, labels]))
    np.add.at(store.columns.view, workers[-batch.n_answers:] * k + labels[-batch.n_answers:], 1.0)
    local = np.searchsorted(touched, tasks)
    n_workers = len(store.workers.ids)
    matrix = sparse.csr_matrix((np.ones(len(local)), (local, workers * k + labels)),
                               shape=(touched.size, n_workers * k))
    block = TaskBlock(0, touched.size, matrix)
    given = (store.columns.view > 0).reshape(n_workers, k)
    rest = ConfusionStats(rest_counts, rest_totals, 0.0)
    column_counts = np.asarray(matrix.sum(axis=0)).ravel()
    votes = np.asarray(matrix @ np.tile(np.eye(k), (n_workers, 1)))
    start = votes / votes.sum(axis=1, keepdims=True)
    state = model._m_step(rest + block_stats(block, start), given)
    previous = -np.inf
    model.history_, model.converged_, model.n_iter_, model.warnings_ = [], False, 0, []
    out = np.empty((touched.size, k))
    for iteration in range(1, p.max_iter + 1):
        if iteration > 1:
            state = model._m_step(rest + stats, given)
        scores = model._scores(state)
        shares, log_total = block_e_step(block, scores, out)
        stats = block_stats(block, shares, log_total).weighted(scores.prior_ratio)
        answered = column_counts > 0
        log_likelihood = float(touched.size * scores.log_prior_reference
                               + column_counts[answered] @ scores.reference_column[answered]
                               + log_total)
        model._report(iteration, log_likelihood)
        if has_converged(previous, log_likelihood, p.tol):
            model.converged_ = True
            break
        previous = log_likelihood
    proba = shares * scores.prior_ratio
    total = rest + ConfusionStats(stats.counts, stats.class_totals, 0.0)
    store.counts.view[:] = total.counts
    store.class_totals = total.class_totals
    hard = labels_from_proba(proba, p.ties, model.rng(store.n_batches), n_jobs=1)
    new_rows = touched >= n_old_tasks
    store.posteriors.view[touched[~new_rows]] = proba[~new_rows]
    store.labels.view[touched[~new_rows]] = hard[~new_rows]
    store.posteriors.append(proba[new_rows])  # new tasks get codes in order of appearance
    store.labels.append(hard[new_rows])
    store.answer_tasks.append(tasks[-batch.n_answers:])
    store.answer_workers.append(workers[-batch.n_answers:])
    store.answer_labels.append(labels[-batch.n_answers:])
    store.n_batches += 1
    model.log_likelihood_ = log_likelihood
    if not model.converged_:
        from crowdkit_classic._confusion import not_converged_warning

        model.warnings_ += not_converged_warning(model.name, p.max_iter, model.history_, p.tol)
    _publish(model, store, state, total)


def _publish(model: Any, store: OnlineStore, state: ConfusionState,
             total: ConfusionStats | None = None) -> None:
    """Set the fitted attributes from the store: views over every task seen so far."""
    if total is not None:
        state = ConfusionState(state.priors, state.confusion, total.confusion_counts().copy())
    model.state_ = state
    model.priors_, model.confusion_matrices_ = state.priors, state.confusion
    model.proba_, model.labels_ = store.posteriors.view, store.labels.view
    model.task_ids_ = store.tasks.ids
    model.worker_ids_ = store.workers.ids
    model.n_tasks_, model.n_workers_ = len(store.tasks.ids), len(store.workers.ids)
    model.n_classes_ = store.k
    if hasattr(model, "_publish_extra"):
        model._publish_extra()


def resume(model: Any, arrays: dict[str, np.ndarray], source: str) -> None:
    """Give ``model`` the store saved in ``arrays`` (a state file) and its current estimates."""
    store = OnlineStore.from_arrays(arrays, source)
    given = (store.columns.view > 0).reshape(len(store.workers.ids), store.k)
    total = ConfusionStats(store.counts.view, store.class_totals, 0.0)
    model.store_ = store
    _publish(model, store, model._m_step(total, given), total)


def store_dataset(store: OnlineStore, name: str) -> CrowdDataset:
    """Every answer the store holds, as a dataset indexed like its posteriors."""
    return CrowdDataset(store.answer_tasks.view, store.answer_workers.view,
                        store.answer_labels.view, store.k, store.tasks.ids, store.workers.ids,
                        store.label_names, name=name)
