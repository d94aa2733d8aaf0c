"""Offline stand-ins for each dataset's real downloads, one module per group.

Each group module defines ``FIXTURES: dict[str, Callable[[Path], Fixture]]``: for a
registered dataset name, a builder (given a scratch folder) of the files its installer
downloads, keyed by their real URLs, small but with the real names, formats and quirks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Fixture:
    """What the tests serve and pass for one installer.

    ``files`` maps each real URL to the bytes served for it; ``manual`` is the
    (file name, bytes) of the archive a user downloads by hand (``--from``); ``options``
    are passed to ``crowd install`` (``custom`` needs them); ``check`` runs extra checks on
    the installed folder.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    manual: tuple[str, bytes] | None = None
    options: dict[str, str | bool] = field(default_factory=dict)
    check: Callable[..., None] | None = None
