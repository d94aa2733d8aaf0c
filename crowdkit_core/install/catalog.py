"""What ``crowd datasets list`` and ``crowd datasets info`` show, as plain data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from crowdkit_core.errors import CrowdkitError
from crowdkit_core.install.home import data_home, installed_folder, read_record


def dataset_rows(directory: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """One row per registered installer: its card, plugin and install state.

    An installer that fails to load is listed with its error instead of a card, so one
    broken plugin never hides the others.
    """
    from crowdkit_core.install.jobs import installer_class
    from crowdkit_core.plugins import get_registry

    home = data_home(directory)
    rows = []
    for info in get_registry().datasets():
        row: dict[str, Any] = {"name": info.name, "aliases": list(info.aliases),
                               "summary": info.summary, "plugin": info.plugin,
                               "distribution": info.distribution}
        try:
            cls, _ = installer_class(info.name)
            row.update(cls.describe())
        except CrowdkitError as exc:
            row["error"] = str(exc)
        folder = installed_folder(home, info.name)
        row["installed"] = folder is not None
        row["path"] = str(folder) if folder is not None else None
        rows.append(row)
    return rows


def dataset_details(name: str, directory: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The full card of ``name`` plus where it is installed and what its folder holds."""
    from crowdkit_core.install.jobs import installer_class

    cls, info = installer_class(name)
    home = data_home(directory)
    details: dict[str, Any] = {"name": info.name, "aliases": list(info.aliases),
                               "summary": info.summary, "plugin": info.plugin,
                               "distribution": info.distribution, **cls.describe()}
    folder = installed_folder(home, info.name)
    details["data_home"] = str(home)
    details["installed"] = folder is not None
    details["path"] = str(folder) if folder is not None else None
    details["contents"] = folder_contents(folder) if folder is not None else []
    details["install_record"] = read_record(folder) if folder is not None else {}
    return details


def folder_contents(folder: Path) -> list[dict[str, Any]]:
    """Each top-level entry of ``folder`` with its file count and total bytes."""
    entries = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.is_dir() and not entry.is_symlink():
            files = [p for p in entry.rglob("*") if p.is_file()]
            entries.append({"name": entry.name + "/", "files": len(files),
                            "bytes": sum(p.stat().st_size for p in files)})
        elif entry.is_file():
            entries.append({"name": entry.name, "files": 1, "bytes": entry.stat().st_size})
    return entries


def human_bytes(n: int | None) -> str:
    """``1.2 MB`` style sizes (decimal units, as download sites show them)."""
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"
