"""crowd-kit's ``fit(data, true_labels, initial_error)`` for the confusion-matrix family.

crowd-kit passes gold labels as ``true_labels`` and workers' historical error matrices as an
``initial_error`` DataFrame indexed by (``worker``, observed ``label``) with one column per
true label, used as ``initial_error_strategy`` says: ``assign`` (the matrices start EM) or
``addition`` (the counts are added to the first M-step). crowdkit's warm starts do the same
from a workers table (:class:`~crowdkit_core.worker_file.WorkerInit`, docs/warm-start.md), so
this module only translates the DataFrame into one; the fit itself is unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crowdkit_core.errors import CrowdkitError
from crowdkit_core.worker_file import WorkerInit, WorkerTable, label_names_of

__all__ = ["CROWDKIT_STRATEGIES", "crowdkit_fit_inputs", "initial_error_init"]

#: crowd-kit's ``initial_error_strategy`` values.
CROWDKIT_STRATEGIES = ("assign", "addition")


class InitialErrorError(CrowdkitError, ValueError):
    """An ``initial_error`` DataFrame that cannot be read as workers' error matrices."""


def initial_error_init(errors: Any, dataset: Any, strategy: str, mode: str) -> WorkerInit:
    """A warm start of ``strategy`` on ``dataset`` from crowd-kit's ``initial_error`` frame.

    ``errors.loc[(worker, observed), true]`` is a count (or, with ``assign``, a probability)
    of ``worker`` answering ``observed`` when the truth is ``true``. Each worker's columns are
    normalised over the observed labels, as crowd-kit's M-step does; workers of the data the
    frame lacks get the default start (crowd-kit's ``assign`` refuses them instead). A label
    the data does not have is refused in one line.
    """
    if mode not in CROWDKIT_STRATEGIES:
        raise InitialErrorError(f"initial_error_strategy={mode!r}: use 'assign' or 'addition' "
                                "(crowd-kit ignores initial_error without one; crowdkit refuses "
                                "to drop it silently)")
    index = getattr(errors, "index", None)
    if index is None or getattr(index, "nlevels", 1) != 2 or not hasattr(errors, "columns"):
        raise InitialErrorError("initial_error: expected a DataFrame indexed by (worker, label) "
                                "with one column per true label, as crowd-kit's errors_")
    from crowdkit_core.dataset.frames import label_values

    classes = {_key(value): k for k, value in enumerate(label_values(dataset))}
    k = dataset.n_classes
    true_class = [_class_of(classes, column, "column") for column in errors.columns]
    workers: dict[str, int] = {}
    counts: list[np.ndarray] = []
    values = np.asarray(errors.to_numpy(), dtype=np.float64)
    if not np.isfinite(values).all() or (values < 0).any():
        raise InitialErrorError("initial_error: values must be finite and >= 0 (counts or "
                                "probabilities)")
    for (worker, observed), row in zip(index, values):
        slot = workers.setdefault(str(worker), len(workers))
        if slot == len(counts):
            counts.append(np.zeros((k, k)))
        label = _class_of(classes, observed, "label")
        for column, value in zip(true_class, row):
            counts[slot][column, label] += value  # [true class, answered label]
    table_counts = np.stack(counts) if counts else np.zeros((0, k, k))
    totals = table_counts.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        confusion = np.where(totals > 0, table_counts / np.where(totals > 0, totals, 1.0), 1.0 / k)
    table = WorkerTable(strategy, label_names_of(dataset), tuple(workers),
                        {"confusion": confusion, "counts": table_counts})
    return WorkerInit(table, mode, source="initial_error")  # type: ignore[arg-type]


def crowdkit_fit_inputs(estimator: Any, data: Any, true_labels: Any, initial_error: Any,
                        initial_error_strategy: str | None, inputs: dict[str, Any]) -> dict[str, Any]:
    """``fit``'s keyword arguments with crowd-kit's ``true_labels`` and ``initial_error``
    turned into crowdkit's ``gold`` and ``init`` (giving both spellings is an error)."""
    if true_labels is not None:
        if inputs.get("gold") is not None:
            raise TypeError("give gold labels once: true_labels (crowd-kit) or gold, not both")
        inputs["gold"] = true_labels
    if initial_error is None:
        if initial_error_strategy is not None:
            raise TypeError("initial_error_strategy needs initial_error")
        return inputs
    if inputs.get("init") is not None:
        raise TypeError("give the warm start once: initial_error (crowd-kit) or init, not both")
    from crowdkit_core.dataset import as_dataset

    inputs["init"] = initial_error_init(initial_error, as_dataset(data), estimator.name,
                                        initial_error_strategy)  # type: ignore[arg-type]
    return inputs


def _key(value: Any) -> Any:
    """A label as a dictionary key: numpy scalars as Python values, so 1 == np.int64(1)."""
    return value.item() if hasattr(value, "item") else value


def _class_of(classes: dict[Any, int], value: Any, where: str) -> int:
    key = _key(value)
    if key in classes:
        return classes[key]
    text = {str(name): k for name, k in classes.items()}
    if str(key) in text:
        return text[str(key)]
    raise InitialErrorError(f"initial_error: {where} {value!r} is not a label of the data "
                            f"({', '.join(map(str, classes))}); give matrices over the data's labels")
