"""Reading the delimited tables the audio sources ship, and numbering their ids.

Both sources are CSV/TSV files with a header row; an installer names the columns it needs
and gets one dict per row, or a one-line :class:`DatasetError` naming the file and the
missing column. Ids are numbered in sorted order (numeric ids numerically), never in set or
hash order, so the same files give the same task and worker indices on every run.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Sequence

from crowdkit_core.errors import DatasetError


def read_rows(path: Path, columns: Sequence[str], *, delimiter: str = ",") -> list[dict[str, str]]:
    """Rows of ``path`` as {column: stripped value}, checking that ``columns`` exist."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in columns if c not in header]
            if missing:
                raise DatasetError(
                    f"{path}: no column {missing[0]!r} (header: {', '.join(header) or 'empty'}); "
                    "the file is not the expected release, download it again")
            reader.fieldnames = header
            return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason}); download it again") from None
    except csv.Error as exc:
        raise DatasetError(f"{path}: malformed table ({exc}); download it again") from None


def sort_key(value: str) -> tuple[int, int | str]:
    """Numeric ids in numeric order, then the others in text order."""
    text = str(value)
    return (0, int(text)) if text.lstrip("-").isdigit() else (1, text)


def numbering(ids: Iterable[str]) -> dict[str, int]:
    """{id: index} with indices 0..n-1 given in :func:`sort_key` order of the distinct ids."""
    return {value: i for i, value in enumerate(sorted(set(ids), key=sort_key))}


def find_file(root: Path, relative: str) -> Path:
    """The one file under ``root`` whose path ends with ``relative`` (an archive may add a
    top-level folder); a DatasetError naming what is missing otherwise."""
    direct = root / relative
    if direct.is_file():
        return direct
    name = relative.rsplit("/", 1)[-1]
    found = sorted(p for p in root.rglob(name) if p.as_posix().endswith("/" + relative))
    if not found:
        raise DatasetError(f"{root}: the archive holds no {relative}; it is not the expected "
                           "release, delete it from the cache and install again")
    return found[0]


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Write a small CSV side file (``\\n`` line ends, stable bytes)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path
