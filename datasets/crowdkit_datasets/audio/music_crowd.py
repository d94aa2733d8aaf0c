"""The crowd answers and gold labels of Rodrigues et al.'s music-genre data.

``mturk-datasets.tar.gz`` holds ``music_genre_classification/`` with ``mturk_answers.csv``
(one row per MTurk answer: ``WorkerID``, ``Input.song``, ``Answer.pred_label`` among other
MTurk columns), ``music_genre_gold.csv`` (the 700 crowd-labelled training songs: ``id``, the
audio features, ``class``) and ``music_genre_test.csv`` (the 300 test songs, same columns).
Song ids are GTZAN names with an ``.mp3`` suffix (``country.00072.mp3``); labels are genre
names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crowdkit_core.errors import DatasetError

from crowdkit_datasets.audio.tables import find_file, read_rows

#: The ten GTZAN genres; sorted, so class folders sort in class order.
GENRES: tuple[str, ...] = ("blues", "classical", "country", "disco", "hiphop", "jazz",
                           "metal", "pop", "reggae", "rock")
FOLDER = "music_genre_classification"
ANSWERS, GOLD, TEST = "mturk_answers.csv", "music_genre_gold.csv", "music_genre_test.csv"


@dataclass(frozen=True)
class MusicTables:
    """(song, worker, class) answers in file order, and {song: class} for both gold files."""

    answers: list[tuple[str, str, int]]
    gold: dict[str, int]
    test: dict[str, int]


def genre_index(value: str, path: Path, line: int) -> int:
    """Class index of a genre name (case and spaces ignored)."""
    name = value.strip().lower()
    if name not in GENRES:
        raise DatasetError(f"{path}: line {line}: unknown genre {value!r} (expected one of "
                           f"{', '.join(GENRES)}); the file is not the expected release")
    return GENRES.index(name)


def _labels(path: Path) -> dict[str, int]:
    labels: dict[str, int] = {}
    for line, row in enumerate(read_rows(path, ("id", "class")), start=2):
        if row["id"] in labels:
            raise DatasetError(f"{path}: line {line}: song {row['id']!r} listed twice; "
                               "the file is not the expected release")
        labels[row["id"]] = genre_index(row["class"], path, line)
    return labels


def read_music_tables(root: Path) -> MusicTables:
    """Parse the three CSV files found under ``root`` (the extracted tarball)."""
    answers_path = find_file(root, f"{FOLDER}/{ANSWERS}")
    answers = [
        (row["Input.song"], row["WorkerID"], genre_index(row["Answer.pred_label"], answers_path, line))
        for line, row in enumerate(read_rows(answers_path, ("WorkerID", "Input.song", "Answer.pred_label")),
                                   start=2)
    ]
    gold = _labels(find_file(root, f"{FOLDER}/{GOLD}"))
    test = _labels(find_file(root, f"{FOLDER}/{TEST}"))
    both = sorted(set(gold) & set(test))
    if both:
        raise DatasetError(f"{root}: song {both[0]!r} is in both {GOLD} and {TEST}; "
                           "the archive is not the expected release")
    return MusicTables(answers=answers, gold=gold, test=test)


def song_parts(song: str) -> tuple[str, str]:
    """(genre, number) of a GTZAN song id such as ``country.00072.mp3``."""
    parts = song.split(".")
    if len(parts) < 2 or not parts[1].isdigit():
        raise DatasetError(f"{song!r}: not a GTZAN song id (<genre>.<number>.mp3); "
                           "the answers file is not the expected release")
    return parts[0], parts[1]
