"""Installing datasets: data home, downloads, safe extraction, atomic installs.

Modules, one job each: :mod:`.home` (data home, cache, lock file), :mod:`.download` (one
file: cache, resume, checksums), :mod:`.archives` (safe extraction), :mod:`.layout` (the
standard folder layout and its checks), :mod:`.context` (what an installer's build gets),
:mod:`.jobs` (install and listing as library calls), :mod:`.seed_files` (peerannot-style
``.py`` installers), :mod:`.resolve` (installed names as dataset arguments).

The names below are imported on first use, so that importing :mod:`.home` alone (shell
completion lists installed datasets) pulls in neither pydantic nor the download code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crowdkit_core.install.context import InstallContext
    from crowdkit_core.install.home import data_home, default_data_home
    from crowdkit_core.install.jobs import InstallResult, install_dataset

_EXPORTS = {"InstallContext": "context", "InstallResult": "jobs", "data_home": "home",
            "default_data_home": "home", "install_dataset": "jobs"}

__all__ = ["InstallContext", "InstallResult", "data_home", "default_data_home", "install_dataset"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
