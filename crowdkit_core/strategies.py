"""Strategy classes by their registered names, and unfitted strategies from specs.

Every strategy a plugin registers is importable from here under its name or any alias, with
no plugin code in the core: ``from crowdkit_core.strategies import DS, GLAD, MajorityVote``
looks each name up in the plugin registry (case-insensitive, ``_`` and ``-`` ignored, so
crowd-kit's class names work wherever they are aliases) and imports the class on first use.
Third-party strategies are reachable the same way. :func:`strategy` builds an unfitted
instance from a spec string::

    from crowdkit_core.strategies import strategy
    model = strategy("DS[tol=1e-5]", seed=1)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crowdkit_core.plugins import PluginRegistry

__all__ = ["strategy", "strategy_class"]


def strategy(spec: str, *, kind: str | None = None, registry: "PluginRegistry | None" = None,
             **params: Any) -> Any:
    """A fresh, unfitted strategy for ``spec`` (``NAME`` or ``NAME[key=value,...]``);
    keyword ``params`` (already typed: numbers, lists...) apply on top of the spec's.

    ``kind`` (``aggregation``, ``identification``, ``trainer``) refuses a strategy of another
    kind. Bad specs raise :class:`~crowdkit_core.errors.SpecError` with a caret under the fault.
    """
    from crowdkit_core.spec import resolve_spec

    resolved = resolve_spec(spec, registry, kind=kind)
    return resolved.strategy_class(**{**resolved.params.model_dump(), **params})


def strategy_class(name: str, registry: "PluginRegistry | None" = None) -> type:
    """The class registered as ``name`` (or an alias), imported on demand."""
    from crowdkit_core.plugins import get_registry

    return (registry or get_registry()).get_strategy(name).load()


def __getattr__(name: str) -> Any:
    """``crowdkit_core.strategies.NAME``: the registered strategy class (PEP 562)."""
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from crowdkit_core.errors import UnknownStrategyError

    try:
        cls = strategy_class(name)
    except UnknownStrategyError as exc:
        raise AttributeError(str(exc)) from None
    globals()[name] = cls  # later lookups are plain attribute reads
    return cls


def __dir__() -> list[str]:
    """Module names plus every registered name and alias that is a Python identifier."""
    from crowdkit_core.plugins import get_registry

    names = {n for info in get_registry().strategies() for n in info.all_names if n.isidentifier()}
    return sorted(set(globals()) | names)
