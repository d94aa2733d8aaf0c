"""crowd-kit's ``fit(data, true_labels, initial_error)`` signature (DawidSkene, OneCoinDawidSkene,
GoldMajorityVote), for the strategies that stand for those classes."""

from __future__ import annotations

from typing import Any


class CrowdKitFit:
    """Mixin: ``fit`` also takes crowd-kit's ``true_labels`` (gold) and ``initial_error``
    (workers' error matrices, used as ``initial_error_strategy`` says), positionally too, so
    ``DS().fit_predict(df, gt)`` works as crowd-kit's ``DawidSkene`` does
    (:mod:`crowdkit_core.initial_error`)."""

    def fit(self, data: Any, true_labels: Any = None, initial_error: Any = None, *,
            initial_error_strategy: str | None = None, **inputs: Any) -> Any:
        from crowdkit_core.initial_error import crowdkit_fit_inputs

        inputs = crowdkit_fit_inputs(self, data, true_labels, initial_error,
                                     initial_error_strategy, inputs)
        return super().fit(data, **inputs)  # type: ignore[misc]
