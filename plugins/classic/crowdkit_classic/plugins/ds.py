"""Registers DS."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='DS',
        aliases=('dawid_skene', 'DawidSkene'),
        target="crowdkit_classic.dawid_skene:DawidSkene",
        summary='Dawid-Skene EM: one confusion matrix per worker, class priors.',
        reference='Dawid & Skene, Applied Statistics 28(1), 1979',
    ))
