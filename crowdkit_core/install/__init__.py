"""Installing datasets: data home, downloads, safe extraction, atomic installs.

Modules, one job each: :mod:`.home` (data home, cache, lock file), :mod:`.download` (one
file: cache, resume, checksums), :mod:`.archives` (safe extraction), :mod:`.layout` (the
standard folder layout and its checks), :mod:`.context` (what an installer's build gets),
:mod:`.jobs` (install and listing as library calls), :mod:`.seed_files` (peerannot-style
``.py`` installers), :mod:`.resolve` (installed names as dataset arguments).
"""

from crowdkit_core.install.context import InstallContext
from crowdkit_core.install.home import data_home, default_data_home
from crowdkit_core.install.jobs import InstallResult, install_dataset

__all__ = ["InstallContext", "InstallResult", "data_home", "default_data_home", "install_dataset"]
