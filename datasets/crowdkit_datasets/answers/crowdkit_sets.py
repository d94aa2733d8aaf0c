"""The categorical datasets of Toloka's crowd-kit (``crowdkit/datasets/_loaders.py``).

crowd-kit pins no digest in its code: it downloads ``<name>.md5`` next to each zip and
compares. These installers do the same, both files declared in ``files``: the zip's md5 is
checked against the published one before its tables are read. Each zip holds one folder with
``crowd_labels.csv`` (columns ``worker`` or ``performer``, ``task``, ``label``) and ``gt.csv``
(``task``, ``label``).

Not installed: the CrowdSpeech sets (text transcriptions), IMDB-WIKI-SbS (pairwise
comparisons), MSCOCO and MSCOCO-small (segmentations), NetEaseCrowd (6 million answers;
its label semantics per task were not checked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crowdkit_core.errors import DatasetError
from crowdkit_core.installers import DatasetCard, RemoteFile, file_digest

from crowdkit_datasets.answers._base import AnswerInstaller, find_member
from crowdkit_datasets.answers._tables import read_rows
from crowdkit_datasets.answers._write import SourceAnswers

if TYPE_CHECKING:
    from crowdkit_core.install import InstallContext

S3 = "https://tlk.s3.yandex.net/dataset/crowd-kit/"
CROWDKIT = ("D. Ustalov, N. Pavlichenko, B. Tseitlin. Learning from Crowds with Crowd-Kit. "
            "JOSS 9(96):6227, 2024.")
HOMEPAGE = "https://github.com/Toloka/crowd-kit"


def _files(stem: str) -> tuple[RemoteFile, RemoteFile]:
    return RemoteFile(f"{S3}{stem}.zip"), RemoteFile(f"{S3}{stem}.md5")


class CrowdKitInstaller(AnswerInstaller):
    """A crowd-kit zip and its published md5."""

    def read(self, ctx: "InstallContext") -> SourceAnswers:
        archive = ctx.fetch(self.files[0])
        root = ctx.extract(archive)  # safe extraction refuses a malicious archive first
        published = ctx.fetch(self.files[1]).read_text(encoding="utf-8", errors="replace").split()
        digest = file_digest(archive, "md5")
        if not published or published[0].lower() != digest:
            expected = published[0] if published else "nothing"
            raise DatasetError(
                f"{self.files[0].url}: md5 {digest} differs from the published {expected} "
                f"({self.files[1].url}); delete {archive} and its checksums.lock entry, then "
                "install again")
        labels = find_member(root, "crowd_labels.csv", archive=self.files[0].url)
        gt = find_member(root, "gt.csv", archive=self.files[0].url)
        rows = read_rows(labels, ("task", "worker|performer", "label"))
        truth = read_rows(gt, ("task", "label|true_label"))
        return SourceAnswers([(r[0], r[1], r[2]) for r in rows], [(t[0], t[1]) for t in truth])


def _card(title: str, citation: str, notes: str = "", **counts: int) -> DatasetCard:
    return DatasetCard(
        title=title, download_size=None, homepage=HOMEPAGE, **counts,
        license="not stated",
        license_notes="not stated in crowd-kit's loader or code", citation=f"{citation} Distributed "
        f"with {CROWDKIT}", notes=(notes + " Counts not checked against the download.").strip())


class Relevance2(CrowdKitInstaller):
    name = "relevance-2"
    files = _files("relevance-2")
    card = _card("Yandex Relevance 2 Gradations (2016): query-document pairs, relevant or not "
                 "(about 0.5 million labels per crowd-kit)",
                 "Yandex, Relevance 2 Gradations project, 2016.")


class Relevance5(CrowdKitInstaller):
    name = "relevance-5"
    files = _files("relevance-5")
    card = _card("Yandex Relevance 5 Gradations (2016): query-document pairs on a 5-grade scale "
                 "(about 1 million labels per crowd-kit)",
                 "Yandex, Relevance 5 Gradations project, 2016.")


class NistTrecRelevance(CrowdKitInstaller):
    name = "nist-trec-relevance"
    files = _files("relevance")
    card = _card("TREC 2010 Relevance Feedback Track crowd judgements of ClueWeb09 pages",
                 "C. Buckley, M. Lease, M. D. Smucker. Overview of the TREC 2010 Relevance "
                 "Feedback Track (Notebook). TREC 2010.",
                 notes="Tasks, workers and answers as crowd-kit's description states them "
                       "(it also states 3,277 NIST gold labels).",
                 n_tasks=20232, n_workers=766, n_answers=98453)
