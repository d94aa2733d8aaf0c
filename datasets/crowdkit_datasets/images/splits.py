"""Helpers shared by the image installers for the ``train/ val/ test/`` folders."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from crowdkit_core.errors import DatasetError


def make_class_folders(split: Path, label_names: Sequence[str]) -> None:
    """Create one folder per class (empty ones too), so every split lists all classes and
    ImageFolder gives the same class indices everywhere; the names must sort in class order."""
    if list(label_names) != sorted(label_names):
        raise DatasetError(f"{split}: label names {list(label_names)} are not in sorted order, "
                           "so ImageFolder would renumber the classes; fix the installer")
    for name in label_names:
        (split / name).mkdir(parents=True, exist_ok=True)
