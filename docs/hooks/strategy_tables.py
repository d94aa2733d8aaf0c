"""MkDocs hook: strategy pages quote their parameters, accuracy and speed from one source.

``<!-- params: NAME -->`` becomes the table of the strategy's pydantic ``Params`` model (name,
type, default, constraint, description: what ``crowd describe NAME`` prints);
``<!-- accuracy: NAME -->`` its rows of the tables ``benchmarks/accuracy.py`` writes to
docs/accuracy.md; ``<!-- speed: NAME -->`` its fit times there and its rows of the speed
tables of docs/benchmarks.md. A marker stands alone on its line. One that finds nothing stops the build, so a page cannot
quietly lose its figures.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from mdtable import Table, code, escape, find_table, parse_tables, prose, render, slug

DOCS = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!--\s*(?P<kind>params|accuracy|speed):\s*(?P<name>[^>]+?)\s*-->[ \t]*$", re.M)


class MarkerError(LookupError):
    """A marker names an unknown strategy or finds no rows."""


@lru_cache(maxsize=None)
def registry() -> Any:
    from crowdkit_core.plugins import PluginRegistry

    return PluginRegistry()


def strategy(name: str) -> Any:
    """The registry entry of ``name`` (any alias)."""
    from crowdkit_core.errors import CrowdkitError

    try:
        return registry().get_strategy(name)
    except (CrowdkitError, LookupError) as exc:
        raise MarkerError(str(exc).splitlines()[0]) from None


def params_table(name: str, base: str = "../") -> str:
    """The parameters of strategy ``name``, from its Params model."""
    from crowdkit_core.params import describe_parameters

    rows = [[code(r["name"]), escape(r["type"]), code(r["default"]), escape(r["constraint"]) or "–",
             prose(r["description"])] for r in describe_parameters(strategy(name).load().Params)]
    return render(["name", "type", "default", "constraint", "description"], rows)


def _rows_of(table: Table, name: str) -> list[list[str]]:
    """Rows whose first cell is ``name`` or a spec of it (``MV[ties=lowest]``)."""
    return [r for r in table.rows if r and (r[0] == name or r[0].startswith(f"{name}["))]


_TITLES = {"accuracy.md": "Accuracy", "benchmarks.md": "Benchmarks"}


def _source(page: str, heading: str, base: str) -> str:
    """A link to the section ``heading`` of docs/``page`` from a page ``base`` away from docs/."""
    return f"[{_TITLES[page]}: {heading}]({base}{page}#{slug(heading)})"


@lru_cache(maxsize=None)
def _tables(page: str) -> tuple[Table, ...]:
    return tuple(parse_tables((DOCS / page).read_text(encoding="utf-8")))


def accuracy_section(name: str, base: str = "../") -> str:
    """Strategy ``name``'s accuracy rows of docs/accuracy.md, with their published targets."""
    info = strategy(name)
    tables = list(_tables("accuracy.md"))
    gold = find_table(tables, "Accuracy on gold tasks", "docs/accuracy.md")
    rows = _rows_of(gold, info.name)
    if not rows:
        raise MarkerError(f"docs/accuracy.md has no accuracy row for {info.name}")
    parts = [gold.to_markdown(rows), "",
             f"Default parameters, every raw answer; from {_source('accuracy.md', gold.heading, base)} "
             "(`python benchmarks/accuracy.py`)."]
    published = find_table(tables, "Against published figures", "docs/accuracy.md")
    compared = _rows_of(published, info.name)
    if compared:
        parts += ["", published.to_markdown(compared), "",
                  f"Published figures and targets: {_source('accuracy.md', published.heading, base)}."]
    return "\n".join(parts)


def speed_section(name: str, base: str = "../") -> str:
    """Strategy ``name``'s fit times (docs/accuracy.md) and speed rows (docs/benchmarks.md)."""
    info = strategy(name)
    parts: list[str] = []
    fit = find_table(list(_tables("accuracy.md")), "Fit time", "docs/accuracy.md")
    if rows := _rows_of(fit, info.name):
        parts += [fit.to_markdown(rows), "",
                  f"Seconds per fit on the real datasets (iterations in brackets); from "
                  f"{_source('accuracy.md', fit.heading, base)}.", ""]
    for table in _tables("benchmarks.md"):
        if table.headers[:2] == ["part", "measurement"]:
            rows = [r for r in table.rows if len(r) > 1 and r[1].startswith(f"{info.name} ")]
        elif table.headers[0] == "strategy":
            rows = _rows_of(table, info.name)
        else:
            continue
        if rows:
            parts += [table.to_markdown(rows), "",
                      f"From {_source('benchmarks.md', table.heading, base)}.", ""]
    if not parts:
        raise MarkerError(f"no fit time or speed row for {info.name} in docs/accuracy.md "
                          "or docs/benchmarks.md")
    return "\n".join(parts).rstrip()


def fill_markers(markdown: str, where: str) -> str:
    """``markdown`` (the page docs/``where``) with every marker replaced by its tables."""
    base = "../" * where.count("/")
    render_kind = {"params": params_table, "accuracy": accuracy_section, "speed": speed_section}

    def replace(match: re.Match[str]) -> str:
        try:
            return render_kind[match.group("kind")](match.group("name"), base)
        except (MarkerError, LookupError) as exc:
            from mkdocs.exceptions import PluginError

            raise PluginError(f"{where}: {match.group(0)}: {exc}") from None

    return MARKER.sub(replace, markdown)


def markers(markdown: str) -> list[tuple[str, str]]:
    """(kind, name) of every marker of a page source."""
    return [(m.group("kind"), m.group("name")) for m in MARKER.finditer(markdown)]


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Fill the page's markers."""
    return fill_markers(markdown, page.file.src_uri) if "<!--" in markdown else markdown
