"""Registers WDS."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='WDS',
        aliases=('weighted_dawid_skene', 'WeightedDS'),
        target="crowdkit_classic.wds:WDS",
        summary="DS, then votes weighted by each worker's confusion-matrix diagonal (peerannot).",
        reference='Lefort et al., peerannot (Computo 2024); Dawid & Skene 1979',
    ))
