"""The conformance checks, each ``check(estimator)``: raise AssertionError when the estimator
breaks the contract of :mod:`crowdkit_core.estimator`.

Checks work on instances, so non-default parameters can be checked too; they fit fresh copies
(``type(est)(**est.get_params())``) and never change the estimator they are given. A class is
accepted as well and instantiated with its defaults. Each check is registered with a selector
reading the estimator's ``tags`` (a check that does not apply is not run, never failed).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import math
import pickle
import typing
from typing import Any, Callable

import numpy as np

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import CrowdkitError, DatasetError, NotFittedError, SpecError
from crowdkit_core.estimator import Estimator, output_shape_problems
from crowdkit_core.identification import Identifier
from crowdkit_core.params import StrategyParams
from crowdkit_core.spec import canonical_spec, parse_spec, validate_params
from crowdkit_core.testing.datasets import (
    dataset_rows, degenerate_datasets, simulate_dataset, unanimous_dataset,
)

#: A conformance check: takes an estimator (or a class, instantiated with defaults).
Check = Callable[[Any], None]
#: Whether a check applies to an estimator, from its tags and kind.
Selector = Callable[[Estimator[Any]], bool]

#: Every check by name, in the order they run.
CHECKS: dict[str, Check] = {}
_SELECTORS: dict[str, Selector] = {}
#: Fitted attributes that legitimately differ between two identical fits.
_TIMING = frozenset({"fit_seconds_"})


def _always(estimator: Estimator[Any]) -> bool:
    """Selector of the checks every estimator must pass."""
    return True


def _aggregator(estimator: Estimator[Any]) -> bool:
    """Selector of the checks on ``proba_`` / ``labels_``, which only aggregators have."""
    return isinstance(estimator, Aggregator)


def _check(name: str, applies: Selector = _always) -> Callable[[Callable[[Any], None]], Check]:
    """Register a check under ``name``; the registered function also accepts a class."""
    def register(func: Callable[[Any], None]) -> Check:
        @functools.wraps(func)
        def run(estimator: Any) -> None:
            func(as_estimator(estimator))

        CHECKS[name] = run
        _SELECTORS[name] = applies
        return run
    return register


def applies(name: str, estimator: Estimator[Any]) -> bool:
    """Whether the check ``name`` is selected for ``estimator`` by its tags."""
    return _SELECTORS[name](estimator)


# -- helpers -------------------------------------------------------------------------------
def as_estimator(estimator: Any) -> Estimator[Any]:
    """An instance: a class is instantiated with its default parameters."""
    return estimator() if isinstance(estimator, type) else estimator


def fresh(estimator: Estimator[Any], **changes: Any) -> Estimator[Any]:
    """A new unfitted estimator with the same parameters (and ``changes``), like sklearn's
    ``clone``: the checks never fit or alter the estimator they are given."""
    return type(estimator)(**{**estimator.get_params(), **changes})


def fitted_attributes(model: Estimator[Any]) -> dict[str, Any]:
    """The fitted attributes (public names ending in ``_``) of ``model``."""
    return {k: v for k, v in vars(model).items() if k.endswith("_") and not k.startswith("_")}


def _classes(estimator: Estimator[Any], k: int) -> int:
    """``k`` classes moved into the range the strategy supports (``min/max_classes``)."""
    tags = estimator.tags
    return max(tags.min_classes, min(k, tags.max_classes) if tags.max_classes else k)


def _data(estimator: Estimator[Any], **kwargs: Any) -> CrowdDataset:
    """A simulated dataset with a number of classes the strategy supports (3 if it can)."""
    return simulate_dataset(**{**kwargs, "n_classes": _classes(estimator, kwargs.get("n_classes", 3))})


def _fit(estimator: Estimator[Any], data: Any, **changes: Any) -> Any:
    """Fit a fresh copy of ``estimator`` on ``data``."""
    return fresh(estimator, **changes).fit(data)


def _same_result(a: Any, b: Any, what: str, atol: float = 1e-6) -> None:
    """Assert two aggregators agree on proba_ (within ``atol``) and exactly on labels_."""
    assert np.allclose(a.proba_, b.proba_, atol=atol), f"{what}: proba_ changed"
    assert np.array_equal(a.labels_, b.labels_), f"{what}: labels_ changed"


def _equal(a: Any, b: Any) -> bool:
    """Exact equality of fitted values: arrays (NaN equal to NaN), containers, estimators."""
    if isinstance(a, Estimator) or isinstance(b, Estimator):
        return (type(a) is type(b) and a.get_params() == b.get_params()
                and not attribute_differences(fitted_attributes(a), fitted_attributes(b)))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            return False
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return all(_equal(x, y) for x, y in zip(a.ravel().tolist(), b.ravel().tolist()))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):  # e.g. an EM state_
        return type(a) is type(b) and _equal(dataclasses.asdict(a), dataclasses.asdict(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and bool(a == b)


def attribute_differences(a: dict[str, Any], b: dict[str, Any],
                          ignore: frozenset[str] = _TIMING) -> list[str]:
    """What differs between two sets of fitted attributes (values of ``ignore`` aside), one
    line each."""
    problems = [f"{name} set by only one of the fits" for name in sorted(set(a) ^ set(b))]
    problems += [f"{name} differs" for name in sorted(set(a) & set(b) - ignore)
                 if not _equal(a[name], b[name])]
    return problems


def _read_before_fit(model: Estimator[Any], name: str) -> BaseException | None:
    """The exception raised by reading ``name`` on an unfitted model (None if readable)."""
    try:
        getattr(model, name)
    except Exception as exc:
        return exc
    return None


def _fitted_names(estimator: Estimator[Any]) -> list[str]:
    """Every declared output, and for an aggregator ``labels_`` / ``proba_``."""
    names = [o.name for o in estimator.declared_outputs()]
    return names + [n for n in ("labels_", "proba_") if _aggregator(estimator) and n not in names]


# -- parameter checks ----------------------------------------------------------------------
@_check("params_model")
def check_params_model(estimator: Estimator[Any]) -> None:
    """Params subclasses StrategyParams, defaults validate, every field is described, unknown
    keys are forbidden, name and reference are set, tags.xfail names only existing checks,
    and an iterative strategy's cap is called max_iter."""
    cls = type(estimator)
    assert isinstance(cls.Params, type) and issubclass(cls.Params, StrategyParams), \
        f"{cls.__name__}.Params must subclass StrategyParams"
    cls.Params()
    missing = [n for n, f in cls.Params.model_fields.items() if not f.description]
    assert not missing, f"parameters without a description: {missing}"
    schema = cls.Params.model_json_schema()
    assert schema.get("additionalProperties") is False, "unknown parameters must be forbidden"
    assert cls.name, f"{cls.__name__}.name must be set"
    assert cls.reference, f"{cls.__name__}.reference must cite the paper or source"
    unknown = sorted(set(estimator.tags.xfail) - set(CHECKS))
    assert not unknown, f"tags.xfail names checks that do not exist: {unknown}"
    if estimator.tags.iterative:
        assert "max_iter" in cls.Params.model_fields, \
            "an iterative strategy names its iteration cap max_iter (n_iter is accepted as an alias)"


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


@_check("spec_round_trip")
def check_spec_round_trip(estimator: Estimator[Any]) -> None:
    """The estimator's spec, the defaults' spec (the bare name) and one changed value per
    parameter parse back to equal parameters."""
    cls = type(estimator)
    name = cls.name or cls.__name__
    defaults = cls.Params()
    assert canonical_spec(name, defaults) == name, "default parameters must give the bare name"
    parsed = parse_spec(estimator.spec)
    assert validate_params(cls.Params, parsed.params, parsed) == estimator.params, \
        f"spec {estimator.spec!r} does not round-trip"
    for key, field in cls.Params.model_fields.items():
        value = _example_value(field, getattr(defaults, key))
        if value is _NO_EXAMPLE:
            continue
        params = validate_params(cls.Params, {key: value})
        text = canonical_spec(name, params)
        parsed = parse_spec(text)
        again = validate_params(cls.Params, parsed.params, parsed)
        assert again == params, f"spec {text!r} does not round-trip ({again!r} != {params!r})"


@_check("invalid_values_rejected")
def check_invalid_values_rejected(estimator: Estimator[Any]) -> None:
    """Unknown keys, wrong types and values outside constraints raise SpecError."""
    cls, base = type(estimator), estimator.get_params()
    try:
        cls(**base, no_such_parameter_xyz=1)
    except SpecError:
        pass
    else:
        raise AssertionError(f"{cls.__name__}(no_such_parameter_xyz=1) was accepted")
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
                cls(**{**base, key: value})
            except SpecError:
                continue
            raise AssertionError(f"{cls.__name__}({key}={value!r}) was accepted")


@_check("get_set_params")
def check_get_set_params(estimator: Estimator[Any]) -> None:
    """A copy from get_params has equal parameters; set_params revalidates and returns self;
    a rejected change leaves parameters as they were."""
    model = fresh(estimator)
    assert model.get_params() == estimator.get_params(), "type(est)(**est.get_params()) differs"
    seed = estimator.get_params()["seed"] + 1
    assert model.set_params(seed=seed) is model and model.get_params()["seed"] == seed
    try:
        model.set_params(seed=-1)
    except SpecError:
        pass
    else:
        raise AssertionError("set_params(seed=-1) was accepted")
    assert model.get_params()["seed"] == seed, "a rejected set_params must leave parameters unchanged"


@_check("signature")
def check_signature(estimator: Estimator[Any]) -> None:
    """inspect.signature of the class lists every parameter of Params with its default."""
    cls = type(estimator)
    signature = inspect.signature(cls)
    expected = {name: field.get_default(call_default_factory=True)
                for name, field in cls.Params.model_fields.items()}
    got = {name: p.default for name, p in signature.parameters.items()}
    assert list(got) == list(expected), f"signature {signature} lists {list(got)}, Params {list(expected)}"
    wrong = [n for n in expected if got[n] != expected[n]]
    assert not wrong, f"signature defaults differ from Params for {wrong}"


# -- API checks ------------------------------------------------------------------------------
@_check("not_fitted")
def check_not_fitted(estimator: Estimator[Any]) -> None:
    """Reading any declared output (and labels_ / proba_) before fit raises NotFittedError."""
    model = fresh(estimator)
    for name in _fitted_names(model):
        error = _read_before_fit(model, name)
        assert isinstance(error, NotFittedError), \
            f"reading {name} before fit gave {error!r}, expected NotFittedError"


@_check("not_fitted_is_programming_error")
def check_not_fitted_is_programming_error(estimator: Estimator[Any]) -> None:
    """The error for reading a fitted attribute early is an AttributeError (hasattr is False)
    and a ValueError, never a CrowdkitError: it is a bug in the caller, not bad user input."""
    model = fresh(estimator)
    for name in _fitted_names(model):
        error = _read_before_fit(model, name)
        assert isinstance(error, AttributeError) and isinstance(error, ValueError), \
            f"reading {name} before fit must raise an AttributeError and ValueError, got {error!r}"
        assert not isinstance(error, CrowdkitError), \
            f"reading {name} before fit raised a CrowdkitError (reported as a user error)"
        assert not hasattr(model, name), f"hasattr(model, {name!r}) is True before fit"


@_check("fit_returns_self")
def check_fit_returns_self(estimator: Estimator[Any]) -> None:
    """fit returns the estimator itself, so calls chain (``est.fit(data).labels_``)."""
    model = fresh(estimator)
    assert model.fit(_data(estimator)) is model, "fit must return self"


@_check("fit_outputs", _aggregator)
def check_fit_outputs(estimator: Estimator[Any]) -> None:
    """proba_ rows are distributions; every task gets a label in range (-1 only with
    can_abstain); fit_predict and fit_predict_proba agree."""
    data = _data(estimator)
    model = _fit(estimator, data)
    proba, labels = model.proba_, model.labels_
    assert proba.shape == (data.n_tasks, data.n_classes), f"proba_ shape {proba.shape}"
    assert np.isfinite(proba).all() and (proba >= -1e-12).all(), "proba_ must be finite and >= 0"
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-8), "proba_ rows must sum to 1"
    assert labels.shape == (data.n_tasks,), f"labels_ shape {labels.shape}"
    low = -1 if estimator.tags.can_abstain else 0
    assert labels.min() >= low and labels.max() < data.n_classes, "labels_ out of range"
    assert np.array_equal(fresh(estimator).fit_predict(data), labels), "fit_predict differs from labels_"
    assert np.allclose(fresh(estimator).fit_predict_proba(data), proba), \
        "fit_predict_proba differs from proba_"


@_check("declared_outputs")
def check_declared_outputs(estimator: Estimator[Any]) -> None:
    """After fit every declared output exists with its declared shape."""
    data = _data(estimator, n_tasks=30, n_workers=7)
    problems = output_shape_problems(_fit(estimator, data), data)
    assert not problems, "; ".join(problems)


@_check("output_roles")
def check_output_roles(estimator: Estimator[Any]) -> None:
    """At most one declared output per role (``skill``, ``confusion``), so identification
    methods know which one to read; an identifier declares ``scores_`` on its own axis."""
    roles = [o.role for o in estimator.declared_outputs() if o.role]
    repeated = sorted({r for r in roles if roles.count(r) > 1})
    assert not repeated, f"several outputs declare the role(s) {repeated}"
    if isinstance(estimator, Identifier):
        scores = [o for o in estimator.declared_outputs() if o.name == "scores_"]
        assert scores and scores[0].axis == estimator.axis, \
            f"an identifier declares scores_ with its axis ({estimator.axis!r})"


@_check("unanimous", _aggregator)
def check_unanimous(estimator: Estimator[Any]) -> None:
    """When every answer of a task agrees, that label wins."""
    data, expected = unanimous_dataset(_classes(estimator, 3))
    model = _fit(estimator, data)
    labelled = model.labels_ >= 0
    assert labelled.any(), "no task labelled on unanimous answers"
    assert np.array_equal(model.labels_[labelled], expected[labelled]), "unanimous answers not followed"


@_check("row_order_invariance", _aggregator)
def check_row_order_invariance(estimator: Estimator[Any]) -> None:
    """Shuffling the input rows changes nothing."""
    data = _data(estimator, seed=3)
    tasks, workers, labels = dataset_rows(data)
    order = np.random.default_rng(0).permutation(len(tasks))
    shuffled = CrowdDataset.from_arrays([tasks[i] for i in order], [workers[i] for i in order],
                                        [labels[i] for i in order], n_classes=data.n_classes)
    _same_result(_fit(estimator, data), _fit(estimator, shuffled), "shuffling rows")


@_check("worker_rename_invariance", _aggregator)
def check_worker_rename_invariance(estimator: Estimator[Any]) -> None:
    """Renaming workers (which reorders them internally) changes nothing."""
    data = _data(estimator, seed=4)
    tasks, workers, labels = dataset_rows(data)
    renamed = [f"z{99 - int(w[1:])}" for w in workers]
    other = CrowdDataset.from_arrays(tasks, renamed, labels, n_classes=data.n_classes)
    _same_result(_fit(estimator, data), _fit(estimator, other), "renaming workers")


@_check("seed_determinism")
def check_seed_determinism(estimator: Estimator[Any]) -> None:
    """Same data and seed, bit-identical fitted attributes."""
    data = _data(estimator, seed=5)
    seed = estimator.get_params()["seed"] + 11
    a, b = _fit(estimator, data, seed=seed), _fit(estimator, data, seed=seed)
    differences = attribute_differences(fitted_attributes(a), fitted_attributes(b))
    assert not differences, "two fits with the same seed differ: " + "; ".join(differences)


@_check("refit")
def check_refit(estimator: Estimator[Any]) -> None:
    """fit starts from a clean state: refitting on a smaller dataset gives exactly a fresh fit
    on it (same fitted attribute names and values), and fitting twice on the same data gives
    identical results."""
    big = _data(estimator, n_tasks=40, n_workers=8, seed=6)
    small = _data(estimator, n_tasks=24, n_workers=6, n_classes=2, seed=7)
    model = _fit(estimator, big)
    first = copy.deepcopy(fitted_attributes(model))
    model.fit(big)
    differences = attribute_differences(first, fitted_attributes(model))
    assert not differences, "fit twice on the same data: " + "; ".join(differences)
    model.fit(small)
    differences = attribute_differences(fitted_attributes(_fit(estimator, small)),
                                        fitted_attributes(model))
    assert not differences, "refit on other data vs a fresh fit: " + "; ".join(differences)


@_check("pickle_round_trip")
def check_pickle_round_trip(estimator: Estimator[Any]) -> None:
    """Pickling keeps parameters and fitted attributes; an unpickled unfitted estimator is
    still unfitted and fits like the original."""
    data = _data(estimator, n_tasks=30)
    unfitted = pickle.loads(pickle.dumps(fresh(estimator)))
    assert type(unfitted) is type(estimator) and unfitted.get_params() == estimator.get_params()
    assert not fitted_attributes(unfitted), "an unpickled unfitted estimator has fitted attributes"
    model = _fit(estimator, data)
    copied = pickle.loads(pickle.dumps(model))
    assert copied.get_params() == model.get_params(), "get_params changed through pickle"
    differences = attribute_differences(fitted_attributes(model), fitted_attributes(copied),
                                        ignore=frozenset())
    assert not differences, "fitted attributes changed through pickle: " + "; ".join(differences)
    differences = attribute_differences(fitted_attributes(model), fitted_attributes(unfitted.fit(data)))
    assert not differences, "an unpickled estimator fits differently: " + "; ".join(differences)


@_check("input_not_mutated")
def check_input_not_mutated(estimator: Estimator[Any]) -> None:
    """fit leaves its input as it was: the dataset's arrays, ids, gold and cached structures,
    and plain dict and tuple-of-lists inputs."""
    data = _data(estimator, n_tasks=30, seed=8)
    before = {k: v.copy() for k, v in vars(data).items() if isinstance(v, np.ndarray)}
    _fit(estimator, data)
    changed = [k for k, v in before.items() if not _equal(v, getattr(data, k))]
    assert not changed, f"fit changed the dataset's {changed}"
    rebuilt = _data(estimator, n_tasks=30, seed=8)
    cached = [k for k, v in vars(data).items()
              if isinstance(v, np.ndarray) and k not in before and not _equal(v, getattr(rebuilt, k))]
    assert not cached, f"fit changed the dataset's cached {cached}"
    tasks, workers, labels = dataset_rows(data)
    as_dict: dict[Any, dict[Any, int]] = {}
    for t, w, lab in zip(tasks, workers, labels):
        as_dict.setdefault(t, {})[w] = lab
    for given in (as_dict, (tasks, workers, labels)):
        kept = copy.deepcopy(given)
        _fit(estimator, given)
        assert given == kept, f"fit changed its {type(given).__name__} input"


@_check("bad_input")
def check_bad_input(estimator: Estimator[Any]) -> None:
    """Unusable input raises a clear TypeError or DatasetError, not a crash deep inside."""
    for bad, expected in ((None, TypeError), ({}, DatasetError), ({"t": {}}, DatasetError)):
        try:
            fresh(estimator).fit(bad)
        except expected:
            continue
        except Exception as exc:
            raise AssertionError(f"fit({bad!r}) raised {type(exc).__name__}, expected {expected.__name__}")
        raise AssertionError(f"fit({bad!r}) did not fail")


@_check("degenerate_data", _aggregator)
def check_degenerate_data(estimator: Estimator[Any]) -> None:
    """Single-answer tasks, one worker, a constant worker, unused classes: no NaN or inf."""
    for data in degenerate_datasets(functools.partial(_classes, estimator)):
        model = _fit(estimator, data)
        assert np.isfinite(model.proba_).all(), f"non-finite proba_ on {data!r}"
        assert np.allclose(model.proba_.sum(axis=1), 1.0), f"proba_ rows do not sum to 1 on {data!r}"


@_check("proba_in_unit_interval", _aggregator)
def check_proba_in_unit_interval(estimator: Estimator[Any]) -> None:
    """Every probability lies in [0, 1] exactly (no 1.0000000000000002 from rounding), on
    ordinary, unanimous and degenerate data, and with ``smoothing=0`` where it exists."""
    variants: list[dict[str, Any]] = [{}]
    if "smoothing" in type(estimator.params).model_fields:
        try:  # only where smoothing=0 is a valid value of the strategy's parameters
            type(estimator.params).model_validate({**estimator.params.model_dump(), "smoothing": 0.0})
            variants.append({"smoothing": 0.0})
        except ValueError:
            pass
    k = _classes(estimator, 3)
    datasets = [_data(estimator), unanimous_dataset(k)[0],
                simulate_dataset(n_tasks=200, n_workers=15, n_classes=k, seed=2),  # confident posteriors
                *degenerate_datasets(functools.partial(_classes, estimator))]
    for changes in variants:
        for data in datasets:
            proba = _fit(estimator, data, **changes).proba_
            assert proba.min() >= 0.0 and proba.max() <= 1.0, (
                f"proba_ outside [0, 1] ({proba.min()!r}..{proba.max()!r}) on {data!r} with {changes}")


# -- capability checks -------------------------------------------------------------------------
@_check("iterations", lambda estimator: estimator.tags.iterative)
def check_iterations(estimator: Estimator[Any]) -> None:
    """An iterative strategy has max_iter and reports iterations 1, 2, ... in order to the
    callback; ``len(history_) == n_iter_``; ``history_`` is the objectives of one contiguous
    run of reported iterations (all of them, or the kept restart of a multi-start strategy);
    max_iter=1 still gives valid outputs."""
    assert "max_iter" in type(estimator).Params.model_fields, "iterative strategies take max_iter"
    data = _data(estimator, n_tasks=30, seed=9)
    calls: list[tuple[int, float]] = []
    model = fresh(estimator).fit(data, on_iteration=lambda i, objective: calls.append((i, objective)))
    assert calls, "an iterative strategy must report its iterations to on_iteration"
    assert [i for i, _ in calls] == list(range(1, len(calls) + 1)), \
        "on_iteration must receive iterations 1, 2, ... in order"
    history, n_iter = list(model.history_), model.n_iter_
    assert len(history) == n_iter, f"len(history_) = {len(history)} but n_iter_ = {n_iter}"
    assert 1 <= n_iter <= len(calls), f"n_iter_ = {n_iter} with {len(calls)} reported iterations"
    objectives = [objective for _, objective in calls]
    assert any(objectives[s:s + n_iter] == history for s in range(len(calls) - n_iter + 1)), \
        "history_ is not the objectives of consecutive reported iterations"
    assert isinstance(model.converged_, (bool, np.bool_)), "converged_ must be a bool"
    short = _fit(estimator, data, max_iter=1)
    problems = output_shape_problems(short, data)
    assert not problems, "with max_iter=1: " + "; ".join(problems)


@_check("initialisation_only", lambda estimator: estimator.tags.iterative)
def check_initialisation_only(estimator: Estimator[Any]) -> None:
    """max_iter=0 means the initialisation only (crowd-kit's ``n_iter=0``): the fit runs,
    reports no iteration, leaves ``n_iter_ == 0`` and an empty ``history_``, and gives valid
    declared outputs (an aggregator's labels from its starting posteriors)."""
    data = _data(estimator, n_tasks=30, seed=12)
    calls: list[int] = []
    try:
        unfitted = fresh(estimator, max_iter=0)
    except SpecError as exc:
        raise AssertionError(f"max_iter=0 is refused ({exc}); an iterative strategy accepts it "
                             "as the initialisation only") from None
    model = unfitted.fit(data, on_iteration=lambda i, _: calls.append(i))
    assert not calls, f"max_iter=0 reported iterations {calls}"
    assert model.n_iter_ == 0 and list(model.history_) == [], \
        f"max_iter=0 gave n_iter_={model.n_iter_}, history_={list(model.history_)[:3]}"
    problems = output_shape_problems(model, data)
    assert not problems, "with max_iter=0: " + "; ".join(problems)
    if _aggregator(model):
        proba = np.asarray(model.proba_)
        assert np.isfinite(proba).all() and proba.min() >= 0.0 and proba.max() <= 1.0, \
            "max_iter=0 gave proba_ outside [0, 1]"


@_check("gold", lambda estimator: estimator.tags.uses_gold)
def check_gold(estimator: Estimator[Any]) -> None:
    """fit(data, gold=...) runs with declared outputs valid; gold that is all unknown (-1)
    gives exactly the fit without gold."""
    data = _data(estimator, n_tasks=30, seed=10)
    problems = output_shape_problems(fresh(estimator).fit(data, gold=data.gold), data)
    assert not problems, "with gold: " + "; ".join(problems)
    unknown = fresh(estimator).fit(data, gold=np.full(data.n_tasks, -1, dtype=np.int64))
    differences = attribute_differences(fitted_attributes(_fit(estimator, data)),
                                        fitted_attributes(unknown))
    assert not differences, "gold all -1 differs from no gold: " + "; ".join(differences)


@_check("warm_start", lambda estimator: estimator.tags.warm_start)
def check_warm_start(estimator: Estimator[Any]) -> None:
    """fit(data, init=est.state_) from an earlier fit runs and gives finite outputs."""
    data = _data(estimator, n_tasks=30, seed=11)
    first = _fit(estimator, data)
    assert "state_" in vars(first), "a warm-start strategy must set state_"
    warm = fresh(estimator).fit(data, init=first.state_)
    problems = output_shape_problems(warm, data)
    assert not problems, "warm start: " + "; ".join(problems)
    if _aggregator(warm):
        assert np.isfinite(warm.proba_).all(), "warm start gave non-finite proba_"
