"""What a new plugin is called: from the NAME given to ``crowd new-plugin`` to its
distribution, package, entry point, class and registered names (one mapping, documented in
docs/plugin-authoring.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crowdkit_core.errors import CrowdkitError

#: The kinds of plugin ``crowd new-plugin`` generates.
PLUGIN_KINDS = ("aggregation", "identification", "dataset")
#: Distribution names of crowdkit's own plugins, never generated again.
RESERVED = frozenset({"core", "classic", "datasets", "deep"})
MAX_LENGTH = 40
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*$")


@dataclass(frozen=True)
class PluginNames:
    """Every name of a generated plugin, derived from NAME alone.

    For NAME ``my-vote`` (or ``my_vote``): distribution ``crowdkit-my-vote``, package
    ``crowdkit_my_vote``, entry point ``my_vote``, class ``MyVote`` (also the registered
    strategy name), dataset name ``my_vote``.
    """

    kind: str
    slug: str           #: NAME in lower case, words joined by "-": "my-vote"
    snake: str          #: words joined by "_": "my_vote" (entry point, test file, dataset name)
    class_name: str     #: CamelCase words: "MyVote" (strategy name and class)

    @property
    def distribution(self) -> str:
        return f"crowdkit-{self.slug}"

    @property
    def package(self) -> str:
        return f"crowdkit_{self.snake}"

    @property
    def entry_point(self) -> str:
        return self.snake

    @property
    def module(self) -> str:
        """The module holding the class: strategy.py, method.py or installer.py."""
        return {"aggregation": "strategy", "identification": "method", "dataset": "installer"}[self.kind]

    @property
    def registered_name(self) -> str:
        """The name users type: the class name for strategies, snake case for datasets."""
        return self.snake if self.kind == "dataset" else self.class_name

    @property
    def class_qualname(self) -> str:
        """The class the registration targets."""
        return f"{self.class_name}Installer" if self.kind == "dataset" else self.class_name


def plugin_names(name: str, kind: str = "aggregation") -> PluginNames:
    """Check NAME and derive every name from it; a one-line :class:`CrowdkitError` says why a
    NAME is refused and what to type instead."""
    if kind not in PLUGIN_KINDS:
        raise CrowdkitError(f"--kind {kind!r}: use one of {', '.join(PLUGIN_KINDS)}")
    text = name.strip()
    if not _NAME_RE.match(text):
        raise CrowdkitError(
            f"plugin name {name!r}: use letters and digits, words separated by '-' or '_', "
            "starting with a letter (e.g. my-vote)")
    if len(text) > MAX_LENGTH:
        raise CrowdkitError(f"plugin name {name!r}: at most {MAX_LENGTH} characters")
    words = re.split(r"[-_]", text)
    lowered = [w.lower() for w in words]
    if lowered[0] == "crowdkit":
        rest = "-".join(lowered[1:]) or "my-vote"
        raise CrowdkitError(f"plugin name {name!r}: leave out the 'crowdkit' prefix (the "
                            f"distribution is named crowdkit-NAME); e.g. crowd new-plugin {rest}")
    slug = "-".join(lowered)
    if slug in RESERVED:
        raise CrowdkitError(f"plugin name {name!r}: crowdkit-{slug} is one of crowdkit's own "
                            "distributions; choose another name")
    class_name = "".join(w[:1].upper() + w[1:] for w in words)
    return PluginNames(kind=kind, slug=slug, snake="_".join(lowered), class_name=class_name)
