"""The numbers behind ``crowd report``, gathered from the library's own jobs (no plotting).

Worker confusion matrices and spam scores come from :func:`crowdkit_core.identify_job.identify`
(``spam_score[on=SPEC]``), task entropies from ``identify(..., "entropy")`` and the strategy
comparison from :func:`crowdkit_core.evaluation.evaluate`: the report shows what the
commands compute, never a second implementation of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

from crowdkit_core.errors import CrowdkitError

if TYPE_CHECKING:
    from crowdkit_core.dataset import CrowdDataset
    from crowdkit_core.evaluation import DatasetEvaluation
    from crowdkit_core.plugins import PluginRegistry

#: Strategies compared when the dataset has gold labels and no ``-s`` is given: fast ones
#: of each family (vote, weighted vote, confusion-matrix EM, MACE's spammer model).
DEFAULT_SPECS: tuple[str, ...] = ("MV", "Wawa", "DS", "MACE")


@dataclass
class WorkerView:
    """Per-worker arrays, in the dataset's worker order."""

    ids: np.ndarray
    answers: np.ndarray
    confusion: np.ndarray  # (n_workers, K, K) rows = true class, columns = answered label
    spam: np.ndarray  # Raykar & Yu's spam score in [0, 1]
    source: str  # the spec that gave the confusion matrices

    def largest(self, cap: int) -> np.ndarray:
        """Indices of the ``cap`` workers with most answers (ties in worker order)."""
        return np.argsort(-self.answers, kind="stable")[:cap]

    def least_reliable(self, cap: int | None = None) -> np.ndarray:
        """Indices from lowest to highest spam score (ties in worker order)."""
        return np.argsort(self.spam, kind="stable")[:cap]


@dataclass
class TaskView:
    """Per-task arrays, in the dataset's task order."""

    ids: np.ndarray
    answers: np.ndarray
    votes: np.ndarray  # (n_tasks, K) answer counts
    entropy: np.ndarray  # nats, of the vote shares
    ranking: np.ndarray  # most ambiguous first
    gold: np.ndarray | None
    images: dict[int, str] = field(default_factory=dict)  # task index -> data: URI


@dataclass
class ReportData:
    """Everything the report shows about one dataset."""

    data: "CrowdDataset"
    workers: WorkerView
    tasks: TaskView
    comparison: "DatasetEvaluation | None"
    notes: list[str] = field(default_factory=list)

    @property
    def label_names(self) -> list[str]:
        return [self.data.label_name(k) for k in range(self.data.n_classes)]


def plan_comparison(data: "CrowdDataset", specs: Sequence[str] | None, gold: "str | os.PathLike[str] | None",
                    registry: "PluginRegistry | None", seed: int | None,
                    ) -> tuple["CrowdDataset | None", list[str]]:
    """The dataset with gold to score on (None: no comparison) and the specs to run.

    Explicit ``specs`` or ``gold`` without any gold label is an error; without either, a
    dataset without gold simply gets no comparison. Specs are resolved here, so a wrong one
    fails before any work.
    """
    from crowdkit_core.evaluation import load_gold_dataset, plan_specs, split_specs

    chosen = [s for text in specs for s in split_specs(text)] if specs else []
    if specs is not None and not chosen:
        return None, []  # an explicit empty list: no comparison
    plan_specs(chosen or list(DEFAULT_SPECS), seed=seed, registry=registry)
    has_gold = data.gold is not None and bool((np.asarray(data.gold) >= 0).any())
    if not chosen and gold is None and not has_gold:
        return None, []
    return load_gold_dataset(data, gold), chosen or list(DEFAULT_SPECS)


def gather(data: "CrowdDataset", *, specs: Sequence[str] | None = None,
           gold: "str | os.PathLike[str] | None" = None, confusion_on: str = "DS",
           time_limit: float | None = 60.0, seed: int | None = None,
           registry: "PluginRegistry | None" = None, images: bool = True,
           image_tasks: int = 12) -> ReportData:
    """Run the identification and evaluation jobs the report needs on ``data``.

    ``specs``: strategies to compare on gold labels (None: :data:`DEFAULT_SPECS` when the
    dataset has gold; ``[]``: no comparison); ``gold``: a gold file instead of the dataset's
    own; ``confusion_on``: the strategy whose confusion matrices are drawn and scored.
    """
    from crowdkit_core.evaluation import evaluate
    from crowdkit_core.identify_job import identify
    from crowdkit_core.report.images import task_images

    if time_limit is not None and time_limit <= 0:
        raise CrowdkitError(f"--time-limit {time_limit:g}: give a positive number of seconds")
    scored, chosen = plan_comparison(data, specs, gold, registry, seed)
    spam = identify(data, f"spam_score[on={confusion_on}]", seed=seed, registry=registry)
    entropy = identify(data, "entropy", seed=seed, registry=registry)
    workers = WorkerView(data.worker_ids, np.asarray(data.answers_per_worker),
                         np.asarray(spam.model.confusion_matrices_, dtype=np.float64),
                         spam.scores, confusion_on)
    ranking = entropy.model.ranking()
    task_gold = scored.gold if scored is not None else data.gold
    tasks = TaskView(data.task_ids, np.asarray(data.answers_per_task), np.asarray(data.vote_counts),
                     np.asarray(entropy.model.entropies_), ranking,
                     None if task_gold is None else np.asarray(task_gold))
    notes = list(dict.fromkeys([*spam.warnings, *entropy.warnings]))
    if images:
        tasks.images, image_notes = task_images(data, ranking[:image_tasks])
        notes += image_notes
    comparison = None
    if scored is not None:
        comparison = evaluate([scored], chosen, time_limit=time_limit, seed=seed,
                              registry=registry).datasets[0]
    return ReportData(data, workers, tasks, comparison, notes)
