"""What an installer's ``build`` receives: the folder to fill and the tools to fill it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from crowdkit_core.install.archives import DEFAULT_MAX_BYTES, extract
from crowdkit_core.install.download import Reporter, SilentReporter, fetch
from crowdkit_core.install.home import LockFile
from crowdkit_core.installers import RemoteFile, file_digest


@dataclass
class InstallContext:
    """The state of one install.

    ``folder`` is the dataset folder being built (a temporary folder next to the target,
    renamed into place only when the build succeeds); ``scratch`` is a work folder deleted
    afterwards; ``from_file`` is the manual download the user passed with ``--from``;
    ``options`` holds the installer's options with defaults filled in.
    """

    folder: Path
    scratch: Path
    cache: Path
    lock: LockFile
    from_file: Path | None = None
    options: dict[str, str | bool] = field(default_factory=dict)
    seed: int = 0
    reporter: Reporter = field(default_factory=SilentReporter)
    log: Callable[[str], None] = lambda message: None
    #: Every file used, with its sha256, for the install record.
    used: dict[str, str] = field(default_factory=dict)

    def fetch(self, remote: RemoteFile) -> Path:
        """The verified, cached local copy of ``remote`` (downloaded or resumed if needed)."""
        path = fetch(remote, self.cache, self.lock, reporter=self.reporter)
        if remote.sha256 or remote.md5:
            self.used[remote.url] = f"sha256:{remote.sha256}" if remote.sha256 else f"md5:{remote.md5}"
        else:
            self.used[remote.url] = f"sha256:{self.lock.get(remote.url, {}).get('sha256', '')}"
        return path

    def extract(self, archive: Path, into: Path | None = None, *,
                max_bytes: int = DEFAULT_MAX_BYTES) -> Path:
        """Safely extract ``archive`` (into a fresh folder under ``scratch`` by default)."""
        if into is None:
            into = self.scratch / (archive.name.split(".")[0] or "archive")
            n = 1
            while into.exists():
                n += 1
                into = self.scratch / f"{archive.name.split('.')[0]}-{n}"
        return extract(archive, into, max_bytes=max_bytes)

    def record_manual(self, path: Path) -> None:
        """Note a user-given file (``--from``) and its sha256 in the install record."""
        self.used[str(path)] = file_digest(path)
