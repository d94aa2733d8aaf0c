"""Installers of the custom group (registered from ``REGISTRY``; modules import lazily).

``custom`` installs the user's own answers (and, optionally, images) from local files, with
the options of peerannot's ``customDataset.py``; see :mod:`.installer`.
"""

from crowdkit_core.registry import DatasetInfo

REGISTRY: list[DatasetInfo] = [
    DatasetInfo(
        name="custom",
        target="crowdkit_datasets.custom.installer:CustomInstaller",
        summary="Your own answers (matrix, task/worker JSON or task,worker,label table), "
                "optionally with train/val/test image folders; installs as --name",
    ),
]
