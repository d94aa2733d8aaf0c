"""Registers MACE."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='MACE',
        aliases=('mace',),
        target="crowdkit_classic.mace:MACE",
        summary='MACE: workers are competent or spam with a label strategy.',
        reference='Hovy et al., NAACL 2013',
    ))
