"""The truth-inference benchmark collection of Zheng et al. (PVLDB 2017), one installer per
categorical dataset, all reading the same cached ``datasets.zip``.

Each dataset is a folder of the archive holding ``answer.csv`` (``question,worker,answer``)
and ``truth.csv`` (``question,truth``), CRLF line ends in some. Other files in the folders
(``Copy of answer.csv`` in d_jn-product, the original ``*.tsv``/``.crd`` files, the authors'
``.py`` scripts) are ignored. ``f201_Emotion_FULL`` holds numeric answers and is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from crowdkit_core.installers import DatasetCard, RemoteFile

from crowdkit_datasets.answers._base import AnswerInstaller, find_member
from crowdkit_datasets.answers._tables import read_rows
from crowdkit_datasets.answers._write import SourceAnswers

if TYPE_CHECKING:
    from crowdkit_core.install import InstallContext

#: The archive linked from the project page and the repository's README. No checksum is
#: published: the first download's sha256 goes to the lock file.
ARCHIVE = RemoteFile("https://zhydhkcws.github.io/crowd_truth_inference/datasets.zip")
HOMEPAGE = "https://zhydhkcws.github.io/crowd_truth_inference/index.html"
CITATION = ("Y. Zheng, G. Li, Y. Li, C. Shan, R. Cheng. Truth Inference in Crowdsourcing: Is the "
            "Problem Solved? PVLDB 10(5):541-552, 2017.")
LICENSE = "not stated"


def _card(title: str, *, original: str, n_tasks: int | None = None, n_workers: int | None = None,
          n_answers: int | None = None, n_classes: int | None = None, notes: str = "") -> DatasetCard:
    return DatasetCard(
        title=title, n_tasks=n_tasks, n_workers=n_workers, n_answers=n_answers,
        n_classes=n_classes, download_size=None, license=LICENSE,
        citation=f"{CITATION} Original data: {original}", homepage=HOMEPAGE, notes=notes)


class ZhengInstaller(AnswerInstaller):
    """One folder of Zheng et al.'s datasets.zip."""

    files = (ARCHIVE,)
    #: The dataset's folder in the archive.
    member: ClassVar[str]

    def read(self, ctx: "InstallContext") -> SourceAnswers:
        root = ctx.extract(ctx.fetch(self.files[0]))
        shown = self.files[0].url
        answers = find_member(root, self.member, "answer.csv", archive=shown)
        truth = find_member(root, self.member, "truth.csv", archive=shown)
        rows = read_rows(answers, ("question", "worker", "answer"))
        gold = read_rows(truth, ("question", "truth"))
        return SourceAnswers([(r[0], r[1], r[2]) for r in rows], [(g[0], g[1]) for g in gold])


class ZhengDuck(ZhengInstaller):
    name = "zheng_duck"
    member = "d_Duck Identification"
    labels = ("0", "1")
    card = _card(
        "Duck identification (Welinder et al. 2010 bluebirds), binary", n_tasks=108,
        n_workers=39, n_answers=4212, n_classes=2,
        original="P. Welinder, S. Branson, S. Belongie, P. Perona. The Multidimensional Wisdom of "
                 "Crowds. NIPS 2010.",
        notes="The same answers as `bluebirds` (Zhang et al.'s copy), other ids and labels 0/1.")


class ZhengProduct(ZhengInstaller):
    name = "zheng_product"
    member = "d_jn-product"
    labels = ("0", "1")
    card = _card(
        "D_Product: product entity resolution (CrowdER), binary", n_tasks=8315, n_workers=176,
        n_answers=24945, n_classes=2,
        original="J. Wang, T. Kraska, M. J. Franklin, J. Feng. CrowdER: Crowdsourcing Entity "
                 "Resolution. PVLDB 5(11), 2012.",
        notes="`Copy of answer.csv` (16 extra rows) in the same folder is ignored.")


class ZhengSentiment(ZhengInstaller):
    name = "zheng_sentiment"
    member = "d_sentiment"
    labels = ("0", "1")
    card = _card(
        "D_PosSent: positive sentiment of tweets, binary", n_tasks=1000, n_workers=85,
        n_answers=20000, n_classes=2, original="Zheng et al. 2017 (D_PosSent).")


class ZhengDog(ZhengInstaller):
    name = "zheng_dog"
    member = "s4_Dog data"
    labels = ("0", "1", "2", "3")
    card = _card(
        "Dog breeds (ImageNet), 4 classes", n_classes=4,
        original="D. Zhou, J. Platt, S. Basu, Y. Mao. Learning from the Wisdom of Crowds by "
                 "Minimax Entropy. NIPS 2012.",
        notes="Counts not checked against the archive (listed as unknown).")


class ZhengFace(ZhengInstaller):
    name = "zheng_face"
    member = "s4_Face Sentiment Identification"
    card = _card(
        "Face sentiment identification", original="B. Mozafari et al. Scaling Up Crowd-Sourcing "
        "to Very Large Datasets: A Case for Active Learning. PVLDB 8(2), 2014.",
        notes="Counts and classes not checked against the archive; classes are the sorted "
              "distinct answers.")


class ZhengRelevance(ZhengInstaller):
    name = "zheng_relevance"
    member = "s4_Relevance"
    labels = ("0", "1", "2", "3")
    card = _card(
        "S_Rel: TREC 2011 crowdsourcing track relevance, 4 grades", n_tasks=20232,
        n_workers=766, n_answers=98453, n_classes=4,
        original="M. Lease, G. Kazai. Overview of the TREC 2011 Crowdsourcing Track. TREC 2011.",
        notes="True labels for 4460 tasks only. 1489 (task, worker) pairs repeat (1570 extra "
              "rows): answers.json keeps one (--duplicates), answers_raw.csv all.")


class ZhengAdult(ZhengInstaller):
    name = "zheng_adult"
    member = "s5_AdultContent"
    labels = ("0", "1", "2", "3")
    label_names = ("G", "P", "R", "X")
    card = _card(
        "S_Adult: adult-content rating of web sites (G/P/R/X)", n_tasks=11040, n_workers=825,
        n_answers=92721, n_classes=4,
        original="P. G. Ipeirotis, F. Provost, J. Wang. Quality Management on Amazon Mechanical "
                 "Turk. HCOMP 2010.",
        notes="True labels for 333 answered sites (1517 in truth.csv; the others were never "
              "labelled). 2918 (task, worker) pairs repeat: answers.json keeps one "
              "(--duplicates), answers_raw.csv all.")
