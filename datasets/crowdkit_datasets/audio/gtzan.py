"""The user's GTZAN archive from Kaggle (``andradaolteanu/gtzan-dataset-music-genre-classification``).

Kaggle serves it as a zip (``archive.zip``) holding ``Data/genres_original/<genre>/<genre>.<NNNNN>.wav``
(30 s clips), ``Data/images_original/<genre>/<genre><NNNNN>.png`` (mel spectrograms) and
``Data/features_30_sec.csv`` / ``Data/features_3_sec.csv``. ``jazz.00054.wav`` is corrupt and
has no spectrogram. Members are read straight from the zip by the names built here (never by
a name taken from the archive), so nothing of the 1.2 GB is extracted that is not installed,
and each member is size-capped while copied.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from crowdkit_core.errors import DatasetError

#: --audio choice: (folder in the archive, file extension).
KINDS: dict[str, tuple[str, str]] = {"images": ("images_original", "png"),
                                     "wav": ("genres_original", "wav")}
#: No 30 s clip of GTZAN is near this; a bigger member is not the Kaggle archive.
MAX_MEMBER_BYTES = 64 << 20
EXPECTED = ("the Kaggle GTZAN zip (archive.zip from kaggle.com/datasets/andradaolteanu/"
            "gtzan-dataset-music-genre-classification, holding Data/genres_original/ and "
            "Data/images_original/)")


def _prefix(names: list[str], folder: str) -> str | None:
    """The path before ``<folder>/`` in the archive (``Data/`` in Kaggle's zip)."""
    marker = f"{folder}/"
    for name in names:
        at = name.find(marker)
        if at >= 0 and (at == 0 or name[at - 1] == "/"):
            return name[:at]
    return None


def check_archive(path: Path) -> None:
    """Refuse a file that is not the Kaggle GTZAN zip, in one line."""
    if not zipfile.is_zipfile(path):
        raise DatasetError(f"{path}: not a zip archive; expected {EXPECTED}")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if not any(_prefix(names, folder) is not None for folder, _ in KINDS.values()):
        raise DatasetError(f"{path}: no genres_original/ or images_original/ folder inside; "
                           f"expected {EXPECTED}")


class GTZANArchive:
    """Copies the clip or spectrogram of one song out of the user's zip."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.folder, self.ext = KINDS[kind]
        self.zip = zipfile.ZipFile(path)
        names = self.zip.namelist()
        prefix = _prefix(names, self.folder)
        if prefix is None:
            raise DatasetError(f"{path}: no {self.folder}/ folder inside; use --audio "
                               f"{'wav' if kind == 'images' else 'images'} or pass {EXPECTED}")
        self.root = prefix + self.folder
        self.names = set(names)

    def member(self, genre: str, number: str) -> str:
        """The archive name of one song's file (Kaggle's naming of each folder)."""
        stem = f"{genre}{number}" if self.ext == "png" else f"{genre}.{number}"
        return f"{self.root}/{genre}/{stem}.{self.ext}"

    def has(self, genre: str, number: str) -> bool:
        return self.member(genre, number) in self.names

    def copy(self, genre: str, number: str, target: Path) -> Path:
        """Write the song's file to ``target``; a missing or oversize member is an error."""
        name = self.member(genre, number)
        if name not in self.names:
            raise DatasetError(f"{self.path}: no {name}; the archive is incomplete, download "
                               "it again from Kaggle")
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with self.zip.open(name) as source, target.open("wb") as sink:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                written += len(chunk)
                if written > MAX_MEMBER_BYTES:
                    raise DatasetError(f"{self.path}: {name} is over {MAX_MEMBER_BYTES >> 20} MiB; "
                                       f"refusing it, expected {EXPECTED}")
                sink.write(chunk)
        return target

    def close(self) -> None:
        self.zip.close()
