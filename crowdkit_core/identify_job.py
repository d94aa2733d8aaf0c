"""The identification use case as a library call: method spec + dataset in, scores out.

``crowd identify`` is a thin adapter over :func:`identify` and :func:`write_identification`;
Python users get the same checks, tables and files::

    from crowdkit_core.identify_job import identify, write_identification
    result = identify("bundled:labelme", "spam_score[on=DS]")
    result.table()[:5]          # least reliable workers first, keyed by worker id
    write_identification(result, output_dir="out")
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from crowdkit_core.errors import CrowdkitError, StrategyFailed

if TYPE_CHECKING:
    from crowdkit_core.dataset import CrowdDataset
    from crowdkit_core.plugins import PluginRegistry
    from crowdkit_core.spec import ResolvedSpec


@dataclass
class IdentificationResult:
    """One identification run: the fitted method, its spec, the dataset and timings."""

    model: Any
    spec: "ResolvedSpec"
    dataset: "CrowdDataset"
    wall_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def axis(self) -> str:
        """``worker`` or ``task``: what the scores are indexed by."""
        return self.model.axis

    @property
    def ids(self) -> np.ndarray:
        """The original worker or task ids, in the order of ``scores``."""
        return self.dataset.worker_ids if self.axis == "worker" else self.dataset.task_ids

    @property
    def scores(self) -> np.ndarray:
        """One score per worker or task; higher is more reliable (or easier)."""
        return np.asarray(self.model.scores_, dtype=np.float64)

    def columns(self) -> dict[str, np.ndarray]:
        """Per-id columns of the table: the score, the method's other 1-D outputs on the same
        axis (e.g. ``entropies``, ``alpha_without``) and the number of answers."""
        columns = {"score": self.scores}
        for output in self.model.declared_outputs():
            if output.axis == self.axis and len(output.shape) == 1 and output.name != "scores_":
                columns[output.name.rstrip("_")] = np.asarray(getattr(self.model, output.name))
        data = self.dataset
        columns["answers"] = data.answers_per_worker if self.axis == "worker" else data.answers_per_task
        return columns

    def table(self, top: int | None = None) -> list[dict[str, Any]]:
        """Rows from least to most reliable: ``rank`` (1 = least), the id and the columns."""
        order = self.model.ranking()[:top]
        columns = self.columns()
        rows = []
        for rank, index in enumerate(order.tolist(), start=1):
            row: dict[str, Any] = {"rank": rank, self.axis: self.ids[index]}
            row.update({name: values[index].item() for name, values in columns.items()})
            rows.append(row)
        return rows

    def dataset_values(self) -> dict[str, Any]:
        """The method's dataset-level outputs (e.g. Krippendorff's ``alpha``), JSON-ready."""
        values = {o.name.rstrip("_"): np.asarray(getattr(self.model, o.name)).tolist()
                  for o in self.model.declared_outputs() if o.axis == "dataset" and o.saved}
        return {k: _json_value(v) if isinstance(v, float) else v for k, v in values.items()}

    def summary(self, top: int = 10) -> dict[str, Any]:
        """The JSON summary: what ran on which inputs, dataset-level values and the ``top``
        least reliable ids (the writer adds where the files went)."""
        from crowdkit_core.provenance import run_header

        model = self.model
        extra = {"skill_output": model.skill_output_} if "skill_output_" in vars(model) else {}
        return {
            **run_header(self.spec, self.dataset, self.dataset.inputs),
            "axis": self.axis,
            **self.dataset_values(),
            **extra,
            "fit_seconds": round(model.fit_seconds_, 6),
            "wall_seconds": round(self.wall_seconds, 6),
            "warnings": list(self.warnings),
            "top": [{k: _json_value(v) for k, v in row.items()} for row in self.table(top)],
        }


def _json_value(value: Any) -> Any:
    """NaN and infinities as null (JSON has no NaN); ids as text unless plain ints."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    return str(value)


def identify(
    dataset: "str | os.PathLike[str] | CrowdDataset",
    method: "str | ResolvedSpec" = "entropy",
    *,
    overrides: Sequence[str] = (),
    seed: int | None = None,
    registry: "PluginRegistry | None" = None,
    answers_file: "str | os.PathLike[str] | None" = None,
    metadata_path: "str | os.PathLike[str] | None" = None,
    duplicates: str = "keep",
    n_classes: int | None = None,
) -> IdentificationResult:
    """Run the identification ``method`` (a spec such as ``"spam_score[on=OneCoinDS]"``) on
    ``dataset`` (a folder, answers file, resolvable name or :class:`CrowdDataset`);
    ``n_classes`` overrides metadata.json's K when the dataset is loaded here.

    Bad input raises a :class:`~crowdkit_core.errors.CrowdkitError` naming the file and the
    fix; an unexpected exception inside the method becomes
    :class:`~crowdkit_core.errors.StrategyFailed` (a bug report, not a user error).
    """
    from crowdkit_core.dataset import CrowdDataset, load_dataset

    start = time.perf_counter()
    from crowdkit_core.application import resolve_strategy

    spec = method if not isinstance(method, str) else resolve_strategy(
        method, overrides=overrides, seed=seed, registry=registry, kind="identification")
    data = dataset if isinstance(dataset, CrowdDataset) else load_dataset(
        dataset, answers_file=answers_file, metadata_path=metadata_path,
        duplicates=duplicates, n_classes=n_classes)  # type: ignore[arg-type]
    model = spec.build()
    try:
        model.fit(data)
    except CrowdkitError:
        raise
    except Exception as exc:
        info = spec.info
        raise StrategyFailed(
            f"identification method {info.name} (plugin {info.plugin!r}) failed: "
            f"{type(exc).__name__}: {exc}. This is a bug in the method, not in your input: "
            "please report it (CROWDKIT_TRACEBACK=1 shows the traceback)") from exc
    return IdentificationResult(model, spec, data, time.perf_counter() - start,
                                [*data.warnings, *getattr(model, "warnings_", [])])


def identification_folder(output_dir: "str | os.PathLike[str] | None",
                          source: "str | os.PathLike[str] | None") -> Path:
    """``output_dir``, else ``SOURCE/identification`` for a dataset folder named directly,
    else ``./identification`` (a resolver's folder is not the user's to write into)."""
    from crowdkit_core.writers import _names_a_folder

    if output_dir is not None:
        return Path(output_dir)
    if source is not None and _names_a_folder(source):
        return Path(source) / "identification"
    return Path("identification")


def write_identification(result: IdentificationResult, *,
                         output_dir: "str | os.PathLike[str] | None" = None,
                         source: "str | os.PathLike[str] | None" = None,
                         top: int = 10) -> dict[str, Any]:
    """Write the method's ``.npy`` array (peerannot's name and layout: see
    :func:`peerannot_array`), the ranked CSV keyed by the original ids and the JSON summary,
    all or none; return the summary as written."""
    from crowdkit_core.output import npy_bytes, to_json, write_files_atomically
    from crowdkit_core.writers import output_stem

    model = result.model
    folder = identification_folder(output_dir, source)
    stem = output_stem(result.dataset.name, result.spec.canonical).replace("labels_", "identify_", 1)
    array_path = folder / f"{model.array_file or result.spec.info.name.lower()}.npy"
    csv_path, json_path = folder / f"{stem}.csv", folder / f"{stem}.json"
    record = {**result.summary(top), "array": str(array_path), "table": str(csv_path),
              "summary": str(json_path)}
    from crowdkit_core.output_guard import write_error

    try:
        write_files_atomically({array_path: npy_bytes(peerannot_array(result)),
                                csv_path: ranked_csv(result), json_path: to_json(record).encode()})
    except OSError as exc:
        raise write_error(exc, folder) from None
    return record


def peerannot_array(result: IdentificationResult) -> np.ndarray:
    """The method's array as peerannot writes it: per-worker rows indexed by integer worker
    id up to metadata's ``n_workers`` (NaN for declared workers without answers) when the
    ids allow it, else one row per worker in crowdkit's id order (the CSV has the ids)."""
    from crowdkit_core.peerannot_files import by_integer_id

    model = result.model
    values = np.asarray(getattr(model, model.array_output))
    if result.axis != "worker":
        return values
    metadata = result.dataset.metadata
    return by_integer_id(values, result.dataset.worker_ids,
                         metadata.n_workers if metadata is not None else None)


def ranked_csv(result: IdentificationResult) -> bytes:
    """``rank,<axis>,score,...`` rows from least to most reliable (ids escaped as
    ``csv.writer`` does; numbers with 10 significant digits)."""
    from crowdkit_core.writers import csv_values

    order = result.model.ranking()
    columns = result.columns()
    header = ["rank", result.axis, *columns]
    fields = np.empty((len(order), len(header)), dtype=object)
    fields[:, 0] = np.arange(1, len(order) + 1)
    fields[:, 1] = csv_values(result.ids[order])
    for j, values in enumerate(columns.values(), start=2):
        fields[:, j] = values[order]
    row = ",".join(["%d", "%s"] + ["%.10g"] * len(columns)) + "\n"
    lines = [",".join(header) + "\n"]
    lines += [(row * len(fields)) % tuple(fields.ravel().tolist())] if len(fields) else []
    return "".join(lines).encode()
