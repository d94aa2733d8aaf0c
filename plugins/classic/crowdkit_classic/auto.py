"""auto: choose (or combine) aggregation strategies without gold labels.

Every candidate (any registered aggregator, given by its spec) is fitted on seeded splits
that hide a share of each worker's answers, and scored by the mean log-probability it gives
the hidden answers (:mod:`crowdkit_classic._holdout`). The best candidate is refitted on all
answers; with ``combine='stacking'`` the candidates' posteriors are averaged with the
weights that maximise the held-out likelihood of the mixture instead (Yao, Vehtari, Simpson
& Gelman, "Using stacking to average Bayesian predictive distributions", Bayesian Analysis
13(3), 2018).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from crowdkit_core.aggregator import Aggregator
from crowdkit_core.dataset import CrowdDataset
from crowdkit_core.estimator import Output
from crowdkit_core.params import StrategyParams

from crowdkit_classic._holdout import answer_probabilities, make_splits, worker_model

#: The default candidates: one-coin, full-confusion and clustered-confusion worker models;
#: together they cost at most 10x a DS fit (see the docs page).
DEFAULT_CANDIDATES = ("OneCoinDS", "DS", "DSWC")
#: Stacking weights below this share are dropped before the final refits.
MIN_WEIGHT = 1e-3


class AutoParams(StrategyParams):
    """auto parameters: the candidate specs, the held-out splits and how to use the scores."""

    candidates: list[str] = Field(
        list(DEFAULT_CANDIDATES), min_length=1,
        description="Aggregation specs to choose from, e.g. ['MV','DS','DSWC[n_clusters=3]'] "
                    "(quote a spec that has brackets: 'DS[smoothing=1]'). Each gets auto's "
                    "seed unless its spec sets one.",
    )
    folds: int = Field(
        1, ge=1, le=50,
        description="Number of train / held-out splits each candidate is fitted on; scores "
                    "are summed over them.",
    )
    holdout: float = Field(
        0.3, gt=0.0, lt=1.0,
        description="Share of each worker's answers hidden in one split. Splits are "
                    "consecutive windows of this width over a seeded order of each worker's "
                    "answers, so folds * holdout <= 1 gives disjoint held-out sets (k-fold).",
    )
    rule: Literal["own", "confusion", "one_coin"] = Field(
        "own",
        description="Answer model that turns a candidate's posteriors into predictions of "
                    "hidden answers: 'own' uses the candidate's own per-worker confusion "
                    "matrices (DS, OneCoinDS, DSWC, ...) and, for a candidate without one "
                    "(MV, GLAD, ...), a one-coin model fitted to its posteriors; "
                    "'confusion' / 'one_coin' fit that model to every candidate's posteriors.",
    )
    smoothing: float = Field(
        1.0, gt=0.0,
        description="Pseudo-count of the answer models auto fits to posteriors (rule "
                    "'confusion' and 'one_coin', and the fallback of 'own').",
    )
    combine: Literal["best", "stacking"] = Field(
        "best",
        description="'best': the candidate with the highest held-out score, refitted on all "
                    "answers; 'stacking': the average of the candidates' posteriors with "
                    "the weights that maximise the held-out likelihood of the mixture.",
    )

    @field_validator("candidates")
    @classmethod
    def _resolvable(cls, candidates: list[str]) -> list[str]:
        """Every candidate is a distinct aggregation spec (checked before anything is fitted)."""
        canonical = [candidate_spec(text).canonical for text in candidates]
        for i, name in enumerate(canonical):
            if name in canonical[:i]:
                raise ValueError(f"candidate {candidates[i]!r} is given twice ({name}); "
                                 "list each candidate once")
        return list(candidates)


def candidate_spec(text: str, seed: int | None = None) -> Any:
    """``text`` resolved as an aggregation strategy other than auto (ValueError otherwise)."""
    from crowdkit_core.errors import SpecError
    from crowdkit_core.spec import resolve_spec

    try:
        resolved = resolve_spec(text, kind="aggregation",
                                extra={"seed": seed} if seed is not None else None)
    except SpecError as exc:
        raise ValueError(f"candidate {text!r}: {str(exc).splitlines()[0]}") from None
    if issubclass(resolved.strategy_class, Auto):
        raise ValueError(f"candidate {text!r}: auto cannot be its own candidate; list other "
                         "strategies")
    return resolved


class Auto(Aggregator[AutoParams]):
    """Held-out likelihood model choice over candidate strategies (no gold labels needed).

    For each split ``s`` and candidate ``c`` fitted on the kept answers, a hidden answer
    ``l`` of worker ``j`` on task ``i`` gets ``p_c = sum_k T_c[i, k] pi_c,j[k, l]`` with
    ``T_c`` the candidate's posteriors from the task's kept answers and ``pi_c,j`` its
    answer model of worker ``j`` (``rule``). ``scores_[c]`` is the mean of ``log p_c`` over
    every scored hidden answer of every split.

    Fitted: ``chosen_`` (spec of the winner, or of the largest stacking weight),
    ``scores_`` and ``weights_`` (by candidate spec), ``n_scored_`` (hidden answers
    scored), ``model_`` (the winner refitted on all answers), ``proba_``, ``labels_``.
    """

    reference = (
        "Held-out predictive likelihood for model selection (e.g. Hastie, Tibshirani & "
        "Friedman, The Elements of Statistical Learning, 2nd ed., 2009, ch. 7); stacking: "
        "Yao, Vehtari, Simpson & Gelman, Bayesian Analysis 13(3):917-1007, 2018"
    )
    outputs = (
        Output("chosen_", "dataset", (), "spec of the chosen candidate (largest weight)"),
        Output("scores_", "dataset", (),
               "mean held-out log-likelihood per answer (nats) of each candidate, by spec"),
        Output("weights_", "dataset", (),
               "weight of each candidate in the result, by spec (1 for the chosen one "
               "with combine='best')"),
        Output("n_scored_", "dataset", (), "number of hidden answers scored over all splits"),
        Output("model_", "dataset", (), "the chosen candidate fitted on all answers",
               saved=False),
    )

    def _fit(self, dataset: CrowdDataset) -> None:
        p = self.params
        specs = [candidate_spec(text, p.seed) for text in p.candidates]
        names = [candidate_spec(text).canonical for text in p.candidates]  # without auto's seed
        probabilities = held_out_probabilities(dataset, specs, p.folds, p.holdout, p.seed,
                                               p.rule, p.smoothing)
        self.n_scored_ = int(probabilities.shape[1])
        if self.n_scored_ == 0:
            scores = np.zeros(len(specs))
            self.warnings_.append("auto: no answer could be held out (every task or worker "
                                  "has a single answer); the first candidate is used")
        else:
            scores = np.log(probabilities).mean(axis=1)
        if p.combine == "stacking" and self.n_scored_:
            weights = stacking_weights(probabilities)
        else:
            weights = np.zeros(len(specs))
            weights[int(np.argmax(scores))] = 1.0
        self.scores_ = {name: float(score) for name, score in zip(names, scores)}
        self.weights_ = {name: float(weight) for name, weight in zip(names, weights)}
        chosen = int(np.argmax(weights))
        self.chosen_ = names[chosen]
        proba = np.zeros((dataset.n_tasks, dataset.n_classes))
        for index in np.flatnonzero(weights >= MIN_WEIGHT):
            model = specs[index].build().fit(dataset)
            proba += weights[index] * np.asarray(model.proba_, dtype=np.float64)
            if index == chosen:
                self.model_ = model
                self.warnings_ += list(model.warnings_)
                self.converged_ = bool(model.converged_)
        self.proba_ = proba / proba.sum(axis=1, keepdims=True)

    def summary(self) -> dict[str, str]:
        """The choice and its reason: each candidate's held-out score (and weight)."""
        if "chosen_" not in self.__dict__:
            return {}
        scores = ", ".join(
            f"{name} {score:.4f}" + (f" (w {self.weights_[name]:.2f})"
                                    if self.params.combine == "stacking" else "")
            for name, score in sorted(self.scores_.items(), key=lambda item: -item[1]))
        return {"chosen": self.chosen_,
                "held-out log-lik / answer": f"{scores} on {self.n_scored_} hidden answers"}


def held_out_probabilities(dataset: CrowdDataset, specs: list[Any], folds: int,
                           holdout: float, seed: int, rule: str, smoothing: float) -> np.ndarray:
    """(n_candidates, n_scored) probability each candidate gives each scored hidden answer."""
    columns = []
    for split in make_splits(dataset, folds, holdout, seed):
        rows = []
        for spec in specs:
            model = spec.build().fit(split.train)
            confusion = worker_model(model, split.train, rule, smoothing)
            rows.append(answer_probabilities(split, np.asarray(model.proba_, dtype=np.float64),
                                             confusion))
        columns.append(np.array(rows))
    return np.concatenate(columns, axis=1) if columns else np.zeros((len(specs), 0))


def stacking_weights(probabilities: np.ndarray, max_iter: int = 500,
                     tol: float = 1e-10) -> np.ndarray:
    """Simplex weights ``w`` maximising ``sum_n log sum_c w_c p_cn`` (EM for mixture weights).

    Each step ``w_c <- mean_n w_c p_cn / sum_c' w_c' p_c'n`` increases the objective, which
    is concave in ``w``; it starts from equal weights and stops when it gains less than tol
    per answer.
    """
    n_candidates = probabilities.shape[0]
    weights = np.full(n_candidates, 1.0 / n_candidates)
    previous = -np.inf
    for _ in range(max_iter):
        mixture = weights @ probabilities
        objective = float(np.log(mixture).mean())
        if objective - previous < tol:
            break
        previous = objective
        weights = (weights[:, None] * probabilities / mixture).mean(axis=1)
    return weights
