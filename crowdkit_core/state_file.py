"""The incremental state file: what ``crowd aggregate BATCH --update STATE`` reads and rewrites.

A ``.npz`` archive (numpy's zip of ``.npy`` arrays, no pickles) holding the strategy's
arrays plus ``header``, a JSON text with the format name, version, strategy, canonical
spec, parameters, label names and a SHA-256 checksum over every other array's name, dtype,
shape and bytes in name order. Reading checks all of them, so a truncated, edited or
mismatched file is a one-line :class:`StateFileError` and never silently mixes datasets.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from typing import Any, Mapping

import numpy as np

from crowdkit_core.errors import CrowdkitError

FORMAT = "crowdkit-state"
VERSION = 1


class StateFileError(CrowdkitError, ValueError):
    """A state file is unreadable, corrupt, or was built by another strategy or spec."""


def checksum(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the arrays' names, dtypes, shapes and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def encode_state(strategy: str, spec: str, parameters: Mapping[str, Any],
                 label_names: tuple[str, ...], arrays: Mapping[str, np.ndarray]) -> bytes:
    """The state file's bytes (write them with ``output.write_files_atomically``)."""
    header = {"format": FORMAT, "version": VERSION, "strategy": strategy, "spec": spec,
              "parameters": dict(parameters), "label_names": list(label_names),
              "sha256": checksum(arrays)}
    buffer = io.BytesIO()
    np.savez(buffer, header=np.array(json.dumps(header)), **arrays)
    return buffer.getvalue()


def read_state(path: str | os.PathLike[str], strategy: str, spec: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Header and arrays of the state file ``path``, checked against ``strategy`` and its
    canonical ``spec``; a one-line :class:`StateFileError` for any problem."""
    source = os.fspath(path)
    try:
        with np.load(source, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise StateFileError(f"{source}: no such state file") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        why = "not a .npz archive" if "pickle" in str(exc) else str(exc)
        raise StateFileError(f"{source}: not a readable crowdkit state file ({why}); give the "
                             "file a previous --update wrote, or a new path to start one") from None
    try:
        header = json.loads(str(arrays.pop("header")))
    except (KeyError, ValueError):
        raise StateFileError(f"{source}: no valid header; not a crowdkit state file") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StateFileError(f"{source}: not a crowdkit state file (format is not {FORMAT!r})")
    if header.get("version") != VERSION:
        raise StateFileError(f"{source}: state version {header.get('version')!r} is not supported "
                             f"(this crowdkit reads version {VERSION}); rebuild the state")
    if header.get("sha256") != checksum(arrays):
        raise StateFileError(f"{source}: checksum mismatch, the state file is corrupt or was "
                             "edited; rebuild it from the answers")
    if header.get("strategy") != strategy or header.get("spec") != spec:
        raise StateFileError(f"{source}: state built by {header.get('spec')!r}, not {spec!r}; run "
                             f"with -s '{header.get('spec')}' or give a new state path")
    return header, arrays
