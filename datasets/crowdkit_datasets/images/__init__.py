"""Installers of the images group (registered from ``REGISTRY``; modules import lazily)."""

from crowdkit_core.registry import DatasetInfo

REGISTRY: list[DatasetInfo] = [
    DatasetInfo(name="cifar10h", target="crowdkit_datasets.images.cifar10h:CIFAR10H",
                summary="CIFAR-10H: ~51 human labels per CIFAR-10 test image (10,000 images, "
                        "10 classes; CC BY-NC-SA 4.0)",
                aliases=("cifar-10h",)),
    DatasetInfo(name="labelme", target="crowdkit_datasets.images.labelme:LabelMe",
                summary="LabelMe scenes (Rodrigues & Pereira 2018): 1,000 train images with "
                        "MTurk labels, 500 val, 1,188 test, 8 classes"),
]
