"""Disk faults for tests of all-or-nothing writes: make the rename of chosen files fail, as
a full disk would, to check that a result set leaves no new file behind."""

from __future__ import annotations

import os
from typing import Any


def fail_renames_to(monkeypatch: Any, suffix: str, message: str = "disk full") -> None:
    """Make every rename onto a path ending with ``suffix`` raise ``OSError(message)`` for
    the rest of the test (``monkeypatch`` is pytest's fixture); other renames still work."""
    from crowdkit_core import output

    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        if str(dst).endswith(suffix):
            raise OSError(message)
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", replace)
