"""``crowd list-strategies``, ``crowd describe`` and ``crowd plugins``."""

from __future__ import annotations

import fnmatch
import inspect
import textwrap
from typing import Annotated, Any, Optional

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


def _tags_json(tags: Any) -> dict[str, Any]:
    """A strategy's capability tags as JSON-ready values."""
    import dataclasses

    return {k: (dict(v) if k == "xfail" else v) for k, v in dataclasses.asdict(tags).items()}


def _tags_text(tags: Any) -> str:
    """The tags that say something, in one line (e.g. ``classes 2-2, iterative``)."""
    parts = [f"classes {tags.min_classes}-{tags.max_classes or 'any'}"]
    parts += [name.replace("_", " ") for name in ("can_abstain", "uses_gold", "warm_start", "iterative")
              if getattr(tags, name)]
    if tags.engines:
        parts.append("engines " + ", ".join(tags.engines))
    return ", ".join(parts)


def _indented(text: str) -> str:
    """``text`` wrapped to the terminal's width under a six-space indent."""
    return textwrap.fill(text, width=max(40, stdout.width - 1), initial_indent=" " * 6,
                         subsequent_indent=" " * 6)


def _reflow(doc: str) -> str:
    """A docstring with its prose paragraphs joined into single lines (the terminal wraps
    them at its width); indented blocks such as formulas keep their lines."""
    paragraphs = []
    for block in doc.split("\n\n"):
        lines = block.splitlines()
        if all(line and not line[0].isspace() for line in lines):
            paragraphs.append(" ".join(line.strip() for line in lines))
        else:
            paragraphs.append(block)
    return "\n\n".join(paragraphs)


@handle_user_errors
def list_strategies(
    pattern: Annotated[Optional[str], typer.Argument(help="Show only strategies whose name, alias or summary matches (glob or substring).")] = None,
    kind: Annotated[Optional[list[str]], typer.Option(help="Only this kind: aggregation, identification or trainer (repeatable).")] = None,
    as_json: JsonOption = False,
) -> None:
    """List installed strategies by kind, with aliases and the distribution providing each."""
    from crowdkit_core.errors import SpecError
    from crowdkit_core.plugins import get_registry
    from crowdkit_core.registry import KINDS

    for name in kind or ():
        if name not in KINDS:
            raise SpecError(f"--kind {name!r} is not a strategy kind; use one of {', '.join(KINDS)}")
    registry = get_registry()
    warn_plugin_failures(registry)
    infos = [i for i in registry.strategies() if (not kind or i.kind in kind)
             and _matches(pattern, i.all_names, i.summary)]
    if as_json:
        print_json([
            {"name": i.name, "aliases": list(i.aliases), "kind": i.kind, "summary": i.summary,
             "plugin": i.plugin, "distribution": i.distribution, "version": i.distribution_version}
            for i in infos
        ])
        return
    wide = stdout.width >= 110
    for group in KINDS:
        members = [i for i in infos if i.kind == group]
        if not members:
            continue
        table = Table(title=f"{group.capitalize()} strategies", title_justify="left", expand=False)
        # Fixed widths for every column but the summary, which gets the rest of the line:
        # left to itself, Rich shrinks all no-wrap columns alike, down to an empty name.
        widths = [max(len(i.name) for i in members),
                  min(24 if wide else 18, max(7, *(len(", ".join(i.aliases)) for i in members)))]
        if wide:
            widths.append(max(12, *(len(i.distribution) for i in members)))
        rest = stdout.width - sum(widths) - 3 * (len(widths) + 1) - 1
        table.add_column("name", no_wrap=True, width=widths[0])
        table.add_column("aliases", no_wrap=True, overflow="ellipsis", width=widths[1])
        table.add_column("summary", no_wrap=True, overflow="ellipsis", max_width=max(10, rest))
        if wide:
            table.add_column("distribution", no_wrap=True, overflow="ellipsis", width=widths[2])
        for i in members:
            row = [i.name, ", ".join(i.aliases), i.summary] + ([i.distribution] if wide else [])
            table.add_row(*row)
        stdout.print(table)
    if not infos:
        stdout.print("No strategy matches." if pattern or kind else "No strategy installed: pip install crowdkit-classic")


@handle_user_errors
def describe(
    strategy: Annotated[str, typer.Argument(help="Strategy name or alias, e.g. DS or dawid_skene.")],
    as_json: JsonOption = False,
) -> None:
    """Show a strategy's parameters (name, type, default, constraint, description) and reference."""
    from rich.markup import escape

    from crowdkit_core.estimator import describe_outputs
    from crowdkit_core.params import describe_parameters
    from crowdkit_core.plugins import get_registry
    from crowdkit_core.registry import kind_command
    from crowdkit_core.spec import parse_spec, resolve_spec

    registry = get_registry()
    warn_plugin_failures(registry)
    resolved = resolve_spec(parse_spec(strategy).name, registry)
    info, cls = resolved.info, resolved.strategy_class
    rows = describe_parameters(cls.Params)
    doc = inspect.getdoc(cls) or ""
    if as_json:
        print_json({
            "name": info.name, "aliases": list(info.aliases), "summary": info.summary,
            "reference": cls.reference or info.reference, "plugin": info.plugin,
            "distribution": info.distribution, "version": info.distribution_version,
            "kind": info.kind, "parameters": rows, "outputs": describe_outputs(cls),
            "fit_inputs": [{"name": i.name, "meaning": i.meaning} for i in cls.fit_inputs],
            "tags": _tags_json(cls.tags),
            "json_schema": cls.Params.model_json_schema(), "doc": doc,
        })
        return
    stdout.print(f"[bold]{escape(info.name)}[/bold]  {escape(info.summary)}")
    if info.aliases:
        stdout.print(f"Aliases: {escape(', '.join(info.aliases))}")
    stdout.print(f"Kind: {info.kind} (run with `{kind_command(info.kind)}`)")
    stdout.print(f"Reference: {escape(cls.reference or info.reference or '-')}", soft_wrap=False)
    stdout.print(f"Plugin: {escape(info.plugin)} ({escape(info.distribution)} {info.distribution_version})")
    if doc:
        stdout.print(_reflow(doc), markup=False, soft_wrap=False)
    stdout.print("\n[bold]Parameters[/bold]")
    for row in rows:
        facts = [row["type"], f"default {row['default']}"] + ([row["constraint"]] if row["constraint"] else [])
        stdout.print(f"  [bold]{escape(row['name'])}[/bold] ({escape('; '.join(facts))})", soft_wrap=False)
        stdout.print(_indented(row["description"]), markup=False)
    outputs = describe_outputs(cls)
    if outputs:
        stdout.print("\n[bold]Fitted outputs[/bold]")
        for out in outputs:
            stdout.print(f"  [bold]{escape(out['name'])}[/bold] ({escape(out['axis'])}, shape {escape(out['shape'])})")
            stdout.print(_indented(out["meaning"]), markup=False)
    if cls.fit_inputs:
        stdout.print("\n[bold]Per-task inputs[/bold], per-worker too (fit(data, NAME=...), --task-data NAME=FILE)")
        for item in cls.fit_inputs:
            stdout.print(f"  [bold]{escape(item.name)}[/bold]")
            stdout.print(_indented(item.meaning), markup=False)
    stdout.print(f"\nTags: {escape(_tags_text(cls.tags))}", soft_wrap=False)


@handle_user_errors
def plugins(as_json: JsonOption = False) -> None:
    """Show every crowdkit plugin found, whether it loaded, and what it registered."""
    from crowdkit_core.plugins import ENV_ALLOW, ENV_DISABLE, get_registry

    registry = get_registry()
    if as_json:
        print_json([s.as_dict() for s in registry.statuses])
        return
    from rich.markup import escape

    wide = stdout.width >= 110
    table = Table(title="Plugins", title_justify="left")
    table.add_column("plugin", no_wrap=True)
    table.add_column("distribution", no_wrap=True, overflow="ellipsis", max_width=30 if wide else 20)
    if wide:
        table.add_column("version", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("provides", no_wrap=True, overflow="ellipsis", ratio=1)
    for s in registry.statuses:
        colour = {"loaded": "green", "error": "red"}.get(s.status, "yellow")
        row = [escape(s.name), escape(s.distribution)] + ([s.version] if wide else [])
        table.add_row(*row, f"[{colour}]{s.status}[/{colour}]", escape(", ".join(s.provides())))
    stdout.print(table)
    for s in registry.statuses:
        if s.error:
            stdout.print(f"{s.name}: {s.error}", markup=False)
    stdout.print(f"Disable plugins or single strategies with {ENV_DISABLE}=name1,name2; load "
                 f"only some distributions with {ENV_ALLOW}=dist1,dist2.", soft_wrap=False)
