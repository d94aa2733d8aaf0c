"""Test-set metrics of a classifier: loss, accuracy, top-k and the expected calibration error
over the whole set (never averaged per batch, as peerannot does)."""

from __future__ import annotations

from typing import Any

import numpy as np

from crowdkit_core.metrics import expected_calibration_error


def split_metrics(proba: np.ndarray, labels: np.ndarray, prefix: str) -> dict[str, Any]:
    """``{prefix}_loss`` (mean NLL), ``_accuracy``, ``_ece`` (15 bins, whole set) and, when
    K >= 8, micro and macro top-2 / top-5 accuracy."""
    labels = np.asarray(labels, np.int64)
    k = proba.shape[1]
    picked = proba[np.arange(len(labels)), labels]
    out: dict[str, Any] = {
        f"{prefix}_loss": float(-np.log(np.clip(picked, 1e-12, None)).mean()),
        f"{prefix}_accuracy": float((proba.argmax(1) == labels).mean()),
        f"{prefix}_ece": float(expected_calibration_error(proba, labels, 15)),
    }
    if k >= 8:
        ranks = np.argsort(-proba, axis=1, kind="stable")
        for top in (2, 5):
            hit = (ranks[:, :top] == labels[:, None]).any(1)
            present = np.unique(labels)
            out[f"{prefix}_top{top}_micro"] = float(hit.mean())
            out[f"{prefix}_top{top}_macro"] = float(np.mean([hit[labels == c].mean() for c in present]))
    return out


def peerannot_names(metrics: dict[str, Any]) -> dict[str, Any]:
    """peerannot's spellings of the top-k keys (``test_micro_top2`` for ``test_top2_micro``
    and so on) beside crowdkit's, with the same values (fractions, not percentages)."""
    out = dict(metrics)
    for prefix in ("test", "val"):
        for top in (2, 5):
            for average in ("micro", "macro"):
                key = f"{prefix}_top{top}_{average}"
                if key in metrics:
                    out[f"{prefix}_{average}_top{top}"] = metrics[key]
    return out
