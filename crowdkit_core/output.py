"""Files on disk, all or nothing: atomic writes of a set of files, and JSON text.

Each file is written to a temporary file in its target folder, then renamed into place, so a
reader never sees a partial file. A set is staged completely before the first rename; on any
error every file of the set keeps its previous content (or stays absent) and no temporary
file is left behind. Files are created with mode ``0666`` minus the umask, like any file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: the old file or the complete new one, never a partial one."""
    write_files_atomically({Path(path): data})


def write_files_atomically(files: Mapping[Path, bytes]) -> None:
    """Write every file of ``files`` ({path: bytes}) or, on any error, none of them."""
    made_dirs: list[Path] = []
    staged: list[tuple[Path, Path]] = []  # (temporary, target)
    placed: list[tuple[Path, Path | None]] = []  # (target, its previous content set aside)
    try:
        for path in files:
            made_dirs += _make_parents(Path(path))
        for path, data in files.items():
            staged.append((_stage(Path(path), data), Path(path)))
        for tmp, path in staged:
            placed.append((path, _set_aside(path)))
            os.replace(tmp, path)
    except BaseException:
        for path, previous in reversed(placed):
            _restore(path, previous)
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            _remove_empty(folder)
        raise
    for _, previous in placed:
        if previous is not None:
            previous.unlink(missing_ok=True)


def _make_parents(path: Path) -> list[Path]:
    """Create ``path``'s missing parent folders; return those created, outermost first."""
    missing = [p for p in reversed(path.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    return missing


def _stage(path: Path, data: bytes) -> Path:
    """``data`` in a new temporary file next to ``path`` (synced to disk); its path."""
    while True:
        tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _set_aside(path: Path) -> Path | None:
    """Rename an existing ``path`` to a temporary name (to restore it on failure); that name."""
    if not path.exists():
        return None
    aside = path.with_name(f".{path.name}.{os.urandom(4).hex()}.old")
    os.replace(path, aside)
    return aside


def _restore(path: Path, previous: Path | None) -> None:
    """Undo one placed file: put its previous content back, or remove it if it was new."""
    if previous is None:
        path.unlink(missing_ok=True)
    elif previous.exists():
        os.replace(previous, path)


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # not empty (someone else wrote there) or already gone: leave it
        pass


def to_json(data: Any, *, depth: int | None = None) -> str:
    """Indented JSON text with a final newline; numpy values and paths become plain JSON.

    With ``depth``, only the outer ``depth`` levels of objects are indented (keys as text) and
    each value below them is written on one line by json's C encoder: the indenting encoder
    is pure Python, far too slow for per-task and per-worker tables.
    """
    if depth is None:
        return json.dumps(data, indent=2, sort_keys=False, default=_json_default) + "\n"
    return _indented(data, depth, "") + "\n"


def _indented(value: Any, depth: int, pad: str) -> str:
    if depth <= 0 or not isinstance(value, dict) or not value:
        return json.dumps(value, default=_json_default)
    inner = pad + "  "
    items = [f"{inner}{json.dumps(str(key))}: {_indented(item, depth - 1, inner)}" for key, item in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
