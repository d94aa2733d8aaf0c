"""A simulation as a dataset folder in the standard (peerannot) layout, written all or nothing.

Files: ``answers.json`` ({task: {worker: label}}), ``metadata.json`` (name, sizes and the
options), ``truth.csv`` (task,label: the gold that ``load_dataset`` reads), ``ground_truth.npy``
(peerannot's copy of it), ``matrices.npy`` (true confusion matrices), plus
``difficulties.npy`` (discrete-difficulty) or ``student_teacher_association.npy``
(student-teacher). Worker ids are the row indices of ``matrices.npy``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from crowdkit_core.errors import DatasetError
from crowdkit_core.output import npy_bytes, to_json, write_files_atomically
from crowdkit_core.simulation.models import Simulation

#: Files a simulation may write; with ``force`` the ones this simulation lacks are removed.
SIMULATION_FILES = (
    "answers.json", "metadata.json", "truth.csv", "ground_truth.npy", "matrices.npy",
    "difficulties.npy", "student_teacher_association.npy",
)


def answers_json(simulation: Simulation) -> str:
    """``{task: {worker: label}}`` with tasks and workers in index order, one task per line."""
    data = simulation.dataset
    bounds = np.append(data.task_starts, data.n_answers)
    lines = []
    workers, labels = data.workers.tolist(), data.labels.tolist()
    for task in range(data.n_tasks):
        lo, hi = int(bounds[task]), int(bounds[task + 1])
        inner = ", ".join(f'"{workers[a]}": {labels[a]}' for a in range(lo, hi))
        lines.append(f'  "{int(data.task_ids[task])}": {{{inner}}}')
    return "{\n" + ",\n".join(lines) + "\n}\n"


def metadata(simulation: Simulation) -> dict[str, Any]:
    """``metadata.json``: what loaders need (with peerannot's ``n_task`` beside ``n_tasks``),
    then every option of the simulation."""
    options = simulation.options
    return {
        "name": options.name, "n_classes": options.n_classes, "n_workers": options.n_workers,
        "n_tasks": options.n_tasks, "n_task": options.n_tasks, "n_answers": simulation.n_answers,
        "simulation": {"generator": "crowdkit_core.simulation", **options.model_dump()},
    }


def simulation_files(simulation: Simulation, folder: Path) -> dict[Path, bytes]:
    """Every file of the simulation's folder, as bytes (deterministic for given options)."""
    truth = simulation.truth
    files = {
        "answers.json": answers_json(simulation).encode(),
        "metadata.json": to_json(metadata(simulation)).encode(),
        "truth.csv": ("task,label\n" + "".join(f"{t},{int(c)}\n" for t, c in enumerate(truth))).encode(),
        "ground_truth.npy": npy_bytes(truth.astype(np.int64)),
        "matrices.npy": npy_bytes(simulation.confusion),
    }
    if simulation.difficulties is not None:
        files["difficulties.npy"] = npy_bytes(simulation.difficulties)
    if simulation.teachers is not None:
        files["student_teacher_association.npy"] = npy_bytes(simulation.teachers)
    return {folder / name: data for name, data in files.items()}


def write_simulation(simulation: Simulation, folder: str | Path, force: bool = False) -> list[Path]:
    """Write the folder (all files or none); its files. Without ``force`` a folder that
    already holds a dataset is an error; with it, files of an earlier simulation that this
    one does not write are removed."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DatasetError(f"--folder {folder}: exists and is not a folder; choose another path")
    present = [name for name in SIMULATION_FILES if (folder / name).exists()]
    if present and not force:
        raise DatasetError(f"--folder {folder}: already holds {present[0]}; pass --force to "
                           "overwrite it or choose another --folder")
    files = simulation_files(simulation, folder)
    write_files_atomically(files)
    for name in present:
        if folder / name not in files:
            (folder / name).unlink(missing_ok=True)
    return list(files)

