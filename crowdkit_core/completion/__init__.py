"""Shell completion of ``crowd`` (bash, zsh, fish through Typer): commands and options, plus
strategy specs, dataset arguments and installer names from the installed plugins.

A completion call builds the command tree as any ``crowd`` call does (light registration
modules only), attaches completers to it (:mod:`.attach`) and reads names from a cache file
(:mod:`.cache`), so a keystroke imports neither numpy nor pydantic once the cache is fresh.
This module imports nothing heavy: ``crowd`` checks :func:`completing` on every start.
"""

from __future__ import annotations

import functools
import os
from typing import Any

#: The environment variable through which the shell asks ``crowd`` for completions.
COMPLETE_VAR = "_CROWD_COMPLETE"


def completing() -> bool:
    """Whether this process answers a shell's completion request."""
    return bool(os.environ.get(COMPLETE_VAR))


def completion_command(app: Any) -> Any:
    """The click command of ``app`` with completers attached and crowd's bash protocol on."""
    import typer.main

    from crowdkit_core.completion.attach import attach_completion, skip_coercion
    from crowdkit_core.completion.cache import load_names
    from crowdkit_core.completion.shells import use_crowd_bash

    command = typer.main.get_command(app)
    attach_completion(command, functools.cache(load_names), installed_datasets)
    skip_coercion()
    use_crowd_bash()
    return command


def installed_datasets() -> list[str]:
    """Names of the datasets installed in the data home (read at each completion)."""
    from crowdkit_core.install.home import data_home, installed_names

    return installed_names(data_home())
