"""The answers group beyond the generic checks: the installed answers reproduce
../shared/data's copies of the real datasets, shipped installers use no network, and the
id maps and duplicate handling are as documented."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from harness import pin_to_fixture, serve
from installer_fixtures import Fixture
from installer_fixtures.answers import (
    SNOW, SNOW_URL, ZHENG, ZHENG_URL, bluebird_files, decoded, snow_archive, zheng_archive,
)
from crowdkit_core.install.jobs import install_dataset, installer_class

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _shared(folder: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    base = SHARED / folder
    rows = [(r["task"], r["worker"], r["label"]) for r in csv.DictReader((base / "answers.csv").open())]
    truth = [(r["task"], r["label"]) for r in csv.DictReader((base / "truth.csv").open())]
    return rows, truth


def _zheng_real(member: str, folder: str) -> dict[str, bytes]:
    rows, truth = _shared(folder)
    data = {k: v for k, v in ZHENG.items() if k != member}
    data[member] = (rows, truth, True)
    return {ZHENG_URL: zheng_archive(data)}


def _snow_real(member: str, folder: str) -> dict[str, bytes]:
    data = dict(SNOW)
    data[member] = _shared(folder)
    return {SNOW_URL: snow_archive(data)}


REAL = {  # installer: (../shared/data folder, source-formatted files built from it)
    "zheng_product": ("d_product", lambda: _zheng_real("d_jn-product", "d_product")),
    "zheng_sentiment": ("d_possent", lambda: _zheng_real("d_sentiment", "d_possent")),
    "zheng_relevance": ("s_rel", lambda: _zheng_real("s4_Relevance", "s_rel")),
    "zheng_adult": ("s_adult", lambda: _zheng_real("s5_AdultContent", "s_adult")),
    "rte": ("rte", lambda: _snow_real("rte.standardized.tsv", "rte")),
    "temp": ("temp", lambda: _snow_real("temp.standardized.tsv", "temp")),
    "wsd": ("wsd", lambda: _snow_real("wsd.standardized.tsv", "wsd")),
    "bluebirds": ("bluebirds", lambda: bluebird_files(*_shared("bluebirds"))),
    "sentiment_polarity": ("sentiment_polarity", dict),
    "music_answers": ("music", dict),
    "labelme_answers": ("labelme", dict),
}


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not available")
@pytest.mark.parametrize("name", sorted(REAL))
def test_installed_answers_reproduce_shared_data(name, server, home, monkeypatch):
    folder, files = REAL[name]
    fixture = Fixture(files=files())
    cls, _ = installer_class(name)
    pin_to_fixture(monkeypatch, cls, fixture)
    serve(server, fixture)
    result = install_dataset(name)
    got, gold = decoded(result.folder)
    rows, truth = _shared(folder)
    meta = json.loads((SHARED / folder / "meta.json").read_text())
    if name == "labelme_answers":  # ../shared/data keeps peerannot's class indices
        names = list(json.loads((result.folder / "metadata.json").read_text())["label_names"])
        rows = [(t, w, names[int(y)]) for t, w, y in rows]
        truth = [(t, names[int(y)]) for t, y in truth]
    assert got == set(rows)
    assert gold == dict(truth)
    installed = json.loads((result.folder / "metadata.json").read_text())
    assert (installed["n_tasks"], installed["n_workers"], installed["n_answers"]) == (
        meta["n_tasks"], meta["n_workers"], meta["n_answers"])
    card = cls.card
    assert (card.n_tasks, card.n_workers, card.n_answers, card.n_classes) == (
        meta["n_tasks"], meta["n_workers"], meta["n_answers"], meta["n_classes"])


@pytest.mark.parametrize("name", ["sentiment_polarity", "labelme_answers", "music_answers"])
def test_shipped_installers_make_no_request(name, server, home):
    install_dataset(name)
    assert server.requests == []
    cls, _ = installer_class(name)
    assert cls.files == () and cls.card.download_size == 0


def _install_fixture(name, server, monkeypatch, **kwargs):
    from installer_fixtures.answers import FIXTURES

    fixture = FIXTURES[name](Path("."))
    cls, _ = installer_class(name)
    pin_to_fixture(monkeypatch, cls, fixture)
    serve(server, fixture)
    return install_dataset(name, **kwargs).folder


def test_ids_are_sorted_integers_mapped_back_to_the_source(server, home, monkeypatch):
    folder = _install_fixture("zheng_dog", server, monkeypatch)
    ids = [r["id"] for r in csv.DictReader((folder / "task_ids.csv").open())]
    assert ids == ["1", "2", "10", "11"]  # numeric order, not text order
    answers = json.loads((folder / "answers.json").read_text())
    assert list(answers) == ["0", "1", "2", "3"]


def test_repeated_pairs_keep_first_or_last_and_all_raw_rows(server, home, monkeypatch):
    first = _install_fixture("zheng_adult", server, monkeypatch)
    raw = list(csv.DictReader((first / "answers_raw.csv").open()))
    tasks = {r["id"]: r["task"] for r in csv.DictReader((first / "task_ids.csv").open())}
    workers = {r["id"]: r["worker"] for r in csv.DictReader((first / "worker_ids.csv").open())}
    t, w = tasks["http://a.com"], workers["A1OT3A29R9N1DG"]
    repeated = [r["label"] for r in raw if (r["task"], r["worker"]) == (t, w)]
    assert len(repeated) == 3
    assert json.loads((first / "answers.json").read_text())[t][w] == int(repeated[0])
    last = install_dataset("zheng_adult", force=True, options={"duplicates": "last"}).folder
    assert json.loads((last / "answers.json").read_text())[t][w] == int(repeated[-1])
    meta = json.loads((last / "metadata.json").read_text())
    assert meta["label_names"] == ["G", "P", "R", "X"] and meta["n_repeated_answers"] == 2


def test_zheng_installers_share_one_download(server, home, monkeypatch):
    _install_fixture("zheng_duck", server, monkeypatch)
    n = len(server.requests)
    _install_fixture("zheng_product", server, monkeypatch)
    assert len(server.requests) == n
