"""Image datasets in the standard layout, decoded once into a cached uint8 array.

Layout: ``train/<class>/<name>-<task index>.<ext>``, ``val/``, ``test/``; the integer after the
last ``-`` links a training image to its answers. Every image is decoded and resized once
(PIL), written to ``<dataset>/.crowdkit-cache/images-<key>.u8`` as an (N, 3, S, S) uint8
memory map, and read back by every later epoch and run; the key hashes the file list, sizes,
modification times and S, so a changed file rebuilds the cache. No torch here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crowdkit_core.errors import DatasetError

SPLITS = ("train", "val", "test")
_INDEXED = re.compile(r"^(?P<stem>.+)-(?P<index>\d+)\.(?P<ext>[A-Za-z0-9]+)$")
_CACHE_VERSION = 1


@dataclass(frozen=True)
class ImageSplit:
    """One split: its files, their task indices (the number in the name) and folder classes."""

    name: str
    files: tuple[Path, ...]
    task_index: np.ndarray  # (N,) int64
    classes: np.ndarray     # (N,) int64, index into the dataset's class folders

    def __len__(self) -> int:
        return len(self.files)


def class_folders(folder: Path) -> list[str]:
    """The class folder names (sorted, as torchvision's ImageFolder), identical in every split."""
    found = {s: sorted(p.name for p in (folder / s).iterdir() if p.is_dir())
             for s in SPLITS if (folder / s).is_dir()}
    if "train" not in found:
        raise DatasetError(f"{folder / 'train'}: no train/ folder; images go in "
                           "train/<class>/<name>-<task index>.<ext>")
    classes = found["train"]
    for split, names in found.items():
        missing = sorted(set(classes) - set(names)) or sorted(set(names) - set(classes))
        if missing:
            where = split if set(classes) - set(names) else "train"
            raise DatasetError(f"{folder / where / missing[0]}: class folder missing from {where}/ "
                               f"(every split needs the same class folders: {classes})")
    return classes


def scan_split(folder: Path, split: str, classes: list[str]) -> ImageSplit | None:
    """The files of ``split`` (None when the folder is absent), in class then name order."""
    root = folder / split
    if not root.is_dir():
        return None
    files: list[Path] = []
    index: list[int] = []
    labels: list[int] = []
    for c, name in enumerate(classes):
        for file in sorted(p for p in (root / name).iterdir() if p.is_file()):
            match = _INDEXED.match(file.name)
            if match is None:
                raise DatasetError(f"{file}: no task index in the name; name images "
                                   "<name>-<task index>.<ext>")
            files.append(file)
            index.append(int(match["index"]))
            labels.append(c)
    if not files:
        raise DatasetError(f"{root}: no images")
    return ImageSplit(split, tuple(files), np.asarray(index, np.int64), np.asarray(labels, np.int64))


def cache_key(files: tuple[Path, ...], size: int) -> str:
    """Hash of the file list, sizes, modification times and the decoded size."""
    digest = hashlib.sha256(f"v{_CACHE_VERSION}:{size}".encode())
    for file in files:
        stat = file.stat()
        digest.update(f"\0{file.name}\0{file.parent.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def _decode(file: Path, size: int) -> np.ndarray:
    """One image as (3, size, size) uint8 (RGB, bilinear resize); a one-line error otherwise."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as image:
            image = image.convert("RGB")
            if image.size != (size, size):
                image = image.resize((size, size), Image.BILINEAR)
            return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DatasetError(f"{file}: unreadable image ({exc.__class__.__name__}); "
                           "replace or remove the file") from None


def decoded(split: ImageSplit, size: int, cache_dir: Path) -> np.ndarray:
    """The split's images as a read-only (N, 3, size, size) uint8 memory map, decoded on the
    first call only (written to a temporary file, then renamed: never half-written)."""
    key = cache_key(split.files, size)
    path = cache_dir / f"images-{split.name}-{key}.u8"
    shape = (len(split), 3, size, size)
    if not path.is_file() or path.stat().st_size != int(np.prod(shape)):
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        array = np.memmap(tmp, dtype=np.uint8, mode="w+", shape=shape)
        try:
            for i, file in enumerate(split.files):
                array[i] = _decode(file, size)
            array.flush()
            del array
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        (cache_dir / f"images-{split.name}-{key}.json").write_text(
            json.dumps({"shape": shape, "files": len(split.files)}) + "\n")
    return np.memmap(path, dtype=np.uint8, mode="r", shape=shape)
