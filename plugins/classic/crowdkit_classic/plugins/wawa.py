"""Registers Wawa."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='Wawa',
        aliases=('worker_agreement_with_aggregate',),
        target="crowdkit_classic.wawa:Wawa",
        summary='One pass of worker-agreement-weighted majority vote.',
        reference='crowd-kit Wawa (Appen)',
    ))
