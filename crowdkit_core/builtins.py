"""The core's own plugin: the standard answers formats and the ``bundled:`` resolver.

Registered through the same hooks as third-party plugins (and listed by ``crowd plugins``),
but always loaded: without them no dataset could be read.
"""

from __future__ import annotations

from typing import Callable

from crowdkit_core import hookimpl
from crowdkit_core.registry import ReaderInfo, ResolverInfo

_FORMATS = "crowdkit_core.dataset.formats"


@hookimpl
def crowdkit_register_readers(register: Callable[..., None]) -> None:
    register(ReaderInfo(name="json", suffixes=(".json",), target=f"{_FORMATS}:read_json",
                        summary="peerannot's answers.json: {task: {worker: label}}"))
    register(ReaderInfo(name="csv", suffixes=(".csv", ".txt"), target=f"{_FORMATS}:read_csv",
                        summary="comma-separated task,worker,label table with a header"))
    register(ReaderInfo(name="tsv", suffixes=(".tsv",), target=f"{_FORMATS}:read_tsv",
                        summary="tab-separated task,worker,label table with a header"))
    register(ReaderInfo(name="parquet", suffixes=(".parquet",), target=f"{_FORMATS}:read_parquet",
                        summary="Parquet table with task, worker, label columns"))


@hookimpl
def crowdkit_register_dataset_resolvers(register: Callable[..., None]) -> None:
    register(ResolverInfo(name="bundled", target="crowdkit_core.dataset.locate:resolve_bundled",
                          summary="small real datasets shipped inside crowdkit-core"))
    register(ResolverInfo(name="installed", bare_names=True,
                          target="crowdkit_core.install.resolve:resolve_installed",
                          summary="datasets installed with `crowd install` (also by plain name)"))
