"""Fixtures of the installer tests: a data home and a local file server."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from crowdkit_core.testing.fileserver import FileServer


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data home, also set as $CROWDKIT_DATA_HOME."""
    folder = tmp_path / "home"
    monkeypatch.setenv("CROWDKIT_DATA_HOME", str(folder))
    return folder


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FileServer]:
    """A running local file server that every download is redirected to."""
    with FileServer() as running:
        monkeypatch.setenv("CROWDKIT_DATASETS_BASE_URL", running.url)
        monkeypatch.setenv("CROWDKIT_DOWNLOAD_TIMEOUT", "10")
        yield running
