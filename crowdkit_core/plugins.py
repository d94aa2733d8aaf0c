"""Discovery and loading of crowdkit plugins (pluggy + ``crowdkit`` entry points).

Each entry point in the ``crowdkit`` group names a module implementing one or more hooks of
:mod:`crowdkit_core.hookspecs`. Built-in strategies are loaded exactly like third-party ones.
A plugin that fails to import or register is recorded with its error (``crowd plugins``) and
never stops the others. The core's own built-ins (:mod:`crowdkit_core.builtins`: the answers
readers and the ``bundled:`` resolver) go through the same hooks but are always loaded. Two
environment variables control loading of entry points:

* ``CROWDKIT_DISABLE_PLUGINS``: comma-separated entry-point names to skip (``classic``), or
  names of single strategies or dataset installers to leave out (``DS,GLAD,cifar10h``).
* ``CROWDKIT_PLUGINS``: comma-separated distribution names; when set, only these load.
"""

from __future__ import annotations

import difflib
import inspect
import os
import re
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Iterable

import pluggy

from crowdkit_core import PROJECT_NAME, hookspecs
from crowdkit_core.errors import PluginError, UnknownStrategyError
from crowdkit_core.registry import (
    DatasetInfo, Info, ReaderInfo, ResolverInfo, StrategyInfo, normalize_name,
)

ENTRY_POINT_GROUP = PROJECT_NAME
ENV_DISABLE = "CROWDKIT_DISABLE_PLUGINS"
ENV_ALLOW = "CROWDKIT_PLUGINS"
HOOK_PREFIX = "crowdkit_"


def normalize_distribution(name: str) -> str:
    """PEP 503 normalisation, so ``Crowdkit_Classic`` matches ``crowdkit-classic``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _split_env(value: str | None) -> set[str]:
    return {item.strip() for item in (value or "").split(",") if item.strip()}


@dataclass
class PluginStatus:
    """Outcome of loading one entry point, shown by ``crowd plugins``."""

    name: str
    module: str
    distribution: str = ""
    version: str = ""
    status: str = "loaded"  # loaded | disabled | not-allowed | error
    error: str = ""
    strategies: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    resolvers: list[str] = field(default_factory=list)
    readers: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)

    def provides(self) -> list[str]:
        """Everything this plugin registered, for listings."""
        return (self.strategies + [f"{d} (disabled)" for d in self.disabled] + self.datasets
                + [f"{r}:" for r in self.resolvers] + self.readers
                + [f"crowd {c}" for c in self.commands])

    def fail(self, message: str) -> None:
        """Mark the plugin failed, keeping earlier messages (folded to one line)."""
        message = _one_line(message)
        self.status = "error"
        self.error = f"{self.error}; {message}" if self.error else message

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "strategies": list(self.strategies),
            "datasets": list(self.datasets),
            "resolvers": list(self.resolvers),
            "readers": list(self.readers),
            "commands": list(self.commands),
            "disabled": list(self.disabled),
        }


class _PluginManager(pluggy.PluginManager):
    """Accepts unmarked ``crowdkit_*`` functions too (as pytest does for ``pytest_*``)."""

    def parse_hookimpl_opts(self, plugin: Any, name: str):  # type: ignore[override]
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(HOOK_PREFIX):
            method = getattr(plugin, name, None)
            if inspect.isroutine(method):
                return {}  # type: ignore[return-value]
        return opts


class PluginRegistry:
    """Loaded plugins and everything they registered.

    Use :func:`get_registry` for the process-wide instance built from installed entry points;
    tests build their own with ``PluginRegistry(entry_points=[...])`` or ``add_plugin``.
    """

    def __init__(
        self,
        entry_points: Iterable[metadata.EntryPoint] | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self._disabled = _split_env(env.get(ENV_DISABLE))
        self._allowed = {normalize_distribution(d) for d in _split_env(env.get(ENV_ALLOW))}
        self.pm = _PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.statuses: list[PluginStatus] = []
        self._strategies: dict[str, StrategyInfo] = {}
        self._datasets: dict[str, DatasetInfo] = {}
        self._resolvers: dict[str, ResolverInfo] = {}
        self._readers: dict[str, ReaderInfo] = {}
        self._suffixes: dict[str, ReaderInfo] = {}
        self._targets: dict[str, StrategyInfo] = {}  # class path -> info, disabled ones too
        from crowdkit_core import __version__, builtins

        self.add_plugin(builtins, "builtins", "crowdkit-core", __version__)
        if entry_points is None:
            entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(entry_points, key=_entry_point_sort_key):
            self._load_entry_point(ep)

    # -- loading -------------------------------------------------------------------------
    def _load_entry_point(self, ep: metadata.EntryPoint) -> None:
        dist = getattr(ep, "dist", None)
        dist_name = dist.name if dist is not None else ""
        dist_version = dist.version if dist is not None else ""
        status = PluginStatus(ep.name, ep.value, dist_name, dist_version)
        self.statuses.append(status)
        if ep.name in self._disabled:
            status.status = "disabled"
            status.error = f"disabled by {ENV_DISABLE}"
            return
        if self._allowed and normalize_distribution(dist_name) not in self._allowed:
            status.status = "not-allowed"
            status.error = f"distribution {dist_name!r} is not listed in {ENV_ALLOW}"
            return
        try:
            module = ep.load()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a broken plugin (even one calling sys.exit) never breaks the CLI
            status.status = "error"
            status.error = f"import failed: {type(exc).__name__}: {_one_line(exc)}"
            return
        self._register_module(module, status)

    def add_plugin(self, module: Any, name: str, distribution: str = "", version: str = "") -> PluginStatus:
        """Register an already imported plugin object (used by tests and embedding code)."""
        status = PluginStatus(name, getattr(module, "__name__", repr(module)), distribution, version)
        self.statuses.append(status)
        self._register_module(module, status)
        return status

    def _register_module(self, module: Any, status: PluginStatus) -> None:
        try:
            self.pm.register(module, name=status.name)
        except Exception as exc:
            status.status = "error"
            status.error = f"invalid hook implementation: {_one_line(exc)}"
            return
        unknown = [
            caller.name for caller in (self.pm.get_hookcallers(module) or []) if not caller.has_spec()
        ]
        if unknown:
            self.pm.unregister(module)
            known = [n for n in dir(hookspecs) if n.startswith(HOOK_PREFIX)]
            hints = difflib.get_close_matches(unknown[0], known, n=1)
            hint = f"; did you mean {hints[0]!r}?" if hints else ""
            status.status = "error"
            status.error = f"unknown hook {unknown[0]!r}{hint}"
            return
        for hook_name, add in self._REGISTRATION_HOOKS:
            self._call_hook(hook_name, module, status, getattr(self, add))

    _REGISTRATION_HOOKS = (
        ("crowdkit_register_strategies", "_add_strategy"),
        ("crowdkit_register_datasets", "_add_dataset"),
        ("crowdkit_register_dataset_resolvers", "_add_resolver"),
        ("crowdkit_register_readers", "_add_reader"),
    )

    def _impls(self, hook_name: str, module: Any | None = None) -> list[Any]:
        """Implementations of a hook, in plugin load order, optionally of one module only."""
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        order = {id(p): i for i, (_, p) in enumerate(self.pm.list_name_plugin())}
        impls = [i for i in impls if module is None or i.plugin is module]
        return sorted(impls, key=lambda i: order.get(id(i.plugin), 0))

    def _call_hook(
        self, hook_name: str, module: Any, status: PluginStatus, add: Callable[..., None]
    ) -> None:
        for impl in self._impls(hook_name, module):

            def register(info: Any, _status: PluginStatus = status) -> None:
                add(info, _status)

            try:
                impl.function(**{arg: register for arg in impl.argnames})
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                status.fail(f"{hook_name} failed: {type(exc).__name__}: {_one_line(exc)}")

    def _claim(self, table: dict[str, Any], info: Any, status: PluginStatus, expected: type) -> Any:
        if not isinstance(info, expected):
            raise PluginError(
                f"register() here expects a {expected.__name__}, got {type(info).__name__}")
        info = info.with_origin(status.name, status.distribution, status.version)
        for name in info.all_names:
            owner = table.get(normalize_name(name))
            if owner is not None:
                raise PluginError(
                    f"{info.what} name {name!r} is already registered by plugin {owner.plugin!r} "
                    f"(distribution {owner.distribution or '?'!r}); plugin {status.name!r} "
                    f"(distribution {status.distribution or '?'!r}) claims it too. Uninstall one, "
                    f"or set {ENV_DISABLE}={status.name}"
                )
        for name in info.all_names:
            table[normalize_name(name)] = info
        return info

    def _add_strategy(self, info: StrategyInfo, status: PluginStatus) -> None:
        disabled = {normalize_name(d) for d in self._disabled}
        if isinstance(info, StrategyInfo) and disabled & {normalize_name(n) for n in info.all_names}:
            self._targets.setdefault(info.target, info)
            status.disabled.append(info.name)
            return
        info = self._claim(self._strategies, info, status, StrategyInfo)
        self._targets[info.target] = info
        status.strategies.append(info.name)

    def _add_dataset(self, info: DatasetInfo, status: PluginStatus) -> None:
        disabled = {normalize_name(d) for d in self._disabled}
        if isinstance(info, DatasetInfo) and disabled & {normalize_name(n) for n in info.all_names}:
            status.disabled.append(info.name)
            return
        info = self._claim(self._datasets, info, status, DatasetInfo)
        status.datasets.append(info.name)

    def _add_resolver(self, info: ResolverInfo, status: PluginStatus) -> None:
        info = self._claim(self._resolvers, info, status, ResolverInfo)
        status.resolvers.append(info.name)

    def _add_reader(self, info: ReaderInfo, status: PluginStatus) -> None:
        taken = [s for s in info.suffixes if s in self._suffixes]
        if taken:
            owner = self._suffixes[taken[0]]
            raise PluginError(
                f"answers format {taken[0]!r} is already read by {owner.name!r} (plugin "
                f"{owner.plugin!r}); plugin {status.name!r} claims it too"
            )
        info = self._claim(self._readers, info, status, ReaderInfo)
        for suffix in info.suffixes:
            self._suffixes[suffix] = info
        status.readers.append(info.name)

    # -- commands ------------------------------------------------------------------------
    def register_commands(self, app: Any, guard: Callable[[Any, PluginStatus], Any] | None = None) -> None:
        """Let every loaded plugin add commands to ``app``; a failing or clashing one is
        recorded on its status and leaves ``app`` as it was. ``guard(callback, status)``
        wraps each added command's function (the CLI uses it so that a plugin command that
        crashes prints one line instead of a traceback)."""
        for status in self.statuses:
            if status.status != "loaded":
                continue
            module = self.pm.get_plugin(status.name)
            for impl in self._impls("crowdkit_register_commands", module):
                before = _command_names(app)
                n_commands, n_groups = len(app.registered_commands), len(app.registered_groups)
                try:
                    impl.function(**{arg: app for arg in impl.argnames})
                    new = app.registered_commands[n_commands:] + app.registered_groups[n_groups:]
                    added = [_command_name(item) for item in new]
                    clash = sorted({n for n in added if n in before or added.count(n) > 1})
                    if clash:
                        raise PluginError(f"command {clash[0]!r} already exists")
                except Exception as exc:
                    del app.registered_commands[n_commands:]
                    del app.registered_groups[n_groups:]
                    status.fail(f"crowdkit_register_commands failed: {type(exc).__name__}: {exc}")
                    continue
                if guard is not None:
                    for item in new:
                        _guard_commands(item, guard, status)
                status.commands.extend(added)

        # -- queries -------------------------------------------------------------------------
    def strategies(self, kind: str | None = None) -> list[StrategyInfo]:
        """Every registered strategy once, sorted by name."""
        return [i for i in _unique_sorted(self._strategies) if kind is None or i.kind == kind]

    def datasets(self) -> list[DatasetInfo]:
        """Every registered dataset installer once, sorted by name."""
        return _unique_sorted(self._datasets)

    def get_dataset(self, name: str) -> DatasetInfo | None:
        """The dataset installer registered as ``name`` or an alias (case-insensitive), or None."""
        return self._datasets.get(normalize_name(name))

    def resolvers(self) -> list[ResolverInfo]:
        """Every dataset-name resolver once, in plugin load order (the order bare names try)."""
        return list({id(info): info for info in self._resolvers.values()}.values())

    def get_resolver(self, prefix: str) -> ResolverInfo | None:
        """The resolver of ``prefix`` (case-insensitive), or None."""
        return self._resolvers.get(normalize_name(prefix))

    def readers(self) -> list[ReaderInfo]:
        """Every answers-file reader once, sorted by name."""
        return _unique_sorted(self._readers)

    def reader_for(self, suffix: str) -> ReaderInfo | None:
        """The reader of files ending in ``suffix`` (``".csv"``), or None."""
        return self._suffixes.get(suffix.lower())

    def strategy_for_class(self, cls: type) -> StrategyInfo | None:
        """The registration whose target is ``cls`` (also when disabled), or None."""
        return self._targets.get(f"{cls.__module__}:{cls.__qualname__}")

    def get_strategy(self, name: str) -> StrategyInfo:
        """Look a strategy up by name or alias, case-insensitively."""
        info = self._strategies.get(normalize_name(name))
        if info is None:
            raise UnknownStrategyError(self._unknown_message(name))
        return info

    def _unknown_message(self, name: str) -> str:
        names = sorted({n for i in self.strategies() for n in i.all_names})
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        close += [n for n in names if normalize_name(n).startswith(normalize_name(name)[:2])
                  and n not in close][: max(0, 3 - len(close))] if len(name) >= 2 else []
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        listing = "; run `crowd list-strategies` to see them"
        failed = [s.name for s in self.statuses if s.status == "error"]
        broken = f" (plugins that failed to load: {', '.join(failed)}; see `crowd plugins`)" if failed else ""
        return f"unknown strategy {name!r}{hint}{listing}{broken}"

    def failures(self) -> list[PluginStatus]:
        """Plugins that failed to import or register."""
        return [s for s in self.statuses if s.status == "error"]


def _unique_sorted(table: dict[str, Info]) -> list[Any]:
    """Each info of a name table once (aliases point to the same info), sorted by name."""
    unique = {id(info): info for info in table.values()}
    return sorted(unique.values(), key=lambda i: i.name.lower())


def _command_names(app: Any) -> list[str]:
    """Names of the commands and groups of a Typer app."""
    return [_command_name(item) for item in [*app.registered_commands, *app.registered_groups]]


def _command_name(item: Any) -> str:
    """The name under which a Typer command or group is invoked."""
    if hasattr(item, "typer_instance"):  # a group
        return item.name or getattr(item.typer_instance.info, "name", None) or ""
    return item.name or item.callback.__name__.replace("_", "-")


def _guard_commands(item: Any, guard: Callable[[Any, PluginStatus], Any], status: PluginStatus) -> None:
    """Wrap the callback of a command, or of every command of a group, with ``guard``."""
    if hasattr(item, "typer_instance"):
        for command in item.typer_instance.registered_commands:
            _guard_commands(command, guard, status)
        for group in item.typer_instance.registered_groups:
            _guard_commands(group, guard, status)
    elif item.callback is not None:
        item.callback = guard(item.callback, status)


#: The distributions built from this repository: they load first, so a third-party
#: distribution (even one whose name starts with ``crowdkit``) that claims a built-in name is
#: the one reported, and never replaces the built-in.
FIRST_PARTY = frozenset({"crowdkit-core", "crowdkit-classic", "crowdkit-datasets"})


def _entry_point_sort_key(ep: metadata.EntryPoint) -> tuple[int, str, str]:
    dist = getattr(ep, "dist", None)
    dist_name = normalize_distribution(dist.name) if dist is not None else ""
    return (0 if dist_name in FIRST_PARTY else 1, dist_name, ep.name)


def _one_line(value: object) -> str:
    """A message on one line (plugin errors are shown in one-line warnings and tables)."""
    return " ".join(str(value).split()) or type(value).__name__


_REGISTRY: PluginRegistry | None = None


def get_registry() -> PluginRegistry:
    """The process-wide registry, built on first use from installed entry points."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = PluginRegistry()
    return _REGISTRY


def reset_registry(registry: PluginRegistry | None = None) -> None:
    """Forget (or replace) the process-wide registry; tests use this after changing env vars."""
    global _REGISTRY
    _REGISTRY = registry
