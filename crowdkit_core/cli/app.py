"""Builds the ``crowd`` Typer application (a factory, so tests get a fresh app)."""

from __future__ import annotations

from typing import Annotated

import typer

from crowdkit_core import __version__


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"crowd (crowdkit-core) {__version__}")
        raise typer.Exit()


def create_app() -> typer.Typer:
    """A new ``crowd`` app: the built-in commands, then those plugins add
    (``crowdkit_register_commands``)."""
    from crowdkit_core.cli import (
        aggregate, data, datasets, evaluate, identify, report, scaffold, simulate, strategies,
    )

    from crowdkit_core.cli.usage import OneLineErrorGroup

    app = typer.Typer(
        name="crowd",
        cls=OneLineErrorGroup,
        help="crowdkit: aggregate crowdsourced labels with pluggable strategies.",
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_show_locals=False,
        rich_markup_mode="rich",
    )

    @app.callback()
    def root(
        version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")] = False,
    ) -> None:
        """crowdkit: aggregate crowdsourced labels with pluggable strategies."""

    app.command("list-strategies", rich_help_panel="Strategies")(strategies.list_strategies)
    app.command("describe", rich_help_panel="Strategies")(strategies.describe)
    app.command("plugins", rich_help_panel="Strategies")(strategies.plugins)
    app.command("validate", rich_help_panel="Data")(data.validate)
    app.command("aggregate", rich_help_panel="Aggregation")(aggregate.aggregate)
    app.command("identify", rich_help_panel="Identification")(identify.identify)
    app.add_typer(datasets.datasets_app, name="datasets", rich_help_panel="Data")
    app.command("install", rich_help_panel="Data", context_settings={
        "allow_extra_args": True, "ignore_unknown_options": True})(datasets.install)
    app.command("simulate", rich_help_panel="Data")(simulate.simulate)
    app.command("evaluate", rich_help_panel="Aggregation")(evaluate.evaluate)
    app.command("report", rich_help_panel="Identification")(report.report)
    app.command("new-plugin", rich_help_panel="Plugins")(scaffold.new_plugin)
    from crowdkit_core.cli.common import guard_plugin_command
    from crowdkit_core.plugins import get_registry

    get_registry().register_commands(app, guard=guard_plugin_command)
    return app


def main() -> None:
    """Console-script entry point.

    OpenBLAS runs single-threaded unless the user says otherwise: crowdkit's work is sparse
    and element-wise, and OpenBLAS threads only add overhead there (GLAD's L-BFGS-B and
    M-MSR ran 2 to 40 times slower with them on a busy 2-core machine).
    """
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from crowdkit_core.completion import completing, completion_command

    app = create_app()
    if completing():  # a shell asks for completions: strategy and dataset names too
        completion_command(app)(prog_name="crowd")
    else:
        app(prog_name="crowd")
