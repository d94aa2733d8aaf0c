"""Fixtures of the audio group: tiny stand-ins with the real member names and quirks.

music: ``mturk-datasets.tar.gz`` (``music_genre_classification/`` with the MTurk answers, the
gold and test tables with feature columns between ``id`` and ``class``) and the Kaggle GTZAN
zip (``Data/genres_original/<g>/<g>.<NNNNN>.wav``, ``Data/images_original/<g>/<g><NNNNN>.png``,
``Data/features_*.csv``) where ``jazz.00054.wav`` is corrupt and has no spectrogram.
bird_audio: the Zenodo 7030863 archive as peerannot reads it, with string candidate ids,
numeric user ids and users.tsv rows in an order other than the sorted one.
"""

from __future__ import annotations

import io
import struct
import tarfile
import wave
import zipfile
import zlib
from pathlib import Path

from installer_fixtures import Fixture

GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
MUSIC_URL = "http://fprodrigues.com/mturk-datasets.tar.gz"
WORKERS = ("A12YUYYSIZ8GT2", "A1FXZ5TR7ZYZ9N", "A2G2YBJ9V0W0QD", "A3KE7ZC9PQ5XXL", "AZ1S5BIG5R6P6")


def tiny_png(shade: int) -> bytes:
    """A valid 1x1 8-bit grey PNG, written with zlib and struct (no imaging library)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes([0, shade % 256]))) + chunk(b"IEND", b""))


def tiny_wav(seed: int) -> bytes:
    """A valid 8-sample mono 16-bit WAV."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(b"".join(struct.pack("<h", (seed * 37 + i * 11) % 2000) for i in range(8)))
    return out.getvalue()


def music_songs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train songs, test songs) as (song id, genre): 3 and 2 per genre, plus jazz.00054 in test."""
    train = [(f"{g}.{n:05d}.mp3", g) for g in GENRES for n in (10, 21, 32)]
    test = [(f"{g}.{n:05d}.mp3", g) for g in GENRES for n in (43, 65)] + [("jazz.00054.mp3", "jazz")]
    return train, sorted(test)


def _csv(rows: list[list[object]]) -> bytes:
    return "".join(",".join(str(v) for v in row) + "\n" for row in rows).encode()


def _tar(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1400000000
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def music_answers() -> list[tuple[str, str, str]]:
    """(WorkerID, song, answered genre): 2-3 answers per train song, some wrong."""
    train, _ = music_songs()
    rows = []
    for i, (song, genre) in enumerate(train):
        for j in range(2 + i % 2):
            worker = WORKERS[(i + j) % len(WORKERS)]
            answer = genre if (i + j) % 4 else GENRES[(GENRES.index(genre) + 1) % len(GENRES)]
            rows.append((worker, song, answer))
    return rows


def music_tarball() -> bytes:
    train, test = music_songs()
    answers = [["HITId", "AssignmentId", "WorkerID", "WorkTimeInSeconds", "Input.song", "Answer.pred_label"]]
    answers += [[f"3H{k:05d}", f"3A{k:05d}", w, 40 + k % 7, s, g] for k, (w, s, g) in enumerate(music_answers())]
    features = ["id", "f1", "f2", "f3", "class"]
    def table(songs):
        return _csv([features] + [[s, 0.5, k * 0.01, -0.2, g] for k, (s, g) in enumerate(songs)])
    mturk = _csv([["annotator", "id", "class"]] + [[w, s, g] for w, s, g in music_answers()])
    folder = "music_genre_classification"
    return _tar({f"{folder}/mturk_answers.csv": _csv(answers), f"{folder}/music_genre_gold.csv": table(train),
                 f"{folder}/music_genre_test.csv": table(test), f"{folder}/music_genre_mturk.csv": mturk,
                 f"{folder}/marsyas_features.arff": b"@RELATION music\n"})


def kaggle_zip() -> bytes:
    train, test = music_songs()
    members: dict[str, bytes] = {}
    for k, (song, genre) in enumerate(train + test):
        number = song.split(".")[1]
        if song == "jazz.00054.mp3":
            members[f"Data/genres_original/{genre}/{genre}.{number}.wav"] = b"\x00corrupt"
            continue
        members[f"Data/genres_original/{genre}/{genre}.{number}.wav"] = tiny_wav(k)
        members[f"Data/images_original/{genre}/{genre}{number}.png"] = tiny_png(k)
    members["Data/features_30_sec.csv"] = b"filename,length,chroma_stft_mean,label\nblues.00000.wav,661794,0.35,blues\n"
    members["Data/features_3_sec.csv"] = b"filename,length,chroma_stft_mean,label\nblues.00000.0.wav,66149,0.33,blues\n"
    return _zip(dict(sorted(members.items())))


def music(tmp: Path) -> Fixture:
    return Fixture(files={MUSIC_URL: music_tarball()}, manual=("archive.zip", kaggle_zip()))


#: (candidate_id, user_id, annotation); user 12 and 3 are experts, users.tsv lists 12 first.
BIRD_ANSWERS = [
    ("f3a1-cand", "7", 1), ("f3a1-cand", "12", 1), ("f3a1-cand", "3", 1),
    ("0b9e-cand", "7", 1), ("0b9e-cand", "12", 0), ("0b9e-cand", "40", 0),
    ("c77d-cand", "40", 1), ("c77d-cand", "3", 0),
    ("19aa-cand", "7", 0), ("19aa-cand", "40", 0),
    ("a0c2-cand", "12", 1), ("a0c2-cand", "3", 0), ("a0c2-cand", "7", 1),
]
BIRD_USERS = [("12", "4", "4"), ("40", "1", "2"), ("3", "4", "3"), ("7", "2", "2"), ("55", "3", "3")]
BIRD_EXPERTS = {"12", "3"}


def bird_archive() -> bytes:
    annotations = "candidate_id\tuser_id\tannotation\tcreated\n" + "".join(
        f"{c}\t{u}\t{a}\t2021-05-0{k % 9 + 1}\n" for k, (c, u, a) in enumerate(BIRD_ANSWERS))
    users = "user_id\tbirdwatching_activity_level\tbird_song_recognition_skill_level\n" + "".join(
        f"{u}\t{lvl}\t{skill}\n" for u, lvl, skill in BIRD_USERS)
    return _zip({"bird_sound_training_data/letters/annotations.tsv": annotations.encode(),
                 "bird_sound_training_data/users.tsv": users.encode(),
                 "bird_sound_training_data/README.txt": b"Kerttu letters\n"})


def bird_expected_truth() -> dict[str, int]:
    """{candidate_id: truth} by majority of the experts' answers, ties left out."""
    truth: dict[str, int] = {}
    for cand in sorted({c for c, _, _ in BIRD_ANSWERS}):
        votes = [a for c, u, a in BIRD_ANSWERS if c == cand and u in BIRD_EXPERTS]
        if votes and votes.count(1) != votes.count(0):
            truth[cand] = int(votes.count(1) > votes.count(0))
    return truth


def check_bird(folder: Path) -> None:
    import csv

    tasks = {r["task"]: r["candidate_id"] for r in csv.DictReader((folder / "tasks.csv").open())}
    truth = {tasks[r["task"]]: int(r["label"]) for r in csv.DictReader((folder / "truth.csv").open())}
    assert truth == bird_expected_truth()
    assert list(tasks.values()) == sorted(tasks.values())


def bird_audio(tmp: Path) -> Fixture:
    return Fixture(manual=("bird_sound_training_data.zip", bird_archive()), check=check_bird)


FIXTURES = {"music": music, "bird_audio": bird_audio}
