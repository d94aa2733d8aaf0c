"""Documentation covers every command, option, hook, strategy and parameter."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = DOCS.parent / "README.md"


def _hook(name: str):
    """A module of docs/hooks, imported as mkdocs does (its folder on sys.path meanwhile)."""
    sys.path.insert(0, str(DOCS / "hooks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(DOCS / "hooks"))


def _site_markdown(page: Path) -> str:
    """A page's source as the site renders it: README sections and strategy tables filled."""
    readme, tables = _hook("readme_section"), _hook("strategy_tables")
    where = page.relative_to(DOCS).as_posix()
    text = readme.fill_readme_markers(page.read_text(), README.read_text(), where)
    return tables.fill_markers(text, where)


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
    source = page.read_text()
    # A `<!-- params: NAME -->` marker is filled from the Params model at build time; it must
    # name this strategy (by any alias), or the parameters must be documented by hand.
    tables = _hook("strategy_tables")
    named = [tables.strategy(name).name for kind, name in tables.markers(source) if kind == "params"]
    assert set(named) <= {info.name}, f"{page.name}: params marker of {named}, not {info.name}"
    text = _site_markdown(page)
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


def _cli_reference():
    cli = _hook("cli_reference")
    return cli, cli.render_reference(cli.crowd_command())


def test_generated_cli_reference_covers_every_command_and_option():
    cli, text = _cli_reference()
    docs = cli.walk(cli.crowd_command())
    assert len(docs) > 10
    for doc in docs:
        heading = re.search(rf"^#+ `{re.escape(doc.path)}`$", text, re.M)
        assert heading, f"{doc.path}: no section in the generated reference"
        section = text[heading.end():].split("\n## ", 1)[0]
        assert f"```text\n{doc.path} " in section or f"```text\n{doc.path}\n" in section, doc.path
        if doc.command.help:
            first = cli.paragraphs(doc.command.help)[0]
            assert first in section, f"{doc.path}: help text missing"
        for param in doc.command.params:
            if param.hidden:
                continue
            spellings = [param.name.upper()] if param.param_type_name == "argument" \
                else [*param.opts, *param.secondary_opts]
            for spelling in spellings:
                assert f"`{spelling}`" in section, f"{doc.path}: {spelling} missing"


def test_generated_cli_reference_has_plugin_commands_and_defaults():
    _, text = _cli_reference()
    section = text.split("## `crowd aggregate`", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^\| `--strategy`, `-s` \| str \| `MV` \|", section, re.M)
    assert re.search(r"^\| `DATASET` \| str \| required \|", section, re.M)
    assert re.search(r"^\| `--hard` \| flag \| off \|", section, re.M)
    # rich markup is resolved as `--help` shows it: DS\[max_iter...] reads DS[max_iter...]
    assert "'DS\\[max\\_iter=50,tol=1e-5\\]'" in section
    # crowdkit-deep's commands register without torch (its CLI module imports none)
    plugin_commands = {"train", "aggregate-deep"} if importlib.util.find_spec("crowdkit_deep") else set()
    for name in plugin_commands:
        assert f"## `crowd {name}`" in text


def test_generated_cli_reference_is_not_committed():
    assert not (DOCS / "reference" / "cli.md").exists()


def test_every_marker_renders_and_quotes_its_source():
    tables = _hook("strategy_tables")
    mdtable = _hook("mdtable")
    accuracy = mdtable.parse_tables((DOCS / "accuracy.md").read_text())
    gold = mdtable.find_table(accuracy, "Accuracy on gold tasks", "accuracy.md")
    found = 0
    for page in sorted(DOCS.rglob("*.md")):
        source = page.read_text()
        for kind, name in tables.markers(source):
            found += 1
            where = page.relative_to(DOCS).as_posix()
            text = tables.fill_markers(f"<!-- {kind}: {name} -->", where)
            assert "<!--" not in text and text.count("\n|") >= 2, f"{where}: {kind} {name}"
            if kind == "accuracy":
                canonical = tables.strategy(name).name
                row = next(r for r in gold.rows if r[0] == canonical)
                assert "| " + " | ".join(row) + " |" in text, f"{where}: {name} row differs"
    assert found >= 40


def test_markers_fail_loudly():
    tables = _hook("strategy_tables")
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match="NoSuchStrategy"):
        tables.fill_markers("<!-- params: NoSuchStrategy -->", "strategies/x.md")
    with pytest.raises(PluginError, match="no accuracy row for GoldMV"):
        tables.fill_markers("<!-- accuracy: GoldMV -->", "strategies/gold_mv.md")
    assert "`max_iter`" in tables.fill_markers("<!-- params: dawid_skene -->", "strategies/x.md")


def test_quickstart_is_the_readme_set_up():
    readme = README.read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", section, re.S)
    assert len(commands) == 2
    page = DOCS / "getting-started.md"
    assert "<!-- readme: Set up -->" in page.read_text()
    text = _site_markdown(page)
    for command in commands:
        assert command in text
    with pytest.raises(Exception, match="no '## Nope' section"):
        _hook("readme_section").fill_readme_markers("<!-- readme: Nope -->", readme, "x.md")


def test_every_relative_link_and_anchor_resolves():
    linkcheck = _hook("linkcheck")
    cli, text = _cli_reference()
    generated = {DOCS / cli.PAGE: text}
    problems = linkcheck.check(linkcheck.default_pages(), lambda p, t: _site_markdown(p)
                               if p.is_relative_to(DOCS) else t, generated)
    assert not problems, "\n".join(map(str, problems))


def test_link_check_catches_broken_links(tmp_path):
    linkcheck = _hook("linkcheck")
    (tmp_path / "b.md").write_text("## B head\n\n## B head\n")
    page = tmp_path / "a.md"
    page.write_text(
        "# Title\n\n## Sub `x`\n\n"
        "[ok](b.md#b-head) [dup](b.md#b-head_1) [self](#sub-x) <https://example.org/a>\n"
        "[bad](b.md#zz) [gone](c.md) [nope](#nope) [file](missing.txt) <https://bad_host/x>\n"
        "[ftp](ftp://example.org) `[in code](x.md)`\n\n```\n[in a block](q.md)\n```\n")
    problems = [(p.line, p.target) for p in linkcheck.check([page])]
    assert problems == [(6, "b.md#zz"), (6, "c.md"), (6, "#nope"), (6, "missing.txt"),
                        (6, "https://bad_host/x"), (7, "ftp://example.org")]


def test_mathjax_is_served_by_the_site():
    mathjax = _hook("mathjax_assets")
    root = mathjax.mathjax_root()
    files = mathjax.mathjax_files(root)
    assert files[0] == "es5/tex-chtml.js" and sum(f.endswith(".woff") for f in files) >= 20
    assert all((root / f).is_file() for f in files)


@pytest.mark.slow
def test_site_builds_strict_and_loads_nothing_from_elsewhere(tmp_path):
    """The whole site, as CI builds it; no page loads a script, style or font from a URL."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=DOCS.parent, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "reference" / "cli" / "index.html").is_file()
    assert (tmp_path / "assets" / "mathjax" / "tex-chtml.js").is_file()
    for page in tmp_path.rglob("*.html"):
        html = page.read_text()
        loads = re.findall(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(https?:)?//[^\"]*\"", html)
        assert not loads, f"{page}: loads from the network"
    ds = (tmp_path / "strategies" / "dawid_skene" / "index.html").read_text()
    assert 'class="arithmatex"' in ds and "<code>max_iter</code>" in ds


def test_report_screenshots_are_shown_and_small():
    text = (DOCS / "report.md").read_text()
    shots = sorted((DOCS / "img").glob("report*.png"))
    assert len(shots) >= 3
    for shot in shots:
        assert f"(img/{shot.name})" in text, f"{shot.name} not shown on report.md"
        assert shot.stat().st_size < 300_000, f"{shot.name}: {shot.stat().st_size} bytes"


def test_api_reference_shows_sphinx_roles_as_code():
    roles = _hook("api_roles")
    html = ("<p>A :class:<code>~crowdkit_core.errors.CrowdkitError</code> or "
            ":func:<code>resolve_strategy</code> as the command line::</p>")
    assert roles.plain_roles(html) == ("<p>A <code>CrowdkitError</code> or "
                                       "<code>resolve_strategy</code> as the command line:</p>")
