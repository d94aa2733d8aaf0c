"""Property tests over every installed strategy: random small datasets never break invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.plugins import PluginRegistry

STRATEGIES = [info.load() for info in PluginRegistry().strategies() if info.kind == "aggregation"]


@st.composite
def small_datasets(draw, max_classes: int = 6):
    k = draw(st.integers(2, max_classes))
    n_tasks = draw(st.integers(1, 12))
    n_workers = draw(st.integers(1, 6))
    rows = draw(st.lists(
        st.tuples(st.integers(0, n_tasks - 1), st.integers(0, n_workers - 1), st.integers(0, k - 1)),
        min_size=1, max_size=60,
    ))
    tasks, workers, labels = zip(*rows)
    return CrowdDataset.from_arrays(tasks, workers, labels, n_classes=k)


@pytest.mark.parametrize("cls", STRATEGIES, ids=lambda c: c.name)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_outputs_are_valid_on_any_small_dataset(cls, data):
    dataset = data.draw(small_datasets(max_classes=cls.tags.max_classes or 6))
    model = cls(seed=1).fit(dataset)
    proba, labels = model.proba_, model.labels_
    assert proba.shape == (dataset.n_tasks, dataset.n_classes)
    assert np.isfinite(proba).all() and (proba >= -1e-12).all()
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-8)
    assert labels.shape == (dataset.n_tasks,)
    assert labels.max() < dataset.n_classes
    assert labels.min() >= (-1 if cls.tags.can_abstain else 0)
    again = cls(seed=1).fit(dataset)
    assert np.array_equal(again.proba_, proba) and np.array_equal(again.labels_, labels)
