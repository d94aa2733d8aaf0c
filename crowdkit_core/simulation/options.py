"""The options of a simulated crowd, validated in one pydantic model.

Every contradiction between options (more answers per task than workers, a worker load too
small to give every task an answer, an option the chosen worker model does not use) is a
one-line :class:`~crowdkit_core.errors.SpecError` naming the option, raised before anything
is drawn or written.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crowdkit_core.errors import SpecError

WorkerModel = Literal["hammer-spammer", "student-teacher", "independent-confusion", "discrete-difficulty"]

#: The worker models, in the order the docs present them.
WORKER_MODELS: tuple[str, ...] = WorkerModel.__args__  # type: ignore[attr-defined]

#: ``ratio`` when not given, for the models that use it (peerannot's default).
DEFAULT_RATIO = 0.1

#: What ``ratio`` counts, per worker model (None: the model has no use for it).
RATIO_MEANING: dict[str, str | None] = {
    "hammer-spammer": "share of spammers (answer uniformly at random)",
    "student-teacher": "share of students (copy a teacher's confusion matrix)",
    "independent-confusion": None,
    "discrete-difficulty": "share of good workers (Dirichlet(0.2) rows, maximum on the diagonal)",
}


class SimulationOptions(BaseModel):
    """Everything that defines a simulated crowd: the same options and seed give the same
    answers, bit for bit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: WorkerModel = Field(
        "hammer-spammer", description="Worker model: hammer-spammer, student-teacher, "
        "independent-confusion or discrete-difficulty.")
    n_workers: int = Field(30, ge=1, description="Number of workers.")
    n_tasks: int = Field(200, ge=1, description="Number of tasks.")
    n_classes: int = Field(5, ge=2, description="Number of classes K.")
    ratio: Optional[float] = Field(
        None, ge=0.0, le=1.0, description="Share of spammers (hammer-spammer), of students "
        "(student-teacher) or of good workers (discrete-difficulty); default 0.1; not used by "
        "independent-confusion. The count is round(ratio * n_workers).")
    ratio_diff: Optional[float] = Field(
        None, ge=0.0, description="discrete-difficulty only: P(easy) / P(hard) among the tasks "
        "that are not random; default 1.")
    random: Optional[float] = Field(
        None, ge=0.0, le=1.0, description="discrete-difficulty only: probability that a task "
        "is 'random' (every answer uniform); default 0.")
    workerload: Optional[int] = Field(
        None, ge=1, description="Most tasks one worker answers; answers are then dealt out "
        "evenly. None: no bound (each task's workers a uniform random subset).")
    feedback: Optional[int] = Field(
        None, ge=1, description="Answers per task (the maximum under imbalance_votes); "
        "None: every worker answers every task.")
    imbalance_votes: bool = Field(
        False, description="Draw each task's number of answers uniformly in 1..feedback.")
    matrix_file: Optional[str] = Field(
        None, description=".npy file of confusion matrices, shape (n_workers, K, K), "
        "non-negative rows summing to 1 (student-teacher: the first n_teachers are the "
        "teachers'; (n_teachers, K, K) is accepted too).")
    seed: int = Field(0, ge=0, description="Seed of every random draw.")

    @classmethod
    def parse(cls, **values: Any) -> "SimulationOptions":
        """Validated options from keyword values; a one-line SpecError naming the option."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise SpecError(_one_line(exc)) from None

    @property
    def answers_per_task(self) -> int:
        """The answers each task gets (the maximum under ``imbalance_votes``)."""
        return self.n_workers if self.feedback is None else self.feedback

    @property
    def effective_ratio(self) -> float:
        """``ratio``, or its default for the models that use one."""
        return DEFAULT_RATIO if self.ratio is None else self.ratio

    @property
    def effective_ratio_diff(self) -> float:
        return 1.0 if self.ratio_diff is None else self.ratio_diff

    @property
    def effective_random(self) -> float:
        return 0.0 if self.random is None else self.random

    @property
    def n_special(self) -> int:
        """Workers counted by ``ratio`` (spammers, students or good workers)."""
        return int(round(self.effective_ratio * self.n_workers))

    @property
    def name(self) -> str:
        """Default dataset (and folder) name: ``simulation-<strategy>-<seed>``."""
        return f"simulation-{self.strategy}-{self.seed}"

    @model_validator(mode="after")
    def _consistent(self) -> "SimulationOptions":
        model = self.strategy
        if self.ratio is not None and RATIO_MEANING[model] is None:
            raise ValueError(f"--ratio is not used by {model}; drop it (it counts spammers, "
                             "students or good workers in the other models)")
        if model != "discrete-difficulty":
            for name, value in (("--ratio-diff", self.ratio_diff), ("--random", self.random)):
                if value is not None:
                    raise ValueError(f"{name} is only used by discrete-difficulty; drop it or "
                                     "choose -s discrete-difficulty")
        if self.matrix_file is not None and model == "hammer-spammer":
            raise ValueError("--matrix-file is not used by hammer-spammer (its matrices are the "
                             "identity and the uniform one); drop it or use independent-confusion")
        if self.matrix_file is not None and model == "discrete-difficulty" and self.ratio is not None:
            raise ValueError("--ratio is not used with --matrix-file in discrete-difficulty (the "
                             "file gives every worker's matrix); drop one of them")
        if self.answers_per_task > self.n_workers:
            raise ValueError(f"--feedback {self.feedback} asks for more answers per task than "
                             f"there are workers ({self.n_workers}); lower it or add workers")
        if model == "student-teacher" and self.n_special >= self.n_workers:
            raise ValueError(f"--ratio {self.effective_ratio} leaves no teacher among "
                             f"{self.n_workers} workers; lower it below "
                             f"{1 - 0.5 / self.n_workers:.4g}")
        if self.workerload is not None:
            need = self.n_tasks * (1 if self.imbalance_votes else self.answers_per_task)
            capacity = self.n_workers * self.workerload
            if need > capacity:
                raise ValueError(
                    f"--workerload {self.workerload} is too small: {self.n_tasks} tasks x "
                    f"{1 if self.imbalance_votes else self.answers_per_task} answers = {need} "
                    f"answers, but {self.n_workers} workers x {self.workerload} = {capacity}; "
                    f"raise it to at least {-(-need // self.n_workers)} or lower --feedback")
        return self


def _one_line(exc: ValidationError) -> str:
    """The first validation error as ``simulate: --option: message``."""
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["loc"]:
        option = "--" + str(error["loc"][0]).replace("_", "-")
        if error["type"] == "extra_forbidden":
            return f"simulate: unknown option {option}; see `crowd simulate --help`"
        return f"simulate: {option}={error.get('input')!r}: {message}"
    return f"simulate: {message}"
