"""Light descriptions of what plugins register (no heavy imports).

A ``StrategyInfo`` names a strategy, its aliases and an import path to its class. The class
(and with it numpy/scipy or torch) is imported only when the strategy is described or run,
which keeps ``crowd list-strategies`` fast however many plugins are installed.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


def normalize_name(name: str) -> str:
    """Key used to look names up: case-insensitive, ignoring ``_`` and ``-``.

    So ``NaiveSoft``, ``naive_soft`` and ``naive-soft`` are the same strategy.
    """
    return re.sub(r"[_\-]", "", name).lower()


def load_target(target: str) -> Any:
    """Import ``"package.module:attr"`` and return the attribute."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ValueError(f"target {target!r} must look like 'package.module:Attribute'")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {attr!r}") from None


@dataclass(frozen=True)
class StrategyInfo:
    """What a plugin registers for one strategy.

    ``name`` is the display name (``"DS"``); ``aliases`` are other accepted names
    (peerannot's ``"dawid_skene"``); ``target`` is the import path of the Aggregator class;
    ``kind`` groups strategies (``"aggregation"`` now, ``"identification"``, ``"deep"`` later).
    ``plugin`` and ``distribution`` are filled in by the core, not by the plugin.
    """

    name: str
    target: str
    summary: str = ""
    aliases: tuple[str, ...] = ()
    reference: str = ""
    kind: str = "aggregation"
    plugin: str = ""
    distribution: str = ""
    distribution_version: str = ""

    def __post_init__(self) -> None:
        for value in (self.name, *self.aliases):
            if not isinstance(value, str) or not _NAME_RE.match(value):
                raise ValueError(
                    f"invalid strategy name {value!r}: use letters, digits, '_' and '-', "
                    "starting with a letter"
                )
        if ":" not in self.target:
            raise ValueError(f"target {self.target!r} must look like 'package.module:Class'")
        object.__setattr__(self, "aliases", tuple(self.aliases))

    @property
    def all_names(self) -> tuple[str, ...]:
        """The display name followed by every alias."""
        return (self.name, *self.aliases)

    def load(self) -> Any:
        """Import and return the strategy class."""
        return load_target(self.target)


@dataclass(frozen=True)
class DatasetInfo:
    """What a plugin registers for one dataset installer (see ``crowdkit_register_datasets``)."""

    name: str
    target: str
    summary: str = ""
    aliases: tuple[str, ...] = ()
    plugin: str = ""
    distribution: str = ""
    distribution_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def load(self) -> Any:
        """Import and return the installer class."""
        return load_target(self.target)
