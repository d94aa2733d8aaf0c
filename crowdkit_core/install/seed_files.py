"""``crowd install path/to/dataset.py``: installer files brought by the user.

Two conventions are accepted. A file defining a
:class:`~crowdkit_core.installers.DatasetInstaller` subclass is installed like a registered
one (data home, cache, checksums, atomic rename), under the file's stem. A peerannot
installer, a class with a ``setfolders()`` method, is run as peerannot runs it: the class is
built (with the given options as keyword arguments, crowdkit's extension; none for a plain
peerannot file) and ``setfolders()`` writes the dataset where that file decides (usually the
file's own folder); the result is then checked. A file named ``customDataset.py`` gets
peerannot's eleven ``install`` options as ``setfolders`` arguments, with peerannot's
defaults and checks, and writes into the current folder, as with ``peerannot install``.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

from crowdkit_core.errors import DatasetError, StrategyFailed
from crowdkit_core.install.download import Reporter
from crowdkit_core.installers import DatasetInstaller


def install_from_file(
    path: Path, *, directory: str | os.PathLike[str] | None = None, force: bool = False,
    options: Mapping[str, str | bool], reporter: Reporter | None = None,
    log: Callable[[str], None] | None = None, from_file: str | os.PathLike[str] | None = None,
) -> Any:
    """Run the installer defined in ``path`` (see the module doc); returns an InstallResult."""
    from crowdkit_core.install.jobs import InstallResult, run_installer

    module = _load(path)
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if c.__module__ == module.__name__]
    ours = [c for c in classes if issubclass(c, DatasetInstaller) and not inspect.isabstract(c)]
    if ours:
        return run_installer(ours[0], path.stem, directory=directory, force=force,
                             from_file=from_file, options=options, reporter=reporter, log=log)
    seeds = [c for c in classes if callable(getattr(c, "setfolders", None))]
    if not seeds:
        raise DatasetError(f"{path}: defines no DatasetInstaller subclass and no class with a "
                           "setfolders() method; see docs/datasets.md for the installer format")
    if path.stem == "customDataset":
        folder = _run_custom(seeds[0], path, options)
    else:
        folder = _run_setfolders(seeds[0], path, options)
    from crowdkit_core.dataset import load_dataset

    if (folder / "answers.json").is_file():
        load_dataset(folder)  # a broken result is reported now, not at first use
    return InstallResult(path.stem, folder, True, {"installer_file": str(path)})


def _load(path: Path) -> Any:
    if not path.is_file():
        raise DatasetError(f"{path}: no such installer file; check the path")
    name = f"crowdkit_installer_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DatasetError(f"{path}: cannot be loaded as a Python module; check the file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise DatasetError(f"{path}: importing it failed ({type(exc).__name__}: {exc}); fix the "
                           "file or install what it imports") from None
    return module


def _run_setfolders(cls: type, path: Path, options: Mapping[str, Any]) -> Path:
    """Build ``cls(**options)`` and call its ``setfolders()``; the folder it filled."""
    kwargs = {k.replace("-", "_"): v for k, v in options.items()}
    try:
        instance = cls(**kwargs)
    except TypeError as exc:
        raise DatasetError(f"{path}: {cls.__name__} does not accept these options ({exc}); "
                           "check the options the file expects") from None
    try:
        instance.setfolders()
    except Exception as exc:
        raise StrategyFailed(f"{path}: {cls.__name__}.setfolders() failed "
                             f"({type(exc).__name__}: {exc}); the installer file has a bug or "
                             "needs a file it did not find") from exc
    folder = getattr(instance, "DIR", None)
    return Path(folder) if folder else path.parent


#: peerannot's ``install`` options for customDataset.py, in the order it passes them to
#: ``setfolders``, with its defaults (``test_ground_truth_format`` -1: as ``answers_format``).
CUSTOM_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("no_task", False), ("answers_format", 0), ("answers", ""), ("metadata", ""),
    ("label_names", ""), ("files_path", ""), ("train_path", ""),
    ("test_ground_truth_format", -1), ("test_ground_truth", ""), ("test_path", ""),
    ("val_path", ""),
)


def custom_arguments(path: Path, options: Mapping[str, Any]) -> list[Any]:
    """The ``setfolders`` arguments of a customDataset.py, typed as peerannot's click
    options type them, with its checks (one-line errors instead of its exit 1)."""
    defaults = dict(CUSTOM_OPTIONS)
    values = dict(defaults)
    for key, value in options.items():
        name = key.replace("-", "_")
        if name not in defaults:
            raise DatasetError(f"{path}: unknown option --{key}; customDataset.py takes "
                               + ", ".join(f"--{n.replace('_', '-')}" for n in defaults))
        if name == "no_task":
            values[name] = value is True or str(value).lower() in ("1", "true", "yes")
        elif isinstance(defaults[name], int):
            try:
                values[name] = int(str(value))
            except ValueError:
                raise DatasetError(f"{path}: --{key} {value!r} is not an integer; use 0 "
                                   "(Rodrigues matrix), 1 (task->worker JSON) or 2 "
                                   "(worker->task JSON)") from None
        else:
            values[name] = "" if value is True else str(value)
    if not values["answers"]:
        raise DatasetError(f"{path}: --answers FILE is required (the annotations to convert)")
    if not values["no_task"]:
        for name in ("train_path", "files_path"):
            if not values[name]:
                raise DatasetError(f"{path}: --{name.replace('_', '-')} is required unless "
                                   "--no-task is given")
    if values["test_ground_truth_format"] == -1:
        values["test_ground_truth_format"] = values["answers_format"]
    return [values[name] for name, _ in CUSTOM_OPTIONS]


def _run_custom(cls: type, path: Path, options: Mapping[str, Any]) -> Path:
    """peerannot's customDataset protocol: ``cls()`` then ``setfolders(<the 11 options>)``;
    it writes into the current folder, which is returned."""
    arguments = custom_arguments(path, options)
    try:
        instance = cls()
    except TypeError as exc:
        raise DatasetError(f"{path}: {cls.__name__}() cannot be built without arguments "
                           f"({exc}), as peerannot builds it") from None
    try:
        instance.setfolders(*arguments)
    except Exception as exc:
        raise StrategyFailed(f"{path}: {cls.__name__}.setfolders() failed "
                             f"({type(exc).__name__}: {exc}); check the files given with "
                             "--answers, --train-path and --files-path") from exc
    return Path.cwd()
