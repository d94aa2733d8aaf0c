"""Readers: answers files (JSON, CSV/TSV, Parquet), metadata, gold labels and in-memory input.

Every problem raises :class:`~crowdkit_core.errors.DatasetError` with one line that names the
file, the offending entry and the fix.
"""

from __future__ import annotations

import csv
import json
import os
from array import array
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from crowdkit_core.dataset.model import (
    DUPLICATE_POLICIES, CrowdDataset, DuplicatePolicy, Metadata, sort_order,
)
from crowdkit_core.errors import DatasetError

ANSWER_FILE_CANDIDATES = ("answers.json", "answers.csv", "answers.tsv", "answers.parquet")
TRUTH_FILE_CANDIDATES = ("truth.csv", "truth.tsv", "truth.json")
BUNDLED_PREFIX = "bundled:"
_COLUMN_ALIASES = {
    "task": ("task", "task_id", "item", "item_id", "question"),
    "worker": ("worker", "worker_id", "annotator", "user", "performer"),
    "label": ("label", "answer", "class", "response"),
}


def bundled_dir() -> Path:
    """Folder holding the small real datasets shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "bundled"


def bundled_names() -> list[str]:
    return sorted(p.name for p in bundled_dir().iterdir() if (p / "metadata.json").exists())


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """Turn ``bundled:NAME`` into the bundled folder; return other paths unchanged."""
    text = str(path)
    if text.startswith(BUNDLED_PREFIX):
        name = text[len(BUNDLED_PREFIX):]
        folder = bundled_dir() / name
        if not (folder / "metadata.json").exists():
            raise DatasetError(
                f"{text}: no bundled dataset named {name!r}; available: {', '.join(bundled_names())}"
            )
        return folder
    return Path(path)


def load_dataset(
    path: str | os.PathLike[str],
    *,
    answers_file: str | os.PathLike[str] | None = None,
    metadata_path: str | os.PathLike[str] | None = None,
    duplicates: DuplicatePolicy = "keep",
    n_classes: int | None = None,
    label_names: Sequence[str] | None = None,
) -> CrowdDataset:
    """Load a dataset folder (peerannot layout) or a single answers file.

    A folder holds ``answers.json`` (``{task: {worker: label}}``) or ``answers.csv`` /
    ``.tsv`` / ``.parquet`` (columns ``task,worker,label``), optionally ``metadata.json``
    and gold labels in ``truth.csv`` / ``truth.json``. ``path`` may also be
    ``bundled:NAME`` for a dataset shipped with crowdkit.
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise DatasetError(f"unknown duplicates policy {duplicates!r}; use one of {', '.join(DUPLICATE_POLICIES)}")
    root = resolve_path(path)
    if not root.exists():
        raise DatasetError(f"{root}: no such file or folder; check the dataset path")
    folder = root if root.is_dir() else root.parent
    if answers_file is not None:
        answers = Path(answers_file)
        if not answers.is_absolute() and root.is_dir() and not answers.exists():
            answers = folder / answers
    elif root.is_dir():
        found = [folder / c for c in ANSWER_FILE_CANDIDATES if (folder / c).exists()]
        if not found:
            raise DatasetError(
                f"{root}: no answers file found (looked for {', '.join(ANSWER_FILE_CANDIDATES)}); "
                "add one or pass --answers-file"
            )
        answers = found[0]
    else:
        answers = root
    if not answers.is_file():
        raise DatasetError(f"{answers}: answers file not found; check --answers-file")

    meta_file: Path | None
    if metadata_path is not None:
        meta_file = Path(metadata_path)
        if not meta_file.is_absolute() and not meta_file.exists() and root.is_dir():
            meta_file = folder / meta_file
        if not meta_file.is_file():
            raise DatasetError(f"{meta_file}: metadata file not found; check --metadata-path")
    else:
        candidate = folder / "metadata.json"
        meta_file = candidate if candidate.is_file() else None
    metadata = read_metadata(meta_file) if meta_file else None
    if metadata is not None:
        n_classes = n_classes or metadata.n_classes
        label_names = label_names or metadata.label_names
    default_name = folder.name if root.is_dir() else answers.stem
    if str(path).startswith(BUNDLED_PREFIX):
        default_name = root.name
    name = metadata.name if metadata is not None else default_name

    suffix = answers.suffix.lower()
    if suffix == ".json":
        tasks, workers, labels, describe = _read_answers_json(answers)
    elif suffix in (".csv", ".tsv", ".txt"):
        tasks, workers, labels, describe = _read_answers_table(answers, "\t" if suffix == ".tsv" else ",")
    elif suffix == ".parquet":
        tasks, workers, labels, describe = _read_answers_parquet(answers)
    else:
        raise DatasetError(f"{answers}: unsupported answers format {suffix!r}; use .json, .csv, .tsv or .parquet")

    dataset = build_dataset(
        tasks, workers, labels, name=name, n_classes=n_classes, label_names=label_names,
        duplicates=duplicates, source=str(answers), describe_entry=describe, metadata=metadata,
        metadata_source=str(meta_file) if meta_file else None,
    )
    truth = next((folder / c for c in TRUTH_FILE_CANDIDATES if (folder / c).is_file()), None)
    read = [answers] + ([meta_file] if meta_file else [])
    if truth is not None and root.is_dir():
        dataset.gold = read_gold(truth, dataset)
        read.append(truth)
    dataset.inputs = tuple(str(f) for f in read)
    return dataset


# -- metadata ---------------------------------------------------------------------------------
def _load_json(path: Path, expected: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); "
            f"it must hold {expected}"
        ) from None


def read_metadata(path: Path) -> Metadata:
    """Parse and validate ``metadata.json``."""
    from pydantic import ValidationError

    raw = _load_json(path, 'an object such as {"name": "mydata", "n_classes": 3}')
    if not isinstance(raw, dict):
        raise DatasetError(f'{path}: metadata must be a JSON object such as {{"name": "mydata", "n_classes": 3}}')
    try:
        return Metadata.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "metadata"
        if err["type"] == "missing":
            fix = f'add "{field}"'
        else:
            fix = f"fix the value of {field!r} (got {err.get('input')!r})"
        raise DatasetError(f"{path}: {field}: {err['msg']}; {fix}") from None


# -- answers files ------------------------------------------------------------------------------
_Describe = Callable[[int], str]


def _read_answers_json(path: Path) -> tuple[list, list, list, _Describe]:
    raw = _load_json(path, "an object {task: {worker: label}}")
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: top level must be an object {{task: {{worker: label}}}}, got {type(raw).__name__}")
    tasks: list[str] = []
    workers: list[str] = []
    labels: list[Any] = []
    for task, answers in raw.items():
        if not isinstance(answers, dict):
            raise DatasetError(
                f"{path}: task {task!r} must map to an object {{worker: label}}, got {type(answers).__name__}"
            )
        if not answers:
            raise DatasetError(f"{path}: task {task!r} has no answers; remove it or add answers")
        for worker, label in answers.items():
            if isinstance(label, bool) or not isinstance(label, (int, str)):
                raise DatasetError(
                    f"{path}: task {task!r}, worker {worker!r}: label {label!r} must be an integer "
                    "class index or a label name"
                )
            tasks.append(task)
            workers.append(worker)
            labels.append(label)

    def describe(i: int) -> str:
        return f"task {tasks[i]!r}, worker {workers[i]!r}"

    return tasks, workers, labels, describe


def _find_columns(header: list[str], path: Path) -> tuple[int, int, int]:
    lowered = [h.strip().lower() for h in header]
    idx = []
    for column, aliases in _COLUMN_ALIASES.items():
        pos = next((lowered.index(a) for a in aliases if a in lowered), None)
        if pos is None:
            raise DatasetError(
                f"{path}: line 1: header {','.join(header)!r} has no {column!r} column; "
                "the first line must name the columns task,worker,label"
            )
        idx.append(pos)
    return idx[0], idx[1], idx[2]


class EncodedColumn:
    """A column given as distinct values plus one int64 code per row (no per-row objects).

    Readers of large tables produce these so a 1e7-row file never becomes 1e7 Python strings;
    :func:`build_dataset` accepts them wherever it accepts a sequence.
    """

    __slots__ = ("values", "codes")

    def __init__(self, values: Sequence[Any], codes: np.ndarray) -> None:
        self.values = list(values)
        self.codes = np.asarray(codes, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.codes.size)


def _data_rows(path: Path, delimiter: str):
    """Yield (line number, row) for the non-blank data rows of a CSV/TSV file."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        for row in reader:
            if row and not (len(row) == 1 and not row[0].strip()):
                yield reader.line_num, row


def _read_answers_table(path: Path, delimiter: str) -> tuple[Any, Any, Any, _Describe]:
    """The task, worker and label columns of a CSV/TSV file, each as an EncodedColumn.

    pyarrow's multithreaded reader is used when it is installed and the file is clean; any
    problem (bad field count, empty value, encoding, quoting) sends the file through the
    Python reader below, which names the offending line.
    """
    fast = _read_answers_table_arrow(path, delimiter)
    if fast is not None:
        return fast
    return _read_answers_table_python(path, delimiter)


def _table_describe(path: Path, delimiter: str) -> _Describe:
    """Answer index -> "line N" of the file (scans it; only used for error messages)."""

    def describe(i: int) -> str:
        for n, (line, _) in enumerate(_data_rows(path, delimiter)):
            if n == i:
                return f"line {line}"
        return f"answer {i + 1}"

    return describe


def _read_answers_table_arrow(path: Path, delimiter: str) -> tuple[Any, Any, Any, _Describe] | None:
    """Read with pyarrow.csv, values as text (ids like 007 stay as written), trimmed; None
    when pyarrow is missing or the file needs the Python reader's line-numbered checks."""
    try:
        import pyarrow as pa  # type: ignore[import-not-found]
        import pyarrow.compute as pc  # type: ignore[import-not-found]
        from pyarrow import csv as pacsv  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle, delimiter=delimiter), None)
        if not header:
            return None
        columns = _find_columns(header, path)
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(len(header))],
                                           skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(header))},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowException, UnicodeDecodeError, csv.Error, OSError, DatasetError):
        return None
    encoded = []
    for position in columns:
        values = pc.utf8_trim_whitespace(table.column(position)).combine_chunks()
        if pc.any(pc.equal(pc.utf8_length(values), 0)).as_py():
            return None  # an empty value: the Python reader reports its line
        dictionary = pc.dictionary_encode(values)
        encoded.append(EncodedColumn(
            dictionary.dictionary.to_pylist(),
            dictionary.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        ))
        del values, dictionary
    del table
    pa.default_memory_pool().release_unused()
    return encoded[0], encoded[1], encoded[2], _table_describe(path, delimiter)


def _read_answers_table_python(path: Path, delimiter: str) -> tuple[Any, Any, Any, _Describe]:
    indexes: list[dict[str, int]] = [{}, {}, {}]
    codes = [array("q"), array("q"), array("q")]
    try:
        with path.open(newline="", encoding="utf-8") as handle:
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
    return encoded[0], encoded[1], encoded[2], _table_describe(path, delimiter)


def _read_answers_parquet(path: Path) -> tuple[Any, Any, Any, _Describe]:
    try:
        import pyarrow.compute as pc  # type: ignore[import-not-found]
        import pyarrow.parquet as pq  # type: ignore[import-not-found]
    except ImportError:
        raise DatasetError(f"{path}: reading Parquet needs pyarrow; run `pip install pyarrow` or use CSV") from None
    import pyarrow as pa  # type: ignore[import-not-found]

    table = pq.read_table(path)
    names = [n.lower() for n in table.column_names]
    cols: list[Any] = []
    for column, aliases in _COLUMN_ALIASES.items():
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

    return cols[0], cols[1], cols[2], describe


# -- shared construction ------------------------------------------------------------------------
def _is_int_like(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    if isinstance(value, str):
        text = value.strip()
        return text.lstrip("-").isdigit()
    return False


def _encode_integers(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct integers and each value's index among them.

    When the values span a range not much wider than their count (ids 0..n-1, say), a
    presence table does it in O(n); otherwise ``np.unique`` sorts.
    """
    low, high = int(array.min()), int(array.max())
    if high - low <= 4 * array.size + 1024:
        offsets = (array - low).astype(np.int64, copy=False)
        present = np.zeros(high - low + 1, dtype=bool)
        present[offsets] = True
        if present.all():  # every value of the range occurs: the offsets are the codes
            return np.arange(low, high + 1), offsets if offsets is not array else offsets.copy()
        index_of = np.cumsum(present, dtype=np.int64)
        index_of -= 1
        return np.flatnonzero(present) + low, index_of[offsets]
    uniques, codes = np.unique(array, return_inverse=True)
    return uniques, codes.astype(np.int64, copy=False)


def _encode_ids(raw: Sequence[Any] | EncodedColumn) -> tuple[np.ndarray, np.ndarray]:
    """Unique ids (numeric order when every id is an integer, else text order) and codes."""
    if isinstance(raw, EncodedColumn):
        uniques, codes = _encode_ids(raw.values)  # codes: position of each value in its order
        return uniques, codes[raw.codes]
    array = np.asarray(raw)
    if array.dtype.kind in "iu":
        uniques, codes = _encode_integers(array)
        return uniques.astype(object), codes
    if array.dtype.kind not in "U":
        array = np.asarray([str(v) for v in raw])
    uniques, codes = np.unique(array, return_inverse=True)
    if np.char.isdigit(uniques).all() and uniques.size:
        try:
            keys = uniques.astype(np.int64)
        except (OverflowError, ValueError):
            keys = None
        if keys is not None:
            order = np.argsort(keys, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            uniques, codes = uniques[order], rank[codes]
    return np.asarray(uniques.tolist(), dtype=object), codes


def _encode_labels(
    raw: Sequence[Any],
    n_classes: int | None,
    label_names: Sequence[str] | None,
    where: str,
    describe: _Describe,
    warnings: list[str],
) -> tuple[np.ndarray, int, tuple[str, ...] | None]:
    uniques, codes = _encode_ids(raw)
    values = list(uniques)

    def fail(bad: Any, message: str) -> DatasetError:
        first = int(np.flatnonzero(codes == values.index(bad))[0])
        return DatasetError(f"{where}: {describe(first)}: {message}")

    if label_names is not None:
        names = [str(n) for n in label_names]
        lookup = {n: i for i, n in enumerate(names)}
        k = n_classes or len(names)
        mapping = []
        for v in values:
            if str(v) in lookup:
                mapping.append(lookup[str(v)])
            elif _is_int_like(v) and 0 <= int(v) < k:
                mapping.append(int(v))
            else:
                raise fail(v, f"unknown label {v!r}; known labels: {', '.join(names)} "
                              f"(or class indices 0..{k - 1}); fix the label or label_names")
        return np.asarray(mapping, dtype=np.int64)[codes], k, tuple(names)
    if n_classes is not None:
        mapping = []
        for v in values:
            if not _is_int_like(v):
                raise fail(v, f"label {v!r} is not a class index; without label_names labels "
                              f"must be integers 0..{n_classes - 1} (add label_names to the metadata)")
            if not 0 <= int(v) < n_classes:
                raise fail(v, f"label {int(v)} is outside 0..{n_classes - 1}; labels are class "
                              f"indices below n_classes={n_classes}: fix the label or n_classes")
            mapping.append(int(v))
        return np.asarray(mapping, dtype=np.int64)[codes], n_classes, None
    # No metadata: the distinct labels are the classes, in sorted order.
    if len(values) < 2:
        warnings.append(f"{where}: only one distinct label ({values[0]!r}) appears; "
                        "give n_classes in metadata.json if there are more classes")
    names = tuple(str(v) for v in values)
    if all(_is_int_like(v) for v in values):
        ints = [int(v) for v in values]
        if ints[0] == 0 and ints != list(range(len(ints))):
            warnings.append(
                f"{where}: labels look like class indices but {sorted(set(range(max(ints) + 1)) - set(ints))} "
                "never occur; they are treated as label names. Give n_classes in metadata.json "
                "to keep them as indices"
            )
    k = max(len(values), 2)
    if k > len(names):
        names = names + tuple(f"class_{i}" for i in range(len(names), k))
    return codes.astype(np.int64), k, names


def build_dataset(
    tasks: Sequence[Any],
    workers: Sequence[Any],
    labels: Sequence[Any],
    *,
    name: str = "dataset",
    n_classes: int | None = None,
    label_names: Sequence[str] | None = None,
    duplicates: DuplicatePolicy = "keep",
    source: str = "input",
    describe_entry: _Describe | None = None,
    metadata: Metadata | None = None,
    metadata_source: str | None = None,
) -> CrowdDataset:
    """Encode raw ids and labels, apply the duplicate policy and check the metadata."""
    if not (len(tasks) == len(workers) == len(labels)):
        raise DatasetError(f"{source}: tasks, workers and labels have different lengths")
    if len(tasks) == 0:
        raise DatasetError(f"{source}: the dataset has no answers; add at least one")
    if duplicates not in DUPLICATE_POLICIES:
        raise DatasetError(f"unknown duplicates policy {duplicates!r}; use one of {', '.join(DUPLICATE_POLICIES)}")
    describe = describe_entry or (lambda i: f"answer {i}")
    if n_classes is not None and n_classes < 2:
        raise DatasetError(f"{source}: n_classes={n_classes}; there must be at least 2 classes")
    if label_names is not None and n_classes is not None and len(label_names) != n_classes:
        raise DatasetError(
            f"{metadata_source or source}: label_names has {len(label_names)} names but "
            f"n_classes={n_classes}; make them agree"
        )
    warnings: list[str] = []
    task_ids, task_codes = _encode_ids(tasks)
    worker_ids, worker_codes = _encode_ids(workers)
    label_codes, k, names = _encode_labels(labels, n_classes, label_names, source, describe, warnings)

    n_workers = len(worker_ids)
    task_codes, worker_codes, label_codes, n_dup, keep = _apply_duplicates(
        task_codes.astype(np.int64, copy=False), worker_codes.astype(np.int64, copy=False),
        label_codes, n_workers, k, duplicates, source, describe, task_ids, worker_ids,
    )
    if n_dup and keep is None:
        warnings.append(f"{source}: {n_dup} repeated (task, worker) answers are all kept (duplicates=keep)")

    if metadata is not None:
        where = metadata_source or source
        if metadata.n_tasks is not None and metadata.n_tasks != len(task_ids):
            raise DatasetError(
                f"{where}: n_tasks={metadata.n_tasks} but the answers have {len(task_ids)} tasks "
                "with answers; fix n_tasks (tasks without answers cannot be aggregated)"
            )
        if metadata.n_workers is not None:
            if metadata.n_workers < n_workers:
                raise DatasetError(
                    f"{where}: n_workers={metadata.n_workers} but {n_workers} distinct workers "
                    "answered; fix n_workers"
                )
            if metadata.n_workers > n_workers:
                warnings.append(f"{where}: n_workers={metadata.n_workers} but only {n_workers} workers answered")
    return CrowdDataset(
        task_codes, worker_codes, label_codes, k, task_ids, worker_ids, names, name=name,
        metadata=metadata, source=source, n_duplicates=n_dup if keep is None else 0,
        warnings=warnings, presorted=True,
    )


def _apply_duplicates(
    task_codes: np.ndarray, worker_codes: np.ndarray, label_codes: np.ndarray, n_workers: int,
    k: int, duplicates: DuplicatePolicy, source: str, describe: _Describe,
    task_ids: np.ndarray, worker_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray | None]:
    """Sort answers by (task, worker, label), count repeated (task, worker) pairs, apply the policy.

    Returns the sorted codes, the number of repeats, and the kept original positions (None
    when every answer is kept). One unstable sort of a packed key finds repeats; only when
    some exist and the policy needs input order (first, last, error) is a stable sort run.
    """
    pair = task_codes * n_workers + worker_codes
    order = sort_order(task_codes, worker_codes, label_codes, n_workers, k)
    sorted_pair = pair if order is None else pair[order]
    repeated = sorted_pair[1:] == sorted_pair[:-1]
    n_dup = int(np.count_nonzero(repeated))

    def take(index: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if index is None:
            return task_codes, worker_codes, label_codes
        return task_codes[index], worker_codes[index], label_codes[index]

    if n_dup == 0 or duplicates == "keep":
        return (*take(order), n_dup, None)
    stable = np.argsort(pair, kind="stable")  # input order within each repeated pair
    in_order = pair[stable]
    starts = np.flatnonzero(np.r_[True, in_order[1:] != in_order[:-1]])
    if duplicates == "error":
        sizes = np.diff(np.r_[starts, pair.size])
        second = stable[starts[sizes > 1] + 1]  # each repeated pair's second answer
        i = int(second.min())
        raise DatasetError(
            f"{source}: {describe(i)}: worker {worker_ids[worker_codes[i]]!r} answered task "
            f"{task_ids[task_codes[i]]!r} more than once; choose --duplicates keep, first or last"
        )
    ends = np.r_[starts[1:], pair.size] - 1
    keep = stable[starts] if duplicates == "first" else stable[ends]  # sorted by pair already
    return (*take(keep), n_dup, keep)


# -- gold labels, task lists, in-memory input ------------------------------------------------------
def read_gold(path: Path, dataset: CrowdDataset) -> np.ndarray:
    """Gold label per task of ``dataset`` (-1 where unknown) from truth.csv/.tsv/.json."""
    if path.suffix.lower() == ".json":
        raw = _load_json(path, "an object {task: label}")
        if not isinstance(raw, dict):
            raise DatasetError(f"{path}: gold labels must be an object {{task: label}}")
        pairs = list(raw.items())
    else:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            header = [h.strip().lower() for h in next(reader, [])]
            if "task" not in header or "label" not in header:
                raise DatasetError(f"{path}: line 1: header must name the columns task,label")
            ti, li = header.index("task"), header.index("label")
            pairs = [(row[ti].strip(), row[li].strip()) for row in reader if row]
    index = {str(t): i for i, t in enumerate(dataset.task_ids)}
    names = {n: i for i, n in enumerate(dataset.label_names or ())}
    gold = np.full(dataset.n_tasks, -1, dtype=np.int64)
    for task, label in pairs:
        i = index.get(str(task))
        if i is None:
            continue
        if str(label) in names:
            gold[i] = names[str(label)]
        elif _is_int_like(label) and 0 <= int(label) < dataset.n_classes:
            gold[i] = int(label)
        else:
            raise DatasetError(f"{path}: task {task!r}: unknown gold label {label!r}; use a label name or class index")
    return gold


def read_task_list(path: str | os.PathLike[str], dataset: CrowdDataset) -> np.ndarray:
    """Boolean mask of tasks named in ``path`` (text, one id a line; JSON list; or .npy indices)."""
    file = Path(path)
    if not file.is_file():
        raise DatasetError(f"{file}: task list not found; check --path-remove")
    if file.suffix.lower() == ".npy":
        try:
            values = [str(v) for v in np.load(file, allow_pickle=False).ravel().tolist()]
        except ValueError as exc:
            raise DatasetError(f"{file}: not a numpy array of task ids ({exc})") from None
    elif file.suffix.lower() == ".json":
        raw = _load_json(file, "a list of task ids")
        if not isinstance(raw, list):
            raise DatasetError(f"{file}: must hold a JSON list of task ids")
        values = [str(v) for v in raw]
    else:
        values = [line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    index = {str(t): i for i, t in enumerate(dataset.task_ids)}
    mask = np.zeros(dataset.n_tasks, dtype=bool)
    for value in values:
        i = index.get(value)
        if i is None:
            raise DatasetError(f"{file}: task {value!r} is not in the dataset; remove it from the list")
        mask[i] = True
    return mask


def _column_values(column: Any) -> Sequence[Any] | EncodedColumn:
    """A column's values without per-row Python objects where possible.

    Integer columns stay numpy arrays; other pandas columns are factorised by pandas (a hash
    table, much faster than sorting 1e6 strings) into an :class:`EncodedColumn`; anything
    else becomes a list.
    """
    if getattr(getattr(column, "dtype", None), "kind", "") in ("i", "u"):
        return np.asarray(column.to_numpy() if hasattr(column, "to_numpy") else column)
    if type(column).__module__.startswith("pandas"):
        import pandas as pd

        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        if not pd.isna(uniques).any():  # missing values keep their own text (None, nan) below
            return EncodedColumn(np.asarray(uniques.to_numpy(), dtype=object), codes)
    return list(column.to_numpy() if hasattr(column, "to_numpy") else column)


def as_dataset(data: Any, **kwargs: Any) -> CrowdDataset:
    """Coerce in-memory input to a :class:`CrowdDataset`.

    Accepts a CrowdDataset, a ``{task: {worker: label}}`` dict, a ``(tasks, workers, labels)``
    tuple of sequences, or a pandas DataFrame with ``task``, ``worker``, ``label`` columns.
    """
    if isinstance(data, CrowdDataset):
        return data
    if isinstance(data, dict):
        tasks, workers, labels = [], [], []
        for task, answers in data.items():
            if not isinstance(answers, dict) or not answers:
                raise DatasetError(f"input: task {task!r} must map to a non-empty {{worker: label}} dict")
            for worker, label in answers.items():
                tasks.append(task)
                workers.append(worker)
                labels.append(label)
        return build_dataset(tasks, workers, labels, source="dict", **kwargs)
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):
        cols = {str(c).lower(): c for c in data.columns}
        picked = []
        for column, aliases in _COLUMN_ALIASES.items():
            key = next((cols[a] for a in aliases if a in cols), None)
            if key is None:
                raise DatasetError(f"DataFrame: no {column!r} column (columns: {', '.join(map(str, data.columns))})")
            picked.append(_column_values(data[key]))
        return build_dataset(*picked, source="DataFrame", **kwargs)
    if isinstance(data, (tuple, list)) and len(data) == 3:
        return build_dataset(*(_column_values(c) for c in data), source="arrays", **kwargs)
    raise TypeError(
        f"cannot build a dataset from {type(data).__name__}: pass a CrowdDataset, a "
        "{task: {worker: label}} dict, (tasks, workers, labels) sequences or a DataFrame "
        "with task, worker, label columns"
    )
