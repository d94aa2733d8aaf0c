"""Registration of crowdkit-deep: the CrowdLayer and CoNAL trainers and the ``train`` /
``aggregate-deep`` commands. Light on purpose: no torch (nor numpy) at import time."""

from __future__ import annotations

from typing import Any, Callable

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo

STRATEGIES: tuple[StrategyInfo, ...] = (
    StrategyInfo("CrowdLayer", "crowdkit_deep.crowdlayer:CrowdLayer",
                 "Crowd layer: a per-worker matrix on the classifier's output, trained end to end.",
                 ("crowd_layer", "crowdlayer"), kind="trainer"),
    StrategyInfo("CoNAL", "crowdkit_deep.conal:CoNAL",
                 "Common noise adaptation layers: global and per-worker confusions mixed per answer.",
                 ("conal",), kind="trainer"),
)


@hookimpl
def crowdkit_register_strategies(register: Callable[..., None]) -> None:
    for info in STRATEGIES:
        register(info)


@hookimpl
def crowdkit_register_commands(app: Any) -> None:
    from crowdkit_deep.cli import aggregate_deep, list_models, train

    app.command("train", rich_help_panel="Deep learning (crowdkit-deep)")(train)
    app.command("aggregate-deep", rich_help_panel="Deep learning (crowdkit-deep)")(aggregate_deep)
    app.command("list-models", rich_help_panel="Deep learning (crowdkit-deep)")(list_models)
