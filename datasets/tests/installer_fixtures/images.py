"""Fixtures of the images group: tiny stand-ins for CIFAR-10 + CIFAR-10H and for LabelMe.

They keep the real member names, file formats and the documented quirks: CIFAR-10's Python-2
style pickles with byte-string keys, the CIFAR-10H CSV header with the index column spelled
``cifar10_test_test_idx``, attention checks at index -99999, gaps in ``trial_index`` and a
negative reaction time; LabelMe's Rodrigues label ids, the 77-column ``answers.txt`` with -1
for missing answers (some columns never used) and file lists in non-class order.
"""

from __future__ import annotations

import csv
import io
import pickle
import tarfile
import zipfile
from pathlib import Path

import numpy as np

from installer_fixtures import Fixture

CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
H_URL = "https://github.com/jcpeterson/cifar-10h/raw/master/data"
LABELME_URL = "http://fprodrigues.com/deep_LabelMe.tar.gz"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
RAW_HEADER = ["annotator_id", "trial_index", "is_attn_check", "true_category", "chosen_category",
              "true_label", "chosen_label", "correct_guess", "cifar10_test_test_idx",
              "image_filename", "subcategory", "reaction_time", "time_elapsed"]
N_TEST, PER_TRAIN_BATCH, N_ANNOTATORS = 20, 4, 6


def tar_gz(members: dict[str, bytes]) -> bytes:
    """A .tar.gz with the given files (and their folders), fixed timestamps."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        folders = sorted({str(Path(name).parents[i]) for name in members
                          for i in range(len(Path(name).parents) - 1)})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


# -- CIFAR-10 + CIFAR-10H --------------------------------------------------------------------
def cifar_pixels(n: int, seed: int) -> np.ndarray:
    """N x 3072 uint8 rows (red plane, green plane, blue plane), as in the real batches."""
    return np.random.default_rng(seed).integers(0, 256, size=(n, 3072), dtype=np.uint8)


def cifar_batch(label: str, pixels: np.ndarray, labels: list[int]) -> bytes:
    data = {b"batch_label": label.encode(), b"labels": labels, b"data": pixels,
            b"filenames": [f"{CLASSES[c]}_s_{i:06d}.png".encode() for i, c in enumerate(labels)]}
    return pickle.dumps(data, protocol=2)


def cifar_archive() -> tuple[bytes, dict[str, tuple[np.ndarray, list[int]]]]:
    """The tar.gz and, per batch, (pixels, labels)."""
    contents: dict[str, tuple[np.ndarray, list[int]]] = {
        "test_batch": (cifar_pixels(N_TEST, 1), [i % 10 for i in range(N_TEST)])}
    for b in range(1, 6):
        contents[f"data_batch_{b}"] = (cifar_pixels(PER_TRAIN_BATCH, 10 + b),
                                       [(3 * b + i) % 10 for i in range(PER_TRAIN_BATCH)])
    members = {f"cifar-10-batches-py/{name}": cifar_batch(
        "testing batch 1 of 1" if name == "test_batch" else f"training batch {name[-1]} of 5", *value)
        for name, value in contents.items()}
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps(
        {b"num_cases_per_batch": 10000, b"label_names": [c.encode() for c in CLASSES],
         b"num_vis": 3072}, protocol=2)
    members["cifar-10-batches-py/readme.html"] = b"<meta HTTP-EQUIV=\"REFRESH\" content=\"0; url=http://www.cs.toronto.edu/~kriz/cifar.html\">\n"
    return tar_gz(dict(sorted(members.items()))), contents


def raw_rows(true_labels: list[int]) -> list[list[object]]:
    """CIFAR-10H-style trials: every annotator rates 10 images and sees 2 attention checks."""
    rng = np.random.default_rng(7)
    rows: list[list[object]] = []
    for annotator in range(N_ANNOTATORS):
        images = [(annotator * 10 + k) % N_TEST for k in range(10)]
        trials: list[tuple[int, int]] = [(img, 0) for img in images]
        trials[3:3] = [(-99999, 1)]
        trials[8:8] = [(-99999, 1)]
        elapsed, trial = 0, 2  # practice and fixation trials are not counted: the index has gaps
        for image, attention in trials:
            truth = int(rng.integers(10)) if attention else true_labels[image]
            chosen = truth if attention or rng.random() < 0.7 else int(rng.integers(10))
            rt = int(rng.integers(300, 3000)) if (annotator, trial) != (2, 5) else -1
            elapsed += max(rt, 0)
            rows.append([annotator, trial, attention, CLASSES[truth], CLASSES[chosen], truth, chosen,
                         int(truth == chosen), image,
                         f"{CLASSES[truth]}-{abs(image)}.png" if not attention else "attn.png",
                         "sub", rt, elapsed])
            trial += 1 + int(rng.random() < 0.2)
    return rows


def raw_zip(rows: list[list[object]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(RAW_HEADER)
    writer.writerows(rows)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cifar10h-raw.csv", text.getvalue())
    return out.getvalue()


def counts_of(rows: list[list[object]]) -> np.ndarray:
    counts = np.zeros((N_TEST, 10))
    for row in rows:
        if row[2] == 0:
            counts[int(row[8]), int(row[6])] += 1
    return counts


def cifar10h_files(rows: list[list[object]] | None = None) -> dict[str, bytes]:
    archive, contents = cifar_archive()
    rows = raw_rows(contents["test_batch"][1]) if rows is None else rows
    counts = counts_of(rows)
    return {
        CIFAR_URL: archive,
        f"{H_URL}/cifar10h-raw.zip": raw_zip(rows),
        f"{H_URL}/cifar10h-counts.npy": npy(counts),
        f"{H_URL}/cifar10h-probs.npy": npy(counts / counts.sum(axis=1, keepdims=True)),
    }


def check_cifar10h(folder: Path) -> None:
    import json

    answers = json.loads((folder / "answers.json").read_text())
    assert sorted(map(int, answers)) == list(range(N_TEST))
    assert len(list((folder / "val").rglob("*.png"))) == 4
    assert len(list((folder / "test").rglob("*.png"))) == 5 * PER_TRAIN_BATCH - 4


def cifar10h(tmp: Path) -> Fixture:
    return Fixture(files=cifar10h_files(), options={"val_size": "4"}, check=check_cifar10h)


# -- LabelMe ---------------------------------------------------------------------------------
RODRIGUES = ("highway", "insidecity", "tallbuilding", "street", "forest", "coast", "mountain",
             "opencountry")
STEMS = {"highway": "bost", "insidecity": "hous", "tallbuilding": "a48", "street": "par",
         "forest": "for", "coast": "arnat", "mountain": "n21", "opencountry": "fie"}
PER_SPLIT = {"train": 2, "valid": 1, "test": 1}
N_COLUMNS = 77


def labelme_split(split: str) -> list[tuple[str, int]]:
    """(file name, Rodrigues id) in file-list order: classes interleaved, not sorted."""
    items = [(f"{cls}_{STEMS[cls]}{split[:2]}{k}.jpg", rid)
             for k in range(PER_SPLIT[split]) for rid, cls in enumerate(RODRIGUES)]
    return items[::-1] if split == "train" else items


def labelme_answers(n_rows: int) -> np.ndarray:
    """answers.txt as a matrix: 1-3 answers per row, columns 0..9 and 40..44 never answer."""
    rng = np.random.default_rng(3)
    used = [c for c in range(N_COLUMNS) if not (c < 10 or 40 <= c < 45)]
    matrix = np.full((n_rows, N_COLUMNS), -1, dtype=np.int64)
    for row in range(n_rows):
        for column in rng.choice(used, size=1 + row % 3, replace=False):
            matrix[row, column] = rng.integers(8)
    return matrix


def labelme_members(answers: np.ndarray | None = None) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    for split in PER_SPLIT:
        items = labelme_split(split)
        for name, rid in items:
            members[f"LabelMe/{split}/{RODRIGUES[rid]}/{name}"] = b"\xff\xd8\xff\xe0" + name.encode() + b"\xff\xd9"
        members[f"LabelMe/filenames_{split}.txt"] = "".join(f"{n}\n" for n, _ in items).encode()
        members[f"LabelMe/labels_{split}.txt"] = "".join(f"{r}\n" for _, r in items).encode()
    matrix = labelme_answers(len(labelme_split("train"))) if answers is None else answers
    members["LabelMe/answers.txt"] = "".join(" ".join(map(str, row)) + "\n" for row in matrix).encode()
    prepared = {"data_train_vgg16.npy": np.ones((30, 4, 4, 2), np.float32),
                "data_valid_vgg16.npy": np.ones((8, 4, 4, 2), np.float32),
                "data_test_vgg16.npy": np.ones((8, 4, 4, 2), np.float32),
                "answers.npy": np.full((30, 59), -1), "labels_train.npy": np.zeros(30),
                "labels_train_mv.npy": np.zeros(30), "labels_train_DS.npy": np.zeros(30)}
    for name, array in prepared.items():
        members[f"LabelMe/prepared/{name}"] = npy(array)
    return members


def labelme(tmp: Path) -> Fixture:
    return Fixture(files={LABELME_URL: tar_gz(labelme_members())})


FIXTURES = {"cifar10h": cifar10h, "labelme": labelme}
