"""MkDocs hook: ``reference/cli.md``, generated at build time from the ``crowd`` Typer app.

Every command and subcommand, with plugin commands (those of the installed plugins, such as
``crowdkit-deep``'s ``train``), its usage line, help text, and each argument and option with
its spellings, type, default and help, read from ``typer.main.get_command(create_app())``:
the text ``crowd CMD --help`` shows, so the page cannot drift from the code. Nothing of it is
committed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mdtable import code, escape, prose, render, slug

PAGE = "reference/cli.md"


@dataclass(frozen=True)
class CommandDoc:
    """One command of the tree: its full name (``crowd datasets list``), click object and
    click context (for the usage line and help records)."""

    path: str
    command: Any
    context: Any

    @property
    def anchor_title(self) -> str:
        return f"`{self.path}`"


def plain(help_text: str | None) -> str:
    """Help text as ``--help`` shows it: Rich markup resolved (``\\[`` becomes ``[``)."""
    from rich.text import Text

    return Text.from_markup(help_text or "").plain


def paragraphs(help_text: str | None) -> list[str]:
    """The paragraphs of a command's help (blank-line separated; click's ``\\b`` dropped)."""
    text = plain(help_text).replace("\b", "")
    return [prose(p) for p in re.split(r"\n\s*\n", text) if p.strip()]


def walk(command: Any, path: str = "crowd", parent: Any = None) -> list[CommandDoc]:
    """``command`` and every subcommand below it, depth first, in registration order."""
    context = type(command).context_class(command, info_name=path.rsplit(" ", 1)[-1], parent=parent)
    docs = [CommandDoc(path, command, context)]
    for name, sub in (getattr(command, "commands", None) or {}).items():
        if not getattr(sub, "hidden", False):
            docs += walk(sub, f"{path} {name}", context)
    return docs


def usage(doc: CommandDoc) -> str:
    """``crowd aggregate [OPTIONS] {dataset}``: the usage line of ``--help``."""
    return " ".join([doc.path, *doc.command.collect_usage_pieces(doc.context)])


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False)) or bool(getattr(param, "count", False))


def param_row(param: Any, context: Any) -> list[str] | None:
    """Spellings, type, default and help of one parameter (None for a hidden one)."""
    if getattr(param, "hidden", False):
        return None
    shown, record_help = param.get_help_record(context) or ("", "")
    own_help = plain(param.help)
    is_argument = param.param_type_name == "argument"
    spellings = [param.name.upper()] if is_argument else [*param.opts, *param.secondary_opts]
    type_text = "flag" if _is_flag(param) else _type_text(shown, spellings)
    # Typer appends "[default: X]" / "[required]" to the help; a help may also state the
    # default it resolves to later (options whose click default is None).
    added = plain(record_help).replace(own_help, "", 1)
    default = _default_text(param, added) or _default_text(param, own_help) or _bare_default(param)
    if param.multiple and "repeat" not in own_help.lower():
        own_help += " (repeatable)"
    return [", ".join(code(s) for s in spellings), escape(type_text), default, prose(own_help)]


def _type_text(shown: str, spellings: list[str]) -> str:
    """The metavar ``--help`` prints after the spellings (``<str>``, ``[a|b]``), bare."""
    rest = shown
    for spelling in sorted({*spellings, *(s.lower() for s in spellings)}, key=len, reverse=True):
        rest = rest.replace(spelling, "")
    rest = rest.strip(" ,/").removeprefix("...").strip()
    return rest[1:-1] if rest.startswith("<") and rest.endswith(">") else rest


def _default_text(param: Any, text: str) -> str:
    """``required`` or the ``[default: X]`` that ``text`` states, else empty."""
    if param.required:
        return "required"
    match = re.search(r"\[default: (.*?)\]", text)
    return code(match.group(1)) if match else ""


def _bare_default(param: Any) -> str:
    default = param.default
    if default is None or default == () or default == [] or callable(default):
        return "–"
    if _is_flag(param):
        return "on" if default else "off"
    return code(default)


def render_command(doc: CommandDoc, level: int) -> str:
    """The section of one command: heading, usage, help, parameter table, subcommands."""
    command = doc.command
    lines = [f"{'#' * level} `{doc.path}`", ""]
    panel = getattr(command, "rich_help_panel", None)
    if panel:
        lines += [f"*{escape(panel)}*", ""]
    lines += ["```text", usage(doc), "```", ""]
    for paragraph in paragraphs(command.help):
        lines += [paragraph, ""]
    rows = [row for p in command.params if (row := param_row(p, doc.context))]
    if rows:
        lines += [render(["argument or option", "type", "default", "help"], rows), ""]
    subs = [n for n, c in (getattr(command, "commands", None) or {}).items() if not c.hidden]
    if subs:
        names = ", ".join(f"[`{doc.path} {n}`](#{slug(f'{doc.path} {n}')})" for n in subs)
        lines += [f"Subcommands: {names}.", ""]
    return "\n".join(lines)


def render_reference(group: Any) -> str:
    """The whole page for the click group ``group`` (the ``crowd`` app)."""
    docs = walk(group)
    root, commands = docs[0], docs[1:]
    intro = [
        "# Command-line reference",
        "",
        "Generated when the docs are built, from the `crowd` application itself (the Typer "
        "app of `crowdkit_core.cli.app.create_app`, with the commands of every installed "
        "plugin): each command's usage line, help, and every argument and option with its "
        "spellings, type and default, as `crowd COMMAND --help` prints them. The hand-written "
        "[command guide](../cli.md) explains them with examples.",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    for doc in commands:
        summary = paragraphs(doc.command.get_short_help_str(limit=300) or doc.command.help)
        intro.append(f"| [`{doc.path}`](#{slug(doc.path)}) | {summary[0] if summary else ''} |")
    sections = [render_command(root, 2)]
    sections += [render_command(doc, 2 + doc.path.count(" ") - 1) for doc in commands]
    return "\n".join(intro) + "\n\n" + "\n".join(sections)


def crowd_command() -> Any:
    """The click group of a fresh ``crowd`` app, plugin commands included."""
    import typer.main

    from crowdkit_core.cli.app import create_app

    return typer.main.get_command(create_app())


def on_files(files, config):
    """Add the generated page to the site."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PAGE, content=render_reference(crowd_command())))
    return files
