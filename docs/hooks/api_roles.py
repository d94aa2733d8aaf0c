"""MkDocs hook: Sphinx roles in the API reference read as code, not as raw markup.

The package's docstrings cite other objects the Sphinx way (``:class:`~pkg.mod.Name```,
``:func:`name```) and end a paragraph before a literal block with ``::``. mkdocstrings renders
them as text; this turns each role into plain code (``~`` keeps the last dotted part, as Sphinx
does) and ``::`` into ``:``, on the pages under ``reference/api/`` only.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|exc|obj|const):<code>(?P<tilde>~?)(?P<name>[^<]+)</code>")
LITERAL = re.compile(r"::</p>")


def plain_roles(html: str) -> str:
    """``html`` with every rendered Sphinx role replaced by its code."""
    def code(match: re.Match[str]) -> str:
        name = match.group("name")
        return f"<code>{name.rsplit('.', 1)[-1] if match.group('tilde') else name}</code>"

    return LITERAL.sub(":</p>", ROLE.sub(code, html))


def on_page_content(html: str, page, config, files) -> str:
    """Clean the API reference pages."""
    return plain_roles(html) if page.file.src_uri.startswith("reference/api/") else html
