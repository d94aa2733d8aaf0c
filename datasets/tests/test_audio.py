"""Checks specific to the audio group: music's val split, corrupt song, answers-only and wav
modes, manual-file checks; bird_audio's deterministic ids and expert truth."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import pin_to_fixture, serve
from installer_fixtures import audio as fx
from crowdkit_core.errors import DatasetError
from crowdkit_core.install.jobs import install_dataset, installer_class

SHARED_MUSIC = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "music"


@pytest.fixture
def music(tmp_path, monkeypatch, server, home):
    """A function installing music from the fixture into a fresh folder of the data home."""
    fixture = fx.music(tmp_path)
    cls, _ = installer_class("music")
    pin_to_fixture(monkeypatch, cls, fixture)
    serve(server, fixture)
    archive = tmp_path / "archive.zip"
    archive.write_bytes(fixture.manual[1])
    homes = iter(range(100))

    def install(seed=0, manual=True, directory=None, force=False, **options):
        directory = directory or home / f"h{next(homes)}"
        return install_dataset("music", directory=directory, seed=seed, options=options, force=force,
                               from_file=archive if manual else None).folder
    return install


def _songs(folder: Path) -> dict[str, list[str]]:
    by_split: dict[str, list[str]] = {}
    for row in csv.DictReader((folder / "songs.csv").open()):
        by_split.setdefault(row["split"], []).append(row["song"])
    return by_split


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "install.json" and not p.name.startswith(".")}


def test_val_is_seeded_stratified_and_disjoint(music):
    a, b, c = music(seed=1), music(seed=1), music(seed=2)
    songs = _songs(a)
    train, val, test = (set(songs[s]) for s in ("train", "val", "test"))
    assert val and not val & train and not val & test and not train & test
    assert len(train) + len(val) == 30 and len(val) == 10  # 1 of 3 per genre (round(0.1*3)=0 -> 1)
    assert sorted(p.parent.name for p in (a / "val").rglob("*.png")) == list(fx.GENRES)
    assert _tree(a) == _tree(b)
    assert set(_songs(c)["val"]) != val
    val_answers = json.loads((a / "val_answers.json").read_text())
    answers = json.loads((a / "answers.json").read_text())
    assert len(answers) == 20 and sorted(map(int, answers)) == list(range(20))
    assert sorted(map(int, val_answers)) == list(range(20, 30))
    given = sum(len(v) for v in answers.values()) + sum(len(v) for v in val_answers.values())
    assert given == len(fx.music_answers())  # no crowd answer dropped


def test_file_names_match_tasks_and_gold(music):
    folder = music()
    truth = {int(r["task"]): int(r["label"]) for r in csv.DictReader((folder / "truth.csv").open())}
    for file in (folder / "train").rglob("*.png"):
        stem, task = file.stem.rsplit("-", 1)
        assert fx.GENRES[truth[int(task)]] == file.parent.name == stem[:-5]


def test_corrupt_jazz00054_is_left_out_of_test(music):
    for audio in ("images", "wav"):
        folder = music(audio=audio)
        assert "jazz.00054.mp3" not in _songs(folder)["test"]
        assert len(_songs(folder)["test"]) == 20
        assert json.loads((folder / "metadata.json").read_text())["left_out"] == {
            "test_corrupt": ["jazz.00054.mp3"]}


def test_wav_mode_copies_the_clips(music):
    folder = music(audio="wav")
    files = sorted((folder / "train").rglob("*"))
    assert files and all(p.suffix == ".wav" for p in files if p.is_file())
    assert next(p for p in files if p.is_file()).read_bytes()[:4] == b"RIFF"


def test_answers_only_needs_no_archive(music):
    folder = music(manual=False, **{"answers-only": True})
    assert not (folder / "train").exists() and not (folder / "val_answers.json").exists()
    answers = json.loads((folder / "answers.json").read_text())
    assert len(answers) == 30 and sum(len(v) for v in answers.values()) == len(fx.music_answers())
    assert len((folder / "truth.csv").read_text().splitlines()) == 31


def test_without_archive_the_instructions_are_printed(music):
    with pytest.raises(DatasetError, match="kaggle.com/datasets/andradaolteanu"):
        music(manual=False)


def test_bad_val_fraction_is_one_line(music):
    with pytest.raises(DatasetError, match="--val-fraction") as error:
        music(**{"val-fraction": "0.9"})
    assert "\n" not in str(error.value)


def test_a_file_that_is_not_the_kaggle_zip_is_refused(tmp_path):
    cls, _ = installer_class("music")
    other = tmp_path / "other.zip"
    fx_zip = fx._zip({"something/else.txt": b"x"})
    other.write_bytes(fx_zip)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    for path in (other, text):
        with pytest.raises(DatasetError, match="expected the Kaggle GTZAN zip") as error:
            cls().check_manual_file(path)
        assert "\n" not in str(error.value)


def test_a_changed_tarball_fails_against_the_lock_file(music, server):
    """The tarball has no published digest: the first download's is locked, and a later
    download with other bytes is refused (the generic mismatch test covers pinned files)."""
    import shutil

    home = music().parent
    shutil.rmtree(home / ".cache")
    server.add(fx.MUSIC_URL, fx.music_tarball() + b"changed")
    with pytest.raises(DatasetError, match="recorded in .*checksums.lock") as error:
        music(directory=home, force=True)
    assert "\n" not in str(error.value)


def test_real_answers_give_the_published_counts(tmp_path):
    """shared/data/music (the same MTurk answers, labels coded 1-10) rebuilt as
    mturk_answers.csv: 700 tasks, 44 workers, 2945 answers."""
    if not (SHARED_MUSIC / "answers.csv").is_file():
        pytest.skip("shared/data/music not available")
    from crowdkit_datasets.audio.music import _answers_by_song
    from crowdkit_datasets.audio.music_crowd import read_music_tables

    truth = list(csv.DictReader((SHARED_MUSIC / "truth.csv").open()))
    code_to_genre = {r["label"]: r["task"].split(".")[0] for r in truth}
    assert len(set(code_to_genre.values())) == 10
    folder = tmp_path / "music_genre_classification"
    folder.mkdir()
    rows = [["WorkerID", "Input.song", "Answer.pred_label"]] + [
        [r["worker"], r["task"], code_to_genre[r["label"]]]
        for r in csv.DictReader((SHARED_MUSIC / "answers.csv").open())]
    (folder / "mturk_answers.csv").write_bytes(fx._csv(rows))
    (folder / "music_genre_gold.csv").write_bytes(
        fx._csv([["id", "class"]] + [[r["task"], r["task"].split(".")[0]] for r in truth]))
    (folder / "music_genre_test.csv").write_bytes(fx._csv([["id", "class"], ["jazz.00054.mp3", "jazz"]]))
    answers, skipped = _answers_by_song(read_music_tables(tmp_path))
    assert (len(answers), len({w for a in answers.values() for w in a}),
            sum(len(a) for a in answers.values()), skipped) == (700, 44, 2945, {})


def _bird_install(home, archive, seed=0):
    return install_dataset("bird_audio", directory=home, from_file=archive, seed=seed).folder


def test_bird_truth_comes_from_the_expert_users(tmp_path, home):
    archive = tmp_path / "bird.zip"
    archive.write_bytes(fx.bird_archive())
    folder = _bird_install(home, archive)
    fx.check_bird(folder)
    workers = {r["user_id"]: (int(r["worker"]), r["expert"]) for r in csv.DictReader((folder / "workers.csv").open())}
    assert workers == {"3": (0, "1"), "7": (1, "0"), "12": (2, "1"), "40": (3, "0")}  # numeric order
    meta = json.loads((folder / "metadata.json").read_text())
    assert (meta["n_tasks"], meta["n_workers"], meta["n_answers"], meta["label_names"]) == (5, 4, 13, ["0", "1"])
    assert meta["expert_ties_without_truth"] == 1


_BUILD = """
import sys, json, pathlib
sys.path.insert(0, {tests!r})
from installer_fixtures import audio as fx
from crowdkit_core.install.jobs import install_dataset
home = pathlib.Path(sys.argv[1]); archive = home.parent / (home.name + '.zip')
archive.write_bytes(fx.bird_archive())
folder = install_dataset('bird_audio', directory=home, from_file=archive).folder
print(json.dumps({{p.name: p.read_text() for p in sorted(folder.iterdir()) if p.suffix in ('.json', '.csv') and p.name != 'install.json'}}))
"""


def test_bird_ids_do_not_depend_on_the_hash_seed(tmp_path):
    script = _BUILD.format(tests=str(Path(__file__).parent))
    outputs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        env.pop("CROWDKIT_DATA_HOME", None)
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path / f"home{hash_seed}")],
                              env=env, capture_output=True, text=True, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and "answers.json" in outputs[0]


def test_bird_archive_without_the_tables_is_refused(tmp_path):
    cls, _ = installer_class("bird_audio")
    wrong = tmp_path / "wrong.zip"
    wrong.write_bytes(fx._zip({"bird_sound_training_data/users.tsv": b"user_id\n"}))
    with pytest.raises(DatasetError, match="letters/annotations.tsv; expected the archive of"):
        cls().check_manual_file(wrong)
