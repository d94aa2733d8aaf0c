"""Compatibility shim for the three modules not yet moved to the new dataset modules; to be removed."""

from crowdkit_core.dataset.frames import as_dataset
from crowdkit_core.dataset.locate import resolve_dataset_path as resolve_path
from crowdkit_core.dataset.side_files import read_task_list

__all__ = ["as_dataset", "read_task_list", "resolve_path"]
