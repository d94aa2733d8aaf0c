"""Gold clamping shared by the strategies that use known labels (tag ``uses_gold``).

A task with a known class ``g`` keeps it during estimation: its posterior is set to the
one-hot vector of ``g`` after every E-step, so the M-step counts its answers as answers to
class ``g``, and the objective counts its complete-data term ``log p(answers_i, z_i = g) =
log p(answers_i) + log p(z_i = g | answers_i)`` instead of the marginal ``log p(answers_i)``
(EM on the likelihood of the answers and the known labels, still monotone).
"""

from __future__ import annotations

import numpy as np

from crowdkit_core.gold import gold_rows

#: Floor of a posterior before its log, for the objective of a clamped task that the model
#: found impossible (probability underflowed to 0).
TINY = 1e-300


def clamp_rows(proba: np.ndarray, gold: np.ndarray | None, start: int = 0) -> float:
    """Set the rows of known tasks of ``proba`` (tasks ``start:start + len(proba)``) to the
    one-hot vector of their gold class, in place; returns the sum of ``log proba[i, g]``
    before clamping (what turns a marginal log-likelihood into the complete-data one)."""
    rows, classes = gold_rows(gold, start, start + proba.shape[0])
    if not rows.size:
        return 0.0
    before = proba[rows, classes]
    proba[rows] = 0.0
    proba[rows, classes] = 1.0
    return float(np.log(np.maximum(before, TINY)).sum())


def clamped(proba: np.ndarray, gold: np.ndarray | None) -> np.ndarray:
    """``proba`` with its known rows one-hot (a copy when there is something to clamp)."""
    if gold is None:
        return proba
    proba = np.array(proba, dtype=np.float64)
    clamp_rows(proba, gold)
    return proba


def gold_start(dataset, gold: np.ndarray | None, start: np.ndarray) -> np.ndarray:
    """The starting posteriors of an EM run: ``start`` (vote shares) without gold; with gold,
    GoldMV's posteriors (votes weighted by each worker's accuracy on the gold tasks, gold
    tasks one-hot), so that EM starts where the known labels point and not from a plain
    vote that gold contradicts (e.g. adversaries in the majority)."""
    if gold is None:
        return start
    from crowdkit_classic.gold_mv import GoldMV

    return np.array(GoldMV().fit(dataset, gold=gold).proba_)
