"""scikit-learn's 8x8 digits (1,797 real images that ship with scikit-learn) written as an
image dataset in the standard layout with a simulated crowd: the proof-of-learning data of
the tests and a quick-start for users. No torch here."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crowdkit_core.install.layout import write_answers, write_metadata, write_truth


def write_digits(folder: Path, confusion: np.ndarray, answers_per_task: int, seed: int = 0,
                 n_val: int = 200, n_test: int = 400) -> dict[str, np.ndarray]:
    """Write train/val/test PNGs (8x8 grey as RGB), answers.json drawn from the per-worker
    ``confusion`` (J, 10, 10) and truth.csv. Returns the truth and split indices."""
    from PIL import Image
    from sklearn.datasets import load_digits

    from crowdkit_core.simulation.assignment import distinct_workers
    from crowdkit_core.simulation.sampling import draw_labels

    digits = load_digits()
    images = (digits.images * (255.0 / 16.0)).round().astype(np.uint8)
    target = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(target))
    test, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    names = [str(c) for c in range(10)]
    for split, rows in (("train", train), ("val", val), ("test", test)):
        for c in names:
            (folder / split / c).mkdir(parents=True, exist_ok=True)
        for task, row in enumerate(rows):
            Image.fromarray(np.repeat(images[row][:, :, None], 3, 2)).save(
                folder / split / names[target[row]] / f"digit-{task}.png")
    truth = target[train]
    workers = distinct_workers(len(train), len(confusion), answers_per_task, rng).ravel()
    tasks = np.repeat(np.arange(len(train)), answers_per_task)
    labels = draw_labels(confusion, workers, truth[tasks], rng)
    answers: dict[int, dict[int, int]] = {}
    for t, w, lab in zip(tasks.tolist(), workers.tolist(), labels.tolist()):
        answers.setdefault(t, {})[w] = lab
    write_answers(folder, answers)
    write_metadata(folder, name="digits", n_classes=10, n_workers=len(confusion), label_names=names)
    write_truth(folder, enumerate(truth.tolist()))
    return {"truth": truth, "train": train, "val": val, "test": test}
