"""Checks on where a result set will go, run before any work, and bounded file names.

A fit can take minutes; finding out afterwards that ``-o`` names a file, a read-only folder
or a path under ``/proc`` wastes them and used to end in a traceback. :func:`check_targets`
proves the location writable by creating (and removing) a probe folder exactly where the
set's transaction will be staged, and leaves the file system as it found it.
"""

from __future__ import annotations

import errno
import hashlib
import os
from contextlib import suppress
from pathlib import Path
from typing import Iterable

from crowdkit_core.errors import OutputError

#: Longest generated file name in bytes (ext4, xfs, btrfs, tmpfs allow 255).
NAME_MAX = 255
#: Room kept for the longest suffix a set adds to its stem (``.provenance.json``).
SUFFIX_ROOM = 24


def bounded_stem(stem: str, limit: int = NAME_MAX - SUFFIX_ROOM) -> str:
    """``stem`` if it fits in ``limit`` UTF-8 bytes, else its start plus a hash of the whole
    (so two long names never collide and the same name always gives the same file)."""
    raw = stem.encode("utf-8")
    if len(raw) <= limit:
        return stem
    digest = hashlib.sha256(raw).hexdigest()[:16]
    head = raw[: limit - len(digest) - 1].decode("utf-8", errors="ignore")
    return f"{head}-{digest}"


def check_targets(paths: Iterable[Path], option: str = "--output-dir") -> None:
    """Raise :class:`OutputError` (one line, naming the path and the fix) unless every path
    can be written: parents are (or can be made) folders, targets are not folders, and the
    nearest existing folder accepts new entries."""
    paths = [Path(p) for p in paths]
    for path in paths:
        if path.is_dir():
            raise OutputError(f"{path}: is a folder where the result file must go; remove it or "
                              f"choose another {option}")
        if len(path.name.encode("utf-8")) > NAME_MAX:
            raise OutputError(f"{path.name[:40]}...: file name longer than {NAME_MAX} bytes; "
                              "use a shorter dataset name or strategy spec")
    for folder in {p.parent for p in paths}:
        check_folder(folder, option)


def check_folder(folder: Path, option: str = "--output-dir") -> None:
    """Raise :class:`OutputError` unless ``folder`` is, or can be created as, a writable folder."""
    existing = folder
    while not existing.exists():
        if existing.is_symlink():
            raise OutputError(f"{existing}: a broken symbolic link; fix it or choose another {option}")
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{existing}: exists and is not a folder; choose another {option}")
    probe = existing / f".crowdkit-tx-probe-{os.urandom(6).hex()}"
    try:
        probe.mkdir()
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write there ({_reason(exc)}); choose another "
                          f"{option} or fix its permissions") from None
    with suppress(OSError):
        probe.rmdir()


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EROFS:
        return "read-only file system"
    return exc.strerror or " ".join(str(exc).split()) or type(exc).__name__


def write_error(exc: OSError, folder: Path) -> OutputError:
    """The one-line error for a write that failed anyway (disk full, quota, removed folder)."""
    where = exc.filename or folder
    return OutputError(f"{where}: cannot write the results ({_reason(exc)}); nothing was "
                       "changed there: free space or choose another --output-dir")
