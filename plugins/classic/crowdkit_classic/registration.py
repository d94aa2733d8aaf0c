"""The one registration table of crowdkit-classic: every strategy's name, aliases, class and
summary, registered by a single hook implementation (as llm registers its default models).

This module is the single source of each strategy's name (the classes read it back through
:class:`crowdkit_core.estimator.Estimator`); the paper reference lives on the class. It must
stay light: no numpy or scipy here. One strategy is switched off with
``CROWDKIT_DISABLE_PLUGINS=NAME`` (e.g. ``DS``), the whole distribution with ``classic``.
"""

from __future__ import annotations

from typing import Callable

from crowdkit_core import hookimpl
from crowdkit_core.registry import StrategyInfo

_ = "crowdkit_classic."

STRATEGIES: tuple[StrategyInfo, ...] = (
    StrategyInfo("MV", _ + "majority_vote:MajorityVote", "Majority vote: the most frequent answer of each task.",
                 ("majority_voting", "majority_vote")),
    StrategyInfo("GoldMV", _ + "gold_mv:GoldMV", "Majority vote weighted by each worker's accuracy on gold tasks.",
                 ("gold_mv", "GoldMajorityVote")),
    StrategyInfo("NaiveSoft", _ + "naive_soft:NaiveSoft", "Soft labels: the share of answers given to each class.",
                 ("naive_soft", "soft_mv")),
    StrategyInfo("DS", _ + "dawid_skene:DawidSkene", "Dawid-Skene EM: one confusion matrix per worker, class priors.",
                 ("dawid_skene", "DawidSkene")),
    StrategyInfo("OneCoinDS", _ + "one_coin_ds:OneCoinDS", "One-coin Dawid-Skene: one accuracy per worker.",
                 ("one_coin", "one_coin_dawid_skene")),
    StrategyInfo("WDS", _ + "wds:WDS", "DS, then votes weighted by each worker's confusion-matrix diagonal (peerannot).",
                 ("weighted_dawid_skene", "WeightedDS")),
    StrategyInfo("DSWC", _ + "dswc:DSWC", "Dawid-Skene with L clusters of workers sharing a confusion matrix.",
                 ("dawid_skene_worker_clusters", "DawidSkeneClust")),
    StrategyInfo("GLAD", _ + "glad:GLAD", "GLAD: worker ability and task difficulty, EM with gradient M-step.",
                 ("glad",)),
    StrategyInfo("MACE", _ + "mace:MACE", "MACE: workers are competent or spam with a label strategy.",
                 ("mace",)),
    StrategyInfo("TwoThird", _ + "two_third:TwoThird", "MV where >= 2 votes and the top share >= 2/3, else no label.",
                 ("two_third", "twothirds")),
    StrategyInfo("PlantNet", _ + "plantnet:PlantNet", "Pl@ntNet weighted vote with task validity and an optional AI voter.",
                 ("plant_net",)),
    StrategyInfo("IWMV", _ + "iwmv:IWMV", "Iterative weighted majority vote.",
                 ("iterative_weighted_mv", "iterative_weighted_majority_vote")),
    StrategyInfo("Wawa", _ + "wawa:Wawa", "One pass of worker-agreement-weighted majority vote.",
                 ("worker_agreement_with_aggregate",)),
    StrategyInfo("ZBS", _ + "zbs:ZBS", "Zero-based skill: worker weights learnt by gradient steps on agreement.",
                 ("zero_based_skill", "ZeroBasedSkill")),
    StrategyInfo("KOS", _ + "kos:KOS", "Karger-Oh-Shah message passing (binary tasks only).",
                 ("karger_oh_shah",)),
    StrategyInfo("EBCC", _ + "ebcc:EBCC", "Bayesian classifier combination with subtypes that correlate workers (VB).",
                 ("ebcc", "enhanced_bcc")),
    StrategyInfo("M-MSR", _ + "mmsr:MMSR", "Matrix mean-subsequence-reduced worker reliability (M-MSR).",
                 ("MMSR", "matrix_mean_subsequence_reduced")),
    StrategyInfo("auto", _ + "auto:Auto", "Chooses among candidate strategies by held-out likelihood (no gold).",
                 ("auto_select",)),
    StrategyInfo("IBCC", _ + "ibcc:IBCC", "Bayesian DS: Dirichlet priors on confusion rows and classes, variational Bayes.",
                 ("ibcc", "bayesian_classifier_combination")),
    StrategyInfo("BWA", _ + "bwa:BWA", "Bayesian weighted average: per-class worker precisions with Gamma priors.",
                 ("bwa", "bayesian_weighted_average")),
)

_I = _ + "identification."
#: The identification methods (``crowd identify``).
IDENTIFIERS: tuple[StrategyInfo, ...] = (
    StrategyInfo("entropy", _I + "entropy:Entropy", "Entropy of each task's vote shares or of a strategy's posteriors.",
                 ("task_entropy",), kind="identification"),
    StrategyInfo("krippendorff_alpha", _I + "krippendorff:KrippendorffAlpha",
                 "Krippendorff's alpha (nominal), and each worker's effect on it.",
                 ("alpha", "krippendorff"), kind="identification"),
    StrategyInfo("spam_score", _I + "confusion_scores:SpamScore", "Raykar-Yu spammer score of each worker's confusion matrix.",
                 ("spam", "spammer_score"), kind="identification"),
    StrategyInfo("trace_confusion", _I + "confusion_scores:ConfusionTrace", "Trace of each worker's confusion matrix.",
                 ("trace", "traces_confusion"), kind="identification"),
    StrategyInfo("reliability", _I + "reliability:Reliability", "Per-worker skills of a strategy (GLAD, Wawa, MACE...).",
                 ("worker_reliability", "skills"), kind="identification"),
)


@hookimpl
def crowdkit_register_strategies(register: Callable[..., None]) -> None:
    for info in (*STRATEGIES, *IDENTIFIERS):
        register(info)
