"""Installers of the images group (registered from ``REGISTRY``; modules import lazily)."""

from crowdkit_core.registry import DatasetInfo

REGISTRY: list[DatasetInfo] = []
