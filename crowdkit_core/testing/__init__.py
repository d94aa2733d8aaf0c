"""Conformance kit: checks every strategy plugin should pass, like sklearn's check_estimator.

Checks run on instances, so non-default parameters can be checked; a class is accepted too
and instantiated with its defaults. Use it in a plugin's own test suite::

    from crowdkit_core.testing import parametrize_with_checks
    from my_plugin import MyStrategy

    @parametrize_with_checks([MyStrategy, MyStrategy(smoothing=0)])
    def test_conformance(strategy, check):
        check(strategy)

Which checks run is decided by the estimator's ``tags`` (see :mod:`.checks`). A strategy
declares checks it is known to fail in ``tags.xfail`` ({name: reason}); they run as strict
expected failures, so a fixed strategy is noticed, and are never silently skipped.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Mapping

from crowdkit_core.estimator import Estimator
from crowdkit_core.testing.checks import CHECKS, Check, applies, as_estimator
from crowdkit_core.testing.datasets import simulate_dataset

#: Checks an estimator is expected to fail, with why: by default ``est.tags.xfail``.
ExpectedFailures = Callable[[Estimator[Any]], Mapping[str, str]]

__all__ = [
    "simulate_dataset", "strategy_checks", "check_strategy", "parametrize_with_checks", "CHECKS",
]


def _tagged_failures(estimator: Estimator[Any]) -> Mapping[str, str]:
    """The default expected failures: what the strategy declares in ``tags.xfail``."""
    return estimator.tags.xfail


def strategy_checks(estimator: Any) -> Iterator[tuple[str, Check]]:
    """Yield (name, check) for every check the estimator's tags select; call ``check(est)``."""
    estimator = as_estimator(estimator)
    for name, check in CHECKS.items():
        if applies(name, estimator):
            yield name, check


def check_strategy(estimator: Any, *, expected_failed_checks: ExpectedFailures | None = None) -> None:
    """Run every selected check; raise AssertionError listing each unexpected failure and
    each expected failure (``tags.xfail``, or ``expected_failed_checks(est)``) that passed."""
    estimator = as_estimator(estimator)
    expected = (expected_failed_checks or _tagged_failures)(estimator)
    problems = []
    for name, check in strategy_checks(estimator):
        try:
            check(estimator)
        except Exception as exc:
            if name not in expected:
                problems.append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            if name in expected:
                problems.append(f"{name}: expected to fail ({expected[name]}) but passed")
    if problems:
        raise AssertionError(f"{estimator!r} fails conformance checks:\n" + "\n".join(problems))


def parametrize_with_checks(
    estimators: Iterable[Any], *, expected_failed_checks: ExpectedFailures | None = None,
) -> Any:
    """pytest decorator: one test ``(strategy, check)`` per estimator and selected check, with
    ids ``Class(params)-check``; expected failures (``tags.xfail``, or
    ``expected_failed_checks(est)``) are strict xfails."""
    import pytest

    params = []
    for estimator in map(as_estimator, estimators):
        expected = (expected_failed_checks or _tagged_failures)(estimator)
        for name, check in strategy_checks(estimator):
            marks = [pytest.mark.xfail(reason=expected[name], strict=True)] if name in expected else []
            params.append(pytest.param(estimator, check, id=f"{estimator!r}-{name}", marks=marks))
    return pytest.mark.parametrize("strategy, check", params)
