"""Warm starts of the confusion-matrix family (DS, OneCoinDS, WDS) from a workers file.

A fit exports each worker's confusion matrix ``pi_w`` and its expected confusion counts
``n_w[k, l] = sum_i T_ik n_iwl`` (the M-step's sufficient statistics) keyed by worker id
(:func:`export_confusion_workers`). A later fit given a
:class:`~crowdkit_core.worker_file.WorkerInit` starts from them (:func:`warm_plan`):

* ``assign``: EM's first E-step uses the saved ``pi_w`` of every known worker (and the
  saved class priors); unknown workers get the default start (the M-step on vote shares).
  After that, parameters are re-estimated from the new data only.
* ``addition``: the saved counts are added to the new expected counts at every M-step,
  ``pi_w[k, l] ∝ n_w^old[k, l] + sum_i T_ik n_iwl + s``: a Dirichlet prior whose
  pseudo-counts are the history, so new evidence updates it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.worker_file import (
    WorkerInit, WorkerTable, check_probabilities, label_names_of, require_fields, worker_table,
)

from crowdkit_classic._confusion import COUNT_FLOOR, ConfusionState, ConfusionStats


@dataclass(frozen=True)
class WarmPlan:
    """How a warm-started confusion EM begins: the extra statistics every M-step adds
    (zero for ``assign``) and a function that overrides the first state."""

    extra: ConfusionStats | None
    first_state: Callable[[ConfusionState], ConfusionState]
    n_known: int
    once: bool = False
    #: (n_workers, K) labels each worker gave in the history (saved counts > 0): while the
    #: counts are added, these labels count as given too (crowd-kit's ``addition`` rule).
    history_given: np.ndarray | None = None


def warm_plan(init: WorkerInit, strategy: str, dataset: CrowdDataset) -> WarmPlan:
    """Check ``init`` against the strategy and data, and map its workers onto the data's."""
    init.check(strategy, label_names_of(dataset))
    check_probabilities(init, "confusion")
    require_fields(init, "counts")
    k = dataset.n_classes
    known, rows = init.rows(dataset.worker_ids)
    table = init.table
    if init.mode in ("addition", "prior"):
        prior = np.zeros((dataset.n_workers, k, k))
        prior[known] = table.fields["counts"][rows]
        flat = np.ascontiguousarray(prior.transpose(0, 2, 1)).reshape(-1, k)  # row w*K + l
        extra = ConfusionStats(flat, np.zeros(k), 0.0)
        return WarmPlan(extra, lambda state: state, int(known.sum()), once=init.mode == "addition",
                        history_given=prior.sum(axis=1) > 0)

    saved = np.maximum(table.fields["confusion"][rows], COUNT_FLOOR)
    saved /= saved.sum(axis=-1, keepdims=True)
    saved_priors = table.dataset.get("priors")

    def first_state(state: ConfusionState) -> ConfusionState:
        priors = None
        if saved_priors is not None and saved_priors.shape == state.priors.shape:
            priors = np.maximum(saved_priors, COUNT_FLOOR) / np.maximum(saved_priors, COUNT_FLOOR).sum()
        return state.with_confusion(known, saved, priors)

    return WarmPlan(None, first_state, int(known.sum()))


def for_strategy(init: WorkerInit, strategy: str) -> WorkerInit:
    """``init`` relabelled as a file of ``strategy`` (for a strategy that fits another inside,
    as WDS fits DS), after the outer strategy has checked it."""
    table = dataclasses.replace(init.table, strategy=strategy)
    return dataclasses.replace(init, table=table)


def export_confusion_workers(name: str, params: Any, dataset: CrowdDataset,
                             state: ConfusionState, **fields: np.ndarray) -> WorkerTable:
    """The workers table of a confusion-EM fit: ``confusion`` and ``counts`` per worker
    (plus ``fields``, e.g. one-coin skills) and the class ``priors``."""
    counts = state.counts if state.counts is not None else np.zeros_like(state.confusion)
    return worker_table(name, dataset, {"confusion": state.confusion, "counts": counts, **fields},
                        {"priors": state.priors}, params.model_dump(mode="json"))
