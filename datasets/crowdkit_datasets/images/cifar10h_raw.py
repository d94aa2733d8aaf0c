"""Reading CIFAR-10H's per-trial CSV (``cifar10h-raw.csv`` in ``cifar10h-raw.zip``).

One row per rating trial: ``annotator_id``, ``is_attn_check``, ``chosen_label``,
``true_label`` and the image's CIFAR-10 test-set index. The repository's README names that
column ``cifar10_test_set_idx``; the released file (and peerannot's code, which ran on it)
spells it ``cifar10_test_test_idx``: either is accepted. Attention checks (index -99999,
``is_attn_check`` 1) show images outside the test set and are dropped. The per-image counts
rebuilt from the remaining rows are compared with ``cifar10h-counts.npy`` and
``cifar10h-probs.npy`` so that a misread file cannot go unnoticed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from crowdkit_core.errors import DatasetError

CSV_NAME = "cifar10h-raw.csv"
INDEX_COLUMNS = ("cifar10_test_test_idx", "cifar10_test_set_idx")
ATTENTION_INDEX = -99999
N_CLASSES = 10


@dataclass
class RawAnswers:
    """The answers of the raw file, with what was dropped on the way."""

    #: {test-set index: {annotator id: chosen label}}, the first answer of a repeated pair.
    answers: dict[int, dict[int, int]] = field(default_factory=dict)
    #: {test-set index: true label} as the file states it.
    true_labels: dict[int, int] = field(default_factory=dict)
    #: Every rating row counted, repeats included: (n_images, 10).
    counts: np.ndarray = field(default_factory=lambda: np.zeros((0, N_CLASSES), dtype=np.int64))
    n_attention: int = 0
    n_repeats: int = 0


def find_csv(folder: Path) -> Path:
    """The CSV inside the extracted zip (ignoring macOS ``__MACOSX`` copies)."""
    found = sorted(p for p in folder.rglob(CSV_NAME) if "__MACOSX" not in p.parts)
    if not found:
        raise DatasetError(f"cifar10h-raw.zip: no {CSV_NAME} inside; delete the cached zip and "
                           "install again")
    return found[0]


def _integer(path: Path, line: int, column: str, text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer():
        raise DatasetError(f"{path}: line {line}: {column} {text!r} is not an integer; delete the "
                           "cached cifar10h-raw.zip and install again")
    return int(value)


def read_raw(path: Path, n_images: int) -> RawAnswers:
    """Answers of every non-attention-check trial of ``path`` for images 0..n_images-1."""
    out = RawAnswers(counts=np.zeros((n_images, N_CLASSES), dtype=np.int64))
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        index_column = next((c for c in INDEX_COLUMNS if c in header), None)
        needed = ["annotator_id", "is_attn_check", "chosen_label", "true_label"]
        missing = [c for c in needed if c not in header] + ([] if index_column else [INDEX_COLUMNS[0]])
        if missing:
            raise DatasetError(f"{path}: line 1: no column {missing[0]} (header: {','.join(header)}); "
                               "delete the cached cifar10h-raw.zip and install again")
        for row in reader:
            line = reader.line_num

            def value(column: str) -> int:
                return _integer(path, line, column, (row.get(column) or "").strip())

            image = value(index_column)
            if image == ATTENTION_INDEX or value("is_attn_check") == 1:
                out.n_attention += 1
                continue
            worker, label, truth = value("annotator_id"), value("chosen_label"), value("true_label")
            if not 0 <= image < n_images or not 0 <= label < N_CLASSES:
                raise DatasetError(f"{path}: line {line}: image {image} / label {label} outside "
                                   f"0..{n_images - 1} / 0..9; delete the cached cifar10h-raw.zip "
                                   "and install again")
            out.counts[image, label] += 1
            if out.true_labels.setdefault(image, truth) != truth:
                raise DatasetError(f"{path}: line {line}: image {image} has true_label {truth} here "
                                   f"and {out.true_labels[image]} earlier; the file is corrupt")
            given = out.answers.setdefault(image, {})
            if worker in given:
                out.n_repeats += 1
            else:
                given[worker] = label
    return out


def check_counts(raw: RawAnswers, counts_file: Path, probs_file: Path) -> None:
    """Refuse answers whose per-image counts differ from the published counts and probabilities."""
    counts = _load(counts_file, raw.counts.shape)
    if not np.array_equal(counts, raw.counts):
        bad = int(np.flatnonzero((counts != raw.counts).any(axis=1))[0])
        raise DatasetError(
            f"{counts_file}: image {bad}: counts {counts[bad].astype(int).tolist()} differ from "
            f"{raw.counts[bad].tolist()} rebuilt from cifar10h-raw.csv; delete the cached "
            "cifar10h files and install again")
    probs = _load(probs_file, raw.counts.shape)
    totals = raw.counts.sum(axis=1, keepdims=True)
    expected = np.divide(raw.counts, totals, out=np.zeros(raw.counts.shape), where=totals > 0)
    if not np.allclose(probs, expected, rtol=0, atol=1e-6):
        bad = int(np.flatnonzero(~np.isclose(probs, expected, rtol=0, atol=1e-6).all(axis=1))[0])
        raise DatasetError(
            f"{probs_file}: image {bad}: probabilities differ from the normalised counts; delete "
            "the cached cifar10h files and install again")


def _load(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DatasetError(f"{path}: not a numpy .npy array ({exc}); delete it and install "
                           "again") from None
    if array.shape != shape:
        raise DatasetError(f"{path}: shape {array.shape}, expected {shape} (one row per CIFAR-10 "
                           "test image); delete it and install again")
    return array
