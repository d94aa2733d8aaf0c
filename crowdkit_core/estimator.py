"""The estimator contract shared by everything fitted: aggregators, identification methods,
trainers.

Follows scikit-learn: ``__init__`` only validates and stores parameters (one pydantic model,
``Params``); ``fit`` starts from a clean state, learns and returns ``self``; everything learnt
lives in attributes ending in ``_``. What a class learns is declared in ``outputs`` (name,
axis, shape, meaning), what it can do in ``tags``, and what it accepts at fit time besides the
dataset (gold labels, a warm start, per-task data) in ``tags`` and ``fit_inputs``: those
declarations drive ``details.json``, ``crowd describe``, the docs and the conformance kit.
"""

from __future__ import annotations

import inspect
import time
import typing
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Generic, Literal, Mapping, TypeVar

import numpy as np

from crowdkit_core.errors import NotFittedError
from crowdkit_core.params import StrategyParams

#: Called after each iteration of an iterative strategy with (iteration, objective).
IterationCallback = Callable[[int, float], None]

P = TypeVar("P", bound=StrategyParams)
E = TypeVar("E", bound="Estimator[Any]")

Axis = Literal["task", "worker", "dataset", "task_list"]
#: What an output means to other methods: a per-worker ``skill`` (higher is more reliable)
#: or a per-worker ``confusion`` matrix [worker, true class, answered label].
Role = Literal["", "skill", "confusion"]
#: The shape each role requires.
ROLE_SHAPES: dict[str, tuple[str, ...]] = {"skill": ("n_workers",),
                                           "confusion": ("n_workers", "K", "K")}
#: Symbolic dimension names an output's shape may use; other names are free (e.g. "L").
DIMENSIONS = ("n_tasks", "n_workers", "K")


@dataclass(frozen=True)
class Output:
    """One fitted attribute: its name (ending in ``_``), what it is indexed by, its shape and
    a one-line meaning.

    ``axis``: ``task`` / ``worker`` (first dimension n_tasks / n_workers; saved keyed by id),
    ``task_list`` (task indices, saved as ids), ``dataset`` (anything else). ``shape`` uses
    :data:`DIMENSIONS` and integers; other names match any size. ``saved=False`` keeps it
    out of ``details.json`` (labels and probabilities have their own files). ``role`` marks
    the output identification methods read (:data:`Role`): ``crowd identify`` takes worker
    skills (``reliability``) and confusion matrices (``spam_score``, ``trace``) from it.
    """

    name: str
    axis: Axis
    shape: tuple[str | int, ...]
    meaning: str
    saved: bool = True
    role: Role = ""

    def __post_init__(self) -> None:
        if not self.name.endswith("_") or self.name.startswith("_"):
            raise ValueError(f"output {self.name!r}: fitted attributes end in '_'")
        if self.axis not in typing.get_args(Axis):
            raise ValueError(f"output {self.name!r}: unknown axis {self.axis!r}")
        first = {"task": "n_tasks", "worker": "n_workers"}.get(self.axis)
        if first and (not self.shape or self.shape[0] != first):
            raise ValueError(f"output {self.name!r}: a {self.axis} output's shape starts with {first}")
        if self.role and (self.axis != "worker" or tuple(self.shape) != ROLE_SHAPES.get(self.role)):
            raise ValueError(f"output {self.name!r}: a {self.role!r} output is a worker output of "
                             f"shape {ROLE_SHAPES.get(self.role, '(unknown role)')}")


@dataclass(frozen=True)
class FitInput:
    """A per-task or per-worker input of ``fit`` besides the dataset (PlantNet's authors,
    MV's skills).

    Given as ``fit(data, name=values)`` or carried by the dataset (``dataset.task_data``);
    never a parameter, so specs and provenance never hold n_tasks- or n_workers-long lists.
    """

    name: str
    meaning: str


@dataclass(frozen=True)
class Tags:
    """What an estimator can do; the conformance kit and the CLI read these, never guess.

    ``min_classes`` / ``max_classes``: numbers of classes handled (``None``: any);
    ``can_abstain``: some tasks may get no label (-1); ``uses_gold``: ``fit`` accepts
    ``gold=``; ``warm_start``: ``fit`` accepts ``init=`` (a ``state_`` of an earlier fit);
    ``iterative``: has a ``max_iter`` parameter and reports each iteration; ``engines``: the
    execution engines it can run on; ``xfail``: conformance checks known to fail, with why.
    """

    min_classes: int = 2
    max_classes: int | None = None
    can_abstain: bool = False
    uses_gold: bool = False
    warm_start: bool = False
    iterative: bool = False
    engines: tuple[str, ...] = ()
    xfail: Mapping[str, str] = field(default_factory=dict)


_NOT_ITERATIVE = "{} is not iterative: it has no loss_history_ (crowd-kit's name for history_)"


class _RegisteredName:
    """The class attribute ``name``: the name the class is registered under by its plugin
    (one source of truth), else the class name. A class may still set ``name`` itself."""

    def __get__(self, obj: Any, owner: type) -> str:
        cached = owner.__dict__.get("_registered_name")
        if cached is None:
            from crowdkit_core.plugins import get_registry

            info = get_registry().strategy_for_class(owner)
            cached = info.name if info is not None else owner.__name__
            owner._registered_name = cached  # type: ignore[attr-defined]
        return cached


class Estimator(ABC, Generic[P]):
    """Base of every fitted crowdkit object.

    Subclasses set ``Params`` (or name it as the type argument, ``Estimator[MyParams]``),
    ``name``, ``reference``, ``outputs`` and ``tags``, and implement :meth:`_fit`.
    """

    #: pydantic model holding the parameters (a StrategyParams subclass).
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    #: Display name: the registered name (see :class:`_RegisteredName`).
    name: ClassVar[str] = _RegisteredName()  # type: ignore[assignment]
    #: Paper reference shown by ``crowd describe``.
    reference: ClassVar[str] = ""
    #: The strategy kind (see :data:`crowdkit_core.registry.KINDS`).
    kind: ClassVar[str] = ""
    #: Fitted attributes this class adds to its bases' (see :meth:`declared_outputs`).
    outputs: ClassVar[tuple[Output, ...]] = ()
    #: Per-task fit-time inputs ``_fit`` accepts as keyword arguments.
    fit_inputs: ClassVar[tuple[FitInput, ...]] = ()
    tags: ClassVar[Tags] = Tags()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "Params" not in cls.__dict__:
            for base in getattr(cls, "__orig_bases__", ()):
                args = typing.get_args(base)
                if args and isinstance(args[0], type) and issubclass(args[0], StrategyParams):
                    cls.Params = args[0]
        cls.__signature__ = _signature(cls.Params)  # type: ignore[attr-defined]

    def __init__(self, **params: Any) -> None:
        from crowdkit_core.spec import validate_params

        self._params: P = validate_params(self.Params, params, owner=lambda: self.name)  # type: ignore[assignment]
        self._on_iteration: IterationCallback | None = None

    # -- parameters ----------------------------------------------------------------------
    @property
    def params(self) -> P:
        """The validated, immutable parameter model."""
        return self._params

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters as a dict (scikit-learn convention)."""
        return self._params.model_dump()

    def set_params(self: E, **params: Any) -> E:
        """Change parameters; the result is validated again as a whole. Returns ``self``."""
        from crowdkit_core.spec import validate_params

        self._params = validate_params(self.Params, {**self._params.model_dump(), **params},
                                       owner=lambda: self.name)
        return self

    @property
    def spec(self) -> str:
        """Canonical spec string, e.g. ``DS[max_iter=50]``."""
        from crowdkit_core.spec import canonical_spec

        return canonical_spec(self.name, self._params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.non_default_items())
        return f"{type(self).__name__}({args})"

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: explain unfitted access clearly.
        if name == "loss_history_" and not self.tags.iterative:
            raise AttributeError(_NOT_ITERATIVE.format(type(self).__name__))
        if name.endswith("_") and not name.startswith("_"):
            raise NotFittedError(
                f"{type(self).__name__}.{name} is not available: call fit(dataset) first"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- declarations --------------------------------------------------------------------
    @classmethod
    def declared_outputs(cls) -> tuple[Output, ...]:
        """Every output declared by this class and its bases, base classes' first."""
        seen: dict[str, Output] = {}
        for klass in reversed(cls.__mro__):
            for output in klass.__dict__.get("outputs", ()):
                seen[output.name] = output
        return tuple(seen.values())

    @classmethod
    def output_with_role(cls, role: str) -> Output | None:
        """The declared output playing ``role`` (``skill`` or ``confusion``), if any."""
        return next((o for o in reversed(cls.declared_outputs()) if o.role == role), None)

    @classmethod
    def unknown_inputs(cls, names: Any) -> list[str]:
        """The ``names`` that are not per-task inputs of this class (sorted)."""
        return sorted(set(names) - {i.name for i in cls.fit_inputs})

    @classmethod
    def accepted_inputs(cls) -> str:
        """The per-task input names, for messages (``none`` when there are none)."""
        return ", ".join(sorted(i.name for i in cls.fit_inputs)) or "none"

    # -- fitting -------------------------------------------------------------------------
    def fit(self: E, data: Any, *, gold: Any = None, init: Any = None,
            on_iteration: IterationCallback | None = None, **task_data: Any) -> E:
        """Learn from ``data`` (a CrowdDataset or anything :func:`as_dataset` accepts).

        ``gold``: known labels (class index per task, -1 where unknown, or a ``{task id:
        label}`` mapping), for strategies tagged ``uses_gold``: ``_fit`` receives a read-only
        array, or None when no task is known (:func:`crowdkit_core.gold.as_gold`);
        ``init``: the ``state_`` of an earlier fit, for strategies tagged
        ``warm_start``; other keywords: the per-task inputs declared in ``fit_inputs``.
        ``on_iteration(iteration, objective)`` is called after each iteration.
        """
        from crowdkit_core.dataset import as_dataset
        from crowdkit_core.dataset.frames import frame_gold, is_frame
        from crowdkit_core.engines.partitioned import is_partitioned
        from crowdkit_core.frame_view import FitIndex

        inputs = self._fit_arguments(gold, init, task_data)
        partitioned = is_partitioned(data)
        dataset = data if partitioned else as_dataset(data)
        if "gold" in inputs and not partitioned:  # checked once: strategies get an array or None
            from crowdkit_core.gold import as_gold

            inputs["gold"] = as_gold(frame_gold(inputs["gold"], dataset), dataset)
        self._reset_fitted()
        self._fit_index = FitIndex.of(dataset, from_frame=is_frame(data))
        self._on_iteration = on_iteration
        self.n_iter_ = 0
        self.converged_ = True
        self.history_: list[float] = []
        self.warnings_: list[str] = []
        self.n_tasks_ = dataset.n_tasks
        self.n_workers_ = dataset.n_workers
        self.n_classes_ = dataset.n_classes
        start = time.perf_counter()
        try:
            if partitioned:  # partitions on a cluster engine (crowdkit_core.engines)
                self._fit_partitioned(dataset, **inputs)
            else:
                self._fit(dataset, **self._resolve_task_data(dataset, inputs))
            self._finish_fit(dataset)
        finally:
            self._on_iteration = None
        self.fit_seconds_ = time.perf_counter() - start
        return self

    @abstractmethod
    def _fit(self, dataset: Any, **inputs: Any) -> None:
        """Fit on a validated dataset; receives only the fit-time inputs the class declares."""

    def _fit_partitioned(self, dataset: Any, **inputs: Any) -> None:
        """Fit on a :class:`~crowdkit_core.engines.partitioned.PartitionedDataset` (a cluster
        engine): strategies that list ``dask`` in ``tags.engines`` implement it."""
        from crowdkit_core.engines import require_engine

        require_engine(type(self), getattr(dataset.engine, "name", "dask"), self.name)
        raise NotImplementedError(f"{type(self).__name__} lists {dataset.engine.name} in "
                                  "tags.engines but does not implement _fit_partitioned")

    def _finish_fit(self, dataset: Any) -> None:
        """Derived attributes every estimator of a kind has (e.g. an aggregator's labels_)."""

    def _fit_arguments(self, gold: Any, init: Any, task_data: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments for ``_fit``; a clear TypeError for ones the class lacks."""
        name = type(self).__name__
        unknown = self.unknown_inputs(task_data)
        if unknown:
            raise TypeError(f"{name}.fit() got unknown input {unknown[0]!r} (per-task inputs "
                            f"it accepts: {self.accepted_inputs()})")
        inputs = dict(task_data)
        for key, value, tag, refusal in (
                ("gold", gold, self.tags.uses_gold, "does not use gold labels (tag uses_gold is off)"),
                ("init", init, self.tags.warm_start,
                 "cannot start from an earlier fit (tag warm_start is off)")):
            if value is not None and not tag:
                raise TypeError(f"{name} {refusal}")
            if tag:
                inputs[key] = value
        return inputs

    def _resolve_task_data(self, dataset: Any, inputs: dict[str, Any]) -> dict[str, Any]:
        """Fill declared per-task inputs not given to ``fit`` from the dataset's side columns."""
        carried = getattr(dataset, "task_data", None) or {}
        for item in self.fit_inputs:
            if inputs.get(item.name) is None:
                inputs[item.name] = carried.get(item.name)
        return inputs

    def _reset_fitted(self) -> None:
        """Forget every fitted attribute, so a refit never keeps values from an earlier one."""
        for key in [k for k in self.__dict__ if k.endswith("_") and not k.startswith("_")]:
            del self.__dict__[key]

    # -- pandas and notebooks ------------------------------------------------------------
    @property
    def frames(self) -> Any:
        """pandas views of the fitted results keyed by the original ids
        (:class:`~crowdkit_core.frame_view.FrameView`: ``labels``, ``proba``, ``skills``,
        ``errors``, ``priors``, ``workers``, ``tasks``, ``output(name)``)."""
        from crowdkit_core.frame_view import FrameView

        return FrameView(self)

    @property
    def loss_history_(self) -> list[float]:
        """crowd-kit's name for ``history_`` (the objective per iteration), on iterative
        strategies; the same list, not a copy."""
        if not self.tags.iterative:
            raise AttributeError(_NOT_ITERATIVE.format(type(self).__name__))
        return self.history_

    def _repr_html_(self) -> str:
        """A compact summary for notebooks: spec, sizes, iterations, a few labels."""
        from crowdkit_core.notebook import estimator_html

        return estimator_html(self)

    def summary(self) -> dict[str, str]:
        """Facts about the fit worth showing beside its results (``crowd aggregate``'s table
        and the provenance record), e.g. which candidate ``auto`` chose; none by default."""
        return {}

    def details(self, task_ids: Any, worker_ids: Any) -> dict[str, Any]:
        """The saved declared outputs keyed by original ids (JSON-ready): ``details.json``."""
        out: dict[str, Any] = {}
        for output in self.declared_outputs():
            if not output.saved or output.name not in self.__dict__:
                continue
            value = getattr(self, output.name)
            key = output.name.rstrip("_")
            if output.axis in ("task", "worker"):
                ids = task_ids if output.axis == "task" else worker_ids
                values = np.asarray(value).tolist()
                out.setdefault(f"{output.axis}s", {})[key] = {
                    str(i): v for i, v in zip(ids, values)}
            elif output.axis == "task_list":
                indices = np.asarray(value, dtype=np.int64)
                out.setdefault("task_lists", {})[key] = [str(task_ids[i]) for i in indices]
            else:
                out.setdefault("dataset", {})[key] = np.asarray(value).tolist()
        return out

    # -- helpers for subclasses ----------------------------------------------------------
    def rng(self, stream: int = 0) -> np.random.Generator:
        """A fresh generator from ``seed``; ``stream`` separates independent uses."""
        return np.random.default_rng([self.params.seed, stream])

    def _report(self, iteration: int, objective: float) -> None:
        """Record one iteration: history, counter and the caller's progress callback."""
        self.history_.append(float(objective))
        self.n_iter_ = iteration
        if self._on_iteration is not None:
            self._on_iteration(iteration, float(objective))


def output_shape_problems(model: Estimator[Any], dataset: Any) -> list[str]:
    """Declared outputs whose fitted value does not have the declared shape (one line each)."""
    sizes = {"n_tasks": dataset.n_tasks, "n_workers": dataset.n_workers, "K": dataset.n_classes}
    problems = []
    for output in model.declared_outputs():
        if output.name not in model.__dict__:
            problems.append(f"{output.name} is declared but was not set by fit")
            continue
        value = model.__dict__[output.name]
        if output.axis == "task_list":
            value = np.asarray(value)
            if value.ndim != 1 or (value.size and (value.min() < 0 or value.max() >= dataset.n_tasks)):
                problems.append(f"{output.name} must be a list of task indices")
            continue
        shape = np.shape(value)
        if len(shape) != len(output.shape):
            problems.append(f"{output.name} has shape {shape}, declared {output.shape}")
            continue
        for got, want in zip(shape, output.shape):
            expected = sizes.get(want, want) if isinstance(want, str) else want
            if isinstance(expected, int) and got != expected:
                problems.append(f"{output.name} has shape {shape}, declared {output.shape}")
                break
    return problems


def describe_outputs(cls: type[Estimator[Any]]) -> list[dict[str, str]]:
    """Rows for ``crowd describe``: name, axis, shape and meaning of each declared output."""
    def shape(dims: tuple[str | int, ...]) -> str:
        return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"

    return [{"name": o.name, "axis": o.axis, "shape": shape(o.shape), "meaning": o.meaning}
            for o in cls.declared_outputs()]


def _signature(params_model: type[StrategyParams]) -> inspect.Signature:
    """``(*, name=default, ...)`` from the parameter model, for help(), IDEs and notebooks."""
    from pydantic_core import PydanticUndefined

    parameters = []
    for name, info in params_model.model_fields.items():
        default = info.get_default(call_default_factory=True)
        parameters.append(inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, annotation=info.annotation,
            default=inspect.Parameter.empty if default is PydanticUndefined else default))
    return inspect.Signature(parameters)
