"""The core simulator: each worker model's statistics, loads, determinism, option errors,
matrix files, property tests, and recovery of the truth by the models that assume it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from crowdkit_core.dataset import load_dataset
from crowdkit_core.errors import DatasetError, SpecError
from crowdkit_core.simulation import (
    SimulationOptions, diagonally_dominant, simulate, simulation_files, write_simulation,
)
from crowdkit_core.spec import resolve_spec


def pairs(sim):
    data = sim.dataset
    return data.tasks * data.n_workers + data.workers


def answer_shares(sim, mask):
    """Share of each label among the answers selected by ``mask``."""
    return np.bincount(sim.dataset.labels[mask], minlength=sim.dataset.n_classes) / mask.sum()


def accuracy(spec, data):
    return float((np.asarray(resolve_spec(spec).build().fit(data).labels_) == data.gold).mean())


# -- worker models ------------------------------------------------------------------------
def test_hammer_spammer_matrices_and_answers():
    sim = simulate(strategy="hammer-spammer", n_workers=20, n_tasks=2000, n_classes=4,
                   ratio=0.3, feedback=6, seed=1)
    data, k = sim.dataset, 4
    assert np.array_equal(sim.confusion[:14], np.broadcast_to(np.eye(k), (14, k, k)))
    assert np.allclose(sim.confusion[14:], 1 / k)  # round(0.3 * 20) = 6 spammers, rows uniform
    truth = sim.truth[data.tasks]
    hammer = data.workers < 14
    assert (data.labels[hammer] == truth[hammer]).all()
    spam = ~hammer
    assert np.abs(answer_shares(sim, spam) - 1 / k).max() < 0.03
    assert abs((data.labels[spam] == truth[spam]).mean() - 1 / k) < 0.03


def test_independent_confusion_rows_are_diagonally_dominant_and_followed():
    sim = simulate(strategy="independent-confusion", n_workers=10, n_tasks=4000, n_classes=3,
                   feedback=5, seed=2)
    c = sim.confusion
    assert np.allclose(c.sum(-1), 1) and (c >= 0).all()
    assert (np.diagonal(c, axis1=1, axis2=2) == c.max(-1)).all()
    data = sim.dataset
    truth = sim.truth[data.tasks]
    for w in (0, 7):
        for true in range(3):
            mask = (data.workers == w) & (truth == true)
            assert np.abs(answer_shares(sim, mask) - c[w, true]).max() < 0.12


def test_diagonally_dominant_swaps_each_rows_maximum():
    m = np.array([[[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.6, 0.1, 0.3]]])
    out = diagonally_dominant(m)
    assert np.allclose(out, [[[0.7, 0.1, 0.2], [0.3, 0.5, 0.2], [0.3, 0.1, 0.6]]])
    assert np.allclose(m[0, 0], [0.1, 0.7, 0.2])  # the input is left alone


def test_student_teacher_students_copy_their_teacher():
    sim = simulate(strategy="student-teacher", n_workers=20, n_tasks=100, n_classes=4,
                   ratio=0.75, feedback=5, seed=3)
    assoc = sim.teachers
    assert assoc.shape == (15, 2)
    assert np.array_equal(assoc[:, 0], np.arange(5, 20)) and (assoc[:, 1] < 5).all()
    assert np.array_equal(sim.confusion[assoc[:, 0]], sim.confusion[assoc[:, 1]])
    teachers = sim.confusion[:5]
    assert (np.diagonal(teachers, axis1=1, axis2=2) == teachers.max(-1)).all()
    assert len({m.tobytes() for m in teachers}) == 5


def test_discrete_difficulty_levels():
    sim = simulate(strategy="discrete-difficulty", n_workers=40, n_tasks=6000, n_classes=3,
                   ratio=0.25, ratio_diff=2.0, random=0.1, feedback=4, seed=4)
    levels = sim.difficulties
    assert set(levels.tolist()) <= {"easy", "hard", "random"}
    shares = {lv: (levels == lv).mean() for lv in ("easy", "hard", "random")}
    assert abs(shares["random"] - 0.1) < 0.02
    assert abs(shares["easy"] - 0.6) < 0.03 and abs(shares["hard"] - 0.3) < 0.03
    data = sim.dataset
    level = levels[data.tasks]
    truth = sim.truth[data.tasks]
    assert (data.labels[level == "easy"] == truth[level == "easy"]).all()
    assert np.abs(answer_shares(sim, level == "random") - 1 / 3).max() < 0.03
    good = sim.confusion[:10]  # round(0.25 * 40) good workers first
    assert (np.diagonal(good, axis1=1, axis2=2) == good.max(-1)).all()
    assert np.diagonal(good, axis1=1, axis2=2).mean() > np.diagonal(sim.confusion[10:], axis1=1, axis2=2).mean()


# -- who answers what ---------------------------------------------------------------------
def test_feedback_gives_each_task_exactly_that_many_distinct_workers():
    sim = simulate(strategy="independent-confusion", n_workers=12, n_tasks=300, feedback=7, seed=5)
    assert (sim.dataset.answers_per_task == 7).all()
    assert np.unique(pairs(sim)).size == sim.n_answers


def test_default_feedback_is_every_worker():
    sim = simulate(n_workers=6, n_tasks=10, seed=0)
    assert (sim.dataset.answers_per_task == 6).all()


def test_workerload_is_respected_and_loads_even():
    sim = simulate(strategy="independent-confusion", n_workers=13, n_tasks=101, feedback=9,
                   workerload=70, seed=6)
    loads = sim.dataset.answers_per_worker
    assert loads.max() <= 70 and loads.max() - loads.min() <= 1
    assert (sim.dataset.answers_per_task == 9).all()
    assert np.unique(pairs(sim)).size == sim.n_answers


def test_workerload_at_exact_capacity():
    sim = simulate(n_workers=5, n_tasks=10, feedback=5, workerload=10, seed=7)
    assert (sim.dataset.answers_per_worker == 10).all()


def test_imbalance_votes_draws_counts_uniformly():
    sim = simulate(strategy="independent-confusion", n_workers=10, n_tasks=5000, feedback=6,
                   imbalance_votes=True, seed=8)
    counts = sim.dataset.answers_per_task
    assert counts.min() == 1 and counts.max() == 6
    assert abs(counts.mean() - 3.5) < 0.1
    assert np.abs(np.bincount(counts, minlength=7)[1:] / counts.size - 1 / 6).max() < 0.02


# -- determinism and files ----------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["hammer-spammer", "student-teacher",
                                      "independent-confusion", "discrete-difficulty"])
def test_same_seed_same_bytes_other_seed_other_bytes(strategy, tmp_path):
    def files(seed):
        sim = simulate(strategy=strategy, n_workers=9, n_tasks=40, feedback=4, seed=seed,
                       workerload=30)
        return {p.name: b for p, b in simulation_files(sim, tmp_path).items()}

    first, again, other = files(3), files(3), files(4)
    assert first == again
    assert first["answers.json"] != other["answers.json"]
    extra = {"student-teacher": "student_teacher_association.npy",
             "discrete-difficulty": "difficulties.npy"}.get(strategy)
    assert set(first) == {"answers.json", "metadata.json", "truth.csv", "ground_truth.npy",
                          "matrices.npy"} | ({extra} if extra else set())


def test_written_folder_loads_with_gold_and_matrices(tmp_path):
    sim = simulate(strategy="discrete-difficulty", n_workers=8, n_tasks=30, feedback=3, seed=9)
    write_simulation(sim, tmp_path / "crowd")
    data = load_dataset(tmp_path / "crowd")
    assert data.n_tasks == 30 and data.n_classes == 5 and data.n_answers == 90
    tasks = np.asarray(data.task_ids, dtype=np.int64)
    assert np.array_equal(data.gold, sim.truth[tasks])
    assert np.array_equal(np.load(tmp_path / "crowd" / "ground_truth.npy"), sim.truth)
    assert np.array_equal(np.load(tmp_path / "crowd" / "matrices.npy"), sim.confusion)
    assert np.array_equal(np.load(tmp_path / "crowd" / "difficulties.npy"), sim.difficulties)
    workers = np.asarray(data.worker_ids, dtype=np.int64)[data.workers]
    got = set(zip(tasks[data.tasks].tolist(), workers.tolist(), data.labels.tolist()))
    want = set(zip(sim.dataset.tasks.tolist(), sim.dataset.workers.tolist(), sim.dataset.labels.tolist()))
    assert got == want


def test_existing_folder_needs_force_and_stale_files_go(tmp_path):
    st_sim = simulate(strategy="student-teacher", n_workers=6, n_tasks=10, feedback=2, ratio=0.5)
    write_simulation(st_sim, tmp_path)
    with pytest.raises(DatasetError, match="--force"):
        write_simulation(simulate(n_workers=6, n_tasks=10, feedback=2), tmp_path)
    write_simulation(simulate(n_workers=6, n_tasks=10, feedback=2), tmp_path, force=True)
    assert not (tmp_path / "student_teacher_association.npy").exists()


# -- options that contradict each other ---------------------------------------------------
@pytest.mark.parametrize("values, words", [
    (dict(n_workers=5, feedback=6), "--feedback 6 asks for more answers"),
    (dict(n_workers=5, n_tasks=20, feedback=3, workerload=11), "--workerload 11 is too small"),
    (dict(n_workers=5, n_tasks=20, feedback=3, workerload=3, imbalance_votes=True), "--workerload 3 is too small"),
    (dict(strategy="independent-confusion", ratio=0.2), "--ratio is not used by independent"),
    (dict(strategy="hammer-spammer", ratio_diff=2.0), "--ratio-diff is only used by discrete"),
    (dict(strategy="student-teacher", random=0.1), "--random is only used by discrete"),
    (dict(strategy="student-teacher", n_workers=4, ratio=0.9), "leaves no teacher"),
    (dict(strategy="hammer-spammer", matrix_file="m.npy"), "--matrix-file is not used by hammer"),
    (dict(strategy="discrete-difficulty", matrix_file="m.npy", ratio=0.3), "--ratio is not used with --matrix-file"),
    (dict(strategy="nope"), "--strategy='nope'"),
    (dict(n_workers=0), "--n-workers=0"),
    (dict(ratio=1.5), "--ratio=1.5"),
    (dict(colour="red"), "unknown option --colour"),
])
def test_contradictions_are_one_line_errors(values, words):
    with pytest.raises(SpecError) as info:
        SimulationOptions.parse(**values)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_imbalanced_total_beyond_the_load_is_an_error():
    # every task needs 1..4 answers; 20 tasks fit 5 x 8 = 40 at worst-case 1, not the draw
    with pytest.raises(SpecError, match="drawn with --imbalance-votes"):
        simulate(n_workers=5, n_tasks=20, feedback=4, workerload=8, imbalance_votes=True, seed=0)


# -- matrix files -------------------------------------------------------------------------
def _matrix_file(tmp_path, array, name="m.npy"):
    path = tmp_path / name
    np.save(path, array)
    return str(path)


def test_matrix_file_is_used(tmp_path):
    rng = np.random.default_rng(0)
    m = rng.dirichlet(np.ones(3), size=(6, 3))
    sim = simulate(strategy="independent-confusion", n_workers=6, n_classes=3, n_tasks=20,
                   feedback=2, matrix_file=_matrix_file(tmp_path, m))
    assert np.allclose(sim.confusion, m)
    st_sim = simulate(strategy="student-teacher", n_workers=6, n_classes=3, n_tasks=20,
                      feedback=2, ratio=0.5, matrix_file=_matrix_file(tmp_path, m[:3], "t.npy"))
    assert np.allclose(st_sim.confusion[:3], m[:3])


@pytest.mark.parametrize("array, words", [
    (np.full((5, 3, 3), 1 / 3), "shape (5, 3, 3), expected (6, 3, 3)"),
    (np.full((6, 3, 3), 0.5), "worker 0, true class 0: the row sums to 1.5"),
    (np.tile(np.array([[1.2, -0.2, 0.0]] * 3), (6, 1, 1)), "negative entry -0.2"),
    (np.full((6, 3, 3), np.nan), "NaN"),
])
def test_bad_matrix_files_are_one_line_errors(tmp_path, array, words):
    path = _matrix_file(tmp_path, array)
    with pytest.raises(DatasetError) as info:
        simulate(strategy="independent-confusion", n_workers=6, n_classes=3, n_tasks=10,
                 feedback=2, matrix_file=path)
    assert words in str(info.value) and path in str(info.value)


def test_matrix_file_must_be_npy(tmp_path):
    path = tmp_path / "m.txt"
    path.write_text("1 0\n0 1\n")
    with pytest.raises(DatasetError, match="not a .npy file"):
        simulate(strategy="independent-confusion", n_workers=1, n_classes=2, n_tasks=3,
                 matrix_file=str(path))


# -- property tests -----------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    strategy=st.sampled_from(["hammer-spammer", "student-teacher", "independent-confusion",
                              "discrete-difficulty"]),
    n_workers=st.integers(1, 12), n_tasks=st.integers(1, 40), n_classes=st.integers(2, 5),
    feedback=st.one_of(st.none(), st.integers(1, 14)),
    workerload=st.one_of(st.none(), st.integers(1, 50)),
    imbalance=st.booleans(), ratio=st.one_of(st.none(), st.floats(0, 1)),
    seed=st.integers(0, 2**32),
)
def test_any_options_give_a_valid_crowd_or_a_one_line_error(
        strategy, n_workers, n_tasks, n_classes, feedback, workerload, imbalance, ratio, seed):
    values = dict(strategy=strategy, n_workers=n_workers, n_tasks=n_tasks, n_classes=n_classes,
                  feedback=feedback, workerload=workerload, imbalance_votes=imbalance, seed=seed)
    if strategy != "independent-confusion":
        values["ratio"] = ratio
    try:
        sim = simulate(**values)
    except SpecError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("simulate: ")
        return
    data = sim.dataset
    per_task = n_workers if feedback is None else feedback
    assert data.n_tasks == n_tasks and data.answers_per_task.min() >= 1
    assert data.answers_per_task.max() <= per_task
    if not imbalance:
        assert (data.answers_per_task == per_task).all()
    if workerload is not None:
        assert data.answers_per_worker.max() <= workerload
    assert np.unique(pairs(sim)).size == sim.n_answers
    assert np.allclose(sim.confusion.sum(-1), 1) and sim.confusion.shape == (n_workers, n_classes, n_classes)
    assert np.array_equal(data.gold, sim.truth)


# -- recovery: each model is recovered by the strategy that assumes it --------------------
def mean_accuracies(strategy, specs, seeds, **values):
    rows = []
    for seed in seeds:
        data = simulate(strategy=strategy, n_classes=5, seed=seed, **values).dataset
        rows.append([accuracy(spec, data) for spec in specs])
    return np.array(rows)


def test_independent_confusion_ds_beats_majority_vote():
    # peerannot's documented setting: 30 workers, 200 tasks, K=5, 10 answers per task
    acc = mean_accuracies("independent-confusion", ["MV", "DS"], range(8),
                          n_workers=30, n_tasks=200, feedback=10)
    assert (acc[:, 1] > acc[:, 0]).all()
    assert acc[:, 1].mean() - acc[:, 0].mean() > 0.04 and acc[:, 1].mean() > 0.83


def test_student_teacher_clustered_ds_beats_ds():
    # 24 students copying 6 teachers; 500 tasks so that DS has a clear, stable gap to close
    acc = mean_accuracies("student-teacher", ["DS", "DSWC[L=5]"], range(8),
                          n_workers=30, n_tasks=500, feedback=10, ratio=0.8)
    assert (acc[:, 1] >= acc[:, 0]).mean() >= 0.75
    assert acc[:, 1].mean() - acc[:, 0].mean() > 0.015


def test_hammer_spammer_is_recovered_by_spammer_models():
    acc = mean_accuracies("hammer-spammer", ["MV", "MACE", "OneCoinDS"], range(4),
                          n_workers=100, n_tasks=300, feedback=10, ratio=0.7)
    assert acc[:, 1:].min() > 0.95 and acc[:, 0].mean() < 0.85


def test_discrete_difficulty_is_recovered_by_glad():
    acc = mean_accuracies("discrete-difficulty", ["MV", "GLAD"], range(4),
                          n_workers=100, n_tasks=200, feedback=10, ratio=0.35)
    assert acc[:, 1].mean() > acc[:, 0].mean() + 0.01 and acc[:, 1].mean() > 0.83
