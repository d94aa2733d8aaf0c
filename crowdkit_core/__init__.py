"""crowdkit core: dataset format, plugin hooks, strategy specs and the ``crowd`` CLI.

This module stays import-light (no numpy, no pydantic) so that ``crowd --help`` and
plugin registration modules load fast; the names of the common Python path are resolved on
first use (PEP 562)::

    import crowdkit_core as ck
    data = ck.load_dataset("bundled:labelme")            # or a DataFrame task,worker,label
    model = ck.strategy("DS[tol=1e-5]").fit(data)          # or ck.strategies.DS(tol=1e-5)
    result = ck.aggregate(data, "DS")                      # labels, scores and provenance
    ck.write_result(result, fmt="csv", output_dir="labels")
"""

from __future__ import annotations

from typing import Any

import pluggy

#: Lazily imported names: attribute -> "module:attribute".
_LAZY = {
    "aggregate": "crowdkit_core.application:aggregate",
    "AggregationResult": "crowdkit_core.application:AggregationResult",
    "load_dataset": "crowdkit_core.dataset:load_dataset",
    "as_dataset": "crowdkit_core.dataset:as_dataset",
    "CrowdDataset": "crowdkit_core.dataset:CrowdDataset",
    "strategy": "crowdkit_core.strategies:strategy",
    "strategy_class": "crowdkit_core.strategies:strategy_class",
    "write_result": "crowdkit_core.writers:write_result",
    "build_report": "crowdkit_core.report:build_report",
    "CrowdkitError": "crowdkit_core.errors:CrowdkitError",
}

__all__ = ["__version__", "hookimpl", "PROJECT_NAME", *_LAZY]

__version__ = "0.1.0"

#: Name of the pluggy project and of the entry-point group plugins declare.
PROJECT_NAME = "crowdkit"

#: Decorator that marks a plugin function as an implementation of a crowdkit hook.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


def __getattr__(name: str) -> Any:
    """Import a name of :data:`_LAZY` on first use (submodules import as usual)."""
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
