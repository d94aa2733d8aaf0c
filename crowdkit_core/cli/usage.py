"""One ``Error:`` line for usage errors (unknown option, missing argument, bad value).

Typer's default draws a 5-6 line box; crowdkit promises one line and exit code 2 for every
mistake of the user, so the root group runs click in non-standalone mode and prints the
error itself.
"""

from __future__ import annotations

import sys
from typing import Any

from typer.core import TyperGroup

from typer import Abort

try:  # newer Typer releases vendor click
    from typer._click.exceptions import ClickException, UsageError  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - older Typer uses click itself
    from click.exceptions import ClickException, UsageError


class OneLineErrorGroup(TyperGroup):
    """The ``crowd`` root group: usage errors become ``Error: MESSAGE (see 'crowd CMD --help')``;
    peerannot's ``agginfo``, ``identificationinfo`` and ``modelinfo`` run the crowd command
    they stand for, and its ``--metadata_path`` spelling works in every command (both hidden
    from the help: :mod:`crowdkit_core.cli.peerannot`)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        from crowdkit_core.cli.peerannot import expand_alias
        from crowdkit_core.errors import CrowdkitError

        try:
            args = expand_alias(args, list(self.commands))
        except CrowdkitError as exc:
            raise UsageError(str(exc)) from None  # the message says what to do instead
        return super().resolve_command(ctx, args)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `crowd`: the help, as before
                exc.show()
                sys.exit(exc.exit_code)
            sys.stderr.write(f"Error: {usage_message(exc)}\n")
            sys.exit(exc.exit_code)
        except Abort:
            sys.stderr.write("Error: aborted\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def usage_message(exc: ClickException) -> str:
    """The error's message on one line, with where to get help for usage errors."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message
