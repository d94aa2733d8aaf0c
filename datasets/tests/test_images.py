"""Checks specific to the images group (cifar10h, labelme), end to end on their fixtures."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from harness import pin_to_fixture, serve
from installer_fixtures import Fixture
from installer_fixtures import images as fx
from crowdkit_core.errors import DatasetError
from crowdkit_core.install.home import INSTALL_RECORD, cache_dir
from crowdkit_core.install.jobs import install_dataset, installer_class
from crowdkit_datasets.images import cifar_batches
from crowdkit_datasets.images.labelme import LABEL_NAMES, TO_SORTED
from crowdkit_datasets.images.png import png_bytes


def _install(name: str, fixture: Fixture, monkeypatch, server, **kwargs) -> Path:
    cls, _ = installer_class(name)
    pin_to_fixture(monkeypatch, cls, fixture)
    serve(server, fixture)
    options = {**fixture.options, **kwargs.pop("options", {})}
    return install_dataset(name, options=options, **kwargs).folder


def read_png(data: bytes) -> np.ndarray:
    """Decode an 8-bit RGB PNG whose scanlines all use filter 0 (what png.py writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", None
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 2)
            size = (height, width)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(size[0], 1 + 3 * size[1])
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(size[0], size[1], 3)


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != INSTALL_RECORD}


# -- PNG and pickle helpers ------------------------------------------------------------------
def test_png_round_trip():
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    assert (read_png(png_bytes(rgb)) == rgb).all()
    assert png_bytes(rgb) == png_bytes(rgb.copy())


def test_a_pickle_with_other_globals_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "test_batch"
    path.write_bytes(pickle.dumps({b"data": Evil()}, protocol=2))
    with pytest.raises(DatasetError, match=r"refusing the global (__builtin__|builtins)\.print"):
        cifar_batches.read_batch(path)


# -- cifar10h ---------------------------------------------------------------------------------
@pytest.fixture
def cifar(tmp_path, monkeypatch, server, home) -> Path:
    return _install("cifar10h", fx.cifar10h(tmp_path), monkeypatch, server)


def _rows() -> list[list[object]]:
    _, contents = fx.cifar_archive()
    return fx.raw_rows(contents["test_batch"][1])


def test_cifar10h_attention_checks_are_dropped(cifar):
    answers = json.loads((cifar / "answers.json").read_text())
    rows = _rows()
    assert any(r[8] == -99999 for r in rows)
    kept = [r for r in rows if r[8] != -99999]
    assert sum(len(v) for v in answers.values()) == len(kept)
    assert {str(r[8]) for r in kept} == set(answers)
    for r in kept:
        assert answers[str(r[8])][str(r[0])] == r[6]
    meta = json.loads((cifar / "metadata.json").read_text())
    assert meta["n_workers"] == fx.N_ANNOTATORS and meta["label_names"] == list(fx.CLASSES)
    assert meta["license"] == "CC BY-NC-SA 4.0"


def test_cifar10h_images_sit_in_their_class_folder_with_their_pixels(cifar):
    _, contents = fx.cifar_archive()
    pixels, labels = contents["test_batch"]
    truth = dict(csv.reader(io.StringIO((cifar / "truth.csv").read_text())))
    answers = json.loads((cifar / "answers.json").read_text())
    files = sorted((cifar / "train").rglob("*.png"))
    assert sorted(int(p.stem.rsplit("-", 1)[1]) for p in files) == sorted(map(int, answers))
    for path in files:
        index = int(path.stem.rsplit("-", 1)[1])
        assert path.parent.name == fx.CLASSES[labels[index]] == path.stem.rsplit("-", 1)[0]
        assert truth[str(index)] == str(labels[index])
        expected = pixels[index].reshape(3, 32, 32).transpose(1, 2, 0)
        assert (read_png(path.read_bytes()) == expected).all()
    assert sorted(p.name for p in (cifar / "train").iterdir()) == list(fx.CLASSES)


def test_cifar10h_val_and_test_are_the_training_images_without_overlap(cifar):
    train_labels = [label for b in range(1, 6) for label in fx.cifar_archive()[1][f"data_batch_{b}"][1]]
    val = {int(p.stem.rsplit("-", 1)[1]): p for p in (cifar / "val").rglob("*.png")}
    test = {int(p.stem.rsplit("-", 1)[1]): p for p in (cifar / "test").rglob("*.png")}
    assert not set(val) & set(test) and sorted(set(val) | set(test)) == list(range(len(train_labels)))
    for index, path in {**val, **test}.items():
        assert path.parent.name == fx.CLASSES[train_labels[index]]


def test_cifar10h_is_deterministic_and_the_seed_moves_val(tmp_path, monkeypatch, server):
    trees = []
    for run, seed in enumerate((0, 0, 1)):
        monkeypatch.setenv("CROWDKIT_DATA_HOME", str(tmp_path / f"home{run}"))
        trees.append(_tree(_install("cifar10h", fx.cifar10h(tmp_path), monkeypatch, server, seed=seed)))
    assert trees[0] == trees[1]
    assert sorted(k for k in trees[0] if k.startswith("val/")) != sorted(k for k in trees[2] if k.startswith("val/"))


def test_cifar10h_peerannot_split(tmp_path, monkeypatch, server, home):
    folder = _install("cifar10h", fx.cifar10h(tmp_path), monkeypatch, server,
                      options={"split": "peerannot"})
    cut = fx.N_TEST - fx.N_TEST // 20
    assert sorted(map(int, json.loads((folder / "answers.json").read_text()))) == list(range(cut))
    assert sorted(map(int, json.loads((folder / "answers_valid.json").read_text()))) == list(range(cut, fx.N_TEST))
    assert sorted(int(p.stem.rsplit("-", 1)[1]) for p in (folder / "val").rglob("*.png")) == list(range(cut, fx.N_TEST))
    assert len(list((folder / "test").rglob("*.png"))) == 5 * fx.PER_TRAIN_BATCH


def test_cifar10h_counts_that_disagree_with_the_raw_file_are_an_error(tmp_path, monkeypatch, server, home):
    fixture = fx.cifar10h(tmp_path)
    counts = fx.counts_of(_rows())
    counts[3, 0] += 1
    fixture.files[f"{fx.H_URL}/cifar10h-counts.npy"] = fx.npy(counts)
    with pytest.raises(DatasetError, match=r"cifar10h-counts\.npy: image 3: counts"):
        _install("cifar10h", fixture, monkeypatch, server)


def test_cifar10h_probs_must_be_the_normalised_counts(tmp_path, monkeypatch, server, home):
    fixture = fx.cifar10h(tmp_path)
    counts = fx.counts_of(_rows())
    fixture.files[f"{fx.H_URL}/cifar10h-probs.npy"] = fx.npy(counts / 50)
    with pytest.raises(DatasetError, match=r"cifar10h-probs\.npy: image 0"):
        _install("cifar10h", fixture, monkeypatch, server)


def test_cifar10h_readme_column_name_is_accepted_too(tmp_path, monkeypatch, server, home):
    fixture = fx.cifar10h(tmp_path)
    rows = _rows()
    fx.RAW_HEADER[8] = "cifar10_test_set_idx"
    try:
        fixture.files[f"{fx.H_URL}/cifar10h-raw.zip"] = fx.raw_zip(rows)
    finally:
        fx.RAW_HEADER[8] = "cifar10_test_test_idx"
    folder = _install("cifar10h", fixture, monkeypatch, server)
    assert len(json.loads((folder / "answers.json").read_text())) == fx.N_TEST


def test_cifar10h_bad_val_size_is_one_line(tmp_path, monkeypatch, server, home):
    with pytest.raises(DatasetError, match="--val_size '20' must be an integer from 1 to 19"):
        _install("cifar10h", fx.cifar10h(tmp_path), monkeypatch, server, options={"val_size": "20"})


def test_cifar10h_logs_the_non_commercial_licence(tmp_path, monkeypatch, server, home):
    said: list[str] = []
    _install("cifar10h", fx.cifar10h(tmp_path), monkeypatch, server, log=said.append)
    assert any("non-commercial" in line for line in said)


# -- labelme ----------------------------------------------------------------------------------
@pytest.fixture
def labelme(tmp_path, monkeypatch, server, home) -> Path:
    return _install("labelme", fx.labelme(tmp_path), monkeypatch, server)


def test_labelme_mapping_gives_the_alphabetical_class_order():
    assert list(LABEL_NAMES) == sorted(LABEL_NAMES) == [
        "coast", "forest", "highway", "insidecity", "mountain", "opencountry", "street", "tallbuilding"]
    assert TO_SORTED == {0: 2, 1: 3, 2: 7, 3: 6, 4: 1, 5: 0, 6: 4, 7: 5}  # peerannot's convert_labels


def test_labelme_truth_and_folders_agree_and_tasks_are_file_list_rows(labelme):
    truth = dict(csv.reader(io.StringIO((labelme / "truth.csv").read_text())))
    for source, target in (("train", "train"), ("valid", "val"), ("test", "test")):
        items = fx.labelme_split(source)
        files = sorted((labelme / target).rglob("*.jpg"))
        assert len(files) == len(items)
        for path in files:
            stem, row = path.stem.rsplit("-", 1)
            name, rid = items[int(row)]
            assert f"{stem}.jpg" == name and path.parent.name == fx.RODRIGUES[rid]
            assert path.read_bytes().startswith(b"\xff\xd8") and name.encode() in path.read_bytes()
            if target == "train":
                assert LABEL_NAMES[int(truth[row])] == path.parent.name
    assert sorted(p.name for p in (labelme / "val").iterdir()) == list(LABEL_NAMES)


def test_labelme_workers_are_answer_columns_and_labels_renumbered(labelme):
    matrix = fx.labelme_answers(len(fx.labelme_split("train")))
    answers = json.loads((labelme / "answers.json").read_text())
    expected = {str(t): {str(w): TO_SORTED[int(v)] for w, v in enumerate(row) if v != -1}
                for t, row in enumerate(matrix)}
    assert answers == expected
    meta = json.loads((labelme / "metadata.json").read_text())
    assert meta["n_workers"] == len({w for given in expected.values() for w in given}) < fx.N_COLUMNS


def test_labelme_features_are_copied_on_request(tmp_path, monkeypatch, server, home):
    said: list[str] = []
    folder = _install("labelme", fx.labelme(tmp_path), monkeypatch, server,
                      options={"features": True}, log=said.append)
    assert sorted(p.name for p in (folder / "features").iterdir()) == [
        "data_test_vgg16.npy", "data_train_vgg16.npy", "data_valid_vgg16.npy"]
    assert np.load(folder / "features" / "data_valid_vgg16.npy").shape == (8, 4, 4, 2)
    assert any("(30, 4, 4, 2)" in line for line in said)


def test_labelme_reinstall_from_the_cache_is_identical(tmp_path, monkeypatch, server, home):
    first = _tree(_install("labelme", fx.labelme(tmp_path), monkeypatch, server))
    again = _tree(_install("labelme", fx.labelme(tmp_path), monkeypatch, server, force=True))
    assert first == again


def test_labelme_lock_file_catches_a_changed_archive(tmp_path, monkeypatch, server, home):
    _install("labelme", fx.labelme(tmp_path), monkeypatch, server)
    cached_files = list(cache_dir(home).rglob("deep_LabelMe.tar.gz"))
    assert cached_files
    for cached in cached_files:
        cached.unlink()
    server.add(fx.LABELME_URL, fx.tar_gz(fx.labelme_members()) + b"changed")
    with pytest.raises(DatasetError, match="recorded in .*checksums.lock"):
        install_dataset("labelme", force=True)


def test_labelme_answers_row_count_must_match_the_file_list(tmp_path, monkeypatch, server, home):
    matrix = fx.labelme_answers(len(fx.labelme_split("train")) - 1)
    fixture = Fixture(files={fx.LABELME_URL: fx.tar_gz(fx.labelme_members(matrix))})
    with pytest.raises(DatasetError, match=r"answers\.txt: 15 rows for 16 training images"):
        _install("labelme", fixture, monkeypatch, server)
