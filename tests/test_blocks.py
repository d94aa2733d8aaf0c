"""Task blocks: cutting by answer count, sharing the matrix arrays, the in-place product."""

from __future__ import annotations

import numpy as np
import pytest

from crowdkit_core import blocks as B
from crowdkit_core.dataset import CrowdDataset


def make_dataset(n_tasks: int, per_task: int, n_workers: int = 50, k: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    tasks = np.repeat(np.arange(n_tasks), per_task)
    workers = rng.integers(0, n_workers, tasks.size)
    labels = rng.integers(0, k, tasks.size)
    return CrowdDataset(tasks, workers, labels, k, np.arange(n_tasks), np.arange(n_workers))


@pytest.mark.parametrize("n_answers, n_statistics, expected", [
    (10**4, 0, 1),
    (2 * B.MIN_BLOCK_ANSWERS - 1, 0, 1),  # too small to cut: every real dataset stays one block
    (2 * B.MIN_BLOCK_ANSWERS, 0, 2),
    (3 * B.MIN_BLOCK_ANSWERS, 0, 2),  # a power of two, so two threads share blocks evenly
    (10**6, 0, 8),
    (10**9, 0, B.MAX_BLOCKS),
    (10**6, 1000 * 5 * 5, 4),  # 1000 workers, K=5: blocks keep 8 answers per statistic
    (10**7, 10_000 * 5 * 5, 4),
    (10**6, 10**6, 1),
])
def test_block_count_depends_on_the_data_only(n_answers, n_statistics, expected):
    assert B.block_count(n_answers, n_statistics) == expected


def test_default_cut_follows_block_count():
    data = make_dataset(100_000, 3)
    parts = B.task_blocks(data)
    assert len(parts) == B.dataset_block_count(data) == 4
    assert B.task_blocks(data, 4) is parts
    assert [(b.start, b.stop) for b in B.answer_blocks(data)] == [(b.start, b.stop) for b in parts]


@pytest.mark.parametrize("n_blocks", [1, 2, 3, 7, 16])
def test_blocks_cover_every_task_once_and_share_arrays(n_blocks):
    data = make_dataset(1000, 3)
    parts = B.task_blocks(data, n_blocks)
    assert parts[0].start == 0 and parts[-1].stop == data.n_tasks
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:]))
    assert len(parts) <= n_blocks
    full = data.answer_matrix.toarray()
    for block in parts:
        assert np.array_equal(block.matrix.toarray(), full[block.rows])
        assert np.shares_memory(block.matrix.indices, data.answer_matrix.indices)
    assert B.task_blocks(data, n_blocks) is parts  # cached per block count


def test_blocks_balance_answers_not_tasks():
    # Tasks 0..99 have 10 answers each, tasks 100..1099 have one: halves by answers.
    per_task = np.r_[np.full(100, 10), np.ones(1000, dtype=int)]
    tasks = np.repeat(np.arange(per_task.size), per_task)
    workers = np.arange(tasks.size) % 20
    data = CrowdDataset(tasks, workers, workers % 2, 2, np.arange(per_task.size), np.arange(20))
    first, second = B.task_blocks(data, 2)
    assert first.matrix.nnz == second.matrix.nnz == 1000


@pytest.mark.parametrize("n_blocks", [1, 4])
def test_matmul_into_matches_the_public_product(n_blocks):
    data = make_dataset(500, 4)
    dense = np.random.default_rng(1).normal(size=(data.answer_matrix.shape[1], 3))
    expected = data.answer_matrix @ dense
    out = np.full((data.n_tasks, 3), np.nan)
    for block in B.task_blocks(data, n_blocks):
        B.matmul_into(block.matrix, dense, out[block.rows])
    assert np.array_equal(out, expected)


def test_matmul_into_falls_back_without_the_private_kernel(monkeypatch):
    data = make_dataset(200, 3)
    dense = np.ones((data.answer_matrix.shape[1], 2))
    monkeypatch.setattr(B, "_csr_matvecs", lambda: None)
    out = np.empty((data.n_tasks, 2))
    B.matmul_into(data.answer_matrix, dense, out)
    assert np.array_equal(out, data.answer_matrix @ dense)


def test_matmul_into_falls_back_for_other_dtypes():
    from scipy import sparse

    matrix = sparse.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]], dtype=np.float32))
    dense = np.arange(6, dtype=np.float64).reshape(3, 2)
    out = np.empty((2, 2))
    B.matmul_into(matrix, dense, out)
    assert np.array_equal(out, matrix.toarray() @ dense)


@pytest.mark.parametrize("kernel", [True, False])
def test_transpose_matmul_is_the_transposed_product(monkeypatch, kernel):
    data = make_dataset(300, 3)
    dense = np.random.default_rng(2).normal(size=(data.n_tasks, 4))
    if not kernel:
        monkeypatch.setattr(B, "_sparsetools", lambda name: None)
    for block in B.task_blocks(data, 3):
        expected = data.answer_matrix[block.rows].T @ dense[block.rows]
        assert np.array_equal(B.transpose_matmul(block.matrix, dense[block.rows]), expected)
