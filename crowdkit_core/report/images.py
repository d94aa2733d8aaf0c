"""Task images of a dataset folder, inlined as ``data:`` URIs for the report.

Image datasets keep one file per task in ``train/<class>/<stem>-<task>.<ext>`` (see
:mod:`crowdkit_core.install.layout`), the trailing integer being the task's key. Only
raster formats browsers show are inlined (never SVG, which may reference other files), and
files above :data:`MAX_IMAGE_BYTES` are left out so the page stays small.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from crowdkit_core.errors import DatasetError

if TYPE_CHECKING:
    from crowdkit_core.dataset import CrowdDataset

#: MIME type of each inlined image extension.
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
              "webp": "image/webp", "bmp": "image/bmp"}
#: Larger files are not inlined (one such image would outweigh the whole report).
MAX_IMAGE_BYTES = 512 * 1024


def dataset_folder(data: "CrowdDataset") -> Path | None:
    """The folder holding the dataset's answers file (None for in-memory datasets)."""
    if not data.source or data.source == "arrays":
        return None
    path = Path(data.source)
    return path if path.is_dir() else path.parent if path.is_file() else None


def data_uri(path: Path) -> str:
    """``data:<mime>;base64,...`` of an image file."""
    mime = MIME_TYPES[path.suffix.lower().lstrip(".")]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def task_images(data: "CrowdDataset", tasks: Iterable[int]) -> tuple[dict[int, str], list[str]]:
    """({task index: data URI} for those of ``tasks`` that have an image in ``train/``,
    notes on what was left out)."""
    from crowdkit_core.install.layout import split_files

    folder = dataset_folder(data)
    if folder is None or not (folder / "train").is_dir():
        return {}, []
    try:
        files = split_files(folder, "train")
    except DatasetError as exc:
        return {}, [f"task images not shown: {exc}"]
    keys = {str(task_id): index for index, task_id in enumerate(data.task_ids.tolist())}
    found: dict[int, Path] = {}
    for key, (_, path) in files.items():
        index = keys.get(str(key))
        if index is not None:
            found[index] = path
    images: dict[int, str] = {}
    skipped: list[str] = []
    for task in tasks:
        path = found.get(int(task))
        if path is None or path.suffix.lower().lstrip(".") not in MIME_TYPES:
            continue
        if path.stat().st_size > MAX_IMAGE_BYTES:
            skipped.append(path.name)
            continue
        images[int(task)] = data_uri(path)
    notes = [f"{len(skipped)} task images above {MAX_IMAGE_BYTES // 1024} kB not inlined "
             f"(first: {skipped[0]})"] if skipped else []
    return images, notes
