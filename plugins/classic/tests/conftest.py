"""Fixtures for crowdkit-classic tests: the real datasets beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data (real datasets) is not present next to the checkout")
    return SHARED_DATA


@pytest.fixture
def load_shared(shared_data):
    """Load ../shared/data/<name> (answers.csv + truth.csv) as a CrowdDataset with gold."""
    from crowdkit_core.dataset import load_dataset

    cache: dict[str, object] = {}

    def load(name: str):
        if name not in cache:
            cache[name] = load_dataset(shared_data / name)
        return cache[name]

    return load
