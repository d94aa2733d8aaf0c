"""Hook specifications that crowdkit plugins implement.

Calling semantics, common to every hook:

* Each hook is called **once per plugin**, right after the plugin's module is imported,
  with only that plugin's implementation (so a failure is pinned on the plugin that caused
  it). ``crowdkit_register_commands`` is the exception: it is called when the ``crowd``
  application is built, once per loaded plugin.
* Registration hooks receive a ``register`` callback (as in simonw/llm) instead of
  returning lists, so the core owns validation, aliasing and conflict detection.
  ``register`` raises :class:`~crowdkit_core.errors.PluginError` for an invalid
  registration or a name another plugin already claimed.
* An exception raised by a hook marks the plugin as failed (``crowd plugins`` shows why);
  what it registered before the exception stays registered; other plugins are unaffected.
* Hooks must stay cheap: import no numpy, scipy or torch in them. Targets are import paths
  (``"package.module:Attribute"``) imported only when used.
* Every hook name starts with ``crowdkit_``; a misspelled one is reported as an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pluggy

from crowdkit_core import PROJECT_NAME

if TYPE_CHECKING:
    import typer

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def crowdkit_register_strategies(register: Callable[..., None]) -> None:
    """Register strategies (aggregation, identification or trainer).

    :param register: call ``register(StrategyInfo(...))`` once per strategy.
        ``StrategyInfo.kind`` says which command runs it; ``StrategyInfo.target`` names a
        subclass of that kind's base class (:data:`crowdkit_core.registry.KINDS`).
    """


@hookspec
def crowdkit_register_datasets(register: Callable[..., None]) -> None:
    """Register dataset installers.

    :param register: call ``register(DatasetInfo(...))`` once per dataset;
        ``DatasetInfo.target`` names a :class:`crowdkit_core.installers.DatasetInstaller`
        subclass.
    """


@hookspec
def crowdkit_register_dataset_resolvers(register: Callable[..., None]) -> None:
    """Register resolvers that turn dataset names into folders or files.

    :param register: call ``register(ResolverInfo(name=PREFIX, target=...))``; then
        ``PREFIX:ARGUMENT`` works as a dataset argument of every command and of
        :func:`crowdkit_core.dataset.load_dataset`. With ``bare_names=True`` the resolver is
        also asked about plain names that are not existing paths, in plugin load order; the
        first one that returns a path wins.
    """


@hookspec
def crowdkit_register_readers(register: Callable[..., None]) -> None:
    """Register answers-file formats.

    :param register: call ``register(ReaderInfo(name=..., suffixes=(".ext",), target=...))``;
        files ending in one of ``suffixes`` are then read by the target function. A suffix
        already handled by another reader is a conflict.
    """


@hookspec
def crowdkit_register_commands(app: "typer.Typer") -> None:
    """Add commands or command groups to the ``crowd`` application.

    :param app: the ``crowd`` Typer application; call ``app.command(...)`` or
        ``app.add_typer(...)`` on it. Called each time the application is built. Import heavy
        modules (torch) inside the command functions, never at module level, so that
        ``crowd --help`` stays fast. A command whose name is already taken is removed and
        reported as a plugin error.
    """
