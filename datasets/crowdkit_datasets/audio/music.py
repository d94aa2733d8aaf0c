"""Installer of the music-genre crowd data (Rodrigues, Pereira & Ribeiro, ICML 2014) with
the GTZAN clips or spectrograms the user downloads from Kaggle.

Layout (task indices are global, so no two files share one)::

    answers.json       crowd answers of the train/ songs (tasks 0..n_train-1)
    val_answers.json   crowd answers of the val/ songs, keyed by their val/ file index
    truth.csv          gold genre of the train/ songs
    songs.csv          index,song,split,label for every installed song (test truth too)
    workers.csv        worker index,WorkerID
    train/<genre>/<stem>-<index>.<png|wav>, val/<genre>/..., test/<genre>/...

With ``--answers-only`` no archive is needed: answers.json and truth.csv cover all the
crowd-labelled songs and no audio folder is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from crowdkit_core.errors import DatasetError
from crowdkit_core.install.layout import indexed_name, write_answers, write_metadata, write_truth
from crowdkit_core.installers import DatasetCard, DatasetInstaller, InstallerOption, RemoteFile

from crowdkit_datasets.audio.gtzan import EXPECTED, GTZANArchive, check_archive
from crowdkit_datasets.audio.music_crowd import GENRES, MusicTables, read_music_tables, song_parts
from crowdkit_datasets.audio.music_split import parse_fraction, split_val
from crowdkit_datasets.audio.tables import numbering, write_rows

#: GTZAN clips known to be corrupt (``jazz.00054.wav`` does not decode, and Kaggle has no
#: spectrogram of it); left out of test/ as peerannot does.
CORRUPT: frozenset[str] = frozenset({"jazz.00054.mp3"})
KAGGLE_URL = "https://www.kaggle.com/datasets/andradaolteanu/gtzan-dataset-music-genre-classification"
CITATION = ("F. Rodrigues, F. Pereira, B. Ribeiro. Gaussian process classification and active "
            "learning with multiple annotators. ICML 2014, PMLR 32(2):433-441.")


class MusicInstaller(DatasetInstaller):
    """700 crowd-labelled GTZAN songs (train/val), 300 test songs, 10 genres."""

    card: ClassVar[DatasetCard] = DatasetCard(
        title="Music genre (GTZAN) with MTurk answers, Rodrigues et al. 2014",
        kind="audio",
        # Counts of mturk_answers.csv on the 700 gold songs, checked against the copy in
        # orchidproject/active-crowd-toolkit Data/MS.csv (shared/data/music).
        n_tasks=700, n_workers=44, n_answers=2945, n_classes=10,
        download_size=None,
        license="not stated",
        license_notes="Answers: as published by F. Rodrigues (no licence stated; the copy in "
                      "orchidproject/active-crowd-toolkit is Apache-2.0). GTZAN audio: no licence "
                      "stated, research use.",
        citation=CITATION,
        homepage="http://fprodrigues.com/",
        manual=True,
        manual_instructions=(
            f"Sign in to Kaggle, open {KAGGLE_URL} and click Download: you get archive.zip "
            "(about 1.2 GB, holding Data/genres_original/ and Data/images_original/). "
            "Pass that zip, unchanged, with --from (or install with --answers-only)."),
        notes="train/ = crowd-labelled songs less a seeded, stratified val split "
              "(--val-fraction, default 0.1), val/ answers in val_answers.json; test/ = the 300 "
              "test songs less the corrupt jazz.00054; --audio images (mel spectrograms, "
              "default, as peerannot) or wav.",
    )
    files: ClassVar[tuple[RemoteFile, ...]] = (
        RemoteFile("http://fprodrigues.com/mturk-datasets.tar.gz"),
    )
    options: ClassVar[tuple[InstallerOption, ...]] = (
        InstallerOption("audio", "images: the mel-spectrogram PNGs (Data/images_original, as "
                        "peerannot); wav: the 30 s clips (Data/genres_original)",
                        default="images", choices=("images", "wav")),
        InstallerOption("val-fraction", "share of each genre's crowd-labelled songs held out "
                        "as val/ (seeded by --seed; 0 for none)", default="0.1"),
        InstallerOption("answers-only", "install answers.json, truth.csv and metadata only, "
                        "without the Kaggle archive", flag=True),
    )

    def needs_manual_file(self, options: dict[str, str | bool]) -> bool:
        return not options.get("answers-only", False)

    def check_manual_file(self, path: Path) -> None:
        check_archive(path)

    def build(self, ctx) -> None:
        fraction = parse_fraction(ctx.options.get("val-fraction", "0.1"))
        tables = read_music_tables(ctx.extract(ctx.fetch(self.files[0])))
        answers, skipped = _answers_by_song(tables)
        workers = numbering(w for song in answers for w in answers[song])
        songs = sorted(answers)
        if ctx.options.get("answers-only", False):
            splits = {"train": songs}
            if ctx.from_file is not None:
                ctx.log("music: --answers-only ignores the --from archive")
        else:
            if ctx.from_file is None:
                raise DatasetError(f"music: the audio needs --from FILE: {EXPECTED}")
            train, val = split_val({s: tables.gold[s] for s in songs}, fraction, ctx.seed)
            splits = {"train": train, "val": val,
                      "test": sorted(s for s in tables.test if s not in CORRUPT)}
        index = _indices(splits)
        rows = [(index[s], s, split, GENRES[_label(tables, s)]) for split in splits for s in splits[split]]
        if "val" in splits:
            _place_audio(ctx, splits, index, tables)
            _write_val_answers(ctx, splits["val"], index, answers, workers)
        train_answers = {index[s]: {workers[w]: y for w, y in answers[s].items()} for s in splits["train"]}
        write_answers(ctx.folder, train_answers)
        write_truth(ctx.folder, [(index[s], tables.gold[s]) for s in splits["train"]])
        write_rows(ctx.folder / "songs.csv", ("index", "song", "split", "label"), rows)
        write_rows(ctx.folder / "workers.csv", ("worker", "WorkerID"),
                   sorted(((i, w) for w, i in workers.items())))
        n_train_workers = len({w for t in train_answers.values() for w in t})
        write_metadata(
            ctx.folder, name="music", n_classes=len(GENRES), label_names=list(GENRES),
            n_tasks=len(train_answers), n_workers=n_train_workers,
            license=self.card.license, citation=CITATION,
            audio=None if "val" not in splits else str(ctx.options.get("audio", "images")),
            val_fraction=fraction if "val" in splits else None, seed=ctx.seed,
            splits={split: len(ids) for split, ids in splits.items()},
            left_out=skipped | ({"test_corrupt": sorted(CORRUPT & set(tables.test))} if "test" in splits else {}),
        )


def _answers_by_song(tables: MusicTables) -> tuple[dict[str, dict[str, int]], dict[str, object]]:
    """{gold song: {WorkerID: class}}; what was left out (answers on songs without gold, a
    repeated (song, worker) pair's earlier answers) is returned for the metadata."""
    answers: dict[str, dict[str, int]] = {}
    no_gold: set[str] = set()
    repeated = 0
    for song, worker, label in tables.answers:
        if song not in tables.gold:
            no_gold.add(song)
            continue
        by_worker = answers.setdefault(song, {})
        repeated += worker in by_worker
        by_worker[worker] = label
    skipped: dict[str, object] = {}
    if no_gold:
        skipped["answered_songs_without_gold"] = sorted(no_gold)
    if repeated:
        skipped["repeated_answers_replaced_by_the_last"] = repeated
    unanswered = sorted(set(tables.gold) - set(answers))
    if unanswered:
        skipped["gold_songs_without_answers"] = unanswered
    return answers, skipped


def _indices(splits: dict[str, list[str]]) -> dict[str, int]:
    """Global task indices: train 0..n-1, then val, then test (each sorted by song id)."""
    order = [s for split in ("train", "val", "test") for s in splits.get(split, [])]
    return {song: i for i, song in enumerate(order)}


def _label(tables: MusicTables, song: str) -> int:
    return tables.gold[song] if song in tables.gold else tables.test[song]


def _place_audio(ctx, splits: dict[str, list[str]], index: dict[str, int], tables: MusicTables) -> None:
    """Copy each song's spectrogram or clip into ``<split>/<genre>/<stem>-<index>.<ext>``."""
    archive = GTZANArchive(ctx.from_file, str(ctx.options.get("audio", "images")))
    try:
        for split, songs in splits.items():
            for song in songs:
                genre, number = song_parts(song)
                stem = Path(archive.member(genre, number)).stem
                target = ctx.folder / split / GENRES[_label(tables, song)] / indexed_name(
                    stem, index[song], archive.ext)
                archive.copy(genre, number, target)
    finally:
        archive.close()


def _write_val_answers(ctx, val: list[str], index: dict[str, int],
                       answers: dict[str, dict[str, int]], workers: dict[str, int]) -> None:
    """val_answers.json, in answers.json's format (written by the same writer)."""
    staging = ctx.scratch / "val-answers"
    staging.mkdir()
    written = write_answers(staging, {index[s]: {workers[w]: y for w, y in answers[s].items()} for s in val})
    os.replace(written, ctx.folder / "val_answers.json")
