"""Files on disk, all or nothing: atomic writes of a set of files, and JSON text.

A set is staged completely in a hidden transaction folder and committed by one rename
(:mod:`crowdkit_core.result_set`): on any error or signal every file of the set keeps its
previous content (or stays absent), or the whole new set is in place; no temporary file is
left behind. Files are created with mode ``0666`` minus the umask, like any file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: the old file or the complete new one, never a partial one."""
    write_files_atomically({Path(path): data})


def write_files_atomically(files: Mapping[Path, bytes], remove: Iterable[Path] = ()) -> None:
    """Write every file of ``files`` ({path: bytes}) and delete ``remove`` as one set: on any
    error or signal the old set stays, or the complete new one (:mod:`crowdkit_core.result_set`)."""
    from crowdkit_core.result_set import commit_files

    commit_files(files, remove)


def npy_bytes(array: Any) -> bytes:
    """``numpy.save`` output in memory, without pickle (plain numeric or fixed-width text)."""
    import io

    import numpy as np

    values = np.asarray(array)
    buffer = io.BytesIO()  # C order whatever the input's (a 0-d array stays 0-d)
    np.save(buffer, values if values.flags.c_contiguous else values.copy(order="C"),
            allow_pickle=False)
    return buffer.getvalue()


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
