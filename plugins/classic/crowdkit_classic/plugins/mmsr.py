"""Registers M-MSR."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='M-MSR',
        aliases=('MMSR', 'matrix_mean_subsequence_reduced'),
        target="crowdkit_classic.mmsr:MMSR",
        summary='Matrix mean-subsequence-reduced worker reliability (M-MSR).',
        reference='Ma & Olshevsky, NeurIPS 2020',
    ))
