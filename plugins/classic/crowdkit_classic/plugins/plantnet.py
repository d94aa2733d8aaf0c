"""Registers PlantNet."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='PlantNet',
        aliases=('plant_net',),
        target="crowdkit_classic.plantnet:PlantNet",
        summary='Pl@ntNet weighted vote with task validity and an optional AI voter.',
        reference='Lefort, Affouard, Charlier, Lombardo, Chouet, Goëau, Salmon, Bonnet, Joly 2024 (Pl@ntNet label aggregation)',
    ))
