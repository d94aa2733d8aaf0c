"""The dataset-installer interface (implemented by plugins under ``datasets/``).

An installer downloads a public crowdsourced dataset and writes it in crowdkit's format
(``answers.json`` + ``metadata.json`` [+ ``truth.csv``]) so every command can read it.
Installers register through the ``crowdkit_register_datasets`` hook.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from crowdkit_core.errors import DatasetError


class DatasetInstaller(ABC):
    """Downloads one dataset and converts it to crowdkit's folder format."""

    #: Dataset name (folder name of the installed dataset).
    name: ClassVar[str] = ""
    #: Where the data comes from and under which licence (shown before downloading).
    source: ClassVar[str] = ""
    license: ClassVar[str] = ""

    @abstractmethod
    def install(self, destination: Path, *, base_url: str | None = None) -> Path:
        """Download (from ``base_url`` when given, e.g. a local test server) and write the
        dataset folder under ``destination``; return the folder."""

    @staticmethod
    def verify_sha256(path: Path, expected: str) -> None:
        """Raise a DatasetError naming the file when its checksum differs from ``expected``."""
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if digest != expected:
            raise DatasetError(
                f"{path}: checksum {digest[:12]}... differs from the expected {expected[:12]}...; "
                "delete the file and download it again"
            )
