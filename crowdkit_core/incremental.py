"""Incremental aggregation as a library call: add a batch to a saved state, get the labels.

``crowd aggregate BATCH --update STATE`` is a thin adapter over :func:`update`: the state
file (:mod:`crowdkit_core.state_file`) is read and checked, the strategy's ``partial_fit``
adds the batch, and the result covers every task seen so far. The caller writes the labels
and the new state together (``writers.write_result(..., extra_files=...)``), so a failure
leaves the old state and the old labels in place.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from crowdkit_core.errors import CrowdkitError

if TYPE_CHECKING:
    from crowdkit_core.application import AggregationResult
    from crowdkit_core.spec import ResolvedSpec


def update(batch: Any, state: str | os.PathLike[str], spec: "ResolvedSpec", *,
           revisit: float = 1.0, answers_file: Any = None, metadata_path: Any = None,
           duplicates: str = "keep") -> tuple["AggregationResult", bytes, bool]:
    """Add the answers of ``batch`` (a dataset argument or CrowdDataset) to the state file
    ``state`` (created when absent) and return the result over every task, the new state's
    bytes, and whether the state was new."""
    from crowdkit_core.application import AggregationResult, _fit_guarded, _score_on_gold
    from crowdkit_core.dataset import CrowdDataset, load_dataset
    from crowdkit_core.provenance import provenance_record
    from crowdkit_core.state_file import encode_state, read_state
    from crowdkit_core.worker_file import label_names_of

    start = time.perf_counter()
    cls = spec.strategy_class
    if not hasattr(cls, "partial_fit"):
        raise CrowdkitError(f"--update: {spec.info.name} cannot add batches to a state; "
                            "strategies that can: DS, OneCoinDS (see docs/warm-start.md)")
    data = batch if isinstance(batch, CrowdDataset) else load_dataset(
        batch, answers_file=answers_file, metadata_path=metadata_path, duplicates=duplicates)
    model = spec.build()
    fresh = not Path(state).exists()
    files = list(data.inputs)
    if not fresh:
        _, arrays = read_state(state, spec.info.name, spec.canonical)
        model.resume(arrays, os.fspath(state))
        files.append(os.fspath(state))
    _fit_guarded(spec, lambda: model.partial_fit(data, revisit=revisit))
    everything = model.state_dataset(data.name)
    gold = _carried_gold(data, everything)
    if gold is not None:
        everything = everything.with_gold(gold)
    keep = np.ones(everything.n_tasks, dtype=bool)
    from crowdkit_core.gold import plan_gold

    plan = plan_gold(everything)  # no fitting gold: the carried truth is only scored
    result = AggregationResult(np.asarray(model.labels_), np.asarray(model.proba_), keep, model,
                               spec, everything, warnings=[*data.warnings, *model.warnings_],
                               gold_plan=plan)
    _score_on_gold(result, plan)
    result.provenance = provenance_record(result, files, time.perf_counter() - start)
    result.provenance["incremental"] = {"state": os.fspath(state), "new_state": fresh,
                                        "batch_answers": data.n_answers, "revisit": revisit,
                                        "n_batches": model.store_.n_batches}
    payload = encode_state(spec.info.name, spec.canonical, spec.params.model_dump(mode="json"),
                           label_names_of(everything), model.state_arrays())
    return result, payload, fresh


def _carried_gold(batch: Any, everything: Any) -> np.ndarray | None:
    """The batch's gold labels placed on the state's tasks (-1 elsewhere), for the summary."""
    if batch.gold is None:
        return None
    names = [everything.label_name(k) for k in range(everything.n_classes)]
    rows = {str(t): i for i, t in enumerate(everything.task_ids)}
    gold = np.full(everything.n_tasks, -1, dtype=np.int64)
    for task, label in zip(batch.task_ids, batch.gold):
        if label >= 0:
            gold[rows[str(task)]] = names.index(batch.label_name(int(label)))
    return gold
