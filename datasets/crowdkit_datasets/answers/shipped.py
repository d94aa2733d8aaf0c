"""Datasets shipped inside the packages, installed with no network at all.

``sentiment_polarity`` ships here (``shipped/sentiment_polarity/SP.csv.gz``: the source's
rows, ``worker,task,label,gold`` without a header, gzip-compressed), under the Apache-2.0
licence of its source repository. ``labelme_answers`` and ``music_answers`` read the copies
crowdkit-core already bundles (``crowdkit_core/bundled``), so no file is duplicated.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from crowdkit_core.installers import DatasetCard

from crowdkit_datasets.answers._base import AnswerInstaller
from crowdkit_datasets.answers._tables import read_rows
from crowdkit_datasets.answers._write import SourceAnswers

if TYPE_CHECKING:
    from crowdkit_core.install import InstallContext

SHIPPED = Path(__file__).resolve().parent / "shipped"
RODRIGUES_2013 = ("F. Rodrigues, F. Pereira, B. Ribeiro. Learning from Multiple Annotators: "
                  "Distinguishing Good from Random Labelers. Pattern Recognition Letters 34(12), 2013.")


class SentimentPolarity(AnswerInstaller):
    name = "sentiment_polarity"
    labels = ("0", "1")
    source_url = "https://github.com/orchidproject/active-crowd-toolkit/blob/master/Data/SP.csv"
    card = DatasetCard(
        title="Sentiment polarity of movie-review sentences (MTurk), binary", n_tasks=4999,
        n_workers=203, n_answers=27746, n_classes=2, download_size=0,
        license="Apache-2.0", license_notes="as distributed by orchidproject/active-crowd-toolkit",
        citation=RODRIGUES_2013,
        homepage="https://github.com/orchidproject/active-crowd-toolkit",
        notes="Shipped; one of the 5000 sentences of Rodrigues' set is absent from SP.csv.")

    def read(self, ctx: "InstallContext") -> SourceAnswers:
        table = ctx.scratch / "SP.csv"
        with gzip.open(SHIPPED / "sentiment_polarity" / "SP.csv.gz", "rb") as src, \
                table.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        rows = read_rows(table, (1, 0, 2, 3), header=False)
        return SourceAnswers([(r[0], r[1], r[2]) for r in rows], [(r[0], r[3]) for r in rows])


class BundledInstaller(AnswerInstaller):
    """A dataset bundled in crowdkit-core, re-written in this group's layout."""

    bundled: ClassVar[str]

    def read(self, ctx: "InstallContext") -> SourceAnswers:
        from crowdkit_core.dataset import load_dataset
        from crowdkit_core.dataset.locate import bundled_dir

        data = load_dataset(bundled_dir() / self.bundled)
        names = data.label_names or tuple(str(i) for i in range(data.n_classes))
        tasks, workers = data.task_ids, data.worker_ids
        rows = [(str(tasks[t]), str(workers[w]), names[y])
                for t, w, y in zip(data.tasks.tolist(), data.workers.tolist(), data.labels.tolist())]
        gold = [] if data.gold is None else [
            (str(tasks[i]), names[g]) for i, g in enumerate(data.gold.tolist()) if g >= 0]
        return SourceAnswers(rows, gold)


class LabelMeAnswers(BundledInstaller):
    name = "labelme_answers"
    bundled = "labelme"
    labels = ("coast", "forest", "highway", "insidecity", "mountain", "opencountry", "street",
              "tallbuilding")
    label_names = labels
    source_url = "https://github.com/computorg/published-202402-lefort-peerannot"
    card = DatasetCard(
        title="LabelMe scenes, MTurk answers of the 1000 training images only, 8 classes",
        n_tasks=1000, n_workers=59, n_answers=2547, n_classes=8, download_size=0,
        license="CC BY 4.0",
        license_notes="as distributed by computorg/published-202402-lefort-peerannot; data of "
                      "Rodrigues & Pereira 2018",
        citation=("F. Rodrigues, F. Pereira. Deep Learning from Crowds. AAAI 2018."),
        homepage="http://fprodrigues.com/",
        notes="Shipped (crowdkit-core's bundled copy). The images are the `labelme` installer.")


class MusicAnswers(BundledInstaller):
    name = "music_answers"
    bundled = "music"
    labels = tuple(str(i) for i in range(1, 11))
    source_url = "https://github.com/orchidproject/active-crowd-toolkit/blob/master/Data/MS.csv"
    card = DatasetCard(
        title="Music genre (GTZAN songs), MTurk answers of 700 songs, 10 genres coded 1..10",
        n_tasks=700, n_workers=44, n_answers=2945, n_classes=10, download_size=0,
        license="Apache-2.0", license_notes="as distributed by orchidproject/active-crowd-toolkit",
        citation=("F. Rodrigues, F. Pereira, B. Ribeiro. Gaussian Process Classification and "
                  "Active Learning with Multiple Annotators. ICML 2014."),
        homepage="http://fprodrigues.com/",
        notes="Shipped (crowdkit-core's bundled copy). The audio is the `music` installer.")
