"""The engine: thread mapping in order, summable statistics, reproducible reductions."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from crowdkit_core import engine as E


@dataclass(frozen=True)
class Pair(E.Statistics):
    counts: np.ndarray
    total: float


def test_statistics_add_field_by_field_and_leave_inputs_untouched():
    a, b = Pair(np.array([1.0, 2.0]), 3.0), Pair(np.array([10.0, 20.0]), 30.0)
    total = a + b
    assert total.counts.tolist() == [11.0, 22.0] and total.total == 33.0
    assert a.counts.tolist() == [1.0, 2.0]


def test_statistics_of_other_types_do_not_add():
    with pytest.raises(TypeError):
        Pair(np.zeros(1), 0.0) + 1.0


def test_sum_in_order_is_a_fixed_order_sum():
    parts = [np.array([1e16, 1.0]), np.array([1.0, 1e16]), np.array([-1e16, -1e16])]
    assert E.sum_in_order(parts).tolist() == [(1e16 + 1.0) - 1e16, (1.0 + 1e16) - 1e16]
    assert parts[0].tolist() == [1e16, 1.0]  # inputs untouched


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40), st.data())
@settings(max_examples=50, deadline=None)
def test_statistics_of_any_grouping_add_up_to_one_pass(values, data):
    """Per-item statistics added by groups (a partition into blocks) equal one pass."""
    items = [Pair(np.array([v, v * v]), v) for v in values]
    cuts = sorted(data.draw(st.sets(st.integers(1, len(items) - 1))) if len(items) > 1 else [])
    bounds = [0, *cuts, len(items)]
    groups = [E.sum_in_order(items[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    whole, grouped = E.sum_in_order(items), E.sum_in_order(groups)
    scale = max(1.0, float(np.abs([v * v for v in values]).sum()))
    assert np.allclose(grouped.counts, whole.counts, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("n_jobs", [1, 4])
def test_map_blocks_keeps_order(n_jobs):
    seen = set()

    def work(item):
        seen.add(threading.get_ident())
        return item * 2

    assert E.ThreadEngine(n_jobs).map_blocks(work, list(range(20))) == list(range(0, 40, 2))
    assert len(seen) >= 1


def test_map_reduce_returns_outputs_and_the_sum_in_block_order():
    outputs, total = E.ThreadEngine(3).map_reduce(
        lambda i: (i, Pair(np.array([float(i)]), 1.0)), list(range(10)))
    assert outputs == list(range(10))
    assert total.counts.tolist() == [45.0] and total.total == 10.0


def test_get_engine_keeps_a_given_engine():
    engine = E.ThreadEngine(2)
    assert E.get_engine(engine, n_jobs=8) is engine
    made = E.get_engine(n_jobs=3)
    assert isinstance(made, E.ThreadEngine) and made.n_threads == 3


def test_resolve_n_jobs_follows_scikit_learn():
    cores = E.os.cpu_count() or 1
    assert E.resolve_n_jobs(None) == E.resolve_n_jobs(1) == E.resolve_n_jobs(0) == 1
    assert E.resolve_n_jobs(-1) == cores
    assert E.resolve_n_jobs(-2) == max(1, cores - 1)
    assert E.resolve_n_jobs(3) == 3


@pytest.mark.parametrize("n_jobs", [1, 2, 3])
def test_map_row_ranges_covers_every_row_once(n_jobs):
    hits = np.zeros(100_000, dtype=int)

    def work(rows):
        hits[rows] += 1

    E.map_row_ranges(work, hits.size, n_jobs, min_rows=1000)
    assert (hits == 1).all()
