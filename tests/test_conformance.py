"""The conformance kit over every registered strategy, and the kit's own behaviour: checks
select by tags, catch the bugs they are meant to catch, and never touch the given estimator."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pytest
from pydantic import Field

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.errors import CrowdkitError, NotFittedError
from crowdkit_core.estimator import Estimator, Output, Tags
from crowdkit_core.params import StrategyParams
from crowdkit_core.plugins import PluginRegistry
from crowdkit_core.testing import check_strategy, parametrize_with_checks, strategy_checks
from crowdkit_core.testing.checks import CHECKS, fitted_attributes


def _registered() -> dict[str, type[Estimator[Any]]]:
    return {info.name: info.load() for info in PluginRegistry().strategies()}


STRATEGIES = _registered()
#: Defaults of every registered strategy, plus instances whose parameters change behaviour.
INSTANCES = [cls() for cls in STRATEGIES.values()] + [
    STRATEGIES["MACE"](default_noise=0),
    STRATEGIES["DS"](smoothing=0),
    STRATEGIES["TwoThird"](min_answers=3),
]


def expected_failures(estimator: Estimator[Any]) -> Mapping[str, str]:
    """The tagged failures, except that MACE without starting noise is worker-rename
    invariant (its tag says so), which must then pass."""
    if isinstance(estimator, STRATEGIES["MACE"]) and estimator.params.default_noise == 0:
        return {k: v for k, v in estimator.tags.xfail.items() if k != "worker_rename_invariance"}
    return estimator.tags.xfail


@parametrize_with_checks(INSTANCES, expected_failed_checks=expected_failures)
def test_conformance(strategy, check):
    check(strategy)


# -- toy strategies for testing the kit itself -----------------------------------------------
class Votes(Aggregator):
    """Vote shares: a correct minimal strategy the toys below break one way each."""

    reference = "test toy"

    def _fit(self, dataset: Any) -> None:
        counts = dataset.vote_counts.astype(np.float64)
        self.proba_ = counts / counts.sum(axis=1, keepdims=True)


class Stale(Votes):
    """Keeps a private count across fits, so a refit differs from a fresh fit."""

    def _fit(self, dataset: Any) -> None:
        super()._fit(dataset)
        self._fits = getattr(self, "_fits", 0) + 1
        self.fits_ = self._fits


class Mutating(Votes):
    """Writes into the dataset's cached vote counts."""

    def _fit(self, dataset: Any) -> None:
        super()._fit(dataset)
        dataset.vote_counts[:, 0] += 1


class WarmParams(StrategyParams):
    max_iter: int = Field(3, ge=0, description="Iterations to report (0: none).")


class Warm(Votes):
    """Iterative and warm-startable, reporting every iteration."""

    Params = WarmParams
    tags = Tags(iterative=True, warm_start=True)

    def _fit(self, dataset: Any, init: Any = None) -> None:
        super()._fit(dataset)
        for i in range(1, self.params.max_iter + 1):
            self._report(i, -1.0 / i)
        self.state_ = self.proba_ if init is None else (self.proba_ + init) / 2


class Gold(Votes):
    """Takes known labels as certain."""

    tags = Tags(uses_gold=True)

    def _fit(self, dataset: Any, gold: Any = None) -> None:
        super()._fit(dataset)
        if gold is not None:
            known = np.asarray(gold) >= 0
            self.proba_[known] = np.eye(dataset.n_classes)[np.asarray(gold)[known]]


class BadHistory(Warm):
    """Reports iterations but keeps a history that does not match them."""

    def _fit(self, dataset: Any, init: Any = None) -> None:
        super()._fit(dataset, init)
        self.history_ = [0.0] * self.n_iter_


class NoInitParams(StrategyParams):
    max_iter: int = Field(3, ge=1, description="Iterations to report (at least one).")


class NoInitialisationOnly(Warm):
    """Iterative, but refuses max_iter=0 (crowd-kit's n_iter=0: the initialisation only)."""

    Params = NoInitParams


class CountsZero(Warm):
    """Accepts max_iter=0 but still runs (and reports) an iteration."""

    def _fit(self, dataset: Any, init: Any = None) -> None:
        super()._fit(dataset, init)
        if self.params.max_iter == 0:
            self._report(1, -1.0)


class TwoSkills(Votes):
    """Declares two outputs of the same role: identification cannot tell which to read."""

    outputs = (Output("a_", "worker", ("n_workers",), "skill", role="skill"),
               Output("b_", "worker", ("n_workers",), "skill too", role="skill"))

    def _fit(self, dataset: Any) -> None:
        super()._fit(dataset)
        self.a_ = self.b_ = np.ones(dataset.n_workers)


def test_registered_instances_cover_every_strategy():
    assert {type(e) for e in INSTANCES} == set(STRATEGIES.values())


def test_checks_select_by_tags():
    assert "iterations" in dict(strategy_checks(STRATEGIES["DS"]))
    assert "iterations" not in dict(strategy_checks(STRATEGIES["MV"]))
    assert {"warm_start", "iterations"} <= set(dict(strategy_checks(Warm)))
    assert "gold" not in dict(strategy_checks(Warm))
    assert not any("warm_start" in dict(strategy_checks(cls)) for cls in STRATEGIES.values()
                   if not cls.tags.warm_start)


def test_kit_never_touches_the_given_estimator():
    model = STRATEGIES["MACE"](default_noise=0, n_restarts=2)
    check_strategy(model, expected_failed_checks=lambda e: {})
    assert not fitted_attributes(model)
    assert model.get_params() == STRATEGIES["MACE"](default_noise=0, n_restarts=2).get_params()


def test_a_class_is_accepted_for_compatibility():
    check_strategy(STRATEGIES["MV"])


@pytest.mark.parametrize("toy, check", [
    (Stale, "refit"), (Mutating, "input_not_mutated"), (BadHistory, "iterations"),
    (TwoSkills, "output_roles"), (NoInitialisationOnly, "initialisation_only"),
    (CountsZero, "initialisation_only"),
])
def test_checks_catch_their_bug(toy, check):
    with pytest.raises(AssertionError):
        CHECKS[check](toy())
    with pytest.raises(AssertionError, match=check):
        check_strategy(toy)


@pytest.mark.parametrize("toy, check", [(Warm, "warm_start"), (Gold, "gold")])
def test_a_correct_capability_is_checked_and_passes(toy, check):
    assert check in dict(strategy_checks(toy))
    check_strategy(toy)


def test_a_passing_expected_failure_is_reported():
    with pytest.raises(AssertionError, match="expected to fail"):
        check_strategy(STRATEGIES["MV"], expected_failed_checks=lambda e: {"unanimous": "no"})


def test_not_fitted_error_is_a_programming_error():
    assert issubclass(NotFittedError, AttributeError) and issubclass(NotFittedError, ValueError)
    assert not issubclass(NotFittedError, CrowdkitError)


def test_parametrize_ids_and_strict_xfails():
    mark = parametrize_with_checks([STRATEGIES["MACE"]]).mark
    params = {p.id: p for p in mark.args[1]}
    assert "MACE()-refit" in params and not params["MACE()-refit"].marks
    (xfail,) = params["MACE()-worker_rename_invariance"].marks
    assert xfail.name == "xfail" and xfail.kwargs["strict"] is True
