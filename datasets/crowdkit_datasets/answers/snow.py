"""Snow et al. (EMNLP 2008) RTE, temporal ordering and word-sense tasks, from the copy of
their ``all_collected_data.tgz`` kept in bob-carpenter/case-studies (pinned commit).

Each task is a ``<task>.standardized.tsv`` with the columns ``!amt_annotation_ids``,
``!amt_worker_ids``, ``orig_id``, ``response`` and ``gold`` (the expert label, repeated on
every row of an item). The archive's other tasks (affect ratings, word similarity) are
numeric and not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from crowdkit_core.installers import DatasetCard, RemoteFile

from crowdkit_datasets.answers._base import AnswerInstaller, find_member
from crowdkit_datasets.answers._tables import read_rows
from crowdkit_datasets.answers._write import SourceAnswers

if TYPE_CHECKING:
    from crowdkit_core.install import InstallContext

ARCHIVE = RemoteFile(
    "https://raw.githubusercontent.com/bob-carpenter/case-studies/"
    "da456c03a9548679a87b2e0650116d938b4699bd/anno-difficulty/data/original/snow-et-al/"
    "all_collected_data.tgz")
CITATION = ("R. Snow, B. O'Connor, D. Jurafsky, A. Y. Ng. Cheap and Fast - But is it Good? "
            "Evaluating Non-Expert Annotations for Natural Language Tasks. EMNLP 2008.")
HOMEPAGE = "https://sites.google.com/site/nlpannotations/"
LICENSE = "not stated"
LICENSE_NOTES = "the case-studies repository's BSD-3 licence covers its code, not the data"


def _card(title: str, n_tasks: int, n_workers: int, n_answers: int, n_classes: int,
          notes: str = "") -> DatasetCard:
    return DatasetCard(title=title, n_tasks=n_tasks, n_workers=n_workers, n_answers=n_answers,
                       n_classes=n_classes, download_size=None, license=LICENSE, license_notes=LICENSE_NOTES,
                       citation=CITATION, homepage=HOMEPAGE, notes=notes)


class SnowInstaller(AnswerInstaller):
    """One ``<member>`` table of Snow et al.'s archive."""

    files = (ARCHIVE,)
    member: ClassVar[str]

    def read(self, ctx: "InstallContext") -> SourceAnswers:
        root = ctx.extract(ctx.fetch(self.files[0]))
        table = find_member(root, self.member, archive=self.files[0].url)
        rows = read_rows(table, ("orig_id", "!amt_worker_ids", "response", "gold"), delimiter="\t")
        return SourceAnswers([(r[0], r[1], r[2]) for r in rows], [(r[0], r[3]) for r in rows])


class SnowRte(SnowInstaller):
    name = "rte"
    member = "rte.standardized.tsv"
    labels = ("0", "1")
    card = _card("Recognizing textual entailment (RTE-1 pairs), binary", 800, 164, 8000, 2)


class SnowTemp(SnowInstaller):
    name = "temp"
    member = "temp.standardized.tsv"
    labels = ("1", "2")
    card = _card("Temporal ordering of event pairs, binary (source labels 1/2)", 462, 76, 4620, 2)


class SnowWsd(SnowInstaller):
    name = "wsd"
    member = "wsd.standardized.tsv"
    labels = ("1", "2", "3")
    card = _card("Word sense disambiguation of 'president', 3 senses", 177, 34, 1770, 3)
