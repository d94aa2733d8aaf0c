"""Reading the CIFAR-10 "python version" batches without trusting the pickle.

The archive (``cifar-10-batches-py/data_batch_1..5``, ``test_batch``, ``batches.meta``)
holds Python 2 pickles of dicts with byte-string keys: ``b"data"`` (N x 3072 uint8: the 1024
red, then green, then blue values of a 32 x 32 image, row by row), ``b"labels"`` (N ints)
and ``b"filenames"``; ``batches.meta`` has ``b"label_names"``. A pickle can run any code,
so the unpickler here builds numpy arrays and nothing else.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crowdkit_core.errors import DatasetError

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
#: The classes in CIFAR-10's label order (also their sorted order).
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that refuses every global except those numpy arrays need."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing the global {module}.{name}")
        return super().find_class(module, name)


@dataclass(frozen=True)
class Batch:
    """Images as ``(N, 32, 32, 3)`` uint8 and their class indices."""

    images: np.ndarray
    labels: np.ndarray


def _unpickle(path: Path) -> dict:
    if not path.is_file():
        raise DatasetError(f"{path}: missing from the CIFAR-10 archive; delete the cached "
                           "cifar-10-python.tar.gz and install again")
    try:
        with path.open("rb") as handle:
            data = _ArraysOnly(handle, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise DatasetError(f"{path}: not a CIFAR-10 batch ({exc}); delete the cached "
                           "cifar-10-python.tar.gz and install again") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: not a CIFAR-10 batch (a {type(data).__name__}, not a dict); "
                           "delete the cached cifar-10-python.tar.gz and install again")
    return data


def read_batch(path: Path) -> Batch:
    """One batch file as images and labels, checked for shape and range."""
    data = _unpickle(path)
    pixels, labels = data.get(b"data"), data.get(b"labels")
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or pixels.ndim != 2 \
            or pixels.shape[1] != 3072 or labels is None or len(labels) != pixels.shape[0]:
        raise DatasetError(f"{path}: entry b'data' is not an N x 3072 uint8 array with N labels; "
                           "delete the cached cifar-10-python.tar.gz and install again")
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASSES)):
        raise DatasetError(f"{path}: entry b'labels' has values outside 0..9; delete the cached "
                           "cifar-10-python.tar.gz and install again")
    images = pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return Batch(np.ascontiguousarray(images), labels)


def read_label_names(root: Path) -> tuple[str, ...]:
    """``batches.meta``'s class names, which must be CIFAR-10's ten classes in order."""
    path = root / FOLDER / META
    names = tuple(n.decode("ascii") if isinstance(n, bytes) else str(n)
                  for n in _unpickle(path).get(b"label_names", ()))
    if names != CLASSES:
        raise DatasetError(f"{path}: entry b'label_names' is {list(names)}, not CIFAR-10's "
                           f"{list(CLASSES)}; delete the cached cifar-10-python.tar.gz and install again")
    return names


def read_split(root: Path, train: bool) -> Batch:
    """The 50,000 training images (five batches, in order) or the 10,000 test images."""
    names = TRAIN_BATCHES if train else (TEST_BATCH,)
    batches = [read_batch(root / FOLDER / name) for name in names]
    return Batch(np.concatenate([b.images for b in batches]),
                 np.concatenate([b.labels for b in batches]))
