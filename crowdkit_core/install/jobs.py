"""The ``crowd install`` and ``crowd datasets`` jobs as library calls.

:func:`install_dataset` builds a dataset in a temporary folder next to its target and renames
it into place only when the build succeeded and the result loads, so a failed or interrupted
install leaves no half-made dataset; downloads stay in the cache, so running it again
continues where it stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from crowdkit_core.errors import CrowdkitError, DatasetError, StrategyFailed
from crowdkit_core.install.context import InstallContext
from crowdkit_core.install.download import Reporter, SilentReporter
from crowdkit_core.install.home import (
    INSTALL_RECORD, LockFile, cache_dir, data_home, installed_folder, read_record,
)
from crowdkit_core.install.layout import check_layout
from crowdkit_core.installers import DatasetInstaller, InstallerOption


@dataclass
class InstallResult:
    """Where a dataset was installed, and whether this call installed it."""

    name: str
    folder: Path
    installed: bool
    record: dict[str, Any] = field(default_factory=dict)


def installer_class(name: str) -> tuple[type[DatasetInstaller], Any]:
    """The installer class registered as ``name`` and its registration."""
    from crowdkit_core.plugins import get_registry

    registry = get_registry()
    info = registry.get_dataset(name)
    if info is None:
        known = ", ".join(d.name for d in registry.datasets()) or "none (install crowdkit-datasets)"
        raise DatasetError(f"{name}: no dataset installer of that name; available: {known} "
                           "(`crowd datasets list`)")
    try:
        cls = info.load()
    except Exception as exc:
        raise StrategyFailed(
            f"{name}: the installer of plugin {info.plugin!r} failed to load "
            f"({type(exc).__name__}: {exc}); fix or disable the plugin "
            f"(CROWDKIT_DISABLE_PLUGINS={info.plugin})") from exc
    if not (isinstance(cls, type) and issubclass(cls, DatasetInstaller)):
        raise StrategyFailed(f"{name}: plugin {info.plugin!r} registered {cls!r}, not a "
                             "DatasetInstaller subclass; fix the plugin")
    return cls, info


def parse_options(cls: type[DatasetInstaller], given: Mapping[str, str | bool], name: str) -> dict[str, str | bool]:
    """``given`` checked against the installer's declared options, defaults filled in."""
    declared: dict[str, InstallerOption] = {o.name: o for o in cls.options}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        accepted = ", ".join(f"--{o}" for o in declared) or "none"
        raise DatasetError(f"{name}: unknown option --{unknown[0]}; this installer accepts: {accepted}")
    options: dict[str, str | bool] = {}
    for key, option in declared.items():
        value = given.get(key, option.default if not option.flag else False)
        if option.flag:
            value = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        elif value is not None:
            value = str(value)
            if option.choices and value not in option.choices:
                raise DatasetError(f"{name}: --{key} {value!r} is not one of {', '.join(option.choices)}")
        elif option.required:
            raise DatasetError(f"{name}: --{key} is required ({option.help})")
        if value is not None:
            options[key] = value
    return options


def install_dataset(
    name: str,
    *,
    directory: str | os.PathLike[str] | None = None,
    force: bool = False,
    from_file: str | os.PathLike[str] | None = None,
    options: Mapping[str, str | bool] | None = None,
    seed: int = 0,
    reporter: Reporter | None = None,
    log: Callable[[str], None] | None = None,
) -> InstallResult:
    """Install dataset ``name`` (a registered installer, or a ``.py`` installer file) into the
    data home ``directory``; afterwards ``name`` works as a dataset argument everywhere."""
    if str(name).endswith(".py"):
        from crowdkit_core.install.seed_files import install_from_file

        return install_from_file(Path(name), directory=directory, force=force,
                                 options=options or {}, reporter=reporter, log=log)
    cls, _ = installer_class(name)
    return run_installer(cls, name, directory=directory, force=force, from_file=from_file,
                         options=options or {}, seed=seed, reporter=reporter, log=log)


def run_installer(
    cls: type[DatasetInstaller], name: str, *, directory: str | os.PathLike[str] | None = None,
    force: bool = False, from_file: str | os.PathLike[str] | None = None,
    options: Mapping[str, str | bool], seed: int = 0, reporter: Reporter | None = None,
    log: Callable[[str], None] | None = None,
) -> InstallResult:
    """Build ``cls``'s dataset and rename it into ``<home>/<folder name>`` (see module doc)."""
    say = log or (lambda message: None)
    home = data_home(directory)
    chosen = parse_options(cls, options, name)
    installer = cls()
    folder_name = installer.folder_name(chosen) or name
    _check_folder_name(folder_name, name)
    target = home / folder_name
    existing = installed_folder(home, folder_name)
    if existing is not None and not force:
        return InstallResult(folder_name, existing, False, read_record(existing))
    if target.exists() and existing is None and not force:
        raise DatasetError(f"{target}: exists but is not an installed dataset (no {INSTALL_RECORD}); "
                           "move it away or pass --force to replace it")
    manual = Path(from_file).expanduser() if from_file is not None else None
    if manual is None and installer.needs_manual_file(chosen):
        raise DatasetError(f"{name}: part of this dataset must be downloaded by hand. "
                           f"{' '.join(cls.card.manual_instructions.split())} Then run "
                           f"`crowd install {name} --from FILE`")
    if manual is not None:
        if not manual.is_file():
            raise DatasetError(f"{manual}: no such file; pass the downloaded archive to --from")
        installer.check_manual_file(manual)
    if cls.card.license:
        say(f"{folder_name}: licence {cls.card.license}")
    home.mkdir(parents=True, exist_ok=True)
    _remove_stale_work(home, folder_name)
    work = Path(tempfile.mkdtemp(prefix=f".{folder_name}.partial-", dir=home))
    scratch = work / ".scratch"
    scratch.mkdir()
    ctx = InstallContext(folder=work, scratch=scratch, cache=cache_dir(home), lock=LockFile(home),
                         from_file=manual, options=chosen, seed=seed,
                         reporter=reporter or SilentReporter(), log=say)
    try:
        if manual is not None:
            ctx.record_manual(manual)
        for remote in cls.files:
            ctx.fetch(remote)
        try:
            installer.build(ctx)
        except CrowdkitError:
            raise
        except Exception as exc:
            raise StrategyFailed(f"{name}: the installer failed ({type(exc).__name__}: {exc}); "
                                 "this is a bug in the installer, please report it") from exc
        shutil.rmtree(scratch)
        _check_built(work, name)
        record = _record(cls, name, folder_name, chosen, ctx, seed)
        (work / INSTALL_RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
        _swap_into_place(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return InstallResult(folder_name, target, True, record)


def _check_folder_name(folder_name: str, name: str) -> None:
    if folder_name.startswith(".") or any(c in folder_name for c in "/\\:") or not folder_name.strip():
        raise DatasetError(f"{name}: {folder_name!r} cannot name a dataset folder; use letters, "
                           "digits, '-' and '_'")


def _remove_stale_work(home: Path, folder_name: str) -> None:
    """Delete temporary folders left by an install of ``folder_name`` that was killed."""
    for stale in home.glob(f".{folder_name}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _check_built(work: Path, name: str) -> None:
    """The built folder must load as a dataset and its splits must match its answers."""
    from crowdkit_core.dataset import load_dataset

    try:
        data = load_dataset(work)
    except DatasetError as exc:
        raise StrategyFailed(f"{name}: the installer built a dataset that does not load ({exc}); "
                             "this is a bug in the installer, please report it") from None
    problems = check_layout(work, data)
    if problems:
        raise StrategyFailed(f"{name}: the installer built an inconsistent dataset: {problems[0]}; "
                             "this is a bug in the installer, please report it")


def _record(cls: type[DatasetInstaller], name: str, folder_name: str, options: dict[str, Any],
            ctx: InstallContext, seed: int) -> dict[str, Any]:
    from crowdkit_core.plugins import get_registry

    info = get_registry().get_dataset(name)
    return {
        "name": folder_name,
        "installer": name,
        "plugin": getattr(info, "plugin", None),
        "installer_class": f"{cls.__module__}:{cls.__qualname__}",
        "options": options,
        "seed": seed,
        "files": dict(sorted(ctx.used.items())),
        "license": cls.card.license,
        "citation": cls.card.citation,
    }


def _swap_into_place(work: Path, target: Path) -> None:
    """Rename ``work`` to ``target``; an existing ``target`` (a --force reinstall) is set aside
    first and deleted only once the new folder is in place."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    try:
        os.replace(work, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
