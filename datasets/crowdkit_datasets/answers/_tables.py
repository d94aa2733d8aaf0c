"""Reading the sources' answer tables: CSV/TSV with or without a header, whitespace tables.

Every reader returns plain string tuples in file order and tolerates what the real files
hold: a UTF-8 byte-order mark, CRLF line ends, blank lines, spaces around values. A short or
empty row is a :class:`~crowdkit_core.errors.DatasetError` naming the file and the line.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

from crowdkit_core.errors import DatasetError

Row = tuple[str, ...]


def read_rows(path: Path, columns: Sequence[str | int], *, delimiter: str = ",",
              header: bool = True) -> list[Row]:
    """The ``columns`` (header names, or positions when ``header`` is False) of each data row.

    A name may list alternatives separated by ``|`` (``worker|performer``); names are
    matched case-insensitively.
    """
    rows: list[Row] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            if header:
                first = next(reader, None)
                if first is None:
                    raise DatasetError(f"{path}: file is empty; delete the download and install again")
                index = _positions(path, [h.strip().lower() for h in first], columns)
            else:
                index = [int(c) for c in columns]
            need = max(index) + 1
            for row in reader:
                if not row or all(not v.strip() for v in row):
                    continue
                values = tuple(row[i].strip() for i in index) if len(row) >= need else ()
                if not values or not all(values):
                    raise DatasetError(f"{path}: line {reader.line_num}: expected {need} non-empty "
                                       f"fields, found {row!r}; delete the download and install again")
                rows.append(values)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason}); delete the download and "
                           "install again") from None
    except csv.Error as exc:
        raise DatasetError(f"{path}: malformed table ({exc}); delete the download and install again") from None
    return rows


def read_whitespace(path: Path, n_columns: int) -> list[Row]:
    """Rows of a headerless whitespace-separated table (Zhang et al.'s ``*_crowd.txt``)."""
    rows: list[Row] = []
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < n_columns:
                raise DatasetError(f"{path}: line {number}: expected {n_columns} fields, found "
                                   f"{len(fields)}; delete the download and install again")
            rows.append(tuple(fields[:n_columns]))
    return rows


def _positions(path: Path, header: list[str], columns: Sequence[str | int]) -> list[int]:
    found = []
    for column in columns:
        names = str(column).lower().split("|")
        pos = next((header.index(n) for n in names if n in header), None)
        if pos is None:
            raise DatasetError(f"{path}: line 1: no {column!r} column in header {','.join(header)!r}; "
                               "the source changed its format, report it to the installer's authors")
        found.append(pos)
    return found
