"""The ``custom`` installer: formats, images, the validation split, the user's files, errors."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdkit_core.dataset import load_dataset
from crowdkit_core.errors import DatasetError
from crowdkit_core.install.jobs import install_dataset
from installer_fixtures.custom import LABEL_NAMES, MATRIX, TEST_FILES, TRAIN_FILES, write_user_files


def _answers(matrix=MATRIX) -> dict[int, dict[int, int]]:
    return {t: {w: v for w, v in enumerate(row) if v != -1} for t, row in enumerate(matrix)}


def write_formats(folder: Path, answers: dict[int, dict[int, int]], n_tasks: int, n_workers: int,
                  ) -> dict[str, tuple[Path, str]]:
    """The same answers in every supported format: {format: (file, --answers-format)}."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, tuple[Path, str]] = {}
    lines = [" ".join(str(answers.get(t, {}).get(w, -1)) for w in range(n_workers))
             for t in range(n_tasks)]
    (folder / "answers.txt").write_text("\n".join(lines) + "\n")
    out["matrix"] = (folder / "answers.txt", "0")
    (folder / "task.json").write_text(json.dumps({str(t): {str(w): v for w, v in a.items()}
                                                  for t, a in answers.items()}))
    out["task-json"] = (folder / "task.json", "1")
    by_worker: dict[str, dict[str, int]] = {}
    for t, a in sorted(answers.items(), reverse=True):  # another order: must not matter
        for w, v in a.items():
            by_worker.setdefault(str(w), {})[str(t)] = v
    (folder / "worker.json").write_text(json.dumps(by_worker))
    out["worker-json"] = (folder / "worker.json", "worker-json")
    for name, delimiter in (("answers.csv", ","), ("answers.tsv", "\t")):
        with (folder / name).open("w", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(["task", "worker", "label"])
            for t, a in answers.items():
                for w, v in a.items():
                    writer.writerow([t, w, v])
        out[name] = (folder / name, "table")
    return out


@pytest.fixture
def user(tmp_path) -> dict:
    return write_user_files(tmp_path / "user")


def install(home: Path, options: dict, **kwargs):
    return install_dataset("custom", directory=home, options=options, **kwargs)


def read(folder: Path, name: str) -> bytes:
    return (folder / name).read_bytes() if (folder / name).exists() else b""


# -- formats ---------------------------------------------------------------------------------
def test_every_format_gives_the_same_dataset(tmp_path, user, home):
    files = write_formats(tmp_path / "formats", _answers(), len(MATRIX), 4)
    results = {}
    for i, (fmt, (path, code)) in enumerate(files.items()):
        options = dict(user, name=f"d{i}", answers=str(path), **{"answers-format": code})
        folder = install(home, options).folder
        results[fmt] = [read(folder, n) for n in ("answers.json", "answers_valid.json", "truth.csv")]
        results[fmt].append(sorted(str(p.relative_to(folder)) for p in folder.rglob("*.*")
                                   if p.parent != folder))
    first = next(iter(results.values()))
    assert first[0] and all(r == first for r in results.values())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(2, 4).flatmap(lambda k: st.dictionaries(
    st.integers(0, 7), st.dictionaries(st.integers(0, 5), st.integers(0, k - 1), min_size=1),
    min_size=1).map(lambda a: (k, a))))
def test_random_sparse_answers_round_trip_through_every_format(tmp_path_factory, case):
    k, answers = case
    tmp = tmp_path_factory.mktemp("prop")
    (tmp / "names.txt").write_text("\n".join(f"c{i}" for i in range(k)) + "\n")
    files = write_formats(tmp / "in", answers, max(answers) + 1, 6)
    expected = {str(t): {str(w): v for w, v in sorted(a.items())} for t, a in sorted(answers.items())}
    for i, (path, code) in enumerate(files.values()):
        folder = install(tmp / "home", {"name": f"p{i}", "answers": str(path), "no-task": True,
                                        "answers-format": code,
                                        "label-names": str(tmp / "names.txt")}).folder
        assert json.loads(read(folder, "answers.json")) == expected
        assert load_dataset(folder).n_classes == k


def test_table_with_names_and_text_ids_is_numbered_and_mapped(tmp_path, home):
    path = tmp_path / "a.csv"
    path.write_text("item,annotator,answer\nb,w1,yes\na,w1,no\na,w2,yes\n")
    folder = install(home, {"name": "t", "answers": str(path), "answers-format": "csv",
                            "no-task": True}).folder
    assert json.loads(read(folder, "answers.json")) == {"0": {"w1": 0, "w2": 1}, "1": {"w1": 1}}
    assert read(folder, "task_ids.csv") == b"index,task\n0,a\n1,b\n"
    assert load_dataset(folder).label_names == ("no", "yes")


def test_ground_truth_without_images_keys_the_answered_tasks(tmp_path, home):
    files = write_formats(tmp_path / "f", _answers(), len(MATRIX), 4)
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps({"0": {"0": 1}, "3": {"0": 2}}))  # peerannot's {task: {0: label}}
    folder = install(home, {"name": "g", "answers": str(files["matrix"][0]), "no-task": True,
                            "answers-format": "0", "test-ground-truth": str(truth),
                            "test-ground-truth-format": "1"}).folder
    assert read(folder, "truth.csv") == b"task,label\n0,1\n3,2\n"
    assert load_dataset(folder).gold.tolist()[:4] == [1, -1, -1, 2]


# -- images ----------------------------------------------------------------------------------
def test_images_are_placed_with_indices_matching_the_answers(user, home):
    folder = install(home, dict(user, **{"val-ratio": "0"})).folder
    answers = json.loads(read(folder, "answers.json"))
    assert sorted(map(int, answers)) == [t for t, row in enumerate(MATRIX) if set(row) != {-1}]
    order = {n: i for i, n in enumerate(sorted(LABEL_NAMES))}
    source = Path(user["train-path"])
    for task in map(int, answers):
        label, name = TRAIN_FILES[task]
        stem, ext = name.rsplit(".", 1)
        placed = folder / "train" / label / f"{stem}-{task}.{ext}"  # the source's extension
        assert placed.read_bytes() == (source / label / name).read_bytes()
    # answers are recoded to the sorted class order (ImageFolder's)
    assert answers["0"] == {str(w): order[LABEL_NAMES[v]] for w, v in _answers()[0].items()}
    truth = (folder / "truth.csv").read_text().split()[1:]
    base = len(MATRIX)
    assert truth == [f"{base + i},{order[c]}" for i, (c, _) in enumerate(TEST_FILES)]
    for i, (label, name) in enumerate(TEST_FILES):
        stem, ext = name.rsplit(".", 1)
        assert (folder / "test" / label / f"{stem}-{base + i}.{ext}").is_file()


def test_test_ground_truth_by_position_in_the_users_class_order(user, tmp_path, home):
    truth = tmp_path / "truth.txt"
    truth.write_text("2\n1\n0\n0\n")  # bird, cat, dog, dog in labelNames.txt's order
    folder = install(home, dict(user, **{"test-ground-truth": str(truth)})).folder
    assert (folder / "truth.csv").read_text().split()[1:] == ["10,0", "11,1", "12,2", "13,2"]


def test_val_folder_files_follow_the_training_tasks(user, tmp_path, home):
    from installer_fixtures.custom import write_tree

    write_tree(tmp_path / "val", [("cat", "v0.png"), ("bird", "v1.png")])
    folder = install(home, dict(user, **{"val-path": str(tmp_path / "val")})).folder
    n = len(MATRIX)
    assert sorted(p.name for p in (folder / "val").rglob("*.png")) == [f"v0-{n + 1}.png", f"v1-{n}.png"]
    assert not (folder / "answers_valid.json").exists()
    assert sorted(p.name for p in (folder / "test").rglob("*.*"))[0] == f"t0-{n + 2}.png"


def _split(folder: Path) -> tuple[set[int], set[int]]:
    def tasks(split):
        return {int(p.stem.rsplit("-", 1)[1]) for p in (folder / split).rglob("*.*")}
    return tasks("train"), tasks("val")


def test_val_split_is_seeded_disjoint_and_deterministic(user, tmp_path):
    runs = {}
    for seed, home in ((0, "a"), (0, "b"), (7, "c")):
        folder = install(tmp_path / home, dict(user, **{"val-ratio": "0.4"}), seed=seed).folder
        train, val = _split(folder)
        assert not train & val and len(val) == 4  # round(0.4 * 9 answered tasks)
        assert set(map(int, json.loads(read(folder, "answers.json")))) == train
        assert set(map(int, json.loads(read(folder, "answers_valid.json")))) == val
        runs[(seed, home)] = (read(folder, "answers.json"), read(folder, "answers_valid.json"))
    assert runs[(0, "a")] == runs[(0, "b")] != runs[(7, "c")]


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("link", [False, True])
def test_the_users_files_are_untouched(user, tmp_path, home, link):
    root = Path(user["answers"]).parent
    before = _hashes(root)
    folder = install(home, dict(user, link=link)).folder
    assert _hashes(root) == before
    placed = [p for p in (folder / "train").rglob("*.*")]
    assert placed and all(p.is_symlink() == link for p in placed)
    if link:
        assert all(p.resolve().is_relative_to(root.resolve()) for p in placed)
    assert install(home, dict(user, link=link), force=True).installed
    assert _hashes(root) == before


# -- malformed input -------------------------------------------------------------------------
def _edit(name: str, text: str):
    def apply(user: dict) -> dict:
        Path(user[name]).write_text(text)
        return user
    return apply


def _option(**changes):
    def apply(user: dict) -> dict:
        user.update(changes)
        return {k: v for k, v in user.items() if v is not None}
    return apply


def _touch(relative: str):
    def apply(user: dict) -> dict:
        path = Path(user["train-path"]) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        return user
    return apply


MALFORMED = {
    "missing answers file": (_option(answers="/nonexistent/answers.txt"), "file not found"),
    "ragged matrix": (_edit("answers", "0 1 -1\n1 1\n"), "line 2 has 2 columns"),
    "blank line in matrix": (_edit("answers", "0 1\n\n1 1\n"), "line 2 is blank"),
    "text in matrix": (_edit("answers", "0 x\n"), "'x' is not a class index"),
    "label out of range": (_edit("answers", "0 5 -1 -1\n"), "label 5 is out of range 0..2"),
    "label below -1": (_edit("answers", "0 -2 -1 -1\n"), "'-2' is not a class index or -1"),
    "unknown class folder": (_touch("horse/h.png"), "class folder 'horse'"),
    "file outside class folders": (_touch("loose.png"), "outside the class folders"),
    "file without extension": (_touch("cat/README"), "no plain extension"),
    "file list shorter than tasks": (_edit("files-path", "img00.png\n"),
                                     "not in the files list"),
    "task beyond the file list": (_edit("answers", "\n".join(["0 0 0 0"] * 11) + "\n"),
                                  "task 10 has answers but the files list"),
    "listed file missing": (_edit("files-path", "\n".join([n for _, n in TRAIN_FILES] + ["gone.png"])),
                            "'gone.png' is not in --train-path"),
    "repeated file list entry": (_edit("files-path", "img00.png\nimg00.png\n"), "also on line 1"),
    "repeated label name": (_edit("label-names", "dog\ncat\ndog\n"), "appears twice"),
    "numeric label name": (_edit("label-names", "1\n0\nbird\n"), "reads as class index"),
    "bad json": (_option(**{"answers-format": "1"}), "invalid JSON"),
    "no train path": (_option(**{"train-path": None}), "--train-path is missing"),
    "no-task with folders": (_option(**{"no-task": True}), "--no-task with"),
    "bad val ratio": (_option(**{"val-ratio": "1.5"}), "--val-ratio '1.5'"),
    "unknown format": (_option(**{"answers-format": "xml"}), "is not one of"),
    "test truth disagrees": (_option(**{"test-ground-truth": "TRUTH"}), "but class folder"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_is_a_one_line_error(case, user, home, tmp_path):
    change, expected = MALFORMED[case]
    truth = tmp_path / "truth.txt"
    truth.write_text("0\n1\n0\n0\n")  # labelNames order: test file 0 is in bird/, not dog/
    user = {k: (str(truth) if v == "TRUTH" else v) for k, v in change(dict(user)).items()}
    with pytest.raises(DatasetError) as error:
        install(home, user)
    message = str(error.value)
    assert expected in message and "\n" not in message, message
    assert not [p for p in home.iterdir() if not p.name.startswith(".")] if home.exists() else True
