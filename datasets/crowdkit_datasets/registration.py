"""Registers every installer of crowdkit-datasets through the same hook as third-party ones."""

from __future__ import annotations

import importlib
from typing import Callable

from crowdkit_core import hookimpl

GROUPS = ("images", "audio", "answers", "custom")


@hookimpl
def crowdkit_register_datasets(register: Callable[..., None]) -> None:
    for group in GROUPS:
        for info in importlib.import_module(f"crowdkit_datasets.{group}").REGISTRY:
            register(info)
