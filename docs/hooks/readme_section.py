"""MkDocs hook: a line ``<!-- readme: TITLE -->`` in a page becomes the README's ``## TITLE`` section.

The quickstart's commands are the README's, word for word, so the two cannot drift.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = re.compile(r"^<!--\s*readme:\s*(?P<title>[^>]+?)\s*-->[ \t]*$", re.M)


def readme_section(text: str, title: str) -> str:
    """The body of the ``## title`` section of ``text`` (up to the next ``## ``)."""
    match = re.search(rf"^## {re.escape(title)}\s*$(?P<body>.*?)(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        raise LookupError(f"README.md has no '## {title}' section")
    return match.group("body").strip()


def fill_readme_markers(markdown: str, readme: str, where: str) -> str:
    """``markdown`` with every readme marker replaced by its README section."""
    def section(match: re.Match[str]) -> str:
        try:
            return readme_section(readme, match.group("title"))
        except LookupError as exc:
            raise PluginError(f"{where}: {exc}: fix the marker or the README heading") from None

    return MARKER.sub(section, markdown)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Fill the page's readme markers."""
    if "<!--" not in markdown:
        return markdown
    return fill_readme_markers(markdown, README.read_text(encoding="utf-8"), page.file.src_uri)
