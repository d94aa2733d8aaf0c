"""Where installed datasets live: the data home, its download cache and its lock file.

Layout of a data home::

    <home>/<name>/              one installed dataset (answers.json, metadata.json, ...)
    <home>/<name>/install.json  what was installed from which files (marks it complete)
    <home>/.cache/<host>/<path> downloaded files, kept so a reinstall needs no network
    <home>/checksums.lock       sha256 of every download that has no pinned checksum
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from crowdkit_core.errors import DatasetError

#: Overrides the default data home (``crowd install --dir`` overrides both).
DATA_HOME_ENV = "CROWDKIT_DATA_HOME"
INSTALL_RECORD = "install.json"
LOCK_FILE = "checksums.lock"


def default_data_home() -> Path:
    """The user's data directory for crowdkit, following each platform's convention."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "crowdkit"


def data_home(directory: str | os.PathLike[str] | None = None) -> Path:
    """``directory`` if given, else ``$CROWDKIT_DATA_HOME``, else :func:`default_data_home`."""
    chosen = directory or os.environ.get(DATA_HOME_ENV) or default_data_home()
    return Path(chosen).expanduser().absolute()


def cache_dir(home: Path) -> Path:
    """Folder of downloaded files (kept across installs)."""
    return home / ".cache"


def installed_folder(home: Path, name: str) -> Path | None:
    """The folder of installed dataset ``name``, None unless its install completed."""
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        return None
    folder = home / name
    return folder if (folder / INSTALL_RECORD).is_file() else None


def installed_names(home: Path) -> list[str]:
    """Names of the datasets installed in ``home``, sorted."""
    if not home.is_dir():
        return []
    return sorted(p.name for p in home.iterdir() if installed_folder(home, p.name) is not None)


def read_record(folder: Path) -> dict[str, Any]:
    """The install record of an installed dataset folder ({} when unreadable)."""
    try:
        data = json.loads((folder / INSTALL_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class LockFile:
    """``checksums.lock``: the sha256 and size recorded at the first download of each URL
    that has no pinned checksum; later downloads must match them."""

    def __init__(self, home: Path) -> None:
        self.path = home / LOCK_FILE

    def read(self) -> dict[str, dict[str, Any]]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except ValueError:
            raise DatasetError(
                f"{self.path}: not valid JSON; fix it or delete it (it is rebuilt at the next "
                "download, trusting what is downloaded then)") from None
        return data if isinstance(data, dict) else {}

    def get(self, url: str, default: Any = None) -> Any:
        """The entry recorded for ``url`` ({"sha256", "size"}), else ``default``."""
        entry = self.read().get(url)
        return entry if isinstance(entry, dict) else default

    def record(self, url: str, sha256: str, size: int) -> None:
        """Add ``url``'s digest (rewriting the file atomically, keys sorted)."""
        from crowdkit_core.output import atomic_write_bytes

        entries = self.read()
        entries[url] = {"sha256": sha256, "size": size}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(dict(sorted(entries.items())), indent=1, sort_keys=True) + "\n"
        atomic_write_bytes(self.path, text.encode("utf-8"))
