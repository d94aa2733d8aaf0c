"""Helpers of the installer tests: each group's fixtures, served and pinned."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib

import pytest

from crowdkit_core.testing.fileserver import FileServer
from installer_fixtures import Fixture

GROUPS = ("images", "audio", "answers", "custom")


def all_fixtures() -> dict[str, object]:
    """{dataset name: fixture builder} over every group's fixture module."""
    found: dict[str, object] = {}
    for group in GROUPS:
        try:
            module = importlib.import_module(f"installer_fixtures.{group}")
        except ModuleNotFoundError as exc:
            if exc.name != f"installer_fixtures.{group}":
                raise
            continue
        found.update(module.FIXTURES)
    return found


def pin_to_fixture(monkeypatch: pytest.MonkeyPatch, cls: type, fixture: Fixture) -> None:
    """Replace ``cls.files``' digests by those of the fixture's bytes, keeping each file's kind
    of pin (sha256, md5 or none: lock file), so verification runs as on real data."""
    pinned = []
    for remote in cls.files:
        data = fixture.files[remote.url]
        pinned.append(dataclasses.replace(
            remote,
            sha256=hashlib.sha256(data).hexdigest() if remote.sha256 else None,
            md5=hashlib.md5(data).hexdigest() if remote.md5 else None,
            size=len(data) if remote.size is not None else None))
    monkeypatch.setattr(cls, "files", tuple(pinned))


def serve(server: FileServer, fixture: Fixture) -> None:
    for url, data in fixture.files.items():
        server.add(url, data)
