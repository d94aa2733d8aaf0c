"""``crowd aggregate``: run a strategy on a dataset and write labels plus provenance."""

from __future__ import annotations

import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from crowdkit_core.cli.common import handle_user_errors, print_json, stderr, stdout, warn_plugin_failures
from crowdkit_core.cli.data import AnswersOpt, DatasetArg, DuplicatesOpt, MetadataOpt, load_from_cli
from crowdkit_core.errors import CrowdkitError

FORMATS = ("npy", "csv", "json")


@handle_user_errors
def aggregate(
    dataset: DatasetArg,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="Strategy spec, e.g. MV or 'DS[max_iter=50,tol=1e-5]'.")] = "MV",
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="Extra key=value parameter (repeatable); shell-safe alternative to the [..] spec.")] = None,
    hard: Annotated[bool, typer.Option("--hard", help="Write hard labels (int, -1 = no label) instead of soft (n_tasks, K) probabilities.")] = False,
    answers_file: AnswersOpt = None,
    metadata_path: MetadataOpt = None,
    path_remove: Annotated[Optional[str], typer.Option("--path-remove", help="File of task ids to leave out (one per line, JSON list, or .npy); their rows get -1 (hard) or zeros (soft).")] = None,
    output_dir: Annotated[Optional[str], typer.Option("--output-dir", "-o", help="Where to write (default: DATASET/labels for a folder, ./labels otherwise).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="npy (peerannot layout), csv (task id, label name[, probabilities]) or json.")] = "npy",
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for every random choice (overrides the spec's seed).")] = None,
    duplicates: DuplicatesOpt = "keep",
    as_json: Annotated[bool, typer.Option("--json", help="Print the provenance record as JSON instead of a summary table.")] = False,
) -> None:
    """Aggregate crowd answers into labels with a strategy."""
    import numpy as np

    from crowdkit_core.dataset.readers import read_task_list, resolve_path
    from crowdkit_core.output import output_stem, sha256_files
    from crowdkit_core.plugins import get_registry
    from crowdkit_core.spec import resolve_spec

    if fmt not in FORMATS:
        raise CrowdkitError(f"--format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    wall_start = time.perf_counter()
    registry = get_registry()
    warn_plugin_failures(registry)
    overrides = list(param or []) + ([f"seed={seed}"] if seed is not None else [])
    resolved = resolve_spec(strategy, registry, overrides=overrides, kind="aggregation")
    data = load_from_cli(dataset, answers_file, metadata_path, duplicates)
    keep = np.ones(data.n_tasks, dtype=bool)
    if path_remove:
        keep = ~read_task_list(path_remove, data)
        if not keep.any():
            raise CrowdkitError(f"{path_remove}: removes every task; nothing left to aggregate")
    fit_data = data if keep.all() else data.subset_tasks(keep)

    model = resolved.build()
    max_iter = getattr(resolved.params, "max_iter", None) or getattr(resolved.params, "n_iter", None)
    _fit_with_progress(model, fit_data, resolved.info.name, max_iter)

    labels = np.full(data.n_tasks, -1, dtype=np.int64)
    labels[keep] = model.labels_
    proba = np.zeros((data.n_tasks, data.n_classes))
    proba[keep] = model.proba_

    root = resolve_path(dataset)
    if output_dir:
        out_dir = Path(output_dir)
    elif root.is_dir() and not str(dataset).startswith("bundled:"):
        out_dir = root / "labels"
    else:
        out_dir = Path("labels")
    stem = output_stem(data.name, resolved.canonical)
    out_path = out_dir / f"{stem}.{fmt}"
    inputs = [Path(data.source)] if data.source else []
    meta_file = Path(metadata_path) if metadata_path else (root / "metadata.json" if root.is_dir() else None)
    if meta_file is not None and meta_file.is_file():
        inputs.append(meta_file)

    gold_accuracy = gold_coverage = None
    if data.gold is not None and ((data.gold >= 0) & keep).any():
        from crowdkit_core.metrics import labelled_accuracy

        gold = np.where(keep, data.gold, -1)
        gold_accuracy, gold_coverage = labelled_accuracy(labels, gold)
    provenance = {
        "crowdkit_version": _version("crowdkit-core"),
        "strategy": resolved.canonical,
        "parameters": resolved.params.model_dump(mode="json"),
        "plugin": resolved.info.plugin,
        "distribution": resolved.info.distribution,
        "distribution_version": resolved.info.distribution_version,
        "dataset": data.name,
        "inputs": [str(p) for p in inputs],
        "input_sha256": sha256_files(inputs) if inputs else None,
        "n_tasks": data.n_tasks, "n_workers": data.n_workers, "n_answers": data.n_answers,
        "n_classes": data.n_classes, "tasks_removed": int((~keep).sum()),
        "n_iter": int(getattr(model, "n_iter_", 0)),
        "converged": bool(getattr(model, "converged_", True)),
        "fit_seconds": round(model.fit_seconds_, 6),
        "wall_seconds": None,
        "hard": hard, "format": fmt, "output": str(out_path),
        "gold_accuracy": gold_accuracy,
        "gold_coverage": gold_coverage,
        "gold_tasks": int(((data.gold >= 0) & keep).sum()) if data.gold is not None else 0,
        "warnings": list(data.warnings) + list(getattr(model, "warnings_", [])),
        "python": platform.python_version(), "numpy": np.__version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    payload = _encode_output(fmt, hard, data, labels, proba, keep)
    provenance["wall_seconds"] = round(time.perf_counter() - wall_start, 6)
    from crowdkit_core.output import atomic_write_bytes, to_json

    atomic_write_bytes(out_path, payload)
    details = model.details(fit_data.task_ids, fit_data.worker_ids)
    if details:
        provenance["details"] = str(out_dir / f"{stem}.details.json")
        atomic_write_bytes(out_dir / f"{stem}.details.json", to_json(details).encode())
    atomic_write_bytes(out_dir / f"{stem}.provenance.json", to_json(provenance).encode())
    for message in provenance["warnings"]:
        stderr.print(f"Warning: {message}", markup=False)
    if as_json:
        print_json(provenance)
        return
    from rich.markup import escape

    table = Table(title=escape(f"{resolved.canonical} on {data.name}"), title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    table.add_row("tasks / workers / answers", f"{data.n_tasks} / {data.n_workers} / {data.n_answers} (K={data.n_classes})")
    table.add_row("iterations", f"{provenance['n_iter']} ({'converged' if provenance['converged'] else 'not converged'})")
    table.add_row("fit time", f"{model.fit_seconds_:.3f} s")
    if gold_accuracy is not None:
        labelled = round(gold_coverage * provenance["gold_tasks"])
        table.add_row("accuracy on gold", f"{gold_accuracy:.4f} (on {labelled} of {provenance['gold_tasks']} gold tasks labelled)")
    table.add_row("labels", escape(str(out_path)))
    stdout.print(table)


def _fit_with_progress(model, data, name: str, max_iter) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(f"{name}"), BarColumn(), TextColumn("iter {task.completed:.0f}"),
        TextColumn("{task.fields[objective]}"), TimeElapsedColumn(),
        console=stderr, transient=True, disable=not stderr.is_terminal,
    )
    with progress:
        task = progress.add_task(name, total=max_iter, objective="")

        def on_iteration(iteration: int, objective: float) -> None:
            progress.update(task, completed=iteration, objective=f"objective {objective:.6g}")

        model.fit(data, on_iteration=on_iteration)


def _encode_output(fmt: str, hard: bool, data, labels, proba, keep) -> bytes:
    import csv
    import io
    import json

    from crowdkit_core.output import npy_bytes

    if fmt == "npy":
        return npy_bytes(labels if hard else proba)
    names = [data.label_name(k) for k in range(data.n_classes)]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["task", "label"] + ([] if hard else [f"p_{n}" for n in names]))
        for i, task in enumerate(data.task_ids):
            row = [task, data.label_name(int(labels[i]))]
            if not hard:
                row += [f"{p:.10g}" for p in proba[i]]
            writer.writerow(row)
        return buffer.getvalue().encode()
    result = {}
    for i, task in enumerate(data.task_ids):
        key = str(task)
        if hard:
            result[key] = data.label_name(int(labels[i])) if labels[i] >= 0 else None
        else:
            result[key] = {n: float(p) for n, p in zip(names, proba[i])} if keep[i] else None
    return (json.dumps(result, indent=1) + "\n").encode()


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        from crowdkit_core import __version__

        return __version__
