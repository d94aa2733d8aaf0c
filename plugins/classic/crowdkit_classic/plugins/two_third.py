"""Registers TwoThird."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='TwoThird',
        aliases=('two_third', 'twothirds'),
        target="crowdkit_classic.two_third:TwoThird",
        summary='MV where >= 2 votes and the top share >= 2/3, else no label.',
        reference='peerannot TwoThird (Lefort et al. 2024)',
    ))
