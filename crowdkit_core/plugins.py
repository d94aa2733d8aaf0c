"""Discovery and loading of crowdkit plugins (pluggy + ``crowdkit`` entry points).

Each entry point in the ``crowdkit`` group names a module implementing one or more hooks of
:mod:`crowdkit_core.hookspecs`. Built-in strategies are loaded exactly like third-party ones.
A plugin that fails to import or register is recorded with its error (``crowd plugins``) and
never stops the others. Two environment variables control loading:

* ``CROWDKIT_DISABLE_PLUGINS``: comma-separated entry-point names to skip (``mv,ds``).
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
from crowdkit_core.registry import DatasetInfo, StrategyInfo, normalize_name

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
        except Exception as exc:  # a broken plugin must never break the CLI
            status.status = "error"
            status.error = f"import failed: {type(exc).__name__}: {exc}"
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
            status.error = f"invalid hook implementation: {exc}"
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
        self._call_hook("crowdkit_register_strategies", module, status, self._add_strategy)
        self._call_hook("crowdkit_register_datasets", module, status, self._add_dataset)

    def _call_hook(
        self, hook_name: str, module: Any, status: PluginStatus, add: Callable[..., None]
    ) -> None:
        caller = getattr(self.pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            if impl.plugin is not module:
                continue

            def register(info: Any, _status: PluginStatus = status) -> None:
                add(info, _status)

            try:
                impl.function(**{arg: register for arg in impl.argnames})
            except Exception as exc:
                status.status = "error"
                message = f"{hook_name} failed: {type(exc).__name__}: {exc}"
                status.error = f"{status.error}; {message}" if status.error else message

    def _claim(self, table: dict[str, Any], info: Any, status: PluginStatus, what: str) -> Any:
        if not isinstance(info, (StrategyInfo, DatasetInfo)):
            raise PluginError(f"register() expects a {what} description, got {type(info).__name__}")
        info = type(info)(
            **{**info.__dict__, "plugin": status.name, "distribution": status.distribution,
               "distribution_version": status.version}
        )
        for name in info.aliases + (info.name,):
            key = normalize_name(name)
            owner = table.get(key)
            if owner is not None:
                raise PluginError(
                    f"{what} name {name!r} is already registered by plugin {owner.plugin!r} "
                    f"(distribution {owner.distribution or '?'!r}); plugin {status.name!r} "
                    f"(distribution {status.distribution or '?'!r}) claims it too. Uninstall one, "
                    f"or set {ENV_DISABLE}={status.name}"
                )
        for name in info.all_names:
            table[normalize_name(name)] = info
        return info

    def _add_strategy(self, info: StrategyInfo, status: PluginStatus) -> None:
        info = self._claim(self._strategies, info, status, "strategy")
        status.strategies.append(info.name)

    def _add_dataset(self, info: DatasetInfo, status: PluginStatus) -> None:
        info = self._claim(self._datasets, info, status, "dataset")
        status.datasets.append(info.name)

    # -- queries -------------------------------------------------------------------------
    def strategies(self, kind: str | None = None) -> list[StrategyInfo]:
        """Every registered strategy once, sorted by name."""
        unique = {id(info): info for info in self._strategies.values()}
        infos = [i for i in unique.values() if kind is None or i.kind == kind]
        return sorted(infos, key=lambda i: i.name.lower())

    def datasets(self) -> list[DatasetInfo]:
        """Every registered dataset installer once, sorted by name."""
        unique = {id(info): info for info in self._datasets.values()}
        return sorted(unique.values(), key=lambda i: i.name.lower())

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


def _entry_point_sort_key(ep: metadata.EntryPoint) -> tuple[int, str, str]:
    dist = getattr(ep, "dist", None)
    dist_name = normalize_distribution(dist.name) if dist is not None else ""
    # crowdkit's own distributions load first, so a third-party name clash is reported on it.
    return (0 if dist_name.startswith("crowdkit") else 1, dist_name, ep.name)


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
