"""Pieces shared by the EM strategies: parameters, initial posteriors, convergence test.

All statistics are functions of the sparse answer arrays of a :class:`CrowdDataset`, so each
E-step and M-step is a sum over task partitions (a map-reduce) and nothing dense of size
tasks x workers is ever built.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.params import StrategyParams

InitName = Literal["mv", "naive_soft"]


class EMParams(StrategyParams):
    """Parameters of every EM strategy: iteration cap, tolerance and initialisation."""

    max_iter: int = Field(100, ge=1, description="Maximum number of EM iterations.")
    tol: float = Field(
        1e-5, ge=0.0,
        description="Stop when the objective (log-likelihood) improves by less than tol "
                    "relative to its magnitude between two iterations.",
    )
    init: InitName = Field(
        "mv",
        description="Initial task posteriors: 'mv' (one-hot majority vote, ties shared "
                    "equally) or 'naive_soft' (share of answers per class).",
    )


def initial_posteriors(dataset: CrowdDataset, init: str) -> np.ndarray:
    """(n_tasks, K) starting posteriors from the vote counts."""
    counts = dataset.vote_counts
    if init == "naive_soft":
        return counts / counts.sum(axis=1, keepdims=True)
    top = counts == counts.max(axis=1, keepdims=True)
    return top / top.sum(axis=1, keepdims=True)


def has_converged(previous: float, current: float, tol: float) -> bool:
    """Relative change of the objective below ``tol`` (absolute when it is near zero)."""
    if not np.isfinite(previous):
        return False
    return abs(current - previous) <= tol * max(1.0, abs(previous))
