"""Registers NaiveSoft (normalised vote counts)."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name="NaiveSoft",
        aliases=("naive_soft", "soft_mv"),
        target="crowdkit_classic.naive_soft:NaiveSoft",
        summary="Soft labels: the share of answers given to each class.",
        reference="Lefort et al., peerannot (Computo 2024)",
    ))
