"""Fixtures of the crowdkit-deep tests: the digits image dataset with a simulated crowd."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

HAS_TORCH = all(importlib.util.find_spec(m) is not None for m in ("torch", "torchvision"))


def crowd_confusions() -> np.ndarray:
    """Worker 0 swaps classes 2 and 5; 16 one-coin workers of accuracy 0.85; 23 spammers."""
    from crowdkit_core.simulation.confusion import one_coin

    swap = np.eye(10)
    swap[[2, 5]] = swap[[5, 2]]
    return np.concatenate([0.95 * swap[None] + 0.005, one_coin(np.full(16, 0.85), 10),
                           np.full((23, 10, 10), 0.1)])


@pytest.fixture(scope="session")
def digits(tmp_path_factory):
    """scikit-learn's 8x8 digits in the standard image layout, 4 answers per task."""
    pytest.importorskip("sklearn")
    from crowdkit_deep.digits import write_digits

    folder = tmp_path_factory.mktemp("digits")
    info = write_digits(folder, crowd_confusions(), 4, seed=0)
    np.save(folder / "true.npy", info["truth"])
    return folder
