"""``crowd datasets list``, ``crowd datasets info`` and ``crowd install``: parse and dispatch
to :mod:`crowdkit_core.install`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from crowdkit_core.cli.common import handle_user_errors, print_json, stderr, stdout, warn_plugin_failures

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
DirOption = Annotated[Optional[Path], typer.Option(
    "--dir", help="Data home to use (default: $CROWDKIT_DATA_HOME, else the user data folder).")]

datasets_app = typer.Typer(help="Dataset installers: what can be installed, and what is.",
                           no_args_is_help=True)


def _count(value: Any) -> str:
    return "?" if value is None else f"{value:,}"


@datasets_app.command("list")
@handle_user_errors
def list_datasets(directory: DirOption = None, as_json: JsonOption = False) -> None:
    """List every dataset an installed plugin can install, and whether it is installed."""
    from crowdkit_core.install.catalog import dataset_rows, human_bytes
    from crowdkit_core.plugins import get_registry

    rows = dataset_rows(directory)
    if as_json:
        print_json(rows)
        return
    warn_plugin_failures(get_registry())
    if not rows:
        stdout.print("No dataset installers found: pip install crowdkit-datasets (or a plugin that "
                     "registers some).", markup=False)
        return
    wide = stdout.width >= 120
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    table.add_column("name", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    for header in ("tasks", "workers", "answers", "K", "size"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("licence", max_width=None if wide else 11)
    table.add_column("status", no_wrap=True)
    if wide:
        table.add_column("citation", overflow="fold")
    for row in rows:
        if "error" in row:
            table.add_row(row["name"], "-", "", "", "", "", "", "", "error (--json)")
            continue
        status = "installed" if row["installed"] else "manual" if row["manual"] else ""
        cells = [row["name"], row["kind"], _count(row["n_tasks"]), _count(row["n_workers"]),
                 _count(row["n_answers"]), _count(row["n_classes"]), human_bytes(row["download_size"]),
                 row["license"], status]
        table.add_row(*cells, *([row["citation"]] if wide else []))
    stdout.print(table)
    if not wide:
        stdout.print("status: installed, or manual (part of it is downloaded by hand: --from).\n"
                     "Citations and sources: crowd datasets info NAME, or --json.", markup=False)


@datasets_app.command("info")
@handle_user_errors
def info(
    name: Annotated[str, typer.Argument(help="Dataset name (see `crowd datasets list`).")],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a dataset in full: source, licence, citation, files, options, and where it is installed."""
    from crowdkit_core.install.catalog import dataset_details, human_bytes

    details = dataset_details(name, directory)
    if as_json:
        print_json(details)
        return
    say = lambda text: stdout.print(text, markup=False)  # noqa: E731
    say(f"{details['name']}: {details['title']}")
    for label, key in (("kind", "kind"), ("licence", "license"), ("licence notes", "license_notes"),
                       ("citation", "citation"),
                       ("homepage", "homepage"), ("plugin", "plugin")):
        if details.get(key):
            say(f"  {label}: {details[key]}")
    say(f"  size: {_count(details['n_tasks'])} tasks, {_count(details['n_workers'])} workers, "
        f"{_count(details['n_answers'])} answers, {_count(details['n_classes'])} classes; "
        f"download {human_bytes(details['download_size'])}")
    if details["notes"]:
        say(f"  notes: {details['notes']}")
    if details["manual"]:
        say(f"  manual download: {details['manual_instructions']}")
    for file in details["files"]:
        pin = (f"sha256 {file['sha256']}" if file["sha256"] else
               f"md5 {file['md5']}" if file["md5"] else "digest recorded at first download")
        say(f"  file: {file['url']} ({pin})")
    for option in details["options"]:
        flag = f"--{option['name']}" + ("" if option["flag"] else " VALUE")
        extra = f" (default {option['default']})" if option["default"] is not None else ""
        say(f"  option {flag}: {option['help']}{extra}")
    if details["installed"]:
        say(f"  installed: {details['path']}")
        for entry in details["contents"]:
            say(f"    {entry['name']}: {entry['files']} files, {human_bytes(entry['bytes'])}")
    else:
        say(f"  installed: no (crowd install {details['name']}; data home {details['data_home']})")


class _RichReporter:
    """Draws one rich progress bar per download on stderr (sizes, speed, time left)."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn,
        )

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 TransferSpeedColumn(), TimeRemainingColumn(), console=stderr,
                                 transient=False, disable=not stderr.is_terminal)
        self.task: Any = None

    def start(self, name: str, total: int | None, done: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task(name, total=total, completed=done)

    def advance(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def finish(self) -> None:
        self.progress.stop()


def _installer_options(name: str, extra: list[str]) -> dict[str, str | bool]:
    """``--key value`` / ``--key=value`` / ``--flag`` words after NAME, by the installer's
    declared options (flags take no value)."""
    from crowdkit_core.errors import DatasetError
    from crowdkit_core.install.jobs import installer_class

    flags: set[str] = set()
    if not name.endswith(".py"):
        cls, _ = installer_class(name)
        flags = {o.name for o in cls.options if o.flag}
    options: dict[str, str | bool] = {}
    words = list(extra)
    while words:
        word = words.pop(0)
        if not word.startswith("--") or word == "--":
            raise DatasetError(f"{name}: unexpected argument {word!r}; installer options are "
                               "written --name VALUE (see `crowd datasets info NAME`)")
        key, eq, value = word[2:].partition("=")
        if eq:
            options[key] = value
        elif key in flags or not words or words[0].startswith("--"):
            options[key] = True
        else:
            options[key] = words.pop(0)
    return options


@handle_user_errors
def install(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name (`crowd datasets list`), or a .py installer file.")],
    directory: DirOption = None,
    force: Annotated[bool, typer.Option("--force", help="Reinstall even if already installed.")] = False,
    from_file: Annotated[Optional[Path], typer.Option(
        "--from", help="The archive you downloaded by hand, for datasets that need it.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of random splits (validation sets).")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Install a dataset into the data home; afterwards NAME works as a dataset argument.

    Installer options follow NAME as --key VALUE (see `crowd datasets info NAME`).
    """
    from crowdkit_core.install.jobs import install_dataset

    options = _installer_options(name, list(ctx.args))
    result = install_dataset(
        name, directory=directory, force=force, from_file=from_file, options=options, seed=seed,
        reporter=_RichReporter(), log=lambda line: stderr.print(line, markup=False))
    if as_json:
        print_json({"name": result.name, "path": str(result.folder), "installed": result.installed,
                    "record": result.record})
    elif result.installed:
        stdout.print(f"Installed {result.name} into {result.folder}", markup=False)
    else:
        stdout.print(f"{result.name} is already installed at {result.folder} (--force reinstalls)",
                     markup=False)
