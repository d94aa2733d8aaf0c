"""Light descriptions of what plugins register (no heavy imports).

Every registration is an :class:`Info`: a checked name, aliases, and an import path to the
object that does the work. The object (and with it numpy/scipy or torch) is imported only
when it is used, which keeps ``crowd list-strategies`` and ``crowd --help`` fast however many
plugins are installed. The core fills in which plugin and distribution registered it.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_SUFFIX_RE = re.compile(r"^\.[A-Za-z0-9_.\-]+$")

#: The kinds of strategy, the base class each must subclass, and the command that runs it.
KINDS: dict[str, tuple[str, str]] = {
    "aggregation": ("crowdkit_core.aggregator:Aggregator", "crowd aggregate"),
    "identification": ("crowdkit_core.identification:Identifier", "crowd identify"),
    "trainer": ("crowdkit_core.trainer:Trainer", "crowd train"),
}


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


def kind_base(kind: str) -> type:
    """The base class every strategy of ``kind`` subclasses (imported on demand)."""
    return load_target(KINDS[kind][0])


def kind_command(kind: str) -> str:
    """The command that runs strategies of ``kind`` (for error messages)."""
    return KINDS[kind][1]


@dataclass(frozen=True)
class Info:
    """Base of every registration: validated name and aliases, a lazy import target.

    ``plugin``, ``distribution`` and ``distribution_version`` are filled in by the core
    (:meth:`with_origin`), never by the plugin.
    """

    #: What this info registers, for error messages ("strategy", "dataset", ...).
    what: ClassVar[str] = "registration"

    name: str
    target: str
    summary: str = ""
    aliases: tuple[str, ...] = ()
    reference: str = ""
    plugin: str = ""
    distribution: str = ""
    distribution_version: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "aliases", tuple(self.aliases))
        for value in (self.name, *self.aliases):
            if not isinstance(value, str) or not _NAME_RE.match(value):
                raise ValueError(
                    f"invalid {self.what} name {value!r}: use letters, digits, '_' and '-', "
                    "starting with a letter"
                )
        if not isinstance(self.target, str) or ":" not in self.target:
            raise ValueError(f"target {self.target!r} must look like 'package.module:Attribute'")
        if not isinstance(self.summary, str) or not isinstance(self.reference, str):
            raise ValueError(f"{self.what} {self.name!r}: summary and reference must be text")

    @property
    def all_names(self) -> tuple[str, ...]:
        """The display name followed by every alias."""
        return (self.name, *self.aliases)

    def with_origin(self, plugin: str, distribution: str, version: str) -> "Info":
        """A copy stamped with the plugin and distribution that registered it."""
        return dataclasses.replace(self, plugin=plugin, distribution=distribution,
                                   distribution_version=version)

    def load(self) -> Any:
        """Import and return the target."""
        return load_target(self.target)


@dataclass(frozen=True)
class StrategyInfo(Info):
    """One strategy: ``target`` is its class; ``kind`` one of :data:`KINDS`."""

    what: ClassVar[str] = "strategy"

    kind: str = "aggregation"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind not in KINDS:
            raise ValueError(
                f"strategy {self.name!r}: unknown kind {self.kind!r}; use one of {', '.join(KINDS)}"
            )


@dataclass(frozen=True)
class DatasetInfo(Info):
    """One dataset installer: ``target`` is a :class:`~crowdkit_core.installers.DatasetInstaller`."""

    what: ClassVar[str] = "dataset"

    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResolverInfo(Info):
    """A dataset-name resolver: ``name`` is the prefix it answers (``bundled`` for ``bundled:X``).

    ``target`` is a function ``resolve(argument: str) -> Path | None`` returning the dataset
    folder or file, or ``None`` when it does not know ``argument``. With ``bare_names`` the
    resolver is also asked about arguments without a prefix that are not existing paths (an
    installer plugin uses this so that an installed dataset's plain name works).
    """

    what: ClassVar[str] = "dataset resolver"

    bare_names: bool = False


@dataclass(frozen=True)
class ReaderInfo(Info):
    """An answers-file format: files ending in one of ``suffixes`` are read by ``target``.

    ``target`` is a function ``read(path: Path) -> AnswerColumns`` (see
    :mod:`crowdkit_core.dataset.formats`).
    """

    what: ClassVar[str] = "answers reader"

    suffixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "suffixes", tuple(s.lower() for s in self.suffixes))
        if not self.suffixes or not all(_SUFFIX_RE.match(s) for s in self.suffixes):
            raise ValueError(
                f"answers reader {self.name!r}: suffixes must be file endings such as '.csv'"
            )
