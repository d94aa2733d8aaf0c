"""``crowd list-strategies``, ``crowd describe`` and ``crowd plugins``."""

from __future__ import annotations

import fnmatch
from typing import Annotated, Optional

import typer
from rich.table import Table

from crowdkit_core.cli.common import handle_user_errors, print_json, stdout, warn_plugin_failures

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]


def _matches(pattern: str | None, names: tuple[str, ...], summary: str) -> bool:
    if not pattern:
        return True
    pattern = pattern.lower()
    glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
    return any(fnmatch.fnmatch(n.lower(), glob) for n in names) or pattern in summary.lower()


@handle_user_errors
def list_strategies(
    pattern: Annotated[Optional[str], typer.Argument(help="Show only strategies whose name, alias or summary matches (glob or substring).")] = None,
    kind: Annotated[Optional[str], typer.Option(help="Only this kind (aggregation, identification, deep).")] = None,
    as_json: JsonOption = False,
) -> None:
    """List installed strategies, with aliases and the plugin that provides each."""
    from crowdkit_core.plugins import get_registry

    registry = get_registry()
    warn_plugin_failures(registry)
    infos = [i for i in registry.strategies(kind) if _matches(pattern, i.all_names, i.summary)]
    if as_json:
        print_json([
            {"name": i.name, "aliases": list(i.aliases), "kind": i.kind, "summary": i.summary,
             "plugin": i.plugin, "distribution": i.distribution, "version": i.distribution_version}
            for i in infos
        ])
        return
    table = Table(title="Strategies", title_justify="left")
    for column in ("name", "aliases", "kind", "summary", "distribution"):
        table.add_column(column, overflow="fold")
    for i in infos:
        table.add_row(i.name, ", ".join(i.aliases), i.kind, i.summary, i.distribution)
    stdout.print(table)
    if not infos:
        stdout.print("No strategy matches." if pattern else "No strategy installed: pip install crowdkit-classic")


@handle_user_errors
def describe(
    strategy: Annotated[str, typer.Argument(help="Strategy name or alias, e.g. DS or dawid_skene.")],
    as_json: JsonOption = False,
) -> None:
    """Show a strategy's parameters (name, type, default, constraint, description) and reference."""
    from crowdkit_core.params import describe_parameters
    from crowdkit_core.plugins import get_registry
    from crowdkit_core.spec import parse_spec, resolve_spec

    registry = get_registry()
    warn_plugin_failures(registry)
    resolved = resolve_spec(parse_spec(strategy).name, registry)
    info, cls = resolved.info, resolved.strategy_class
    rows = describe_parameters(cls.Params)
    doc = (cls.__doc__ or "").strip()
    if as_json:
        print_json({
            "name": info.name, "aliases": list(info.aliases), "summary": info.summary,
            "reference": cls.reference or info.reference, "plugin": info.plugin,
            "distribution": info.distribution, "version": info.distribution_version,
            "parameters": rows, "json_schema": cls.Params.model_json_schema(), "doc": doc,
        })
        return
    stdout.print(f"[bold]{info.name}[/bold]  {info.summary}")
    if info.aliases:
        stdout.print(f"Aliases: {', '.join(info.aliases)}")
    stdout.print(f"Reference: {cls.reference or info.reference or '-'}")
    stdout.print(f"Plugin: {info.plugin} ({info.distribution} {info.distribution_version})")
    if doc:
        stdout.print(doc, markup=False)
    table = Table(title="Parameters", title_justify="left")
    for column in ("name", "type", "default", "constraint", "description"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(row[c] for c in ("name", "type", "default", "constraint", "description")))
    stdout.print(table)


@handle_user_errors
def plugins(as_json: JsonOption = False) -> None:
    """Show every crowdkit plugin found, whether it loaded, and what it registered."""
    from crowdkit_core.plugins import ENV_ALLOW, ENV_DISABLE, get_registry

    registry = get_registry()
    if as_json:
        print_json([s.as_dict() for s in registry.statuses])
        return
    table = Table(title="Plugins", title_justify="left")
    for column in ("plugin", "distribution", "version", "status", "provides", "error"):
        table.add_column(column, overflow="fold")
    for s in registry.statuses:
        colour = {"loaded": "green", "error": "red"}.get(s.status, "yellow")
        table.add_row(s.name, s.distribution, s.version, f"[{colour}]{s.status}[/{colour}]",
                      ", ".join(s.strategies + s.datasets), s.error)
    stdout.print(table)
    stdout.print(f"Disable plugins with {ENV_DISABLE}=name1,name2; load only some distributions with {ENV_ALLOW}=dist1,dist2.")
