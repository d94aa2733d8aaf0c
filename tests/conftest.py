"""Shared fixtures: paths to the real datasets and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data (real datasets) is not present next to the checkout")
    return SHARED_DATA


@pytest.fixture
def cli():
    """Invoke ``crowd`` in-process; returns the click Result (stdout and stderr separate)."""
    from typer.testing import CliRunner

    from crowdkit_core.cli.app import create_app
    from crowdkit_core.plugins import reset_registry

    reset_registry()
    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        return runner.invoke(create_app(), list(args), **kwargs)

    yield invoke
    reset_registry()
