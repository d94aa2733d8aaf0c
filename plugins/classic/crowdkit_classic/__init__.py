"""crowdkit-classic: aggregation strategies built on numpy and scipy only.

Each strategy lives in its own module and is registered by its own light entry-point module
in :mod:`crowdkit_classic.plugins`, exactly like a third-party plugin.
"""

__version__ = "0.1.0"
