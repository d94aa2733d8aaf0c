"""The name cache of shell completion: strategy names (with their parameters), dataset
installer names and the names dataset resolvers know, in one small JSON file.

Reading names back from the file imports nothing heavy; building them imports every
strategy class (numpy, pydantic, maybe torch) once. The file is keyed by a fingerprint of the
installed plugins, computed with :mod:`importlib.metadata` and ``stat`` only: distribution
names and versions, entry-point values, the plugin environment variables and the modification
times of the plugins' source files (an editable install changes code without a new version).
Installed datasets are not cached: they are listed from the data home at each completion.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from importlib import metadata, util
from pathlib import Path
from typing import Any

#: Overrides where the cache file lives (tests, read-only homes).
CACHE_ENV = "CROWDKIT_COMPLETION_CACHE"
#: Bumped when the file's layout changes, so an old file is rebuilt.
FORMAT = 1
#: At most this many source files are stamped per plugin package (bounds the cost).
MAX_STAMPED_FILES = 2000
#: The resolver whose names change with every install: read live, never cached.
LIVE_RESOLVER = "installed"

Names = dict[str, Any]


def cache_path() -> Path:
    """``$CROWDKIT_COMPLETION_CACHE``, else ``completion.json`` in the user's cache folder."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "crowdkit" / "Cache"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "crowdkit"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "crowdkit"
    return base / "completion.json"


def fingerprint() -> str:
    """A digest of what decides the names: installed ``crowdkit`` entry points, their
    distributions' versions, the plugin environment variables and the plugins' source files."""
    from crowdkit_core import PROJECT_NAME, __version__
    from crowdkit_core.plugins import ENV_ALLOW, ENV_DISABLE

    digest = hashlib.sha256(f"format {FORMAT} core {__version__}\n".encode())
    for variable in (ENV_DISABLE, ENV_ALLOW):
        digest.update(f"{variable}={os.environ.get(variable, '')}\n".encode())
    entry_points = sorted(metadata.entry_points(group=PROJECT_NAME),
                          key=lambda ep: (ep.name, ep.value))
    for ep in entry_points:
        dist = getattr(ep, "dist", None)
        digest.update(f"{dist.name if dist else ''} {dist.version if dist else ''} "
                      f"{ep.name}={ep.value}\n".encode())
        digest.update(_source_stamp(ep.value.split(":")[0].split(".")[0]).encode())
    digest.update(_source_stamp("crowdkit_core").encode())
    bundled = Path(__file__).resolve().parent.parent / "bundled"  # the bundled: datasets
    digest.update(f"{bundled} {bundled.stat().st_mtime_ns if bundled.is_dir() else 0}\n".encode())
    return digest.hexdigest()


def _source_stamp(package: str) -> str:
    """Modification times and sizes of a top-level package's .py files (found without
    importing it), so that edits of an editable install are noticed."""
    try:
        spec = util.find_spec(package)
    except (ImportError, ValueError):
        return f"{package}: missing\n"
    if spec is None:
        return f"{package}: missing\n"
    roots = [Path(p) for p in (spec.submodule_search_locations or [])]
    files = [p for root in roots for p in sorted(root.rglob("*.py"))][:MAX_STAMPED_FILES]
    if not roots and spec.origin:
        files = [Path(spec.origin)]
    lines = []
    for path in files:
        try:
            status = path.stat()
        except OSError:
            continue
        lines.append(f"{path} {status.st_mtime_ns} {status.st_size}")
    return "\n".join(lines) + "\n"


def load_names() -> Names:
    """The cached names when the file is fresh, else names rebuilt from the installed plugins
    (and written back; a cache folder that cannot be written only costs the rebuild)."""
    key = fingerprint()
    path = cache_path()
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = None
    if isinstance(cached, dict) and cached.get("fingerprint") == key:
        return cached
    names = build_names()
    names["fingerprint"] = key
    save_names(path, names)
    return names


def save_names(path: Path, names: Names) -> None:
    """Write the cache file atomically (a concurrent completion reads the old or the new one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".completion-", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(names, stream, indent=1, sort_keys=True)
        os.replace(temporary, path)
    except OSError:
        return


def build_names(registry: Any = None) -> Names:
    """Every completable name from the plugin registry, importing each strategy class once
    for its parameters (a class that fails to import is listed without parameters)."""
    from crowdkit_core.plugins import get_registry

    registry = registry or get_registry()
    strategies = [{"name": info.name, "aliases": list(info.aliases), "kind": info.kind,
                   "summary": info.summary, "params": _parameters(info)}
                  for info in registry.strategies()]
    datasets = [{"name": info.name, "aliases": list(info.aliases), "summary": info.summary}
                for info in registry.datasets()]
    resolved = {info.name: _known_names(info) for info in registry.resolvers()
                if info.name != LIVE_RESOLVER}
    return {"format": FORMAT, "strategies": strategies, "datasets": datasets,
            "resolved": resolved}


def _parameters(info: Any) -> list[dict[str, Any]]:
    """Name, description and choices (``Literal`` values, ``true``/``false``) of each
    parameter of a strategy; none when its class cannot be imported."""
    import typing

    try:
        fields = info.load().Params.model_fields
    except Exception:  # a broken or torch-less plugin: names still complete
        return []
    rows = []
    for name, field in fields.items():
        annotation = field.annotation
        choices: list[str] = []
        if typing.get_origin(annotation) is typing.Literal:
            choices = [str(c) for c in typing.get_args(annotation)]
        elif annotation is bool:
            choices = ["true", "false"]
        rows.append({"name": name, "help": " ".join((field.description or "").split()),
                     "choices": choices})
    return rows


def _known_names(info: Any) -> list[str]:
    """The names a resolver lists (its function's ``known_names()``), none if it lists none."""
    try:
        known = getattr(info.load(), "known_names", None)
        return sorted(str(n) for n in known()) if callable(known) else []
    except Exception:
        return []
