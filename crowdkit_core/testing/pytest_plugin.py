"""pytest fixtures for plugin authors (loaded automatically through the pytest11 entry point)."""

from __future__ import annotations

import pytest


@pytest.fixture
def crowd_dataset():
    """A small simulated CrowdDataset with gold labels (40 tasks, 8 workers, K=3)."""
    from crowdkit_core.testing import simulate_dataset

    return simulate_dataset()


@pytest.fixture
def crowd_registry():
    """The plugin registry, rebuilt for the test and restored afterwards."""
    from crowdkit_core import plugins

    plugins.reset_registry()
    yield plugins.get_registry()
    plugins.reset_registry()
