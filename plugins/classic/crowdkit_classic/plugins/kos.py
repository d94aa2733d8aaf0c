"""Registers KOS."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='KOS',
        aliases=('karger_oh_shah',),
        target="crowdkit_classic.kos:KOS",
        summary='Karger-Oh-Shah message passing (binary tasks only).',
        reference='Karger, Oh & Shah, NeurIPS 2011',
    ))
