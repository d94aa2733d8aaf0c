"""The dataset-installer interface, implemented by plugins such as ``crowdkit-datasets``.

An installer describes one public dataset (:class:`DatasetCard`), names the files it
downloads (:class:`RemoteFile`, with pinned checksums where they are known) and builds the
dataset folder in crowdkit's layout from them in :meth:`DatasetInstaller.build`. Everything
around the build (data home, cache, resumable downloads, checksums, safe extraction, the
atomic rename at the end) is done by :mod:`crowdkit_core.install`, so an installer holds only
what is specific to its dataset. Installers register through the ``crowdkit_register_datasets``
hook with a :class:`~crowdkit_core.registry.DatasetInfo` whose target is the class.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from crowdkit_core.errors import DatasetError

if TYPE_CHECKING:
    from crowdkit_core.install import InstallContext

DatasetKind = Literal["answers", "images", "audio"]


class DatasetCard(BaseModel):
    """What ``crowd datasets list`` and ``crowd datasets info`` show about a dataset."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(description="One-line description.")
    kind: DatasetKind = Field("answers", description="answers only, or answers with images / audio.")
    n_tasks: int | None = Field(None, description="Tasks with at least one answer.")
    n_workers: int | None = Field(None, description="Workers who gave at least one answer.")
    n_answers: int | None = Field(None, description="Answers (task, worker, label rows).")
    n_classes: int | None = Field(None, description="Number of classes K.")
    download_size: int | None = Field(None, description="Bytes downloaded by an install (0: none).")
    license: str = Field(description="Licence of the data in a few words (an SPDX-style name, "
                         "or 'not stated'), as its source states it.")
    license_notes: str = Field("", description="Details: who states it, copies under other terms.")
    citation: str = Field(description="The paper to cite.")
    homepage: str = Field("", description="Where the dataset is described.")
    manual: bool = Field(False, description="Part of it must be downloaded by hand (--from FILE).")
    manual_instructions: str = Field("", description="How to get the manual download.")
    notes: str = Field("", description="Splits, quirks, what the installer changes.")


@dataclass(frozen=True)
class RemoteFile:
    """One file an installer downloads.

    ``sha256`` (or ``md5`` where only that is published, as for CIFAR-10) pins its content;
    with neither, the first successful download records a sha256 in the data home's lock file
    and every later install checks against it. ``filename`` names the cached copy (by default
    the last part of the URL's path).
    """

    url: str
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    filename: str = ""

    @property
    def name(self) -> str:
        """The cached copy's file name."""
        if self.filename:
            return self.filename
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1]) or "download"


@dataclass(frozen=True)
class InstallerOption:
    """A ``--option NAME[=VALUE]`` an installer accepts (``features`` for LabelMe's VGG16
    features, say)."""

    name: str
    help: str
    default: str | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)
    #: A switch (``--features``) rather than ``--name VALUE``.
    flag: bool = False
    required: bool = False


class DatasetInstaller(ABC):
    """Describes one dataset and builds its folder from downloaded (or shipped) files."""

    #: What the listing shows.
    card: ClassVar[DatasetCard]
    #: Files downloaded before :meth:`build` runs (more can be fetched inside it).
    files: ClassVar[tuple[RemoteFile, ...]] = ()
    #: Options accepted by ``crowd install NAME --option KEY=VALUE``.
    options: ClassVar[tuple[InstallerOption, ...]] = ()

    @abstractmethod
    def build(self, ctx: "InstallContext") -> None:
        """Write the dataset into ``ctx.folder`` (answers.json, metadata.json, truth.csv, image
        folders), using ``ctx.fetch`` / ``ctx.extract`` / ``ctx.from_file``; raise
        :class:`~crowdkit_core.errors.DatasetError` for problems the user can fix."""

    def folder_name(self, options: dict[str, str | bool]) -> str:
        """The installed folder's name (default: the registered name; ``custom`` uses --name)."""
        return ""

    def needs_manual_file(self, options: dict[str, str | bool]) -> bool:
        """Whether this install cannot proceed without ``--from FILE`` (default: the card's
        ``manual``); checked before anything is downloaded."""
        return self.card.manual

    def check_manual_file(self, path: Path) -> None:
        """Refuse a ``--from`` file that is not the expected manual download (default: any
        existing file is accepted and the build checks its content)."""

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The card as a JSON-ready dict, with the files and options."""
        data = cls.card.model_dump()
        data["files"] = [
            {"url": f.url, "sha256": f.sha256, "md5": f.md5, "size": f.size} for f in cls.files
        ]
        data["options"] = [
            {"name": o.name, "help": o.help, "default": o.default, "choices": list(o.choices),
             "flag": o.flag, "required": o.required}
            for o in cls.options
        ]
        return data

    @staticmethod
    def verify_sha256(path: Path, expected: str) -> None:
        """Raise a DatasetError naming the file and both digests when its sha256 differs."""
        digest = file_digest(Path(path), "sha256")
        if digest != expected:
            raise DatasetError(
                f"{path}: sha256 {digest} differs from the expected {expected}; "
                "delete the file and download it again"
            )


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
