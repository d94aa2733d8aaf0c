"""Majority vote: each task gets its most frequent answer, or its largest total worker skill
when skills are given (crowd-kit's weighted ``MajorityVote``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from crowdkit_core.aggregator import Aggregator, labels_from_proba
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.errors import DatasetError
from crowdkit_core.estimator import FitInput, Output, Tags
from crowdkit_core.params import StrategyParams

from crowdkit_classic._inputs import keyed_values
from crowdkit_classic._weighted_vote import share_proba, weighted_scores, worker_agreement

MissingSkill = Literal["error", "ignore", "value"]


class MVParams(StrategyParams):
    """MV's ``ties`` and ``seed``, and what to do with workers the given skills omit."""

    on_missing_skill: MissingSkill = Field(
        "error",
        description="With skills: a worker without a skill is an error ('error'), has its "
                    "answers left out ('ignore'; a task left with no answer is an error), or "
                    "gets default_skill ('value'), as crowd-kit's MajorityVote.")
    default_skill: float | None = Field(
        None, description="The skill of workers the skills omit, with on_missing_skill='value' "
                          "(required then, and only then).")

    @model_validator(mode="after")
    def _default_only_with_value(self) -> "MVParams":
        if (self.on_missing_skill == "value") != (self.default_skill is not None):
            raise ValueError("default_skill is given exactly when on_missing_skill='value' "
                             "(the skill of workers the skills omit)")
        return self


class MajorityVote(Aggregator[MVParams]):
    """Most frequent label per task, or the label with the largest total skill.

    ``proba_`` is the one-hot encoding of the chosen label (peerannot's MV output);
    ``vote_share_`` holds the share of answers per class (what NaiveSoft returns), or with
    skills each class's share of the task's total (non-negative) skill. Ties follow
    ``ties``: seeded uniform choice among the tied labels, or the lowest label, which
    reproduces crowd-kit's published MV accuracies.
    """

    reference = "Condorcet (1785); crowd-kit MajorityVote; peerannot MV"
    outputs = (
        Output('vote_share_', 'dataset', ('n_tasks', 'K'),
               "share of each task's answers (or of its total skill) given to each class",
               saved=False),
        Output('skills_', 'worker', ('n_workers',),
               "share of each worker's answers equal to the chosen label (crowd-kit's "
               "MajorityVote.skills_; local engine)", role="skill"),
    )
    fit_inputs = (
        FitInput("skills", "weight of each worker's votes: a {worker: skill} mapping or "
                           "pandas Series, a list in worker order, or a file (JSON {worker: "
                           "skill}, CSV/TSV worker,skill, a crowdkit workers file with a "
                           "'skill' field)"),
    )

    tags = Tags(engines=("threads", "dask"))

    def fit(self, data: Any, skills: Any = None, **inputs: Any) -> "MajorityVote":
        """Fit on ``data``; ``skills`` (also positional, as crowd-kit's ``fit(data, skills)``)
        weights each worker's votes."""
        return super().fit(data, skills=skills, **inputs)

    def _fit_partitioned(self, dataset: Any, skills: Any = None) -> None:
        from crowdkit_classic._partitioned import fit_majority_vote

        if skills is not None:
            from crowdkit_core.errors import EngineError

            raise EngineError("MV: skills are not supported on the dask engine yet; fit with "
                              "the local engine to weight votes")
        fit_majority_vote(self, dataset)

    def _fit(self, dataset: CrowdDataset, skills: Any = None) -> None:
        if skills is None:
            counts = dataset.vote_counts
            self.vote_share_ = counts / counts.sum(axis=1, keepdims=True)
        else:
            counts = weighted_scores(dataset, self._worker_skills(dataset, skills))
            self.vote_share_ = share_proba(counts)
        self.labels_ = labels_from_proba(counts, self.params.ties, self.rng())
        self.skills_ = worker_agreement(dataset, self.labels_)
        proba = np.zeros_like(counts)
        proba[np.arange(dataset.n_tasks), self.labels_] = 1.0
        self.proba_ = proba

    def _worker_skills(self, dataset: CrowdDataset, source: Any) -> np.ndarray:
        """One finite weight per worker, ``on_missing_skill`` applied (0 for 'ignore')."""
        p = self.params
        raw = keyed_values(source, dataset.worker_ids, "skills", "worker", read=_workers_file_skills)
        missing = np.array([v is None or v == "" for v in raw])
        try:
            skills = np.array([np.nan if m else float(v) for v, m in zip(raw, missing)])
        except (TypeError, ValueError) as exc:
            raise DatasetError(f"skills: {exc}; give one number per worker") from None
        if not np.isfinite(skills[~missing]).all():
            worker = dataset.worker_ids[np.flatnonzero(~missing & ~np.isfinite(skills))[0]]
            raise DatasetError(f"skills: worker {worker!r} has a skill that is not a finite number")
        if missing.any():
            first = dataset.worker_ids[np.flatnonzero(missing)[0]]
            if p.on_missing_skill == "error":
                raise DatasetError(
                    f"skills: {int(missing.sum())} workers have no skill (first: {first!r}); give "
                    "every worker one, or set on_missing_skill to 'ignore' or 'value'")
            skills[missing] = p.default_skill if p.on_missing_skill == "value" else 0.0
            if p.on_missing_skill == "ignore":
                counted = np.bincount(dataset.tasks, weights=(~missing[dataset.workers]).astype(float),
                                      minlength=dataset.n_tasks)
                if (counted == 0).any():
                    task = dataset.task_ids[np.flatnonzero(counted == 0)[0]]
                    raise DatasetError(
                        f"skills: {int((counted == 0).sum())} tasks have no answer from a worker with "
                        f"a skill (first: {task!r}); give those workers skills or use "
                        "on_missing_skill='value'")
        return skills


def _workers_file_skills(path: Path) -> Any:
    """The ``skill`` field of a crowdkit workers file as {worker: skill}; None for other files."""
    if path.suffix.lower() != ".json":
        return None
    with path.open("rb") as handle:
        start = handle.read(256)
    if b"crowdkit-workers" not in start:
        return None
    from crowdkit_core.worker_file import read_worker_table

    table = read_worker_table(path)
    if "skill" not in table.fields:
        raise DatasetError(f"skills: {path}: this workers file ({table.strategy}) has no 'skill' "
                           f"field (fields: {', '.join(table.fields)}); use one written by a "
                           "strategy that estimates skills, such as OneCoinDS")
    return dict(zip(table.worker_ids, np.asarray(table.fields["skill"]).tolist()))
