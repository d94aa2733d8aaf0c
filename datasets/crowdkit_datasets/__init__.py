"""crowdkit-datasets: installers for public crowdsourced datasets, registered as a plugin.

Groups, one subpackage each, each with a ``REGISTRY`` list of
:class:`~crowdkit_core.registry.DatasetInfo`: :mod:`.images` (CIFAR-10H, LabelMe),
:mod:`.audio` (Music, bird audio), :mod:`.answers` (answer-only real datasets),
:mod:`.custom` (the user's own data).
"""

__version__ = "0.1.0"
