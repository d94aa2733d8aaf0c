"""Registers ZBS."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='ZBS',
        aliases=('zero_based_skill', 'ZeroBasedSkill'),
        target="crowdkit_classic.zbs:ZBS",
        summary='Zero-based skill: worker weights learnt by gradient steps on agreement.',
        reference='crowd-kit ZeroBasedSkill',
    ))
