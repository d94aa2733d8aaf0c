"""The crowdkit dataset: sparse (task, worker, label) answer arrays plus id maps and K.

Modules, one job each: :mod:`.model` (the dataset), :mod:`.encoding` (raw columns to sorted
codes), :mod:`.formats` (answers-file readers), :mod:`.side_files` (gold labels, task lists),
:mod:`.locate` (dataset arguments to files, and loading), :mod:`.frames` (in-memory input).
"""

from crowdkit_core.dataset.encoding import DuplicatePolicy, EncodedColumn
from crowdkit_core.dataset.formats import AnswerColumns
from crowdkit_core.dataset.frames import as_dataset
from crowdkit_core.dataset.locate import load_dataset, resolve_dataset_path
from crowdkit_core.dataset.model import CrowdDataset, Metadata
from crowdkit_core.dataset.side_files import read_gold, read_task_list

__all__ = [
    "CrowdDataset", "Metadata", "DuplicatePolicy", "load_dataset", "as_dataset",
    "read_task_list", "read_gold", "resolve_dataset_path", "AnswerColumns", "EncodedColumn",
]
