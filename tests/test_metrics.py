"""Scores against gold labels: hand-computed cases, scikit-learn, and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdkit_core.metrics import (
    confusion_matrix, expected_calibration_error, labelled_accuracy, log_loss,
    precision_recall_f1, score_labels,
)

# Five gold tasks (one unknown: -1), K = 3; the strategy abstains on task 4.
GOLD = np.array([0, 1, 2, 1, 0, -1])
LABELS = np.array([0, 2, 2, 1, -1, 1])
PROBA = np.array([
    [0.8, 0.1, 0.1],
    [0.2, 0.3, 0.5],
    [0.0, 0.4, 0.6],
    [0.3, 0.7, 0.0],
    [0.5, 0.5, 0.0],
    [0.1, 0.8, 0.1],
])


def test_accuracy_and_coverage_by_hand():
    s = score_labels(LABELS, PROBA, GOLD, 3)
    assert (s.n_gold, s.n_labelled) == (5, 4)
    assert s.accuracy == pytest.approx(3 / 4)  # tasks 0, 2, 3 right; 1 wrong; 4 abstained
    assert s.coverage == pytest.approx(4 / 5)
    assert s.accuracy_all == pytest.approx(3 / 5)


def test_confusion_precision_recall_f1_by_hand():
    confusion = confusion_matrix(LABELS, GOLD, 3)
    assert confusion.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    precision, recall, f1 = precision_recall_f1(confusion)
    assert precision.tolist() == pytest.approx([1, 1, 0.5])
    assert recall.tolist() == pytest.approx([1, 0.5, 1])
    assert f1.tolist() == pytest.approx([1, 2 / 3, 2 / 3])


def test_a_class_never_predicted_nor_gold_scores_zero_and_stays_out_of_macro():
    s = score_labels(np.array([0, 0, 1]), None, np.array([0, 1, 1]), 4)
    assert s.precision[2:] == [0.0, 0.0] and s.f1[2:] == [0.0, 0.0]
    assert s.macro_f1 == pytest.approx((2 / 3 + 2 / 3) / 2)  # classes 0 and 1 only


def test_log_loss_by_hand():
    # gold tasks 0..4 all have a distribution; task 2 gives its gold class 0.6
    expected = -np.mean(np.log([0.8, 0.3, 0.6, 0.7, 0.5]))
    assert log_loss(PROBA, GOLD) == pytest.approx(expected)
    # a zero probability on the gold class is clipped, not infinite
    assert log_loss(np.array([[1.0, 0.0]]), np.array([1])) == pytest.approx(-math.log(1e-15))


def test_ece_by_hand_uses_the_strategy_labels_for_ties():
    # confidences: .8, .5 (label 2), .6, .7, .5 (tie, no label -> lowest class 0)
    # bins of width 1/15: .5 -> bin 7, .6 -> bin 8, .7 -> bin 10, .8 -> bin 11
    ece = expected_calibration_error(PROBA, GOLD, 15, LABELS)
    by_bin = [(2, abs(0.5 - 0.5)), (1, abs(1 - 0.6)), (1, abs(1 - 0.7)), (1, abs(1 - 0.8))]
    # bin 7 holds task 1 (label 2, wrong, .5) and task 4 (class 0, right, .5): acc .5, conf .5
    assert ece == pytest.approx(sum(n * gap for n, gap in by_bin) / 5)
    # the tie on task 4 broken the other way (class 1, wrong) changes the score
    other = LABELS.copy()
    other[4] = 1
    assert expected_calibration_error(PROBA, GOLD, 15, other) == pytest.approx(
        (2 * 0.5 + 0.4 + 0.3 + 0.2) / 5)


def _batch_weighted_ece(proba, gold, batches, n_bins=15):
    """peerannot's recipe: the ECE of each batch, weighted by batch size, then averaged."""
    total = sum(len(b) * expected_calibration_error(proba[b], gold[b], n_bins) for b in batches)
    return total / sum(len(b) for b in batches)


def test_ece_is_over_the_whole_set_not_averaged_per_batch():
    proba = np.array([[0.9, 0.1]] * 5)
    gold = np.array([1, 0, 0, 0, 0])  # one confident mistake among five .9 predictions
    whole = expected_calibration_error(proba, gold)
    assert whole == pytest.approx(abs(0.8 - 0.9))  # one bin: accuracy 4/5, confidence .9
    batched = _batch_weighted_ece(proba, gold, [np.arange(1), np.arange(1, 5)])
    assert batched == pytest.approx((1 * 0.9 + 4 * 0.1) / 5)
    assert abs(batched - whole) > 0.1


def test_rows_without_a_distribution_are_not_scored():
    proba = np.array([[0.0, 0.0], [0.25, 0.75]])
    gold = np.array([0, 1])
    assert log_loss(proba, gold) == pytest.approx(-math.log(0.75))
    assert expected_calibration_error(proba, gold) == pytest.approx(0.25)
    assert math.isnan(log_loss(proba[:1], gold[:1]))


def test_no_gold_is_an_error():
    with pytest.raises(ValueError, match="no task has a gold label"):
        score_labels(np.array([0]), None, np.array([-1]), 2)


def test_json_record_turns_nan_into_none():
    s = score_labels(np.array([-1, -1]), np.zeros((2, 2)), np.array([0, 1]), 2)
    record = s.to_dict()
    assert record["coverage"] == 0.0 and record["accuracy"] is None and record["log_loss"] is None


# -- against scikit-learn ------------------------------------------------------------------
sklearn = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n, k = 300, 4
    gold = rng.integers(0, k, n)
    proba = rng.dirichlet(np.ones(k), n)
    labels = np.where(rng.random(n) < 0.7, gold, rng.integers(0, k, n))
    s = score_labels(labels, proba, gold, k)
    assert s.accuracy == pytest.approx(sklearn.accuracy_score(gold, labels))
    assert s.confusion == sklearn.confusion_matrix(gold, labels, labels=range(k)).tolist()
    p, r, f, _ = sklearn.precision_recall_fscore_support(gold, labels, labels=range(k), zero_division=0)
    assert s.precision == pytest.approx(p.tolist())
    assert s.recall == pytest.approx(r.tolist())
    assert s.f1 == pytest.approx(f.tolist())
    assert s.macro_f1 == pytest.approx(sklearn.f1_score(gold, labels, average="macro"))
    assert s.macro_precision == pytest.approx(sklearn.precision_score(gold, labels, average="macro"))
    assert s.log_loss == pytest.approx(sklearn.log_loss(gold, proba, labels=range(k)))


def test_macro_average_skips_absent_classes_like_scikit_learn():
    gold, labels = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    s = score_labels(labels, None, gold, 5)
    assert s.macro_f1 == pytest.approx(sklearn.f1_score(gold, labels, average="macro"))
    assert s.macro_recall == pytest.approx(sklearn.recall_score(gold, labels, average="macro"))


# -- invariants ----------------------------------------------------------------------------
@st.composite
def scored_sets(draw):
    n = draw(st.integers(1, 40))
    k = draw(st.integers(2, 5))
    gold = np.array(draw(st.lists(st.integers(-1, k - 1), min_size=n, max_size=n)))
    labels = np.array(draw(st.lists(st.integers(-1, k - 1), min_size=n, max_size=n)))
    weights = np.array(draw(st.lists(st.lists(st.integers(0, 5), min_size=k, max_size=k),
                                     min_size=n, max_size=n)), dtype=float)
    return gold, labels, weights, k


@settings(max_examples=60, deadline=None)
@given(scored_sets())
def test_score_invariants(case):
    gold, labels, weights, k = case
    confusion = confusion_matrix(labels, gold, k)
    assert confusion.sum() == ((gold >= 0) & (labels >= 0)).sum()
    assert (confusion.sum(axis=1) <= np.bincount(gold[gold >= 0], minlength=k)).all()
    ece = expected_calibration_error(weights, gold, labels=labels)
    assert math.isnan(ece) or 0.0 <= ece <= 1.0
    loss = log_loss(weights, gold)
    assert math.isnan(loss) or loss >= 0.0
    if (gold >= 0).any():
        accuracy, coverage = labelled_accuracy(labels, gold)
        s = score_labels(labels, weights, gold, k)
        assert s.accuracy_all == pytest.approx(0.0 if coverage == 0 else accuracy * coverage)
        assert all(0.0 <= v <= 1.0 for v in (*s.precision, *s.recall, *s.f1))
