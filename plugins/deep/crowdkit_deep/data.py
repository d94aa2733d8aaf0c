"""An image dataset with its crowd answers: training images aligned with the answers' tasks,
and the labelled validation and test splits. No torch here (the training modules take the
uint8 arrays this returns)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crowdkit_core.dataset import CrowdDataset, load_dataset
from crowdkit_core.errors import DatasetError
from crowdkit_deep.images import ImageSplit, class_folders, decoded, scan_split


@dataclass(frozen=True)
class LabelledImages:
    """Images (N, 3, S, S) uint8 with their folder labels (N,) and task indices."""

    images: np.ndarray
    labels: np.ndarray
    task_index: np.ndarray


@dataclass(frozen=True)
class ImageData:
    """Everything ``crowd train`` and ``crowd aggregate-deep`` read from a dataset folder.

    ``train`` is row-aligned with ``crowd``'s tasks (row i is task ``crowd.task_ids[i]``);
    ``val`` is None when the folder has no ``val/``.
    """

    folder: Path
    crowd: CrowdDataset
    classes: tuple[str, ...]
    train: LabelledImages
    val: LabelledImages | None
    test: LabelledImages | None


def _cache_dir(folder: Path) -> Path:
    """``$CROWDKIT_CACHE_DIR/<hash of the folder>`` when set, else ``<folder>/.crowdkit-cache``."""
    root = os.environ.get("CROWDKIT_CACHE_DIR")
    if root:
        import hashlib

        return Path(root) / hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return folder / ".crowdkit-cache"


def _train_order(crowd: CrowdDataset, split: ImageSplit) -> np.ndarray:
    """For each crowd task, the row of its image in ``split``; one-line errors for images
    without answers, answers without images and repeated indices."""
    try:
        task_numbers = np.asarray([int(str(t)) for t in crowd.task_ids], np.int64)
    except ValueError:
        bad = next(t for t in crowd.task_ids if not str(t).isdigit())
        raise DatasetError(f"{crowd.source or crowd.name}: task {bad!r} is not an integer, so no "
                           "image can carry it; use the image's task index as the task key") from None
    position = {int(n): i for i, n in enumerate(task_numbers)}
    rows = np.full(crowd.n_tasks, -1, np.int64)
    for row, (index, file) in enumerate(zip(split.task_index.tolist(), split.files)):
        task = position.get(index)
        if task is None:
            raise DatasetError(f"{file}: task index {index} has no answers in "
                               f"{crowd.source or 'answers.json'}; add its answers or remove the image")
        if rows[task] >= 0:
            raise DatasetError(f"{file}: task index {index} is also used by {split.files[rows[task]]}; "
                               "give each image its own index")
        rows[task] = row
    missing = np.flatnonzero(rows < 0)
    if missing.size:
        raise DatasetError(f"{crowd.source or 'answers.json'}: task {crowd.task_ids[missing[0]]!r} "
                           f"has answers but no image in train/ ({missing.size} such tasks); add "
                           "the image or remove its answers")
    return rows


def load_image_dataset(path: str | os.PathLike[str], *, img_size: int,
                       metadata_path: str | os.PathLike[str] | None = None,
                       n_classes: int | None = None, answers_file: Any = None) -> ImageData:
    """Read the answers and the image splits of ``path`` and decode the images once (cached)."""
    folder = Path(path)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a dataset folder (expected answers.json and train/)")
    crowd = load_dataset(folder, metadata_path=metadata_path, n_classes=n_classes,
                         answers_file=answers_file)
    classes = class_folders(folder)
    if len(classes) != crowd.n_classes:
        raise DatasetError(f"{folder / 'train'}: {len(classes)} class folders but the dataset has "
                           f"{crowd.n_classes} classes (metadata n_classes); make them agree")
    cache = _cache_dir(folder)
    splits = {s: scan_split(folder, s, classes) for s in ("train", "val", "test")}
    train_split = splits["train"]
    assert train_split is not None
    rows = _train_order(crowd, train_split)
    train_images = decoded(train_split, img_size, cache)

    def labelled(split: ImageSplit | None) -> LabelledImages | None:
        if split is None:
            return None
        return LabelledImages(decoded(split, img_size, cache), split.classes, split.task_index)

    return ImageData(folder, crowd, tuple(classes),
                     LabelledImages(_Rows(train_images, rows), train_split.classes[rows], train_split.task_index[rows]),
                     labelled(splits["val"]), labelled(splits["test"]))


class _Rows:
    """A lazy row view ``images[rows]`` of the memory map (no copy of the whole split)."""

    def __init__(self, images: np.ndarray, rows: np.ndarray) -> None:
        self.base, self.rows = images, rows
        self.shape = (len(rows), *images.shape[1:])
        self.dtype = images.dtype

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> np.ndarray:
        return np.asarray(self.base[self.rows[index]])
