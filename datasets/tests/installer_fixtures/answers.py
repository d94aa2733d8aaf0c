"""Fixtures of the answers group: tiny copies of each source with its real member paths,
headers and quirks (CRLF, a BOM, ``Copy of answer.csv``, ``__MACOSX`` entries, repeated
(task, worker) pairs, true labels of unanswered tasks), generated at test time.

``source_rows`` builders are shared with the ../shared/data reproduction test, which feeds
them the real rows instead of the small ones below.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Callable, Iterable

from installer_fixtures import Fixture

Rows = list[tuple[str, str, str]]
Truth = list[tuple[str, str]]

ZHENG_URL = "https://zhydhkcws.github.io/crowd_truth_inference/datasets.zip"
SNOW_URL = ("https://raw.githubusercontent.com/bob-carpenter/case-studies/"
            "da456c03a9548679a87b2e0650116d938b4699bd/anno-difficulty/data/original/snow-et-al/"
            "all_collected_data.tgz")
BLUE = "https://raw.githubusercontent.com/zhangyuc/SpectralMethodsMeetEM/master/src/"
S3 = "https://tlk.s3.yandex.net/dataset/crowd-kit/"


def _csv(header: Iterable[str], rows: Iterable[Iterable[str]], *, crlf: bool = False,
         bom: bool = False, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    if header:
        writer.writerow(list(header))
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2017, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def _tgz(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


# -- small sample data ------------------------------------------------------------------------
def _sample(tasks: list[str], workers: list[str], labels: list[str]) -> tuple[Rows, Truth]:
    """Every worker answers every task, labels cycling so that all classes occur."""
    rows = [(t, w, labels[(i + j) % len(labels)]) for i, t in enumerate(tasks)
            for j, w in enumerate(workers)]
    return rows, [(t, labels[i % len(labels)]) for i, t in enumerate(tasks)]


ZHENG = {  # folder: (rows, truth, crlf)
    "d_Duck Identification": (*_sample(["36618", "11619", "5"], ["896", "12"], ["0", "1"]), False),
    "d_jn-product": (*_sample(["988_1500_0", "842_1987_0", "10_2_1"], ["A3GVKARKY0E0U9", "B2"], ["0", "1"]), False),
    "d_sentiment": (*_sample(["344", "20", "1000"], ["A26UOQCTO9VDZO", "AMKWR51EXOPA4"], ["0", "1"]), True),
    "s4_Dog data": (*_sample(["1", "2", "10", "11"], ["1", "2", "3"], ["0", "1", "2", "3"]), False),
    "s4_Face Sentiment Identification": (*_sample(["1", "2", "3"], ["7", "8"], ["0", "1", "2", "3"]), False),
    "s4_Relevance": (*_sample(["20002_clueweb09-en0000-66-24091", "20002_b", "20004_c", "20010_d"],
                              ["w1", "w2"], ["0", "1", "2", "3"]), True),
    "s5_AdultContent": (*_sample(["http://000.cc", "http://a.com", "http://b.org", "http://c.net"],
                                 ["A1OT3A29R9N1DG", "A1PXXEOGQ76RNJ"], ["0", "1", "2", "3"]), True),
}
# The quirks of the real S_Rel / S_Adult files: repeated pairs (one with another label) and
# true labels of sites nobody labelled.
ZHENG["s4_Relevance"][0].append(("20002_b", "w1", "3"))
ZHENG["s5_AdultContent"][0].extend([("http://a.com", "A1OT3A29R9N1DG", "2"),
                                    ("http://a.com", "A1OT3A29R9N1DG", "1")])
ZHENG["s5_AdultContent"][1].append(("http://never-labelled.org", "0"))


def zheng_archive(data: dict[str, tuple[Rows, Truth, bool]]) -> bytes:
    """datasets.zip: ``datasets/<folder>/answer.csv`` and ``truth.csv`` plus the real strays."""
    members: dict[str, bytes] = {"datasets/.DS_Store": b"\0\0\0\1Bud1",
                                 "datasets/f201_Emotion_FULL/answer.csv":
                                     _csv(("question", "worker", "answer"), [("1", "1", "37.5")]),
                                 "datasets/f201_Emotion_FULL/truth.csv":
                                     _csv(("question", "truth"), [("1", "40.0")])}
    for folder, (rows, truth, crlf) in data.items():
        base = f"datasets/{folder}/"
        members[base + "answer.csv"] = _csv(("question", "worker", "answer"), rows, crlf=crlf)
        members[base + "truth.csv"] = _csv(("question", "truth"), truth, crlf=crlf)
        members[f"__MACOSX/datasets/{folder}/._answer.csv"] = b"\0\5\26\7 macOS resource fork"
    members["datasets/d_jn-product/Copy of answer.csv"] = _csv(
        ("question", "worker", "answer"), [("999_1_0", "STRAY", "1")] * 16)
    return _zip(members)


SNOW = {  # member: (rows, gold per task)
    "rte.standardized.tsv": _sample(["266", "1", "800"], ["A19IBSKBTABMR3", "AEX5NCH03LWSG"], ["0", "1"]),
    "temp.standardized.tsv": _sample(["42_0", "3_1", "9_2"], ["A2HTGQE4AACVRV", "AYHHOK9GDSWNH"], ["1", "2"]),
    "wsd.standardized.tsv": _sample(["5:0@35@wsj/23/wsj_2386@wsj@en@on", "4:0@26@wsj/24/wsj_2415@wsj@en@on",
                                     "12:0@25@wsj/01/wsj_0112@wsj@en@on"],
                                    ["A3SVC0WZT6RXIK", "A3DDC8XOWTIVFR"], ["1", "2", "3"]),
}


def snow_table(rows: Rows, truth: Truth) -> bytes:
    gold = dict(truth)
    return _csv(("!amt_annotation_ids", "!amt_worker_ids", "orig_id", "response", "gold"),
                [(f"P2NJ{i:04d}", w, t, y, gold[t]) for i, (t, w, y) in enumerate(rows)],
                delimiter="\t")


def snow_archive(data: dict[str, tuple[Rows, Truth]]) -> bytes:
    members = {f"all_collected_data/{m}": snow_table(*rt) for m, rt in data.items()}
    members["all_collected_data/anger.standardized.tsv"] = b"!amt_annotation_ids\t!amt_worker_ids\torig_id\tresponse\tgold\nX\tW\t1\t37\t40\n"
    return _tgz(members)


BLUEBIRDS = _sample(["1", "2", "10"], ["1", "2", "39"], ["1", "2"])


def bluebird_files(rows: Rows, truth: Truth) -> dict[str, bytes]:
    return {BLUE + "bluebird_crowd.txt": "".join(f"{t}\t{w}\t{y}\n" for t, w, y in rows).encode(),
            BLUE + "bluebird_truth.txt": "".join(f"{t} {y}\r\n" for t, y in truth).encode()}


CROWDKIT = {  # stem: (folder, rows, truth)
    "relevance-2": _sample(["t1", "t2", "t30"], ["w1", "w22"], ["0", "1"]),
    "relevance-5": _sample(["t1", "t2", "t3", "t4", "t5"], ["w1", "w2"], ["0", "1", "2", "3", "4"]),
    "relevance": _sample(["20812:clueweb09-en0001-00-00000", "20812:b", "20814:c"], ["p1", "p2"],
                         ["0", "1", "2"]),
}


def crowdkit_files(stem: str, rows: Rows, truth: Truth) -> dict[str, bytes]:
    archive = _zip({f"{stem}/crowd_labels.csv": _csv(("performer", "task", "label"),
                                                     [(w, t, y) for t, w, y in rows]),
                    f"{stem}/gt.csv": _csv(("task", "label"), truth)})
    return {f"{S3}{stem}.zip": archive,
            f"{S3}{stem}.md5": (hashlib.md5(archive).hexdigest() + "\n").encode()}


# -- decoding an installed folder back to source ids -------------------------------------------
def decoded(folder: Path) -> tuple[set[tuple[str, str, str]], dict[str, str]]:
    """The installed answers (all raw rows) and true labels, in the source's ids and labels."""
    meta = json.loads((folder / "metadata.json").read_text())
    labels = meta["source_labels"]
    tasks = {r["task"]: r["id"] for r in csv.DictReader((folder / "task_ids.csv").open())}
    workers = {r["worker"]: r["id"] for r in csv.DictReader((folder / "worker_ids.csv").open())}
    if (folder / "answers_raw.csv").exists():
        triples = [(r["task"], r["worker"], r["label"])
                   for r in csv.DictReader((folder / "answers_raw.csv").open())]
    else:
        answers = json.loads((folder / "answers.json").read_text())
        triples = [(t, w, str(y)) for t, cell in answers.items() for w, y in cell.items()]
    got = {(tasks[t], workers[w], labels[int(y)]) for t, w, y in triples}
    truth = {tasks[r["task"]]: labels[int(r["label"])]
             for r in csv.DictReader((folder / "truth.csv").open())}
    return got, truth


def expect(rows: Rows, truth: Truth) -> Callable[[Path], None]:
    """A check that the installed folder decodes to exactly ``rows`` and the answered ``truth``."""
    def check(folder: Path) -> None:
        got, gold = decoded(folder)
        assert got == set(rows)
        answered = {t for t, _, _ in rows}
        assert gold == {t: y for t, y in truth if t in answered}
        tasks = list(csv.DictReader((folder / "task_ids.csv").open()))
        assert [int(r["task"]) for r in tasks] == list(range(len(tasks)))
    return check


# -- builders -----------------------------------------------------------------------------------
def _zheng(folder: str) -> Callable[[Path], Fixture]:
    def build(tmp: Path) -> Fixture:
        rows, truth, _ = ZHENG[folder]
        return Fixture(files={ZHENG_URL: zheng_archive(ZHENG)}, check=expect(rows, truth))
    return build


def _snow(member: str) -> Callable[[Path], Fixture]:
    def build(tmp: Path) -> Fixture:
        return Fixture(files={SNOW_URL: snow_archive(SNOW)}, check=expect(*SNOW[member]))
    return build


def _crowdkit(stem: str) -> Callable[[Path], Fixture]:
    def build(tmp: Path) -> Fixture:
        return Fixture(files=crowdkit_files(stem, *CROWDKIT[stem]), check=expect(*CROWDKIT[stem]))
    return build


def _bluebirds(tmp: Path) -> Fixture:
    return Fixture(files=bluebird_files(*BLUEBIRDS), check=expect(*BLUEBIRDS))


def _shipped(tmp: Path) -> Fixture:
    return Fixture()


FIXTURES: dict[str, Callable[[Path], Fixture]] = {
    "zheng_duck": _zheng("d_Duck Identification"),
    "zheng_product": _zheng("d_jn-product"),
    "zheng_sentiment": _zheng("d_sentiment"),
    "zheng_dog": _zheng("s4_Dog data"),
    "zheng_face": _zheng("s4_Face Sentiment Identification"),
    "zheng_relevance": _zheng("s4_Relevance"),
    "zheng_adult": _zheng("s5_AdultContent"),
    "rte": _snow("rte.standardized.tsv"),
    "temp": _snow("temp.standardized.tsv"),
    "wsd": _snow("wsd.standardized.tsv"),
    "bluebirds": _bluebirds,
    "relevance-2": _crowdkit("relevance-2"),
    "relevance-5": _crowdkit("relevance-5"),
    "nist-trec-relevance": _crowdkit("relevance"),
    "sentiment_polarity": _shipped,
    "labelme_answers": _shipped,
    "music_answers": _shipped,
}

__all__ = ["FIXTURES", "decoded", "expect"]
