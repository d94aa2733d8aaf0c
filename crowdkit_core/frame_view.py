"""Fitted results as pandas objects keyed by the original ids, in crowd-kit's layout.

The arrays (``labels_``, ``proba_``, ``confusion_matrices_``...) stay the fast path; this view
builds pandas objects from them on demand, so pandas is needed only by whoever asks::

    model = DS().fit(df)
    model.frames.labels      # Series indexed by task (name "task"), label values
    model.frames.proba       # DataFrame: index task, one column per label
    model.frames.errors      # DataFrame: index (worker, label answered), columns true label
    model.frames.skills      # Series indexed by worker

Labels are given back as the user wrote them: a DataFrame's own label values (ints stay
ints), else the dataset's label names, else class indices (:func:`~crowdkit_core.dataset.
frames.label_values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from crowdkit_core.errors import NotFittedError

if TYPE_CHECKING:
    from crowdkit_core.estimator import Estimator

#: The one-line message when pandas is missing.
PANDAS_MISSING = ("pandas output needs pandas, which is not installed: pip install pandas "
                  "(or pip install 'crowdkit-core[pandas]')")


def require_pandas() -> Any:
    """The pandas module, or an ImportError saying how to install it (one line)."""
    try:
        import pandas
    except ImportError:
        raise ImportError(PANDAS_MISSING) from None
    return pandas


@dataclass(frozen=True)
class FitIndex:
    """What a fit saw that maps its arrays back to ids: task ids, worker ids, the label value
    of each class, and whether the input was a DataFrame (then fit_predict answers in pandas)."""

    task_ids: Any
    worker_ids: Any
    label_values: tuple[Any, ...]
    from_frame: bool = False

    @classmethod
    def of(cls, dataset: Any, from_frame: bool = False) -> "FitIndex | None":
        """The index of ``dataset`` (None for one without ids, e.g. partitions on a cluster)."""
        from crowdkit_core.dataset.frames import label_values

        if not hasattr(dataset, "task_ids") or not hasattr(dataset, "label_names"):
            return None
        return cls(dataset.task_ids, dataset.worker_ids, label_values(dataset), from_frame)


class FrameView:
    """pandas views of one fitted estimator (``model.frames``); each access builds a fresh
    object, so editing it never changes the model."""

    def __init__(self, model: "Estimator[Any]") -> None:
        self._model = model

    # -- ids -------------------------------------------------------------------------------
    def _index(self) -> FitIndex:
        index = self._model.__dict__.get("_fit_index")
        if index is None:
            raise NotFittedError(f"{type(self._model).__name__}.frames: call fit(data) first "
                                 "(a fit on cluster partitions has no ids to key frames by)")
        return index

    def _value(self, name: str) -> np.ndarray:
        """The fitted attribute ``name`` as an array (NotFittedError before fit)."""
        return np.asarray(getattr(self._model, name))

    def _task_ids(self) -> Any:
        ids = self._model.__dict__.get("task_ids_")  # partial_fit: every task seen so far
        return self._index().task_ids if ids is None else ids

    def _worker_ids(self) -> Any:
        ids = self._model.__dict__.get("worker_ids_")
        return self._index().worker_ids if ids is None else ids

    def _labels_index(self, pd: Any, name: str = "label") -> Any:
        return pd.Index(list(self._index().label_values), name=name)

    # -- task results ----------------------------------------------------------------------
    @property
    def labels(self) -> Any:
        """``labels_`` as a Series indexed by task id (index name ``task``, name
        ``agg_label`` as crowd-kit's), holding label values; None where a strategy abstains."""
        pd = require_pandas()
        codes = self._value("labels_").astype(np.int64)
        values = np.array([*self._index().label_values, None], dtype=object)
        series = pd.Series(values[codes], index=pd.Index(self._task_ids(), name="task"),
                           name="agg_label")
        return series.infer_objects()

    @property
    def proba(self) -> Any:
        """``proba_`` as a DataFrame: index task id (``task``), one column per label
        (columns named ``label``), crowd-kit's ``probas_``."""
        pd = require_pandas()
        return pd.DataFrame(self._value("proba_"), index=pd.Index(self._task_ids(), name="task"),
                            columns=self._labels_index(pd))

    # -- worker results --------------------------------------------------------------------
    @property
    def skills(self) -> Any:
        """The per-worker skill as a Series indexed by worker id (name ``skill``): the output
        named ``skills_`` when the strategy has one (crowd-kit's name), else its output with
        role ``skill`` (GLAD's ``alphas_``, MACE's ``thetas_``...)."""
        name = self._skill_output()
        return self.output(name).rename("skill")

    def _skill_output(self) -> str:
        cls = type(self._model)
        names = {o.name: o for o in cls.declared_outputs()}
        skills = names.get("skills_")
        if skills is not None and skills.axis == "worker" and len(skills.shape) == 1:
            return "skills_"
        output = cls.output_with_role("skill")
        if output is None:
            raise AttributeError(f"{cls.__name__} estimates no per-worker skill (no output "
                                 "named skills_ or with role 'skill'); see frames.workers")
        return output.name

    @property
    def errors(self) -> Any:
        """The confusion matrices (the output with role ``confusion``) in crowd-kit's
        ``errors_`` layout: index (worker, answered label), one column per true label, so
        ``errors.loc[(w, l), k]`` is P(w answers l | true k); each worker's columns sum to 1.
        Every label has its row (crowd-kit has rows only for labels the worker gave)."""
        pd = require_pandas()
        cls = type(self._model)
        output = cls.output_with_role("confusion")
        if output is None:
            raise AttributeError(f"{cls.__name__} estimates no confusion matrices (no output with "
                                 "role 'confusion')")
        matrices = self._value(output.name)  # [worker, true k, answered l]
        n_workers, k, _ = matrices.shape
        labels = list(self._index().label_values)
        index = pd.MultiIndex.from_product([list(self._worker_ids()), labels],
                                           names=["worker", "label"])
        rows = matrices.transpose(0, 2, 1).reshape(n_workers * k, k)  # [(worker, l), k]
        return pd.DataFrame(rows, index=index, columns=self._labels_index(pd))

    @property
    def workers(self) -> Any:
        """Every per-worker output with one value per worker (skills, abilities, weights...),
        one column each (named without the trailing ``_``), indexed by worker id."""
        return self._table("worker")

    @property
    def tasks(self) -> Any:
        """Every per-task output with one value per task (difficulties, validity...) but the
        labels, one column each, indexed by task id."""
        return self._table("task")

    @property
    def priors(self) -> Any:
        """``priors_`` as a Series indexed by label (name ``prior``), crowd-kit's ``priors_``."""
        pd = require_pandas()
        return pd.Series(self._value("priors_"), index=self._labels_index(pd), name="prior")

    def output(self, name: str) -> Any:
        """The declared output ``name`` keyed by id: a Series (one value per task or worker),
        a DataFrame (a per-task or per-worker row over the classes), else the array itself."""
        pd = require_pandas()
        cls = type(self._model)
        output = {o.name: o for o in cls.declared_outputs()}.get(name)
        if output is None:
            raise AttributeError(f"{cls.__name__} has no output {name!r} (outputs: "
                                 f"{', '.join(o.name for o in cls.declared_outputs())})")
        value = self._value(name)
        if output.axis not in ("task", "worker") or value.ndim > 2:
            return value
        ids = self._task_ids() if output.axis == "task" else self._worker_ids()
        index = pd.Index(ids, name=output.axis)
        if value.ndim == 1:
            return pd.Series(value, index=index, name=name.rstrip("_"))
        columns = self._labels_index(pd) if output.shape[1:] == ("K",) else None
        return pd.DataFrame(value, index=index, columns=columns)

    def _table(self, axis: str) -> Any:
        pd = require_pandas()
        skip = {"labels_", "proba_"}
        columns = {o.name.rstrip("_"): self.output(o.name) for o in type(self._model).declared_outputs()
                   if o.axis == axis and len(o.shape) == 1 and o.name not in skip
                   and o.name in self._model.__dict__}
        ids = self._task_ids() if axis == "task" else self._worker_ids()
        return pd.DataFrame(columns, index=pd.Index(ids, name=axis))
