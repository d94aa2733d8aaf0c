"""Bluebirds (Welinder et al. 2010) as distributed with Zhang et al.'s spectral-EM code.

``bluebird_crowd.txt`` holds whitespace-separated ``task worker label`` rows (no header),
``bluebird_truth.txt`` ``task label`` rows; labels are 1/2 (class 0 is label 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crowdkit_core.installers import DatasetCard, RemoteFile

from crowdkit_datasets.answers._base import AnswerInstaller
from crowdkit_datasets.answers._tables import read_whitespace
from crowdkit_datasets.answers._write import SourceAnswers

if TYPE_CHECKING:
    from crowdkit_core.install import InstallContext

RAW = "https://raw.githubusercontent.com/zhangyuc/SpectralMethodsMeetEM/master/src/"


class Bluebirds(AnswerInstaller):
    name = "bluebirds"
    labels = ("1", "2")
    files = (RemoteFile(RAW + "bluebird_crowd.txt"), RemoteFile(RAW + "bluebird_truth.txt"))
    source_url = "https://github.com/zhangyuc/SpectralMethodsMeetEM"
    card = DatasetCard(
        title="Bluebirds: is there an Indigo Bunting or a Blue Grosbeak in the image, binary",
        n_tasks=108, n_workers=39, n_answers=4212, n_classes=2, download_size=None,
        license="not stated",
        citation=("P. Welinder, S. Branson, S. Belongie, P. Perona. The Multidimensional Wisdom "
                  "of Crowds. NIPS 2010. Copy from Y. Zhang, X. Chen, D. Zhou, M. I. Jordan. "
                  "Spectral Methods Meet EM. JMLR 17, 2016."),
        homepage="https://github.com/zhangyuc/SpectralMethodsMeetEM",
        notes="Every worker labelled every image. Same answers as zheng_duck.")

    def read(self, ctx: "InstallContext") -> SourceAnswers:
        crowd = read_whitespace(ctx.fetch(self.files[0]), 3)
        truth = read_whitespace(ctx.fetch(self.files[1]), 2)
        return SourceAnswers([(r[0], r[1], r[2]) for r in crowd], [(t[0], t[1]) for t in truth])
