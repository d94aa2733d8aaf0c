"""Reading the user's answers file in one of peerannot's formats, or as a table.

Every reader returns :class:`Row` s (task, worker, raw label, where it came from), so that
label coding, duplicate and range checks happen once, whatever the format. Formats are named
by peerannot's numeric codes or by readable names (:data:`FORMATS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, NamedTuple

from crowdkit_core.dataset.formats import load_json, read_table
from crowdkit_core.errors import DatasetError

#: Accepted ``--answers-format`` values and the format each names (0/1/2: peerannot's codes).
FORMATS: dict[str, str] = {
    "0": "matrix", "matrix": "matrix",
    "1": "task-json", "task-json": "task-json",
    "2": "worker-json", "worker-json": "worker-json",
    "table": "table", "csv": "table", "tsv": "table",
}


class Row(NamedTuple):
    """One answer as written in the user's file."""

    task: str
    worker: str
    label: Any
    #: "line 3, column 2", "task '4', worker '7'": text, or an object whose str() is that text.
    where: Any


def format_name(value: str, option: str) -> str:
    """The format ``value`` names (``--option`` is named in the error)."""
    try:
        return FORMATS[str(value).strip().lower()]
    except KeyError:
        raise DatasetError(f"--{option} {value!r}: unknown format; use one of "
                           f"{', '.join(FORMATS)}") from None


def existing_file(value: str | Path, option: str) -> Path:
    """``value`` as a path to an existing file, or a one-line error naming ``--option``."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise DatasetError(f"{path}: file not found; check --{option}")
    return path


def read_text(path: Path) -> str:
    """A UTF-8 text file's content (a one-line error otherwise)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                           "save it as UTF-8") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from None


def text_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, stripped text) of each line up to the last non-blank one; a blank line
    before it is an error, since line numbers are task numbers in these files."""
    lines = [line.strip() for line in read_text(path).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    for number, line in enumerate(lines, 1):
        if not line:
            raise DatasetError(f"{path}: line {number} is blank; line numbers are task numbers "
                               "here, so remove the blank line or fill it")
    return list(enumerate(lines, 1))


def read_rows(path: Path, fmt: str) -> list[Row]:
    """The answers of ``path`` in format ``fmt`` (a value of :data:`FORMATS`)."""
    return READERS[fmt](path)


def read_matrix(path: Path) -> list[Row]:
    """Rodrigues' worker-column matrix: line i = task i, column j = worker j, -1 = no answer,
    values separated by whitespace (integers, or integral numbers such as ``3.0``)."""
    rows: list[Row] = []
    width = None
    for number, line in text_lines(path):
        values = line.split()
        if width is None:
            width = len(values)
        elif len(values) != width:
            raise DatasetError(f"{path}: line {number} has {len(values)} columns but line 1 has "
                               f"{width}; every line needs one value per worker (-1: no answer)")
        for column, text in enumerate(values):
            label = _matrix_value(text, path, number, column)
            if label != -1:
                rows.append(Row(str(number - 1), str(column), label,
                                f"line {number}, column {column + 1}"))
    return rows


def _matrix_value(text: str, path: Path, number: int, column: int) -> int:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer() or value < -1:
        raise DatasetError(f"{path}: line {number}, column {column + 1}: {text!r} is not a class "
                           "index or -1 (no answer); fix the value")
    return int(value)


def read_task_json(path: Path) -> list[Row]:
    """``{task: {worker: label}}`` (peerannot's answers.json); a task mapping to ``{}`` has no
    answers (peerannot's own conversion writes such tasks)."""
    return _nested_json(path, outer="task", inner="worker")


def read_worker_json(path: Path) -> list[Row]:
    """``{worker: {task: label}}``."""
    return _nested_json(path, outer="worker", inner="task")


def _nested_json(path: Path, *, outer: str, inner: str) -> list[Row]:
    shape = f"an object {{{outer}: {{{inner}: label}}}}"
    raw = load_json(path, shape)
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: top level must be {shape}, got {type(raw).__name__}")
    rows: list[Row] = []
    for key, answers in raw.items():
        if not isinstance(answers, dict):
            raise DatasetError(f"{path}: {outer} {key!r} must map to an object {{{inner}: label}}, "
                               f"got {type(answers).__name__}")
        for other, label in answers.items():
            where = f"{outer} {key!r}, {inner} {other!r}"
            if isinstance(label, bool) or not isinstance(label, (int, str)):
                raise DatasetError(f"{path}: {where}: label {label!r} must be an integer class "
                                   "index or a label name")
            task, worker = (key, other) if outer == "task" else (other, key)
            rows.append(Row(str(task), str(worker), label, where))
    return rows


def read_answer_table(path: Path) -> list[Row]:
    """A task,worker,label table with a header, read by crowdkit's own CSV reader (tab
    separated for ``.tsv``, comma separated otherwise)."""
    columns = read_table(path, "\t" if path.suffix.lower() == ".tsv" else ",")
    tasks, workers, labels = (_values(c) for c in columns[:3])
    describe = columns.describe or (lambda i: f"answer {i + 1}")
    # "where" is computed lazily: describe() rescans the file, so only errors call it.
    return [Row(str(t), str(w), lab, _Lazy(describe, i))
            for i, (t, w, lab) in enumerate(zip(tasks, workers, labels))]


class _Lazy:
    """A "where" text computed only when an error message needs it."""

    __slots__ = ("describe", "index")

    def __init__(self, describe: Callable[[int], str], index: int) -> None:
        self.describe, self.index = describe, index

    def __str__(self) -> str:
        return self.describe(self.index)


def _values(column: Any) -> list[Any]:
    """A reader's column as plain values (decoding an EncodedColumn)."""
    if hasattr(column, "codes"):
        return [column.values[c] for c in column.codes.tolist()]
    return list(column)


READERS: dict[str, Callable[[Path], list[Row]]] = {
    "matrix": read_matrix,
    "task-json": read_task_json,
    "worker-json": read_worker_json,
    "table": read_answer_table,
}
