"""Registers majority vote (MV)."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name="MV",
        aliases=("majority_voting", "majority_vote"),
        target="crowdkit_classic.majority_vote:MajorityVote",
        summary="Majority vote: the most frequent answer of each task.",
        reference="Condorcet (1785); as in peerannot and crowd-kit",
    ))
