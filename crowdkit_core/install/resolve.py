"""The ``installed:`` resolver: a dataset installed with ``crowd install`` by its plain name."""

from __future__ import annotations

from pathlib import Path

from crowdkit_core.install.home import data_home, installed_folder, installed_names


def resolve_installed(argument: str) -> Path | None:
    """The folder of installed dataset ``argument`` in the data home, None if not installed."""
    return installed_folder(data_home(), argument)


def known_installed() -> list[str]:
    """Names installed in the data home (listed when an unknown name is asked for)."""
    return installed_names(data_home())


resolve_installed.known_names = known_installed  # type: ignore[attr-defined]
