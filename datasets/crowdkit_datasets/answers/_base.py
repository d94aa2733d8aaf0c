"""The shared shape of the answer-only installers: read the source, write the layout.

A subclass names its dataset (``name``), its classes in order (``labels``: the source's label
values; None derives them, sorted, from the data) and implements :meth:`read`, which turns the
fetched files into :class:`~crowdkit_datasets.answers._write.SourceAnswers`.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, ClassVar

from crowdkit_core.errors import DatasetError
from crowdkit_core.installers import DatasetInstaller, InstallerOption

from crowdkit_datasets.answers._write import SourceAnswers, write_dataset

if TYPE_CHECKING:
    from crowdkit_core.install import InstallContext

DUPLICATES = InstallerOption(
    "duplicates", "which answer answers.json keeps where the source repeats a (task, worker) "
    "pair; every raw answer is in answers_raw.csv either way", default="first",
    choices=("first", "last"))


class AnswerInstaller(DatasetInstaller):
    """An answer-only dataset: answers.json, truth.csv, metadata.json and the id maps."""

    name: ClassVar[str]
    #: Source label value of each class, in class order (None: sorted distinct values).
    labels: ClassVar[tuple[str, ...] | None] = None
    #: Class names where the source has them (never digit strings, see _write).
    label_names: ClassVar[tuple[str, ...] | None] = None
    #: Where the data comes from (shown in metadata.json).
    source_url: ClassVar[str] = ""
    options = (DUPLICATES,)

    @abstractmethod
    def read(self, ctx: "InstallContext") -> SourceAnswers:
        """The raw answers and true labels of the fetched (or shipped) files."""

    def build(self, ctx: "InstallContext") -> None:
        counts = write_dataset(
            ctx.folder, self.read(ctx), name=self.name, card=self.card,
            source_url=self.source_url or (self.files[0].url if self.files else ""),
            labels=self.labels, label_names=self.label_names,
            duplicates=str(ctx.options.get("duplicates", "first")), log=ctx.log)
        ctx.log(f"{self.name}: {counts['tasks']} tasks, {counts['workers']} workers, "
                f"{counts['answers']} answers, {counts['gold']} true labels")


def find_member(root: Path, *parts: str, archive: str = "the archive") -> Path:
    """The one extracted file whose path ends with ``parts`` (macOS ``__MACOSX``/``._`` copies
    skipped), wherever the archive's top folder puts it."""
    wanted = tuple(parts)
    found = sorted(
        p for p in root.rglob(wanted[-1])
        if p.is_file() and PurePosixPath(p.relative_to(root).as_posix()).parts[-len(wanted):] == wanted
        and "__MACOSX" not in p.parts and not p.name.startswith("._"))
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise DatasetError(f"{archive}: {what} member {'/'.join(wanted)} found; the download is not "
                           "the expected archive, delete it from the cache and install again")
    return found[0]
