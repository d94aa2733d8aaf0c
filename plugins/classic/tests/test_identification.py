"""The identification methods against reference values (peerannot's fixtures, the
``krippendorff`` package, brute-force formulas) and their invariants."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import DatasetError, SpecError
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.identification.confusion_scores import ConfusionTrace, SpamScore, spam_scores
from crowdkit_classic.identification.entropy import Entropy
from crowdkit_classic.identification.krippendorff import KrippendorffAlpha, nominal_alpha
from crowdkit_classic.identification.reliability import Reliability

#: peerannot's datasets/krippendorff-data/answers.json (tasks 1 and 13 have no answers).
KRIPPENDORFF = {
    "0": {"1": 1}, "1": {}, "2": {"1": 2, "2": 2}, "3": {"1": 1, "2": 1}, "4": {"1": 3, "2": 3},
    "5": {"0": 3, "1": 3, "2": 4}, "6": {"0": 4, "1": 4, "2": 4}, "7": {"0": 1, "1": 3},
    "8": {"0": 2, "2": 2}, "9": {"0": 1, "2": 1}, "10": {"0": 1, "2": 1}, "11": {"0": 3, "2": 3},
    "12": {"0": 3, "2": 3}, "13": {}, "14": {"0": 3, "2": 4},
}
#: peerannot's datasets/toy-data/answers.json (K=2, 4 workers, 3 tasks).
TOY = {"0": {"0": 1, "1": 0, "2": 1, "3": 1}, "1": {"0": 1, "2": 0, "3": 0}, "2": {"1": 1, "3": 1}}
REAL = ["labelme", "music", "rte", "wsd", "temp", "bluebirds", "sentiment_polarity"]


def from_json(answers: dict, n_classes: int) -> CrowdDataset:
    rows = [(t, w, label) for t, given in answers.items() for w, label in given.items()]
    return CrowdDataset.from_arrays(*zip(*rows), n_classes=n_classes)


def reliability_matrix(data: CrowdDataset) -> np.ndarray:
    """The (workers, tasks) matrix with NaN for no answer, as the krippendorff package wants."""
    matrix = np.full((data.n_workers, data.n_tasks), np.nan)
    matrix[data.workers, data.tasks] = data.labels
    return matrix


# -- Krippendorff's alpha ----------------------------------------------------------------------
def test_alpha_on_peerannot_s_krippendorff_example():
    data = from_json(KRIPPENDORFF, n_classes=5)  # labels 1..4
    assert nominal_alpha(data) == pytest.approx(0.691358024691358, abs=1e-15)
    assert KrippendorffAlpha().fit(data).alpha_ == pytest.approx(0.691358024691358, abs=1e-15)


def test_alpha_without_a_worker_is_alpha_on_the_rest():
    data = from_json(KRIPPENDORFF, n_classes=5)
    model = KrippendorffAlpha().fit(data)
    for j, worker in enumerate(data.worker_ids):
        rest = {t: {w: v for w, v in given.items() if w != str(worker)} for t, given in KRIPPENDORFF.items()}
        rest = {t: given for t, given in rest.items() if given}
        assert model.alpha_without_[j] == pytest.approx(nominal_alpha(from_json(rest, 5)), abs=1e-12)
    assert np.allclose(model.scores_, model.alpha_ - model.alpha_without_)


@pytest.mark.parametrize("name", REAL)
def test_alpha_agrees_with_the_krippendorff_package(load_shared, name):
    krippendorff = pytest.importorskip("krippendorff")
    data = load_shared(name)
    matrix = reliability_matrix(data)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    model = KrippendorffAlpha().fit(data)
    assert model.alpha_ == pytest.approx(expected, abs=1e-12)
    for j in range(0, data.n_workers, max(1, data.n_workers // 5)):  # leave-one-out, sampled
        rest = np.delete(matrix, j, axis=0)
        assert model.alpha_without_[j] == pytest.approx(
            krippendorff.alpha(reliability_data=rest, level_of_measurement="nominal"), abs=1e-12)


def test_alpha_with_repeated_answers_matches_the_package_on_first_answers(load_shared):
    krippendorff = pytest.importorskip("krippendorff")
    from crowdkit_core.dataset import load_dataset

    data = load_dataset(load_shared("s_adult").source, duplicates="first")
    expected = krippendorff.alpha(reliability_data=reliability_matrix(data), level_of_measurement="nominal")
    assert nominal_alpha(data) == pytest.approx(expected, abs=1e-12)


# -- spam score and trace ----------------------------------------------------------------------
def peerannot_ds_matrices(data: CrowdDataset, posteriors: np.ndarray) -> np.ndarray:
    """peerannot's DS M-step: pi[j, k, :] = counts / row sum, an all-zero row for a class the
    worker never met (written here independently, as the reference for its toy test)."""
    pi = np.zeros((data.n_workers, data.n_classes, data.n_classes))
    for t, w, label in zip(data.tasks, data.workers, data.labels):
        pi[w, :, label] += posteriors[t]
    sums = pi.sum(axis=2, keepdims=True)
    return np.divide(pi, sums, out=np.zeros_like(pi), where=sums > 0)


def test_spam_score_on_peerannot_s_toy_data(tmp_path):
    data = from_json(TOY, n_classes=2)
    posteriors = DawidSkene(smoothing=0).fit(data).proba_
    path = tmp_path / "pi.npy"
    np.save(path, peerannot_ds_matrices(data, posteriors))
    model = SpamScore(matrix_file=str(path)).fit(data)
    assert model.scores_ == pytest.approx([0, 0.25, 1, 1], abs=1e-8)


def test_spam_score_from_crowdkit_ds_on_the_toy_data():
    """crowdkit's DS gives a class a worker never met a uniform row, not peerannot's zeros, so
    worker 1 (one right and one wrong answer on class 1) scores as a spammer."""
    model = SpamScore(on="DS[smoothing=0]").fit(from_json(TOY, n_classes=2))
    assert model.scores_ == pytest.approx([0, 0, 1, 1], abs=1e-8)


def brute_spam(matrix: np.ndarray) -> float:
    k = len(matrix)
    return sum(np.sum((matrix[a] - matrix[b]) ** 2)
               for a, b in itertools.combinations(range(k), 2)) / (k * (k - 1))


@given(st.integers(2, 6).flatmap(lambda k: st.lists(
    st.lists(st.lists(st.floats(0, 1), min_size=k, max_size=k), min_size=k, max_size=k),
    min_size=1, max_size=5)))
@settings(max_examples=60, deadline=None)
def test_spam_score_is_raykar_yu_s_formula_and_in_unit_interval(raw):
    matrices = np.array(raw) + 1e-3
    matrices /= matrices.sum(axis=2, keepdims=True)
    scores = spam_scores(matrices)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores == pytest.approx([brute_spam(m) for m in matrices], abs=1e-12)


def test_binary_spam_score_is_squared_youden_index():
    sensitivity, specificity = 0.9, 0.7
    matrix = np.array([[[specificity, 1 - specificity], [1 - sensitivity, sensitivity]]])
    assert spam_scores(matrix)[0] == pytest.approx((sensitivity + specificity - 1) ** 2)


@pytest.mark.parametrize("on", ["DS", "OneCoinDS", "WDS", "DSWC", "DS[max_iter=5]"])
def test_confusion_methods_read_any_strategy_with_confusion_matrices(load_shared, on):
    data = load_shared("wsd")
    spam, trace = SpamScore(on=on).fit(data), ConfusionTrace(on=on).fit(data)
    assert spam.scores_.shape == trace.scores_.shape == (data.n_workers,)
    assert np.all((spam.scores_ >= 0) & (spam.scores_ <= 1))
    assert np.all((trace.scores_ >= 0) & (trace.scores_ <= data.n_classes + 1e-9))
    assert np.allclose(trace.scores_, np.trace(spam.confusion_matrices_, axis1=1, axis2=2))


def test_ds_spam_scores_find_the_least_accurate_workers(load_shared):
    """On real data, the workers DS scores as spammers are far less accurate on gold."""
    data = load_shared("rte")
    scores = SpamScore().fit(data).scores_
    right = data.labels == data.gold[data.tasks]
    accuracy = np.bincount(data.workers, weights=right) / np.bincount(data.workers)
    order = np.argsort(scores)
    low, high = order[: data.n_workers // 5], order[-(data.n_workers // 5):]
    assert accuracy[low].mean() + 0.2 < accuracy[high].mean()
    assert np.corrcoef(scores, accuracy)[0, 1] > 0.7


def test_a_strategy_without_confusion_matrices_is_refused():
    with pytest.raises(SpecError, match=r"spam_score\[on=MV\]: MV has no per-worker confusion "
                                        r"matrices; use a strategy that has them \(DS, DSWC"):
        SpamScore(on="MV").fit(from_json(TOY, 2))


# -- matrix files ------------------------------------------------------------------------------
def test_matrix_file_by_worker_id_in_any_order(tmp_path):
    data = from_json(TOY, n_classes=2)
    matrices = DawidSkene().fit(data).confusion_matrices_
    np.save(tmp_path / "m.npy", matrices[::-1])
    (tmp_path / "ids.txt").write_text("\n".join(map(str, data.worker_ids[::-1])))
    by_id = SpamScore(matrix_file=str(tmp_path / "m.npy"), matrix_workers=str(tmp_path / "ids.txt")).fit(data)
    assert by_id.scores_ == pytest.approx(spam_scores(matrices))
    details = {"workers": {"confusion_matrices": {str(w): m.tolist() for w, m in zip(data.worker_ids, matrices)}}}
    (tmp_path / "details.json").write_text(json.dumps(details))
    from_details = ConfusionTrace(matrix_file=str(tmp_path / "details.json")).fit(data)
    assert from_details.scores_ == pytest.approx(np.trace(matrices, axis1=1, axis2=2))


@pytest.mark.parametrize("case, message", [
    ("shape", r"shape \(4, 3, 3\); the dataset needs \(n_workers, 2, 2\)"),
    ("count", r"3 confusion matrices for the dataset's 4 workers"),
    ("unknown", r"worker 'nobody' is not in the dataset"),
    ("missing", r"no confusion matrix for worker '3'"),
    ("rows", r"matrix of worker '0' is not row-stochastic"),
    ("suffix", r"matrix files are .npy"),
])
def test_bad_matrix_files_are_one_line_errors(tmp_path, case, message):
    data = from_json(TOY, n_classes=2)
    good = np.tile(np.eye(2), (4, 1, 1))
    path, ids = tmp_path / "m.npy", None
    if case == "shape":
        np.save(path, np.tile(np.eye(3), (4, 1, 1)))
    elif case == "count":
        np.save(path, good[:3])
    elif case == "unknown":
        path = tmp_path / "m.json"
        path.write_text(json.dumps({"nobody": np.eye(2).tolist()}))
    elif case == "missing":
        np.save(path, good[:3])
        ids = tmp_path / "ids.json"
        ids.write_text(json.dumps(["0", "1", "2"]))
    elif case == "rows":
        np.save(path, good * 2)
    else:
        path = tmp_path / "m.txt"
        path.write_text("1 0 0 1")
    with pytest.raises(DatasetError, match=message) as error:
        SpamScore(matrix_file=str(path), matrix_workers=ids and str(ids)).fit(data)
    assert "\n" not in str(error.value)


# -- entropy and reliability -------------------------------------------------------------------
def test_entropy_on_peerannot_s_toy_data():
    model = Entropy().fit(from_json(TOY, n_classes=2))
    share = np.array([3 / 4, 2 / 3])
    expected = -(share * np.log(share) + (1 - share) * np.log(1 - share))
    assert model.entropies_ == pytest.approx([*expected, 0.0])
    assert list(model.ranking()) == [1, 0, 2]


def test_entropy_of_posteriors_is_lower_after_ds(load_shared):
    data = load_shared("labelme")
    votes, ds = Entropy().fit(data), Entropy(on="DS").fit(data)
    proba = DawidSkene().fit(data).proba_
    assert ds.entropies_ == pytest.approx(-(proba * np.log(np.where(proba > 0, proba, 1))).sum(axis=1))
    assert ds.entropies_.mean() < votes.entropies_.mean()


@pytest.mark.parametrize("on, output", [("GLAD", "alphas_"), ("Wawa", "skills_"),
                                        ("MACE", "thetas_"), ("OneCoinDS", "skills_")])
def test_reliability_reads_the_declared_skill(load_shared, on, output):
    from crowdkit_core.spec import resolve_spec

    data = load_shared("wsd")
    model = Reliability(on=on).fit(data)
    assert model.skill_output_ == output
    assert model.scores_ == pytest.approx(getattr(resolve_spec(on).build().fit(data), output))


def test_reliability_refuses_a_strategy_without_skills():
    with pytest.raises(SpecError, match=r"reliability\[on=DS\]: DS has no per-worker skills; "
                                        r"use a strategy that has them \(BWA, GLAD"):
        Reliability(on="DS").fit(from_json(TOY, 2))


# -- invariants on random data -----------------------------------------------------------------
@st.composite
def answer_rows(draw):
    k = draw(st.integers(2, 5))
    rows = draw(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 5), st.integers(0, k - 1)),
                         min_size=2, max_size=50, unique_by=lambda r: (r[0], r[1])))
    return k, rows


def build(k, rows, task_name=str, worker_name=str):
    return CrowdDataset.from_arrays([task_name(t) for t, _, _ in rows],
                                    [worker_name(w) for _, w, _ in rows],
                                    [lab for _, _, lab in rows], n_classes=k)


@given(answer_rows(), st.randoms(use_true_random=False))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_renaming_and_shuffling_workers_and_tasks_changes_no_score(example, rnd):
    k, rows = example
    data = build(k, rows)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    renamed = build(k, shuffled, task_name=lambda t: f"z{9 - t}", worker_name=lambda w: f"w{5 - w}")
    a, b = KrippendorffAlpha().fit(data), KrippendorffAlpha().fit(renamed)
    assert np.isclose(a.alpha_, b.alpha_, equal_nan=True)
    worker_map = [list(renamed.worker_ids).index(f"w{5 - int(w)}") for w in data.worker_ids]
    assert np.allclose(a.alpha_without_, b.alpha_without_[worker_map], equal_nan=True)
    task_map = [list(renamed.task_ids).index(f"z{9 - int(t)}") for t in data.task_ids]
    assert np.allclose(Entropy().fit(data).entropies_, Entropy().fit(renamed).entropies_[task_map])


@given(answer_rows())
@settings(max_examples=60, deadline=None)
def test_alpha_is_one_and_entropy_zero_when_everyone_agrees(example):
    k, rows = example
    truth = {t: (t * 7) % k for t, _, _ in rows}
    data = build(k, [(t, w, truth[t]) for t, w, _ in rows])
    model = KrippendorffAlpha().fit(data)
    if (data.answers_per_task >= 2).any():
        assert model.alpha_ == 1.0
    assert np.all(Entropy().fit(data).entropies_ == 0)
