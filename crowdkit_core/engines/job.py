"""``crowd aggregate --engine dask``: the aggregation job on a cluster engine.

A dataset folder of the usual layout is loaded here and cut into partitions
(:func:`~crowdkit_core.engines.partitioned.partition_dataset`); its results come back and go
through the usual writer. Answers larger than memory (a folder of Parquet files, a big CSV)
are opened on the workers (:mod:`crowdkit_core.dataset.large`), and each partition writes its
own Parquet labels file with the original task ids (:func:`write_partitioned`), next to one
provenance record for the whole run.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from crowdkit_core.errors import CrowdkitError


def is_large_input(path: str | os.PathLike[str]) -> bool:
    """A folder of Parquet/CSV files without a peerannot layout, or a single Parquet/CSV file
    of more than 256 MiB: read on the workers, never whole into this process."""
    root = Path(path)
    if root.is_dir():
        return not (root / "answers.json").exists() and not any(
            (root / f"answers{s}").exists() for s in (".csv", ".tsv", ".parquet")) and any(
            p.suffix.lower() in (".parquet", ".csv", ".tsv") for p in root.iterdir())
    return root.is_file() and root.suffix.lower() in (".parquet", ".csv", ".tsv") and \
        root.stat().st_size > 256 << 20


def run_partitioned(dataset: str, spec: Any, engine: Any, *, n_partitions: int | None = None,
                    by_file: bool = False, hard: bool = False, output_dir: str | None = None,
                    spill_dir: str | None = None, on_iteration: Callable[[int, float], None] | None = None,
                    fmt: str = "npy") -> tuple[Any, dict[str, Any]]:
    """Fit ``spec`` on ``dataset`` with ``engine``; write the results; return (model, record)."""
    from crowdkit_core.application import AggregationResult
    from crowdkit_core.dataset import load_dataset
    from crowdkit_core.dataset.large import open_partitioned
    from crowdkit_core.engines import engine_name, require_engine
    from crowdkit_core.engines.partitioned import partition_dataset
    from crowdkit_core.provenance import provenance_record, run_header
    from crowdkit_core.writers import output_stem, write_result

    require_engine(spec.strategy_class, engine_name(engine), spec.info.name)
    start = time.perf_counter()
    workers = max(1, getattr(engine, "n_workers", 1))
    if is_large_input(dataset):
        data = open_partitioned(dataset, engine, n_partitions or 4 * workers, by_file=by_file,
                                spill_dir=spill_dir)
        model = spec.build().fit(data, on_iteration=on_iteration)
        out = Path(output_dir or "labels") / output_stem(data.name, spec.canonical)
        record = {**run_header(spec, data, data.inputs), "engine": engine_name(engine),
                  "n_partitions": data.n_partitions, "n_iter": int(model.n_iter_),
                  "converged": bool(model.converged_), "fit_seconds": round(model.fit_seconds_, 6),
                  "wall_seconds": round(time.perf_counter() - start, 6),
                  "warnings": list(model.warnings_), "hard": hard, "format": "parquet"}
        record["output"] = str(write_partitioned(data, model, out, record, hard=hard))
        return model, record
    local = load_dataset(dataset)
    data = partition_dataset(local, engine, n_partitions or 4 * workers)
    model = spec.build().fit(data, on_iteration=on_iteration)
    keep = np.ones(local.n_tasks, dtype=bool)
    result = AggregationResult(model.labels_, model.proba_, keep, model, spec, local,
                               warnings=[*local.warnings, *model.warnings_])
    result.provenance = {**provenance_record(result, local.inputs, time.perf_counter() - start),
                         "engine": engine_name(engine), "n_partitions": data.n_partitions}
    return model, write_result(result, fmt=fmt, hard=hard, output_dir=output_dir, source=dataset)


def write_partitioned(data: Any, model: Any, folder: Path, record: dict[str, Any], *,
                      hard: bool = False) -> Path:
    """Each partition writes ``part-NNNNN.parquet`` (task id, label[, proba_k...]) on its
    worker into a staging folder, renamed to ``folder`` once all are written, with
    ``provenance.json``: the whole set or nothing."""
    from crowdkit_core.output import to_json

    folder = Path(folder)
    staging = folder.with_name(f".{folder.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        names = list(data.label_names) if data.label_names else None
        items = [(part, proba, labels, str(staging / f"part-{i:05d}.parquet"))
                 for i, (part, proba, labels) in enumerate(
                     zip(data.parts, model.partition_proba_, model.partition_labels_))]
        data.engine.map_blocks(_write_part_item(names, hard), items)
        (staging / "provenance.json").write_text(to_json(record))
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


class _write_part_item:
    """Picklable writer of one partition's labels (runs on the worker holding it)."""

    def __init__(self, names: Sequence[str] | None, hard: bool) -> None:
        self.names, self.hard = names, hard

    def __call__(self, item: tuple[Any, np.ndarray, np.ndarray, str]) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        part, proba, labels, path = item
        columns: dict[str, Any] = {"task": pa.array(part.task_ids.tolist()),
                                   "label": pa.array(labels)}
        if self.names:
            columns["label_name"] = pa.array(np.asarray(self.names, dtype=object)[labels].tolist())
        if not self.hard:
            for k in range(proba.shape[1]):
                columns[f"proba_{self.names[k] if self.names else k}"] = pa.array(proba[:, k])
        pq.write_table(pa.table(columns), path)
        return len(labels)


def check_engine_options(engine: str, scheduler: str | None, workers: int | None,
                         memory_limit: str | None) -> None:
    """One-line errors for cluster options given without ``--engine dask``."""
    if engine != "dask" and (scheduler or workers or memory_limit):
        raise CrowdkitError("--scheduler, --workers and --memory-limit need --engine dask")
    if scheduler and (workers or memory_limit):
        raise CrowdkitError("--workers and --memory-limit size a local cluster; with --scheduler "
                            "the cluster's own settings apply: drop them")
