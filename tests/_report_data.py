"""A tiny image dataset for the report tests: answers.json, metadata.json and one PNG per
task in ``train/<class>/img-<task>.png`` (the standard layout), built from a seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

CLASSES = ("cat", "dog", "fox")
COLOURS = np.array([[200, 60, 40], [40, 90, 200], [240, 170, 30]], dtype=np.uint8)


def make_image_dataset(folder: Path, n_tasks: int = 14, n_workers: int = 5, seed: int = 3,
                       truth: bool = False) -> Path:
    """Write the dataset into ``folder``; workers 0-2 are good, 3 is noisy, 4 always says
    'cat' (a spammer). With ``truth``, a truth.csv with every task's class."""
    from matplotlib.image import imsave

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    classes = rng.integers(0, len(CLASSES), n_tasks)
    answers: dict[str, dict[str, int]] = {}
    for task, true in enumerate(classes.tolist()):
        chosen = rng.choice(n_workers, size=int(rng.integers(2, n_workers + 1)), replace=False)
        row = {}
        for worker in sorted(chosen.tolist()):
            if worker == 4:
                label = 0
            elif worker == 3 or rng.random() < 0.15:
                label = int(rng.integers(0, len(CLASSES)))
            else:
                label = true
            row[str(worker)] = label
        answers[str(task)] = row
        pixels = np.clip(COLOURS[true] + rng.integers(-40, 40, (24, 24, 3)), 0, 255).astype(np.uint8)
        path = folder / "train" / CLASSES[true] / f"img-{task}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        imsave(path, pixels)
    (folder / "answers.json").write_text(json.dumps(answers))
    (folder / "metadata.json").write_text(json.dumps(
        {"name": "tinyimages", "n_classes": len(CLASSES), "label_names": list(CLASSES)}))
    if truth:
        lines = ["task,label"] + [f"{t},{CLASSES[c]}" for t, c in enumerate(classes.tolist())]
        (folder / "truth.csv").write_text("\n".join(lines) + "\n")
    return folder
