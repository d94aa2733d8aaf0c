"""Documentation covers every command, option, hook, strategy and parameter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_cli_command_and_option_is_documented():
    import typer.main

    from crowdkit_core.cli.app import create_app

    text = (DOCS / "cli.md").read_text()
    group = typer.main.get_command(create_app())
    commands = {}
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        if subcommands:  # a group such as `crowd datasets`: each subcommand has its section
            commands.update({f"{name} {sub}": c for sub, c in subcommands.items()})
        else:
            commands[name] = command
    for name, command in commands.items():
        assert f"`crowd {name}" in text, f"command {name} missing from docs/cli.md"
        section = text.split(f"`crowd {name}", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            opts = [o for o in param.opts if o.startswith("--")] or [param.name.upper()]
            assert any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", section) for o in opts), \
                f"{name}: {opts} missing from docs/cli.md"


def test_every_hook_is_documented():
    from crowdkit_core import hookspecs

    text = (DOCS / "plugins.md").read_text()
    for name in dir(hookspecs):
        if name.startswith("crowdkit_"):
            assert re.search(rf"### `{name}\((register|app)\)`", text), f"{name} not in docs/plugins.md"


def _strategy_pages():
    from crowdkit_core.plugins import PluginRegistry

    for info in PluginRegistry().strategies():
        if info.kind == "identification":  # one page per method, named after it
            yield pytest.param(info, DOCS / "identification" / f"{info.name}.md", id=info.name)
            continue
        module = info.target.split(":")[0].rsplit(".", 1)[-1]
        folder = "deep" if info.kind == "trainer" else "strategies"  # trainers: docs/deep/
        yield pytest.param(info, DOCS / folder / f"{module}.md", id=info.name)


@pytest.mark.parametrize("info, page", list(_strategy_pages()))
def test_every_strategy_and_parameter_is_documented(info, page):
    assert page.is_file(), f"{info.name}: no docs page {page.name}"
    text = page.read_text()
    cls = info.load()
    for name in cls.Params.model_fields:
        assert re.search(rf"`{name}`", text), f"{info.name}: parameter {name} not documented in {page.name}"
    assert "Reference" in text or "reference" in text
    nav = (DOCS.parent / "mkdocs.yml").read_text()
    assert f"{page.parent.name}/{page.name}" in nav, f"{page.name} not in mkdocs.yml nav"


@pytest.mark.parametrize("info, page", list(_strategy_pages()))
def test_every_declared_output_and_fit_input_is_documented(info, page):
    cls = info.load()
    text = page.read_text()
    for output in cls.declared_outputs():
        assert f"`{output.name}`" in text, f"{info.name}: output {output.name} not in {page.name}"
    for item in cls.fit_inputs:
        assert f"`{item.name}`" in text, f"{info.name}: fit input {item.name} not in {page.name}"
