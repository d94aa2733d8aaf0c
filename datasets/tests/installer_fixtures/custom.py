"""Offline user files for ``custom``: a small dataset as a user would bring it.

Nothing is downloaded: the builder writes, under the given folder, Rodrigues-style
``answers.txt`` (one line per training task, one column per worker, -1 = no answer; the line
of task 4 is all -1, as in Rodrigues' files for unanswered images), ``labelNames.txt`` in
class order (not sorted, so the installer must reorder), ``filenames.txt`` and ImageFolder
trees with tiny real PNG and JPEG-named files. :func:`png` is a minimal PNG writer
(zlib + struct: signature, IHDR, one IDAT, IEND), so no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from installer_fixtures import Fixture

#: Class order of labelNames.txt (unsorted on purpose).
LABEL_NAMES = ["dog", "cat", "bird"]
#: answers[task][worker]; -1: no answer. Task 4 has no answer at all.
MATRIX = [
    [0, 0, -1, 1],
    [1, -1, 1, 1],
    [2, 2, 2, -1],
    [-1, 0, 0, 0],
    [-1, -1, -1, -1],
    [1, 2, -1, 1],
    [0, -1, 0, 2],
    [2, 2, -1, 2],
    [1, 1, 1, -1],
    [-1, 0, 2, 0],
]
#: Training file of each task and its class folder (mixed extensions: kept as they are).
TRAIN_FILES = [("dog", f"img{i:02d}.png") if i % 3 == 0 else
               ("cat", f"img{i:02d}.jpg") if i % 3 == 1 else ("bird", f"img{i:02d}.png")
               for i in range(len(MATRIX))]
TEST_FILES = [("bird", "t0.png"), ("cat", "t1.png"), ("dog", "t2.png"), ("dog", "t3.jpeg")]


def png(width: int, height: int, seed: int) -> bytes:
    """A valid 8-bit RGB PNG of ``width`` x ``height`` whose pixels depend on ``seed``."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + bytes((seed * 37 + x * 11 + y * 7) % 256 for x in range(width * 3))
                   for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def write_tree(root: Path, files: list[tuple[str, str]], offset: int = 0) -> None:
    for i, (label, name) in enumerate(files):
        (root / label).mkdir(parents=True, exist_ok=True)
        (root / label / name).write_bytes(png(2, 2, offset + i))


def write_user_files(tmp: Path) -> dict[str, str | bool]:
    """Write the user's files under ``tmp``; the install options that point at them."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "answers.txt").write_text("\n".join(" ".join(str(v) for v in row) for row in MATRIX) + "\n")
    (tmp / "labelNames.txt").write_text("\n".join(LABEL_NAMES) + "\n")
    (tmp / "filenames.txt").write_text("\n".join(name for _, name in TRAIN_FILES) + "\n")
    write_tree(tmp / "train", TRAIN_FILES)
    write_tree(tmp / "test", TEST_FILES, offset=100)
    (tmp / "train" / ".DS_Store").write_bytes(b"\x00")  # hidden entries are skipped
    return {"name": "mydata", "answers": str(tmp / "answers.txt"), "answers-format": "0",
            "label-names": str(tmp / "labelNames.txt"), "files-path": str(tmp / "filenames.txt"),
            "train-path": str(tmp / "train"), "test-path": str(tmp / "test")}


def _check(folder: Path) -> None:
    import json

    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["label_names"] == sorted(LABEL_NAMES) and meta["unanswered_files"] == 1
    train = {p.name for p in (folder / "train").rglob("*.*")}
    val = {p.name for p in (folder / "val").rglob("*.*")}
    assert len(train) + len(val) == 9 and not train & val
    assert len(list((folder / "test").rglob("*.*"))) == len(TEST_FILES)


def custom(tmp: Path) -> Fixture:
    return Fixture(options=write_user_files(tmp), check=_check)


FIXTURES = {"custom": custom}
