"""Registers GLAD."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='GLAD',
        aliases=('glad',),
        target="crowdkit_classic.glad:GLAD",
        summary='GLAD: worker ability and task difficulty, EM with gradient M-step.',
        reference='Whitehill et al., NeurIPS 2009',
    ))
