"""crowdkit core: dataset format, plugin hooks, strategy specs and the ``crowd`` CLI.

This module stays import-light (no numpy, no pydantic) so that ``crowd --help`` and
plugin registration modules load fast; heavy pieces are imported from their submodules.
"""

from __future__ import annotations

import pluggy

__all__ = ["__version__", "hookimpl", "PROJECT_NAME"]

__version__ = "0.1.0"

#: Name of the pluggy project and of the entry-point group plugins declare.
PROJECT_NAME = "crowdkit"

#: Decorator that marks a plugin function as an implementation of a crowdkit hook.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
