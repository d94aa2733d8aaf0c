"""Shared CLI helpers: consoles, user-error handling and plugin-failure warnings."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])

stdout = Console(highlight=False, soft_wrap=True, emoji=False)  # ids like "a:x:" stay text
stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print ``Error: message`` on stderr (no markup, no traceback) and return the Exit."""
    stderr.print(f"Error: {message}", markup=False)
    return typer.Exit(code)


def handle_user_errors(func: F) -> F:
    """Turn CrowdkitError (bad input, bad spec, a plugin's failure) into one clean line and its
    exit code (2 for user errors, 1 for a plugin's bug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from crowdkit_core.errors import CrowdkitError

        try:
            return func(*args, **kwargs)
        except CrowdkitError as exc:
            if exc.__cause__ is not None and os.environ.get("CROWDKIT_TRACEBACK"):
                traceback.print_exception(exc.__cause__)
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


def warn_plugin_failures(registry: Any) -> None:
    """One stderr line per plugin that failed to load, so failures are never silent."""
    for status in registry.failures():
        stderr.print(
            f"Warning: plugin {status.name!r} ({status.distribution or 'unknown distribution'}) "
            f"failed: {status.error} (see `crowd plugins`)",
            markup=False,
        )


def print_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    from crowdkit_core.output import to_json

    sys.stdout.write(to_json(data))


def guard_plugin_command(callback: F, status: Any) -> F:
    """A plugin command that turns its own crash into one line naming the plugin (exit 1) and
    its user errors (CrowdkitError) into their usual line (exit 2); Typer's exits pass."""
    handled = handle_user_errors(callback)

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handled(*args, **kwargs)
        except (typer.Exit, typer.Abort, click_exception()):
            raise
        except Exception as exc:
            if os.environ.get("CROWDKIT_TRACEBACK"):
                traceback.print_exception(exc)
            origin = f"plugin {status.name!r}, {status.distribution or 'unknown distribution'}"
            raise fail(f"command of {origin} failed: {type(exc).__name__}: {exc}. This is a bug "
                       "in the plugin: please report it to its authors (CROWDKIT_TRACEBACK=1 "
                       "shows the traceback)", 1) from None

    return wrapper  # type: ignore[return-value]


def click_exception() -> type[Exception]:
    """The base of Typer's usage errors (BadParameter and friends), which Typer reports itself
    (click's ClickException, vendored inside newer Typer releases)."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
