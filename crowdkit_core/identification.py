"""The Identifier interface: the identification kind of :class:`~crowdkit_core.estimator.Estimator`.

An identification method scores workers or tasks (spammers, ambiguous tasks) from the answers.
Every identifier sets ``scores_``, indexed by its ``axis``; higher means more reliable for
workers and easier for tasks, so one ranking rule serves every method. Methods that read
another strategy's fit (``entropy[on=DS]``, ``spam_score[on=OneCoinDS]``) get it from
:func:`fit_source`, which checks that the strategy declares what the method needs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Literal

import numpy as np

from crowdkit_core.errors import SpecError
from crowdkit_core.estimator import Estimator, P

#: What each output role is called in messages.
_ROLE_WORDS = {"skill": "per-worker skills", "confusion": "per-worker confusion matrices"}


class Identifier(Estimator[P], Generic[P]):
    """Base class of identification methods; subclasses set ``axis`` and declare ``scores_``
    in ``outputs`` with that axis.

    ``array_file`` / ``array_output``: the ``identification/<array_file>.npy`` file
    ``crowd identify`` writes (peerannot's names, e.g. ``entropies``) and the fitted
    attribute saved in it (``scores_`` unless the method says otherwise).
    """

    kind: ClassVar[str] = "identification"
    #: What is scored: one score per worker or per task.
    axis: ClassVar[Literal["worker", "task"]] = "worker"
    #: Stem of the .npy file written under identification/ (default: the name, lower case).
    array_file: ClassVar[str] = ""
    #: The fitted attribute saved in that file.
    array_output: ClassVar[str] = "scores_"

    def ranking(self) -> np.ndarray:
        """Indices from least to most reliable (ties in index order)."""
        return np.argsort(np.asarray(self.scores_), kind="stable")

    def _finish_fit(self, dataset: Any) -> None:
        size = dataset.n_workers if self.axis == "worker" else dataset.n_tasks
        if np.shape(self.scores_) != (size,):
            raise AssertionError(f"{type(self).__name__}.scores_ must have one score per {self.axis}")


def strategies_with_role(role: str, registry: Any = None) -> list[str]:
    """Names of the installed aggregation strategies that declare an output playing ``role``."""
    from crowdkit_core.plugins import get_registry

    names = []
    for info in (registry or get_registry()).strategies():
        if info.kind != "aggregation":
            continue
        try:
            cls = info.load()
        except Exception:  # a broken plugin is reported by `crowd plugins`, not here
            continue
        if cls.output_with_role(role) is not None:
            names.append(info.name)
    return names


def fit_source(spec: str, dataset: Any, *, method: str, role: str | None = None, seed: int = 0,
               registry: Any = None) -> tuple[Estimator[Any], str | None]:
    """Fit the aggregation strategy ``spec`` (e.g. ``'DS[max_iter=10]'``) on ``dataset`` for
    the identification ``method``; return it and the name of its output playing ``role``.

    ``seed`` is the strategy's seed unless ``spec`` sets one. A spec that does not resolve to
    an aggregation strategy, or one without a ``role`` output, is a one-line
    :class:`SpecError` naming it (and the installed strategies that have such an output),
    raised before anything is fitted.
    """
    from crowdkit_core.spec import resolve_spec

    try:
        resolved = resolve_spec(spec, registry, kind="aggregation", extra={"seed": seed})
    except SpecError as exc:
        raise SpecError(f"{method}[on={spec}]: {exc}") from None
    output = None
    if role is not None:
        found = resolved.strategy_class.output_with_role(role)
        if found is None:
            having = ", ".join(strategies_with_role(role, registry)) or "none is installed"
            raise SpecError(f"{method}[on={spec}]: {resolved.info.name} has no "
                            f"{_ROLE_WORDS[role]}; use a strategy that has them ({having})")
        output = found.name
    return resolved.build().fit(dataset), output
