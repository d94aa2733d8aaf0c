"""Markdown tables for the docs hooks: render rows safely, and read back the tables of a
generated page (docs/accuracy.md, docs/benchmarks.md), so a page can quote another's rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPECIAL = re.compile(r"([\\`*_\[\]|])")
_CODE_SPAN = re.compile(r"(`[^`]+`)")


def escape(text: str) -> str:
    """Plain text as literal Markdown inside a table cell: one line, no emphasis or HTML."""
    text = str(text).replace("\n", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def prose(text: str) -> str:
    """Plain text as Markdown: backtick spans stay code, everything else is literal."""
    parts = _CODE_SPAN.split(" ".join(text.split()))  # one line: a table cell or a paragraph
    return "".join(p.replace("|", "\\|") if p.startswith("`") else escape(p) for p in parts)


def slug(title: str) -> str:
    """The anchor Python-Markdown's toc gives a heading ``title`` (its default slugify)."""
    from markdown.extensions.toc import slugify

    return slugify(title, "-")


def code(text: str) -> str:
    """``text`` as inline code (a literal ``|`` cannot appear in a table's code span)."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table from cells that are already Markdown (see :func:`escape`)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class Table:
    """One table of a Markdown page: the heading it sits under, its header and rows."""

    heading: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def to_markdown(self, rows: list[list[str]] | None = None) -> str:
        """The table again, with all its rows or only ``rows``."""
        return render(self.headers, self.rows if rows is None else rows)


def _cells(line: str) -> list[str]:
    body = line.strip()[1:-1] if line.strip().endswith("|") else line.strip()[1:]
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


def parse_tables(text: str) -> list[Table]:
    """Every pipe table of ``text`` (GitHub style: header, ``---`` line, rows), in order."""
    tables: list[Table] = []
    heading = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        is_header = line.startswith("|") and i + 1 < len(lines) \
            and re.fullmatch(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?", lines[i + 1].strip())
        if is_header:
            table = Table(heading, _cells(line))
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                table.rows.append(_cells(lines[i]))
                i += 1
            tables.append(table)
            continue
        i += 1
    return tables


def find_table(tables: list[Table], heading: str, where: str) -> Table:
    """The first table under a heading that starts with ``heading``; a clear error if none."""
    for table in tables:
        if table.heading.startswith(heading):
            return table
    raise LookupError(f"{where}: no table under a heading '{heading}...' (was the page regenerated?)")
