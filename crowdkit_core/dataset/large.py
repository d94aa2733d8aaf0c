"""Answers larger than memory: Parquet files or a big CSV, cut into task partitions on an engine.

Two layouts (:func:`open_partitioned`):

* ``by_file=True``: a directory of Parquet files already partitioned by task (every task's
  answers in one file). Each file becomes a partition, read by the worker that holds it;
  the driver reads only the worker and label columns (one streaming pass) and checks at the
  end that no task appears in two files. Cost: one read of the data on the workers.
* otherwise (Parquet files in any order, or CSV read in chunks): the driver streams the
  rows in batches and buckets them by a hash of the task id into ``n_partitions`` Parquet
  spill files (``spill_dir``), so each task lands in one bucket; each bucket then becomes a
  partition. Cost: one extra read and write of the whole data, bounded memory.

Ids never become one Python object per answer: worker ids and labels are collected as Arrow
arrays (``pyarrow.compute.unique`` per batch), sorted once into global dictionaries that every
partition encodes against (``index_in``); task ids are encoded per partition (a task lives in
one), and kept per task to write results back with the original ids.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from crowdkit_core.dataset.model import CrowdDataset
from crowdkit_core.errors import DatasetError

#: Rows per batch of the driver's streaming passes.
BATCH_ROWS = 1 << 20
_COLUMNS = ("task", "worker", "label")


def answer_files(path: str | os.PathLike[str]) -> list[Path]:
    """The answers files of ``path``: itself, or the sorted ``*.parquet`` / ``*.csv`` of a folder."""
    root = Path(path)
    if root.is_file():
        return [root]
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix.lower() in (".parquet", ".csv", ".tsv"))
        if files:
            return files
        raise DatasetError(f"{root}: no .parquet, .csv or .tsv answers files in this folder; "
                           "put the task,worker,label files there")
    raise DatasetError(f"{root}: no such file or folder; check the path")


def batches(files: Sequence[Path], columns: Sequence[str] = _COLUMNS,
            batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    """Record batches of ``columns`` from every file in turn (CSV in streamed chunks)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    for path in files:
        try:
            if path.suffix.lower() == ".parquet":
                reader = pq.ParquetFile(path)
                _check_columns(path, reader.schema_arrow.names, columns)
                yield from reader.iter_batches(batch_size=batch_rows, columns=list(columns))
            else:
                delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
                stream = pacsv.open_csv(
                    path, read_options=pacsv.ReadOptions(block_size=64 << 20),
                    parse_options=pacsv.ParseOptions(delimiter=delimiter),
                    convert_options=pacsv.ConvertOptions(include_columns=list(columns)))
                yield from stream
        except pa.ArrowInvalid as exc:
            raise DatasetError(f"{path}: cannot read it ({' '.join(str(exc).split())}); "
                               "check that it has task, worker and label columns") from None


def _check_columns(path: Path, names: Sequence[str], columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in names]
    if missing:
        raise DatasetError(f"{path}: no {missing[0]!r} column (columns: {', '.join(names)}); "
                           "name them task, worker, label")


def sorted_unique(chunks: list[Any]) -> Any:
    """The sorted distinct values of some Arrow arrays, as one Arrow array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.unique(pa.chunked_array(chunks).combine_chunks()) if chunks else pa.array([])
    return values.take(pc.array_sort_indices(values))


def bucket_of(values: Any, n_buckets: int) -> np.ndarray:
    """A stable bucket in ``0..n_buckets-1`` per value (int or string ids), without Python
    objects: a multiplicative hash of integers, or of strings' bytes (FNV-style, vectorised
    over Arrow's offsets and data buffers)."""
    import pyarrow as pa

    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_integer(values.type):
        keys = values.to_numpy(zero_copy_only=False).astype(np.uint64)
    else:
        keys = _string_hashes(values.cast(pa.large_string()))
    keys = keys * np.uint64(0x9E3779B97F4A7C15)
    return ((keys >> np.uint64(33)) % np.uint64(n_buckets)).astype(np.int64)


def _string_hashes(values: Any) -> np.ndarray:
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset:values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8) if values.buffers()[2] else np.zeros(0, np.uint8)
    start, stop = int(offsets[0]), int(offsets[-1])
    chars = data[start:stop].astype(np.uint64)
    lengths = np.diff(offsets)
    position = np.arange(stop - start, dtype=np.int64) - np.repeat(offsets[:-1] - start, lengths)
    powers = np.cumprod(np.full(int(lengths.max(initial=1)) + 1, 1099511628211, dtype=np.uint64))
    with np.errstate(over="ignore"):
        terms = (chars + np.uint64(1)) * powers[position]
        hashes = np.zeros(len(values), dtype=np.uint64)
        nonempty = lengths > 0
        if chars.size:
            hashes[nonempty] = np.add.reduceat(terms, (offsets[:-1] - start)[nonempty])
    return hashes + lengths.astype(np.uint64)


class Dictionaries:
    """The global worker ids and labels every partition encodes against (small: workers and K)."""

    def __init__(self, workers: Any, labels: Any, n_classes: int | None,
                 label_names: Sequence[str] | None) -> None:
        import pyarrow as pa

        self.workers = workers
        if pa.types.is_integer(labels.type):
            self.labels = None
            top = int(labels.to_numpy().max()) if len(labels) else 0
            low = int(labels.to_numpy().min()) if len(labels) else 0
            self.n_classes = n_classes or top + 1
            if low < 0 or top >= self.n_classes:
                raise DatasetError(f"labels must lie in 0..{self.n_classes - 1} (found {low}..{top}); "
                                   "fix the labels or give n_classes in metadata.json")
            self.label_names = tuple(label_names) if label_names else None
        else:
            names = list(label_names) if label_names else labels.to_pylist()  # K names only
            self.labels = pa.array(names, type=pa.string())
            self.n_classes = n_classes or len(names)
            self.label_names = tuple(names)


def build_partition(sources: Sequence[Any], dictionaries: Dictionaries, name: str) -> CrowdDataset:
    """One partition from its files (read here, on the worker): local task codes, global
    worker and label codes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.Table.from_batches(list(batches([Path(s) for s in sources])))
    tasks = table.column("task").combine_chunks()
    task_ids = sorted_unique([tasks])
    task_codes = pc.index_in(tasks, value_set=task_ids).to_numpy()
    workers = pc.index_in(table.column("worker").combine_chunks(), value_set=dictionaries.workers)
    labels = table.column("label").combine_chunks()
    if dictionaries.labels is not None:
        labels = pc.index_in(labels.cast(pa.string()), value_set=dictionaries.labels)
        if labels.null_count:
            raise DatasetError(f"{sources[0]}: a label is not among {dictionaries.label_names}")
    return CrowdDataset(
        task_codes, workers.to_numpy(), labels.to_numpy(zero_copy_only=False),
        dictionaries.n_classes, task_ids.to_numpy(zero_copy_only=False),
        dictionaries.workers.to_numpy(zero_copy_only=False), dictionaries.label_names,
        name=name, source=str(sources[0]))


def open_partitioned(path: str | os.PathLike[str], engine: Any, n_partitions: int | None = None,
                     *, by_file: bool = False, n_classes: int | None = None,
                     label_names: Sequence[str] | None = None, spill_dir: str | None = None,
                     gather: bool = False, batch_rows: int = BATCH_ROWS) -> Any:
    """A :class:`~crowdkit_core.engines.partitioned.PartitionedDataset` of the answers at
    ``path`` (see the module for the two layouts), partitions built on ``engine``'s workers."""
    from crowdkit_core.engines.partitioned import PartitionedDataset

    files = answer_files(path)
    name = Path(path).stem
    if by_file:
        if any(f.suffix.lower() != ".parquet" for f in files):
            raise DatasetError(f"{path}: by-file partitions need Parquet files; drop --by-file "
                               "to bucket CSV rows by task")
        workers, labels = _scan_dictionaries(files, batch_rows)
        groups: list[list[str]] = [[str(f)] for f in files]
    else:
        spill = Path(spill_dir or tempfile.mkdtemp(prefix="crowdkit-spill-"))
        workers, labels, groups = _bucket_by_task(files, n_partitions or 8, spill, batch_rows)
    dictionaries = Dictionaries(workers, labels, n_classes, label_names)
    parts = engine.map_resident(_build, groups, dictionaries, name)
    data = PartitionedDataset(engine, parts, dictionaries.workers.to_numpy(zero_copy_only=False),
                              dictionaries.n_classes, label_names=dictionaries.label_names,
                              name=name, source=str(path), inputs=[str(f) for f in files],
                              gather=gather)
    if by_file:
        _check_tasks_disjoint(data, path)
    return data


def _build(sources: Sequence[str], dictionaries: Dictionaries, name: str) -> CrowdDataset:
    return build_partition(sources, dictionaries, name)


def _scan_dictionaries(files: Sequence[Path], batch_rows: int) -> tuple[Any, Any]:
    import pyarrow.compute as pc

    workers, labels = [], []
    for batch in batches(files, ("worker", "label"), batch_rows):
        workers.append(pc.unique(batch.column(0)))
        labels.append(pc.unique(batch.column(1)))
    return sorted_unique(workers), sorted_unique(labels)


def _bucket_by_task(files: Sequence[Path], n_buckets: int, spill: Path,
                    batch_rows: int) -> tuple[Any, Any, list[list[str]]]:
    """Stream every row into the Parquet bucket file of its task's hash; the dictionaries."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    writers: dict[int, Any] = {}
    workers, labels = [], []
    paths = [spill / f"bucket-{b:05d}.parquet" for b in range(n_buckets)]
    try:
        for batch in batches(files, _COLUMNS, batch_rows):
            workers.append(pc.unique(batch.column(1)))
            labels.append(pc.unique(batch.column(2)))
            bucket = bucket_of(batch.column(0), n_buckets)
            order = np.argsort(bucket, kind="stable")
            cuts = np.searchsorted(bucket[order], np.arange(n_buckets + 1))
            for b in range(n_buckets):
                if cuts[b + 1] > cuts[b]:
                    rows = batch.take(order[cuts[b]:cuts[b + 1]])
                    if b not in writers:
                        writers[b] = pq.ParquetWriter(paths[b], rows.schema)
                    writers[b].write_batch(rows)
    finally:
        for writer in writers.values():
            writer.close()
    if not writers:
        raise DatasetError(f"{files[0]}: no answers; add task,worker,label rows")
    return sorted_unique(workers), sorted_unique(labels), [[str(paths[b])] for b in sorted(writers)]


def _check_tasks_disjoint(data: Any, path: Any) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = pa.array(data.task_ids)
    if len(pc.unique(ids)) != len(ids):
        raise DatasetError(f"{path}: some task has answers in two files, so the files are not "
                           "partitioned by task; drop --by-file to bucket the rows by task")
