"""labels_from_proba: argmax with near-ties, lowest or random, for every K (bit tables and fallback)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from crowdkit_core.aggregator import labels_from_proba


def reference(proba: np.ndarray, rtol: float = 1e-9):
    """Row by row: the labels within rtol of the row maximum."""
    out = []
    for row in proba:
        best = row.max()
        out.append(np.flatnonzero(row >= best - rtol * abs(best)))
    return out


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 20).flatmap(
    lambda k: arrays(np.float64, st.tuples(st.integers(1, 40), st.just(k)),
                     elements=st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0, 1.0 + 1e-12, 3.0]))))
def test_lowest_and_random_ties_pick_from_the_near_maximal_labels(proba):
    tied = reference(proba)
    lowest = labels_from_proba(proba, "lowest")
    assert lowest.tolist() == [int(t[0]) for t in tied]
    drawn = labels_from_proba(proba, "random", np.random.default_rng(0))
    assert all(label in t for label, t in zip(drawn.tolist(), tied))
    again = labels_from_proba(proba, "random", np.random.default_rng(0))
    assert drawn.tolist() == again.tolist()


@pytest.mark.parametrize("k", [2, 16, 17, 40])
def test_random_ties_spread_over_all_tied_labels(k):
    proba = np.full((4000, k), 1.0 / k)
    drawn = labels_from_proba(proba, "random", np.random.default_rng(1))
    assert set(drawn.tolist()) == set(range(k))
    assert labels_from_proba(proba, "lowest").tolist() == [0] * 4000
