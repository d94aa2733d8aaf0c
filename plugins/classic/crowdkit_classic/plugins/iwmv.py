"""Registers IWMV."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='IWMV',
        aliases=('iterative_weighted_mv', 'iterative_weighted_majority_vote'),
        target="crowdkit_classic.iwmv:IWMV",
        summary='Iterative weighted majority vote.',
        reference='Li & Yu 2014, arXiv:1411.4086',
    ))
