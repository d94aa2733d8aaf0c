"""Check the links of Markdown pages offline: every relative link and anchor resolves, and
every external link is a well-formed http(s)/mailto URL (it cannot be fetched here: the
build and CI have no internet, so its target is not checked).

    python docs/hooks/linkcheck.py [FILE.md ...]     # default: docs/**/*.md and README.md

``mkdocs build --strict`` checks the site's links too (``validation:`` in mkdocs.yml); this
also covers README.md, pages outside the nav and links to files that are not pages.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mdtable import slug

ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^(?P<fence>```|~~~).*?^(?P=fence)[ \t]*$", re.M | re.S)
_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_INLINE = re.compile(r"!?\[(?P<text>[^\]\n]*)\]\(\s*(?P<target><[^>]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\s*\)")
_REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(?P<target>\S+)", re.M)
_AUTOLINK = re.compile(r"<(?P<target>(?:https?|mailto):[^>\s]+)>")
_HEADING = re.compile(r"^(#{1,6})\s+(?P<title>.+?)\s*#*\s*$", re.M)
_ATTR_ID = re.compile(r"\{[^}]*#(?P<id>[\w-]+)[^}]*\}")
_HTML_ID = re.compile(r"<[^>]+\s(?:id|name)=\"(?P<id>[^\"]+)\"")


@dataclass(frozen=True)
class Problem:
    """One bad link: the page, its line, the link and what is wrong."""

    page: Path
    line: int
    target: str
    reason: str

    def __str__(self) -> str:
        where = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{where}:{self.line}: {self.target}: {self.reason}"


def strip_code(text: str) -> str:
    """``text`` with fenced blocks, inline code and comments blanked (line numbers kept)."""
    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    return _CODE.sub(blank, _COMMENT.sub(blank, _FENCE.sub(blank, text)))


def anchors(text: str) -> set[str]:
    """The ids the headings of a page get (Python-Markdown's toc, duplicates ``_1``...) and
    the explicit ``{#id}`` / ``id="..."`` anchors."""
    found: set[str] = set()
    for match in _HEADING.finditer(strip_code_blocks(text)):
        title = _ATTR_ID.sub("", match.group("title"))
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title).replace("`", "")
        base = slug(re.sub(r"<[^>]+>", "", title))
        anchor, n = base, 0
        while anchor in found:
            n += 1
            anchor = f"{base}_{n}"
        found.add(anchor)
    text = strip_code(text)
    found |= {m.group("id") for m in _ATTR_ID.finditer(text)}
    found |= {m.group("id") for m in _HTML_ID.finditer(text)}
    return found


def strip_code_blocks(text: str) -> str:
    """``text`` without its fenced blocks (a ``# comment`` there is not a heading)."""
    return _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def links(text: str) -> Iterable[tuple[int, str]]:
    """(line, target) of every inline, reference-definition and autolink of a page."""
    text = strip_code(text)
    found = sorted((m.start(), m.group("target").strip("<>"))
                   for pattern in (_INLINE, _REFDEF, _AUTOLINK) for m in pattern.finditer(text))
    for start, target in found:
        yield text.count("\n", 0, start) + 1, target


def external_problem(target: str) -> str | None:
    """Why an external link is malformed, or None."""
    parts = urlsplit(target)
    if parts.scheme == "mailto":
        return None if re.fullmatch(r"[^@\s]+@[^@\s]+\.\w+", parts.path) else "malformed mailto"
    if parts.scheme not in ("http", "https"):
        return f"unsupported scheme {parts.scheme!r}"
    host = parts.hostname or ""
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", host):
        return f"malformed host {host!r}"
    if re.search(r"\s", target):
        return "whitespace in URL"
    return None


def check_page(page: Path, text: str, read: Callable[[Path], str | None]) -> list[Problem]:
    """Problems of the links of ``page`` (its Markdown ``text``); ``read`` returns the text of
    another page (None when it does not exist)."""
    problems = []
    for line, target in links(text):
        if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            reason = external_problem(target) if target else "empty link"
            if reason:
                problems.append(Problem(page, line, target, reason))
            continue
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / unquote(path_part)).resolve() if path_part else page
        if path_part.startswith("/"):
            problems.append(Problem(page, line, target, "absolute path (use a relative link)"))
            continue
        if not path_part or dest.suffix == ".md":
            dest_text = text if not path_part else read(dest)
            if dest_text is None:
                problems.append(Problem(page, line, target, "no such page"))
            elif anchor and anchor not in anchors(dest_text):
                problems.append(Problem(page, line, target, f"no anchor #{anchor} in {dest.name}"))
        elif not dest.exists():
            problems.append(Problem(page, line, target, "no such file"))
    return problems


def check(pages: Iterable[Path], render: Callable[[Path, str], str] = lambda p, t: t,
          generated: dict[Path, str] | None = None) -> list[Problem]:
    """Problems of every page; ``render`` turns a page's source into what the site shows
    (hooks' markers filled), ``generated`` holds pages that only exist at build time."""
    generated = {p.resolve(): t for p, t in (generated or {}).items()}
    cache: dict[Path, str | None] = {}

    def read(path: Path) -> str | None:
        path = path.resolve()
        if path not in cache:
            if path in generated:
                cache[path] = generated[path]
            else:
                cache[path] = render(path, path.read_text(encoding="utf-8")) if path.is_file() else None
        return cache[path]

    problems = []
    for page in [*pages, *generated]:
        problems += check_page(page, read(page) or "", read)
    return problems


def default_pages() -> list[Path]:
    """docs/**/*.md (not the hooks) and README.md."""
    docs = ROOT / "docs"
    return [*sorted(p for p in docs.rglob("*.md") if "hooks" not in p.parts), ROOT / "README.md"]


def main(argv: list[str]) -> int:
    pages = [Path(a).resolve() for a in argv] or default_pages()
    problems = check(pages)
    for problem in problems:
        print(problem)
    print(f"{len(pages)} pages, {len(problems)} bad links")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
