"""Conformance kit: checks every strategy plugin should pass, like sklearn's check_estimator.

Use it in a plugin's own test suite::

    from crowdkit_core.testing import parametrize_with_checks
    from my_plugin import MyStrategy

    @parametrize_with_checks([MyStrategy])
    def test_conformance(strategy, check):
        check(strategy)

A strategy may declare checks it is known to fail in ``tags.xfail`` ({name: reason});
they are reported as expected failures, never silently skipped.
"""

from __future__ import annotations

import typing
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import DatasetError, NotFittedError, SpecError
from crowdkit_core.params import StrategyParams
from crowdkit_core.spec import canonical_spec, parse_spec, validate_params

Check = Callable[[type[Aggregator]], None]

__all__ = [
    "simulate_dataset", "strategy_checks", "check_strategy", "parametrize_with_checks", "CHECKS",
]


def simulate_dataset(
    n_tasks: int = 40, n_workers: int = 8, n_classes: int = 3, answers_per_task: int = 5,
    accuracy: tuple[float, float] = (0.65, 0.95), seed: int = 0, name: str = "simulated",
) -> CrowdDataset:
    """Answers from workers of random accuracy (errors uniform over other classes); gold kept."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_tasks)
    skill = rng.uniform(*accuracy, n_workers)
    tasks, workers, labels = [], [], []
    for t in range(n_tasks):
        chosen = rng.choice(n_workers, size=min(answers_per_task, n_workers), replace=False)
        for w in chosen:
            if rng.random() < skill[w]:
                lab = truth[t]
            else:
                lab = (truth[t] + rng.integers(1, n_classes)) % n_classes
            tasks.append(t)
            workers.append(f"w{w}")
            labels.append(int(lab))
    data = CrowdDataset.from_arrays(tasks, workers, labels, n_classes=n_classes, name=name)
    data.gold = truth[np.asarray(data.task_ids, dtype=np.int64)]
    return data


def _k(cls: type[Aggregator], k: int) -> int:
    """``k`` classes, or fewer when the strategy supports only ``max_classes``."""
    return min(k, cls.tags.max_classes) if cls.tags.max_classes else k


def _rows(data: CrowdDataset) -> tuple[list, list, list]:
    return (list(data.task_ids[data.tasks]), list(data.worker_ids[data.workers]), data.labels.tolist())


def _fit(cls: type[Aggregator], data: Any, **params: Any) -> Aggregator:
    model = cls(**params)
    returned = model.fit(data)
    assert returned is model, f"{cls.__name__}.fit must return self"
    return model


def _same_result(a: Aggregator, b: Aggregator, what: str, atol: float = 1e-6) -> None:
    assert np.allclose(a.proba_, b.proba_, atol=atol), f"{what}: proba_ changed"
    assert np.array_equal(a.labels_, b.labels_), f"{what}: labels_ changed"


# -- parameter checks ---------------------------------------------------------------------------
def check_params_model(cls: type[Aggregator]) -> None:
    """Params subclasses StrategyParams, defaults validate, every field is described."""
    assert isinstance(cls.Params, type) and issubclass(cls.Params, StrategyParams), \
        f"{cls.__name__}.Params must subclass StrategyParams"
    cls.Params()
    missing = [n for n, f in cls.Params.model_fields.items() if not f.description]
    assert not missing, f"parameters without a description: {missing}"
    schema = cls.Params.model_json_schema()
    assert schema.get("additionalProperties") is False, "unknown parameters must be forbidden"
    assert cls.name, f"{cls.__name__}.name must be set"
    assert cls.reference, f"{cls.__name__}.reference must cite the paper or source"


def _example_value(field: Any, default: Any) -> Any:
    """A valid value different from the default, or a sentinel when none can be guessed."""
    annotation = field.annotation
    if typing.get_origin(annotation) is typing.Literal:
        others = [a for a in typing.get_args(annotation) if a != default]
        return others[0] if others else _NO_EXAMPLE
    if isinstance(default, bool):
        return not default
    bounds = {attr: getattr(m, attr) for m in field.metadata for attr in ("gt", "ge", "lt", "le")
              if getattr(m, attr, None) is not None}
    if isinstance(default, int):
        candidate = default + 1
        upper = bounds.get("le", bounds.get("lt", None))
        if upper is not None and candidate >= upper + (1 if "le" in bounds else 0):
            candidate = default - 1
        return candidate
    if isinstance(default, float):
        for candidate in (default / 2, default * 1.5, default + 0.25, default - 0.25):
            try:
                field_ok = all(
                    (k != "gt" or candidate > v) and (k != "ge" or candidate >= v)
                    and (k != "lt" or candidate < v) and (k != "le" or candidate <= v)
                    for k, v in bounds.items())
            except TypeError:
                field_ok = False
            if field_ok and candidate != default:
                return candidate
    return _NO_EXAMPLE


_NO_EXAMPLE = object()


def check_spec_round_trip(cls: type[Aggregator]) -> None:
    """The canonical spec of defaults and of changed values parses back to equal params."""
    defaults = cls.Params()
    name = cls.name or cls.__name__
    assert canonical_spec(name, defaults) == name, "default parameters must give the bare name"
    for key, field in cls.Params.model_fields.items():
        value = _example_value(field, getattr(defaults, key))
        if value is _NO_EXAMPLE:
            continue
        params = validate_params(cls.Params, {key: value})
        text = canonical_spec(name, params)
        parsed = parse_spec(text)
        again = validate_params(cls.Params, parsed.params, parsed)
        assert again == params, f"spec {text!r} does not round-trip ({again!r} != {params!r})"


def check_invalid_values_rejected(cls: type[Aggregator]) -> None:
    """Unknown keys, wrong types and values outside constraints raise SpecError."""
    for bad in ({"no_such_parameter_xyz": 1},):
        try:
            cls(**bad)
        except SpecError:
            pass
        else:
            raise AssertionError(f"{cls.__name__}({bad}) was accepted")
    for key, field in cls.Params.model_fields.items():
        default = field.get_default(call_default_factory=True)
        bad_values: list[Any] = []
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            bad_values.append("not-a-number")
        for meta in field.metadata:
            if getattr(meta, "ge", None) is not None:
                bad_values.append(meta.ge - 1)
            if getattr(meta, "gt", None) is not None:
                bad_values.append(meta.gt - 1 if isinstance(meta.gt, int) else meta.gt)
            if getattr(meta, "le", None) is not None:
                bad_values.append(meta.le + 1)
            if getattr(meta, "lt", None) is not None:
                bad_values.append(meta.lt + 1 if isinstance(meta.lt, int) else meta.lt)
        if typing.get_origin(field.annotation) is typing.Literal:
            bad_values.append("no-such-choice")
        for value in bad_values:
            try:
                cls(**{key: value})
            except SpecError:
                continue
            raise AssertionError(f"{cls.__name__}({key}={value!r}) was accepted")


def check_get_set_params(cls: type[Aggregator]) -> None:
    """get_params returns the defaults; set_params revalidates and returns self."""
    model = cls()
    assert model.get_params() == cls.Params().model_dump()
    assert model.set_params(seed=7) is model and model.get_params()["seed"] == 7
    try:
        model.set_params(seed=-1)
    except SpecError:
        pass
    else:
        raise AssertionError("set_params(seed=-1) was accepted")
    assert model.get_params()["seed"] == 7, "a rejected set_params must leave parameters unchanged"


# -- API checks -----------------------------------------------------------------------------------
def check_not_fitted(cls: type[Aggregator]) -> None:
    """Reading labels_ or proba_ before fit raises NotFittedError."""
    model = cls()
    for attr in ("labels_", "proba_"):
        try:
            getattr(model, attr)
        except NotFittedError:
            continue
        raise AssertionError(f"{attr} readable before fit")


def check_fit_outputs(cls: type[Aggregator]) -> None:
    """proba_ rows are distributions; every task gets a label in range; fit_predict agrees."""
    data = simulate_dataset(n_classes=_k(cls, 3))
    model = _fit(cls, data)
    proba, labels = model.proba_, model.labels_
    assert proba.shape == (data.n_tasks, data.n_classes), f"proba_ shape {proba.shape}"
    assert np.isfinite(proba).all() and (proba >= -1e-12).all(), "proba_ must be finite and >= 0"
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-8), "proba_ rows must sum to 1"
    assert labels.shape == (data.n_tasks,), f"labels_ shape {labels.shape}"
    low = -1 if cls.tags.can_abstain else 0
    assert labels.min() >= low and labels.max() < data.n_classes, "labels_ out of range"
    if not cls.tags.can_abstain:
        assert (labels >= 0).all(), "every task must get a label"
    assert np.array_equal(cls().fit_predict(data), labels)
    assert np.allclose(cls().fit_predict_proba(data), proba)


def check_unanimous(cls: type[Aggregator]) -> None:
    """When every answer of a task agrees, that label wins."""
    rng = np.random.default_rng(1)
    k = _k(cls, 3)
    truth = rng.integers(0, k, 30)
    tasks, workers, labels = [], [], []
    for t in range(30):
        for w in rng.choice(6, size=3, replace=False):
            tasks.append(t)
            workers.append(int(w))
            labels.append(int(truth[t]))
    data = CrowdDataset.from_arrays(tasks, workers, labels, n_classes=k)
    model = _fit(cls, data)
    expected = truth[np.asarray(data.task_ids, dtype=np.int64)]
    labelled = model.labels_ >= 0
    assert labelled.any(), "no task labelled on unanimous answers"
    assert np.array_equal(model.labels_[labelled], expected[labelled]), "unanimous answers not followed"


def check_row_order_invariance(cls: type[Aggregator]) -> None:
    """Shuffling the input rows changes nothing."""
    data = simulate_dataset(seed=3, n_classes=_k(cls, 3))
    tasks, workers, labels = _rows(data)
    order = np.random.default_rng(0).permutation(len(tasks))
    shuffled = CrowdDataset.from_arrays([tasks[i] for i in order], [workers[i] for i in order],
                                        [labels[i] for i in order], n_classes=data.n_classes)
    _same_result(_fit(cls, data), _fit(cls, shuffled), "shuffling rows")


def check_worker_rename_invariance(cls: type[Aggregator]) -> None:
    """Renaming workers (which reorders them internally) changes nothing."""
    data = simulate_dataset(seed=4, n_classes=_k(cls, 3))
    tasks, workers, labels = _rows(data)
    renamed = [f"z{99 - int(w[1:])}" for w in workers]
    other = CrowdDataset.from_arrays(tasks, renamed, labels, n_classes=data.n_classes)
    _same_result(_fit(cls, data), _fit(cls, other), "renaming workers")


def check_seed_determinism(cls: type[Aggregator]) -> None:
    """Same data and seed, same output (bit for bit)."""
    data = simulate_dataset(seed=5, n_classes=_k(cls, 3))
    a, b = _fit(cls, data, seed=11), _fit(cls, data, seed=11)
    assert np.array_equal(a.proba_, b.proba_) and np.array_equal(a.labels_, b.labels_), \
        "two fits with the same seed differ"


def check_bad_input(cls: type[Aggregator]) -> None:
    """Unusable input raises a clear TypeError or DatasetError, not a crash deep inside."""
    for bad, expected in ((None, TypeError), ({}, DatasetError), ({"t": {}}, DatasetError)):
        try:
            cls().fit(bad)
        except expected:
            continue
        except Exception as exc:  # pragma: no cover - reported as a failure
            raise AssertionError(f"fit({bad!r}) raised {type(exc).__name__}, expected {expected.__name__}")
        raise AssertionError(f"fit({bad!r}) did not fail")


def check_degenerate_data(cls: type[Aggregator]) -> None:
    """Single-answer tasks, one worker, a constant worker, unused classes: no NaN or inf."""
    cases = [
        CrowdDataset.from_arrays([0, 1, 2], ["a", "a", "a"], [0, 1, 0], n_classes=2),
        CrowdDataset.from_arrays([0, 1, 2, 2], ["a", "b", "a", "b"], [0, 0, 0, 0], n_classes=_k(cls, 5)),
        CrowdDataset.from_arrays(list(range(6)) * 2, ["a"] * 6 + ["b"] * 6,
                                 [0, 1, 0, 0, 1, 1] + [1] * 6, n_classes=_k(cls, 3)),
    ]
    for data in cases:
        model = _fit(cls, data)
        assert np.isfinite(model.proba_).all(), f"non-finite proba_ on {data!r}"
        assert np.allclose(model.proba_.sum(axis=1), 1.0), f"proba_ rows do not sum to 1 on {data!r}"


CHECKS: dict[str, Check] = {
    "params_model": check_params_model,
    "spec_round_trip": check_spec_round_trip,
    "invalid_values_rejected": check_invalid_values_rejected,
    "get_set_params": check_get_set_params,
    "not_fitted": check_not_fitted,
    "fit_outputs": check_fit_outputs,
    "unanimous": check_unanimous,
    "row_order_invariance": check_row_order_invariance,
    "worker_rename_invariance": check_worker_rename_invariance,
    "seed_determinism": check_seed_determinism,
    "bad_input": check_bad_input,
    "degenerate_data": check_degenerate_data,
}


def strategy_checks(cls: type[Aggregator]) -> Iterator[tuple[str, Check]]:
    """Yield (check name, check function) pairs for ``cls``."""
    yield from CHECKS.items()


def check_strategy(cls: type[Aggregator]) -> None:
    """Run every check; raise AssertionError listing the unexpected failures."""
    failures = []
    for name, check in strategy_checks(cls):
        try:
            check(cls)
        except Exception as exc:
            if name not in cls.tags.xfail:
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
    if failures:
        raise AssertionError(f"{cls.__name__} fails conformance checks:\n" + "\n".join(failures))


def parametrize_with_checks(classes: Iterable[type[Aggregator]]) -> Any:
    """pytest decorator: one test per (strategy, check), ids ``Strategy-check``."""
    import pytest

    params = []
    for cls in classes:
        for name, check in strategy_checks(cls):
            marks = []
            if name in cls.tags.xfail:
                marks.append(pytest.mark.xfail(reason=cls.tags.xfail[name], strict=True))
            params.append(pytest.param(cls, check, id=f"{cls.__name__}-{name}", marks=marks))
    return pytest.mark.parametrize("strategy, check", params)
