"""Writes a new plugin distribution from the templates in ``templates/``: the files of one
kind, rendered with the plugin's names, written as one set (all or nothing).

Rendering is a pure function of (NAME, kind) and the core's version, so the same arguments
always give the same bytes (no dates, no paths of the machine).
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Callable

from crowdkit_core import __version__
from crowdkit_core.errors import CrowdkitError
from crowdkit_core.scaffold.names import PluginNames, plugin_names

#: Template (folder/file under templates/) -> path in the generated distribution, per kind.
_COMMON = {
    "common/pyproject.toml.tmpl": "pyproject.toml",
    "common/README.md.tmpl": "README.md",
    "common/__init__.py.tmpl": "{package}/__init__.py",
}
MANIFESTS: dict[str, dict[str, str]] = {
    "aggregation": {**_COMMON,
                    "common/strategy_registration.py.tmpl": "{package}/registration.py",
                    "aggregation/strategy.py.tmpl": "{package}/strategy.py",
                    "common/strategy_test.py.tmpl": "tests/test_{snake}.py"},
    "identification": {**_COMMON,
                       "common/strategy_registration.py.tmpl": "{package}/registration.py",
                       "identification/method.py.tmpl": "{package}/method.py",
                       "common/strategy_test.py.tmpl": "tests/test_{snake}.py"},
    "dataset": {**_COMMON,
                "dataset/registration.py.tmpl": "{package}/registration.py",
                "dataset/installer.py.tmpl": "{package}/installer.py",
                "dataset/test.py.tmpl": "tests/test_{snake}.py"},
}

#: Kind-specific words and snippets of the README and pyproject.toml.
_KIND_TEXT: dict[str, dict[str, str]] = {
    "aggregation": {
        "noun": "aggregation strategy",
        "method": "_fit",
        "dependencies": '"crowdkit-core>={core}", "numpy>=1.24", "pydantic>=2.5"',
        "layout_line": "the parameters model and the strategy class: write `_fit` here",
        "test_line": "crowdkit's conformance kit over the strategy, and its registration",
        "write_it": ("Write `_fit` in `{package}/strategy.py`: it reads the dataset's answers and "
                     "sets `self.proba_`, an (n_tasks, K) array whose rows sum to 1 (`labels_` "
                     "follows from it). Declare every other fitted attribute in `outputs` and what "
                     "the strategy can do in `tags`; add parameters to `{class_name}Params`, each "
                     "with a description."),
        "try_it": ("$ crowd list-strategies {registered}\n"
                   "$ crowd describe {registered}\n"
                   "$ crowd aggregate bundled:music -s '{registered}[smoothing=0.5]' -o labels"),
    },
    "identification": {
        "noun": "identification method",
        "method": "_fit",
        "dependencies": '"crowdkit-core>={core}", "numpy>=1.24", "pydantic>=2.5"',
        "layout_line": "the parameters model and the method class: write `_fit` here",
        "test_line": "crowdkit's conformance kit over the method, and its registration",
        "write_it": ("Write `_fit` in `{package}/method.py`: it reads the dataset's answers and "
                     "sets `self.scores_`, one score per worker (higher is more reliable), or "
                     "per task with `axis = \"task\"`. Declare every fitted attribute in "
                     "`outputs`; add parameters to `{class_name}Params`, each with a description."),
        "try_it": ("$ crowd list-strategies {registered}\n"
                   "$ crowd describe {registered}\n"
                   "$ crowd identify bundled:music -s {registered} -o scores"),
    },
    "dataset": {
        "noun": "dataset installer",
        "method": "build",
        "dependencies": '"crowdkit-core>={core}"',
        "layout_line": "the dataset's card, downloads and options, and `build`: write it here",
        "test_line": "the installer against a local file server (offline), and its registration",
        "write_it": ("Fill in the card and the real download URLs (with their sha256) in "
                     "`{package}/installer.py`, then write `build`: it reads the downloaded files "
                     "and writes answers.json, metadata.json and truth.csv into `ctx.folder`. "
                     "Replace `SAMPLE` in the test by a few rows in the real file's format."),
        "try_it": ("$ crowd datasets info {registered}\n"
                   "$ crowd install {registered}\n"
                   "$ crowd aggregate {registered} -s MV"),
    },
}


#: Checks that a plugin's names are free; raises CrowdkitError when one is taken.
NameCheck = Callable[[PluginNames], None]


@dataclass(frozen=True)
class GeneratedPlugin:
    """What :func:`generate_plugin` wrote: the names, the folder and the files in it."""

    names: PluginNames
    folder: Path
    files: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready description (``crowd new-plugin --json``)."""
        n = self.names
        return {"name": n.registered_name, "kind": n.kind, "distribution": n.distribution,
                "package": n.package, "entry_point": n.entry_point, "class": n.class_qualname,
                "folder": str(self.folder), "files": list(self.files)}


def render_plugin(names: PluginNames) -> dict[str, bytes]:
    """Every file of the plugin ({relative path: bytes}), deterministic for ``names``."""
    text = _KIND_TEXT[names.kind]
    values = {
        "distribution": names.distribution, "package": names.package, "snake": names.snake,
        "entry_point": names.entry_point, "module": names.module, "kind": names.kind,
        "class_name": names.class_name, "class_qualname": names.class_qualname,
        "registered": names.registered_name,
        "summary": f"A crowdkit {text['noun']} (describe it in one line).",
    }
    values.update({key: value.format(core=__version__, **values) for key, value in text.items()})
    values["write_it"] = textwrap.fill(values["write_it"], width=92, break_on_hyphens=False)
    files = {}
    root = resources.files("crowdkit_core.scaffold") / "templates"
    for template, target in MANIFESTS[names.kind].items():
        source = (root / template).read_text(encoding="utf-8")
        files[target.format(**values)] = Template(source).substitute(values).encode("utf-8")
    return files


def generate_plugin(name: str, kind: str = "aggregation", directory: str | os.PathLike[str] | None = None,
                    *, force: bool = False, taken: NameCheck | None = None) -> GeneratedPlugin:
    """Write the plugin NAME of ``kind`` into ``directory`` (default ``./crowdkit-NAME``).

    Refuses (one-line :class:`CrowdkitError`) an invalid NAME, a name already registered by
    another installed distribution (``taken``, default: the installed plugins), and an
    existing non-empty folder unless ``force`` (then the generated files are overwritten and
    any other file is left alone).
    """
    names = plugin_names(name, kind)
    (taken or check_names_free)(names)
    folder = Path(directory) if directory is not None else Path.cwd() / names.distribution
    folder = folder.expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise CrowdkitError(f"{folder}: is a file; choose another --dir")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise CrowdkitError(f"{folder}: exists and is not empty; choose another --dir, or pass "
                            "--force to overwrite the generated files in it")
    files = render_plugin(names)
    from crowdkit_core.output import write_files_atomically

    try:
        write_files_atomically({folder / path: data for path, data in files.items()})
    except OSError as exc:
        raise CrowdkitError(f"{folder}: cannot write the plugin ({exc.strerror or exc}); "
                            "choose another --dir") from None
    return GeneratedPlugin(names, folder, tuple(sorted(files)))


def check_names_free(names: PluginNames) -> None:
    """Refuse names that an installed distribution other than the plugin's own already uses
    (a strategy or dataset name would clash when both are installed)."""
    from crowdkit_core.plugins import get_registry
    from crowdkit_core.registry import normalize_name

    registry = get_registry()
    if names.kind == "dataset":
        owner = registry.get_dataset(names.registered_name)
        what = "dataset"
    else:
        key = normalize_name(names.registered_name)
        owner = next((i for i in registry.strategies()
                      if key in {normalize_name(n) for n in i.all_names}), None)
        what = "strategy"
    if owner is not None and owner.distribution != names.distribution:
        raise CrowdkitError(
            f"plugin name {names.slug!r}: the {what} name {names.registered_name!r} is already "
            f"registered by {owner.distribution or owner.plugin} ({owner.name}); choose another name")
