"""pytest fixtures and reporting for plugin authors (loaded automatically through the pytest11
entry point)."""

from __future__ import annotations

from typing import Any

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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """A test that fails because a ``crowd new-plugin`` skeleton is not written yet is reported
    in one line (``NAME is not implemented yet: write _fit in FILE``), not a traceback."""
    from crowdkit_core.errors import NotImplementedYet

    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None and call.excinfo.errisinstance(NotImplementedYet):
        report.longrepr = str(call.excinfo.value)
