"""Provenance records: what was run, on which inputs (fingerprinted), and what came out.

A record is a JSON-ready dict written next to the labels, so that anyone holding the files can
tell which strategy, parameters, code versions and input bytes produced them.
"""

from __future__ import annotations

import hashlib
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from crowdkit_core.application import AggregationResult


def sha256_files(paths: Iterable[str | Path]) -> str:
    """One SHA-256 over the given files' bytes, in order (the input checksum)."""
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def package_version(dist: str = "crowdkit-core") -> str:
    """Installed version of ``dist`` (crowdkit's own ``__version__`` when not installed)."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        from crowdkit_core import __version__

        return __version__


def run_header(spec: Any, data: Any, inputs: Iterable[str | Path]) -> dict[str, Any]:
    """What ran on what: versions, the canonical spec and parameters, its plugin, the dataset,
    every input file with one checksum over them, and the dataset's sizes."""
    files = [str(p) for p in inputs]
    return {
        "crowdkit_version": package_version(),
        "strategy": spec.canonical,
        "parameters": spec.params.model_dump(mode="json"),
        "plugin": spec.info.plugin,
        "distribution": spec.info.distribution,
        "distribution_version": spec.info.distribution_version,
        "dataset": data.name,
        "inputs": files,
        "input_sha256": sha256_files(files) if files else None,
        "n_tasks": data.n_tasks, "n_workers": data.n_workers, "n_answers": data.n_answers,
        "n_classes": data.n_classes,
    }


def provenance_record(result: "AggregationResult", inputs: Iterable[str | Path],
                      wall_seconds: float) -> dict[str, Any]:
    """The provenance dict of ``result``; ``inputs`` are every file read (all fingerprinted).

    Output-side keys (``hard``, ``format``, ``output``, ``details``) are added by the writer,
    which is the one that knows where the files go.
    """
    import numpy as np

    model = result.model
    summary = model.summary()
    return {
        **run_header(result.spec, result.dataset, inputs),
        **({"summary": summary} if summary else {}),
        "tasks_removed": int((~result.keep).sum()),
        "n_iter": int(getattr(model, "n_iter_", 0)),
        "converged": bool(getattr(model, "converged_", True)),
        "fit_seconds": round(model.fit_seconds_, 6),
        "wall_seconds": round(wall_seconds, 6),
        "gold_accuracy": result.gold_accuracy,
        "gold_coverage": result.gold_coverage,
        "gold_tasks": result.gold_tasks,
        "warnings": list(result.warnings),
        "python": platform.python_version(), "numpy": np.__version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
