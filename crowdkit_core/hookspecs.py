"""Hook specifications that crowdkit plugins implement.

Hooks receive a ``register`` callback (as in simonw/llm) rather than returning lists, so the
core owns validation, aliasing and conflict detection. Every hook name starts with
``crowdkit_`` so implementations are easy to find. Built-in strategies use these same hooks.
"""

from __future__ import annotations

from typing import Callable

import pluggy

from crowdkit_core import PROJECT_NAME

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def crowdkit_register_strategies(register: Callable[..., None]) -> None:
    """Register aggregation strategies.

    Call ``register(StrategyInfo(...))`` once per strategy. ``StrategyInfo.target`` is an
    import path (``"package.module:Class"``) that is imported only when the strategy is
    described or run, so this hook must stay cheap: import no numpy, scipy or torch here.
    """


@hookspec
def crowdkit_register_datasets(register: Callable[..., None]) -> None:
    """Register dataset installers.

    Call ``register(DatasetInfo(...))`` once per dataset; ``DatasetInfo.target`` points to a
    :class:`crowdkit_core.installers.DatasetInstaller` subclass, imported lazily.
    """
