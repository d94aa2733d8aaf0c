"""Registers DSWC."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='DSWC',
        aliases=('dawid_skene_worker_clusters', 'DawidSkeneClust'),
        target="crowdkit_classic.dswc:DSWC",
        summary='Dawid-Skene with L clusters of workers sharing a confusion matrix.',
        reference='Imamura, Sato & Sugiyama, ICML 2018',
    ))
