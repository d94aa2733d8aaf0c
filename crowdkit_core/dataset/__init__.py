"""The crowdkit dataset: sparse (task, worker, label) answer arrays plus id maps and K."""

from crowdkit_core.dataset.model import CrowdDataset, DuplicatePolicy, Metadata
from crowdkit_core.dataset.readers import as_dataset, load_dataset

__all__ = ["CrowdDataset", "Metadata", "DuplicatePolicy", "load_dataset", "as_dataset"]
