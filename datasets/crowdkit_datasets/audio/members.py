"""Reading a few named files straight out of a user's zip or tar archive.

A manual download may be large (audio) while an installer needs two small tables from it;
reading those members directly, with a size cap, avoids extracting the rest. Names are
matched by their ending (``letters/annotations.tsv``) so an extra top-level folder does not
matter; the content is returned as bytes and never written under a name from the archive.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from crowdkit_core.errors import DatasetError

#: The tables read this way are a few MB; a bigger member is not what was asked for.
MAX_TABLE_BYTES = 512 << 20


def _matches(name: str, ending: str) -> bool:
    name = name.rstrip("/")
    return name == ending or name.endswith("/" + ending)


def _archive_names(path: Path) -> list[str]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return [i.filename for i in archive.infolist() if not i.is_dir()]
    try:
        with tarfile.open(path) as archive:
            return [m.name for m in archive.getmembers() if m.isfile()]
    except (tarfile.TarError, OSError):
        raise DatasetError(f"{path}: not a zip or tar archive") from None


def locate(path: Path, endings: dict[str, str], expected: str) -> dict[str, str]:
    """{key: archive member name} for each ``endings[key]``, first match in sorted order;
    a one-line error saying what was expected when one is missing."""
    try:
        names = sorted(_archive_names(path))
    except DatasetError:
        raise DatasetError(f"{path}: not a zip or tar archive; expected {expected}") from None
    found: dict[str, str] = {}
    for key, ending in endings.items():
        match = next((n for n in names if _matches(n, ending)), None)
        if match is None:
            raise DatasetError(f"{path}: holds no {ending}; expected {expected}")
        found[key] = match
    return found


def read_members(path: Path, names: dict[str, str]) -> dict[str, bytes]:
    """{key: content} of the members ``names`` (from :func:`locate`), each size-capped."""
    out: dict[str, bytes] = {}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for key, name in names.items():
                with archive.open(name) as handle:
                    out[key] = _capped(handle.read(MAX_TABLE_BYTES + 1), path, name)
        return out
    with tarfile.open(path) as archive:
        for key, name in names.items():
            handle = archive.extractfile(name)
            if handle is None:
                raise DatasetError(f"{path}: {name} is not a regular file; download the archive again")
            out[key] = _capped(handle.read(MAX_TABLE_BYTES + 1), path, name)
    return out


def _capped(data: bytes, path: Path, name: str) -> bytes:
    if len(data) > MAX_TABLE_BYTES:
        raise DatasetError(f"{path}: {name} is over {MAX_TABLE_BYTES >> 20} MiB; refusing it")
    return data
