"""The shell side of completion: click's completion items, and a bash protocol that
understands ``bundled:music`` and ``DS[max_iter=5]``.

bash splits the words it hands to a completion function at ``:`` and ``=``
(``COMP_WORDBREAKS``), so ``bundled:mu`` arrives as three words and bash replaces only the
last one with what comes back. :class:`BashComplete` glues such words back together before
click parses them, and returns each completion relative to the word bash replaces (as
bash-completion's ``__ltrim_colon_completions`` does).
"""

from __future__ import annotations

import os
from typing import Any

from typer._completion_classes import BashComplete as TyperBashComplete

try:  # newer Typer releases vendor click
    from typer._click.shell_completion import (  # type: ignore[import-not-found]
        CompletionItem, add_completion_class, split_arg_string,
    )
except ImportError:  # pragma: no cover - older Typer uses click itself
    from click.shell_completion import CompletionItem, add_completion_class, split_arg_string

#: Characters of bash's default ``COMP_WORDBREAKS`` that can occur inside one crowd argument.
WORD_BREAKS = frozenset(":=")


#: Longest description shown beside a completion (zsh and fish show them).
HELP_WIDTH = 60


def completion_item(value: str, help_text: str = "") -> Any:
    """A click completion item with the first sentence of ``help_text``, shortened to
    :data:`HELP_WIDTH` characters, as its description."""
    short = " ".join(help_text.split()).split(". ")[0].rstrip(".")
    if len(short) > HELP_WIDTH:
        short = short[: HELP_WIDTH - 3].rstrip() + "..."
    return CompletionItem(value, help=short or None)


def glue_words(words: list[str]) -> tuple[list[str], str]:
    """The arguments as typed, from bash's words (``["bundled", ":", "mu"]`` becomes
    ``["bundled:mu"]``), and the last word bash itself sees (the one it replaces). The last
    entry of ``words`` is the word being completed ("" after a space). bash's words cannot
    tell ``a :b`` from ``a:b``: a word starting with ``:`` or ``=`` joins the previous one
    (no crowd argument starts with either)."""
    glued: list[str] = []
    after_break = False
    for word in words:
        is_break = bool(word) and set(word) <= WORD_BREAKS
        if glued and (is_break or (after_break and word)):
            glued[-1] += word
        else:
            glued.append(word)
        after_break = is_break
    return glued, words[-1] if words else ""


def relative_to_word(value: str, typed: str, word: str) -> str | None:
    """What replaces bash's ``word`` so that the argument ``typed`` becomes ``value``; None
    when ``value`` does not continue the text before the word (bash could not show it).

    For ``--strategy=D`` click completes the value alone, so ``--strategy=`` is put back."""
    if typed.startswith("-") and "=" in typed:
        value = typed[: typed.index("=") + 1] + value
    head = len(typed) - len(word)
    if head <= 0:
        return value
    return value[head:] if value[:head] == typed[:head] else None


class BashComplete(TyperBashComplete):
    """Typer's bash protocol, with words split at ``:`` and ``=`` glued back together; file
    items are dropped so that bash's own path completion (``complete -o default``) runs."""

    def get_completion_args(self) -> tuple[list[str], str]:
        words = split_arg_string(os.environ["COMP_WORDS"])
        cword = int(os.environ["COMP_CWORD"])
        current = words[cword] if cword < len(words) else ""
        glued, self._word = glue_words([*words[1:cword], current])
        self._typed = glued[-1]
        return glued[:-1], self._typed

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        lines = []
        for item in self.get_completions(args, incomplete):
            if item.type != "plain":
                continue
            value = relative_to_word(item.value, self._typed, self._word)
            if value is not None:
                lines.append(value)
        return "\n".join(lines)


def use_crowd_bash() -> None:
    """Make ``_CROWD_COMPLETE=complete_bash`` use :class:`BashComplete` (after Typer has
    registered its own classes)."""
    add_completion_class(BashComplete, "bash")
