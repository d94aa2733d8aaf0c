"""What completes where: strategy specs, dataset arguments and installer names, computed from
the cached names (:mod:`.cache`) as ``(value, help)`` pairs. Pure functions of the names and
the text typed so far, so they are tested without a shell."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from crowdkit_core.registry import normalize_name

Item = tuple[str, str]


def split_top_level(text: str) -> tuple[str, str]:
    """``text`` cut after its last comma outside brackets: (what comes before, the part being
    typed). ``'MV,DS[tol=1,max'`` gives ``('MV,', 'DS[tol=1,max')``."""
    depth, cut = 0, 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            cut = index + 1
    return text[:cut], text[cut:]


def strategy_names(names: dict[str, Any], typed: str, kind: str | None = None) -> list[Item]:
    """Strategy names starting with ``typed`` (case-insensitive), of ``kind`` when given; the
    aliases only when no name matches."""
    rows = [s for s in names.get("strategies", []) if kind is None or s["kind"] == kind]
    low = typed.lower()
    hits = [(s["name"], s["summary"]) for s in rows if s["name"].lower().startswith(low)]
    return hits or [(a, s["summary"]) for s in rows for a in s["aliases"] if a.lower().startswith(low)]


def _strategy(names: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The cached strategy called ``name`` or one of its aliases (as the registry matches)."""
    key = normalize_name(name)
    for row in names.get("strategies", []):
        if any(normalize_name(n) == key for n in [row["name"], *row["aliases"]]):
            return row
    return None


def spec_items(names: dict[str, Any], typed: str, kind: str | None = None) -> list[Item]:
    """Completions of a strategy spec (``DS``, ``DS[max_iter=``, ``entropy[on=DS]``), or of a
    comma-separated list of them: names, then parameter names inside the brackets, then the
    choices of a parameter with fixed values, and strategy names after ``on=``."""
    head, current = split_top_level(typed)
    return [(head + value, text) for value, text in _one_spec(names, current, kind)]


def _one_spec(names: dict[str, Any], typed: str, kind: str | None) -> list[Item]:
    if "[" not in typed:
        return strategy_names(names, typed, kind)
    name, _, inside = typed.partition("[")
    strategy = _strategy(names, name)
    done, current = split_top_level(inside)
    if strategy is None or _closed(inside):
        return []
    prefix = f"{name}[{done}"
    params = strategy["params"]
    if "=" not in current:
        return [(f"{prefix}{p['name']}=", p["help"]) for p in params if p["name"].startswith(current)]
    key, _, value = current.partition("=")
    param = next((p for p in params if p["name"] == key), None)
    if param is None:
        return []
    if param["choices"]:
        return [(f"{prefix}{key}={c}", "") for c in param["choices"] if c.startswith(value)]
    if key == "on":  # identification methods read another strategy's fit: on=SPEC
        return [(f"{prefix}{key}={v}", h) for v, h in _one_spec(names, value, "aggregation")]
    return []


def _closed(inside: str) -> bool:
    """Whether the text after a spec's ``[`` already holds its closing ``]``."""
    depth = 1
    for char in inside:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth == 0:
            return True
    return False


def looks_like_path(typed: str) -> bool:
    """Text the shell's own path completion should handle."""
    return typed.startswith((".", "~", os.sep)) or os.sep in typed


def dataset_items(names: dict[str, Any], typed: str, installed: list[str]) -> list[Item]:
    """Completions of a dataset argument: ``PREFIX:NAME`` of each resolver that lists its
    names (``bundled:music``), the installed datasets' plain names, and the files and
    folders here that start the same way. Nothing for a path, or when no name matches, so
    the shell completes paths itself."""
    if looks_like_path(typed):
        return []
    known = [(f"{prefix}:{name}", f"{prefix} dataset")
             for prefix, listed in sorted(names.get("resolved", {}).items()) for name in listed]
    known += [(name, "installed dataset") for name in installed]
    hits = [(value, text) for value, text in known if value.startswith(typed)]
    return hits + _local_entries(typed) if hits else []


def _local_entries(typed: str) -> list[Item]:
    """Files and folders of the current folder starting with ``typed`` (folders end in /)."""
    try:
        entries = sorted(Path.cwd().iterdir())
    except OSError:
        return []
    return [(p.name + ("/" if p.is_dir() else ""), "") for p in entries
            if p.name.startswith(typed) and not p.name.startswith(".")]


def installer_items(names: dict[str, Any], typed: str) -> list[Item]:
    """Registered dataset installer names starting with ``typed`` (case-insensitive); none for
    a path (``crowd install my_seed.py``)."""
    if looks_like_path(typed):
        return []
    low = typed.lower()
    return [(d["name"], d["summary"]) for d in names.get("datasets", []) if d["name"].lower().startswith(low)]
