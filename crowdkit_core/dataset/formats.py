"""Answers-file readers: one ``read(path) -> AnswerColumns`` function per format.

The core registers these (:mod:`crowdkit_core.builtins`) through the same
``crowdkit_register_readers`` hook a plugin uses to add a format; :func:`load_dataset` picks
one by the file's suffix. A reader only splits a file into three raw columns; encoding,
duplicates and metadata checks happen afterwards, the same for every format. Problems raise
:class:`~crowdkit_core.errors.DatasetError` with one line naming the file, the entry and the fix.
"""

from __future__ import annotations

import csv
import json
from array import array
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from crowdkit_core.dataset.encoding import Describe, EncodedColumn
from crowdkit_core.errors import DatasetError

#: Accepted header names of the task, worker and label columns (tables and DataFrames).
COLUMN_ALIASES = {
    "task": ("task", "task_id", "item", "item_id", "question"),
    "worker": ("worker", "worker_id", "annotator", "user", "performer"),
    "label": ("label", "answer", "class", "response"),
}


class AnswerColumns(NamedTuple):
    """What a reader returns: the raw task, worker and label columns, one entry per answer.

    Each column is a sequence (list, numpy array) or an :class:`EncodedColumn`.
    ``describe(i)`` says where answer ``i`` came from ("line 12") for error messages;
    without it errors say "answer i".
    """

    tasks: Sequence[Any] | EncodedColumn
    workers: Sequence[Any] | EncodedColumn
    labels: Sequence[Any] | EncodedColumn
    describe: Describe | None = None


class JsonPairs(list):  # type: ignore[type-arg]
    """A JSON object as its (key, value) pairs in file order, repeated keys kept, so that
    nothing is dropped before the duplicates policy sees it."""


def load_json(path: Path, expected: str, *, keep_pairs: bool = False) -> Any:
    """Parse a UTF-8 JSON file (a byte-order mark is accepted); ``expected`` (what it must
    hold) goes into syntax errors.

    A key repeated in one object is an error naming it, or with ``keep_pairs`` every object
    is a :class:`JsonPairs` that keeps them all. Nesting deeper than Python's recursion limit
    and numbers too long to convert are one-line errors, never a traceback.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({one_line(exc)})") from None
    hook = JsonPairs if keep_pairs else _unique_keys(path)
    try:
        return json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); "
            f"it must hold {expected}"
        ) from None
    except RecursionError:
        raise DatasetError(f"{path}: JSON nested too deeply to read; it must hold {expected}") from None
    except ValueError as exc:  # e.g. an integer with more than 4300 digits
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"{path}: unreadable JSON value ({one_line(exc)}); it must hold {expected}") from None


def _unique_keys(path: Path) -> Any:
    """An ``object_pairs_hook`` that refuses a key given twice in one object."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            repeated = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise DatasetError(f"{path}: key {repeated!r} appears twice in one object; give each key once")
        return obj

    return hook


# -- JSON -------------------------------------------------------------------------------------
def read_json(path: Path) -> AnswerColumns:
    """peerannot's ``answers.json``: ``{task: {worker: label}}``."""
    raw = load_json(path, "an object {task: {worker: label}}", keep_pairs=True)
    if not isinstance(raw, JsonPairs):
        raise DatasetError(f"{path}: top level must be an object {{task: {{worker: label}}}}, got {_json_type(raw)}")
    tasks: list[str] = []
    workers: list[str] = []
    labels: list[Any] = []
    # A task or a (task, worker) pair given twice keeps every answer: the duplicates policy
    # (keep, first, last, error) decides, as for any other format.
    for task, answers in raw:
        if not isinstance(answers, JsonPairs):
            raise DatasetError(
                f"{path}: task {task!r} must map to an object {{worker: label}}, got {_json_type(answers)}"
            )
        if not answers:
            raise DatasetError(f"{path}: task {task!r} has no answers; remove it or add answers")
        for worker, label in answers:
            if isinstance(label, bool) or not isinstance(label, (int, str)):
                shown = _json_type(label) if isinstance(label, (JsonPairs, list)) else repr(label)
                raise DatasetError(
                    f"{path}: task {task!r}, worker {worker!r}: label {shown} must be an integer "
                    "class index or a label name"
                )
            tasks.append(task)
            workers.append(worker)
            labels.append(label)

    def describe(i: int) -> str:
        return f"task {tasks[i]!r}, worker {workers[i]!r}"

    return AnswerColumns(tasks, workers, labels, describe)


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    if isinstance(value, JsonPairs):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            type(None): "null"}.get(type(value), type(value).__name__)


# -- CSV / TSV --------------------------------------------------------------------------------
def read_csv(path: Path) -> AnswerColumns:
    """A comma-separated ``task,worker,label`` table with a header (``.csv``, ``.txt``)."""
    return read_table(path, ",")


def read_tsv(path: Path) -> AnswerColumns:
    """A tab-separated ``task,worker,label`` table with a header."""
    return read_table(path, "\t")


def read_table(path: Path, delimiter: str) -> AnswerColumns:
    """The task, worker and label columns of a delimited file, each as an EncodedColumn.

    pyarrow's multithreaded reader is used when it is installed and the file is clean; any
    problem (bad field count, empty value, encoding, quoting) sends the file through the
    Python reader, which names the offending line.
    """
    fast = _read_table_arrow(path, delimiter)
    if fast is not None:
        return fast
    return _read_table_python(path, delimiter)


def _find_columns(header: list[str], path: Path) -> tuple[int, int, int]:
    lowered = [h.strip().lower() for h in header]
    idx = []
    for column, aliases in COLUMN_ALIASES.items():
        pos = next((lowered.index(a) for a in aliases if a in lowered), None)
        if pos is None:
            raise DatasetError(
                f"{path}: line 1: header {','.join(header)!r} has no {column!r} column; "
                "the first line must name the columns task,worker,label"
            )
        idx.append(pos)
    return idx[0], idx[1], idx[2]


def _data_rows(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, row) for the non-blank data rows of a CSV/TSV file."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        for row in reader:
            if row and not (len(row) == 1 and not row[0].strip()):
                yield reader.line_num, row


def _table_describe(path: Path, delimiter: str) -> Describe:
    """Answer index -> "line N" of the file (scans it; only used for error messages)."""

    def describe(i: int) -> str:
        for n, (line, _) in enumerate(_data_rows(path, delimiter)):
            if n == i:
                return f"line {line}"
        return f"answer {i + 1}"

    return describe


def _read_table_arrow(path: Path, delimiter: str) -> AnswerColumns | None:
    """Read with pyarrow.csv, values as text (ids like 007 stay as written), trimmed; None
    when pyarrow is missing or the file needs the Python reader's line-numbered checks."""
    try:
        import pyarrow as pa  # type: ignore[import-not-found]
        import pyarrow.compute as pc  # type: ignore[import-not-found]
        from pyarrow import csv as pacsv  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle, delimiter=delimiter), None)
        if not header:
            return None
        columns = _find_columns(header, path)
        names = [f"c{i}" for i in range(len(header))]
        wanted = [names[c] for c in columns]
        text = pa.dictionary(pa.int32(), pa.string())
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted, column_types={n: text for n in wanted},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowException, UnicodeDecodeError, csv.Error, OSError, DatasetError):
        return None
    encoded = []
    for name in wanted:
        column = _arrow_encoded(table.column(name), pc)
        if column is None:
            return None  # an empty value: the Python reader reports its line
        encoded.append(column)
    del table
    pa.default_memory_pool().release_unused()
    return AnswerColumns(encoded[0], encoded[1], encoded[2], _table_describe(path, delimiter))


def _arrow_encoded(column: Any, pc: Any) -> EncodedColumn | None:
    """A dictionary-typed arrow column as an EncodedColumn of trimmed values; None when a
    value is empty.

    The parser already dictionary-encodes, so trimming and the empty check run over the
    distinct values only; values that differ only by surrounding spaces are merged.
    """
    merged = column.unify_dictionaries().combine_chunks()
    codes = np.asarray(merged.indices).astype(np.int64)
    trimmed = pc.utf8_trim_whitespace(merged.dictionary)
    if len(trimmed) and pc.min(pc.utf8_length(trimmed)).as_py() == 0:
        return None
    distinct = pc.dictionary_encode(trimmed)
    if len(distinct.dictionary) < len(trimmed):
        codes = np.asarray(distinct.indices).astype(np.int64)[codes]
        trimmed = distinct.dictionary
    return EncodedColumn(trimmed.to_pylist(), codes)


def _read_table_python(path: Path, delimiter: str) -> AnswerColumns:
    """The csv-module reader: slower, but names the line of every problem."""
    indexes: list[dict[str, int]] = [{}, {}, {}]
    codes = [array("q"), array("q"), array("q")]
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise DatasetError(f"{path}: file is empty; it needs a header task,worker,label and answers")
            columns = _find_columns(header, path)
            width = len(header)
            pairs = [(columns[c], indexes[c], codes[c].append) for c in range(3)]
            for row in reader:
                if len(row) != width:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    raise DatasetError(
                        f"{path}: line {reader.line_num}: expected {width} fields, found {len(row)}; "
                        "quote values that contain the delimiter"
                    )
                for column, index, append in pairs:
                    value = row[column].strip()
                    code = index.get(value)
                    if code is None:
                        if not value:
                            raise DatasetError(
                                f"{path}: line {reader.line_num}: empty task, worker or label; "
                                "fill it in or remove the line")
                        code = index[value] = len(index)
                    append(code)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except csv.Error as exc:
        raise DatasetError(f"{path}: malformed CSV ({exc})") from None

    encoded = [EncodedColumn(list(index), np.frombuffer(code, dtype=np.int64))
               for index, code in zip(indexes, codes)]
    return AnswerColumns(encoded[0], encoded[1], encoded[2], _table_describe(path, delimiter))


# -- Parquet ----------------------------------------------------------------------------------
def read_parquet(path: Path) -> AnswerColumns:
    """A Parquet table with task, worker and label columns (needs pyarrow)."""
    try:
        import pyarrow.compute as pc  # type: ignore[import-not-found]
        import pyarrow.parquet as pq  # type: ignore[import-not-found]
    except ImportError:
        raise DatasetError(f"{path}: reading Parquet needs pyarrow; run `pip install pyarrow` or use CSV") from None
    import pyarrow as pa  # type: ignore[import-not-found]

    try:
        _check_parquet_sizes(path, pq.ParquetFile(path).metadata)
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"{path}: not a readable Parquet file ({one_line(exc)}); check the file") from None
    names = [n.lower() for n in table.column_names]
    cols: list[Any] = []
    for column, aliases in COLUMN_ALIASES.items():
        pos = next((names.index(a) for a in aliases if a in names), None)
        if pos is None:
            raise DatasetError(f"{path}: no {column!r} column (columns: {', '.join(table.column_names)})")
        data = table.column(pos)
        if data.null_count:
            raise DatasetError(f"{path}: column {table.column_names[pos]!r} has {data.null_count} empty values; fill or remove those rows")
        if pa.types.is_integer(data.type):
            cols.append(data.to_numpy().astype(np.int64, copy=True))
        else:
            encoded = pc.dictionary_encode(data.combine_chunks())
            cols.append(EncodedColumn(encoded.dictionary.to_pylist(),
                                      encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)))
            del encoded
        del data
    del table
    pa.default_memory_pool().release_unused()  # hand Arrow's buffers back before the fit

    def describe(i: int) -> str:
        return f"row {i + 1}"

    return AnswerColumns(cols[0], cols[1], cols[2], describe)


def _check_parquet_sizes(path: Path, metadata: Any) -> None:
    """Refuse a Parquet file whose footer declares more rows or bytes than memory holds
    before decoding it: a corrupt length field would otherwise make Arrow allocate it."""
    from crowdkit_core.resources import _size, available_memory

    available = available_memory()
    if available is None:
        return
    declared = 0
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        declared += sum(max(group.column(c).total_uncompressed_size, 0) for c in range(group.num_columns))
    needed = max(declared, 0) + 24 * max(metadata.num_rows, 0)  # three int64 columns after reading
    if needed > available // 2:
        raise DatasetError(
            f"{path}: declares {metadata.num_rows} rows and {_size(declared)} of column data, more "
            f"than half the {_size(available)} of memory available; the file is corrupt or too "
            "large for memory (see docs/engines.md for larger-than-memory inputs)")


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (error messages must stay one line)."""
    return " ".join(str(exc).split()) or type(exc).__name__
