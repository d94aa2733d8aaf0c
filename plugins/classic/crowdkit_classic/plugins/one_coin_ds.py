"""Registers OneCoinDS."""

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo


@hookimpl
def crowdkit_register_strategies(register):
    register(StrategyInfo(
        name='OneCoinDS',
        aliases=('one_coin', 'one_coin_dawid_skene'),
        target="crowdkit_classic.one_coin_ds:OneCoinDS",
        summary='One-coin Dawid-Skene: one accuracy per worker.',
        reference='Dawid & Skene 1979 (one-coin); crowd-kit OneCoinDawidSkene',
    ))
