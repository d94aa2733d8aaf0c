"""The image side of a custom install: task numbering, the validation split, placing files.

Numbering: training file of task i = line i+1 of ``--files-path`` (tasks 0..L-1, L lines);
``--val-path`` files follow as L, L+1, ... and ``--test-path`` files after them, each in
sorted ``<class>/<file>`` order. Without ``--val-path`` a seeded fraction of the answered
training tasks moves to val/, with their answers in ``answers_valid.json``. Listed training
files whose task has no answers are not installed (train/ holds exactly the answered tasks):
their count is recorded in metadata.json as ``unanswered_files``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crowdkit_core.errors import DatasetError

from crowdkit_datasets.custom.folders import (
    UserFile, check_classes, match_files, place, read_files_list, scan,
)

Answers = dict[int, dict[str, int]]


@dataclass
class ImageSplits:
    """The user's scanned folders (val and test may be absent)."""

    train_root: Path
    train: list[UserFile]
    val: list[UserFile] | None = None
    test: list[UserFile] | None = None
    link: bool = False

    @classmethod
    def scan(cls, opts: dict[str, Any]) -> "ImageSplits":
        root = Path(str(opts["train-path"])).expanduser()
        found = {key: scan(Path(str(opts[key])).expanduser(), key) if opts.get(key) else None
                 for key in ("val-path", "test-path")}
        return cls(root, scan(root, "train-path"), found["val-path"], found["test-path"],
                   bool(opts.get("link")))

    def class_names(self) -> list[str]:
        """Sorted class folder names over every given folder (ImageFolder's order)."""
        every = self.train + (self.val or []) + (self.test or [])
        return sorted({f.label for f in every})

    def check_classes(self, names: list[str]) -> None:
        for files, option in ((self.train, "train-path"), (self.val, "val-path"),
                              (self.test, "test-path")):
            if files is not None:
                check_classes(files, names, option)


@dataclass
class ImageResult:
    """What the image side changes in the dataset's files."""

    answers: Answers
    gold: dict[int, int]
    val_answers: Answers = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def build_images(ctx: Any, splits: ImageSplits, answers: Answers, gold: dict[int, int],
                 test_gold: dict[int, int], names: list[str], answers_path: Path,
                 list_path: Path, val_ratio: float, truth_path: Path | None) -> ImageResult:
    """Place every image, split off val/ when needed and return the split answers and gold."""
    splits.check_classes(names)
    entries = read_files_list(list_path)
    listed = match_files(entries, splits.train, list_path, splits.train_root)
    beyond = [t for t in sorted(answers) if t >= len(entries)]
    if beyond:
        raise DatasetError(f"{answers_path}: task {beyond[0]} has answers but the files list "
                           f"{list_path} has {len(entries)} lines; add the file of task {beyond[0]} "
                           f"on line {beyond[0] + 1}")
    index = {n: i for i, n in enumerate(names)}
    for task, label in sorted(gold.items()):
        if task in listed and index[listed[task].label] != label:
            raise DatasetError(f"{truth_path}: task {task}: true label {names[label]!r} but its file "
                               f"{listed[task].path} is in class folder {listed[task].label!r}; "
                               "fix one of them")
    train = {t: listed[t] for t in sorted(answers)}
    unanswered = len(listed) - len(train)
    if unanswered:
        ctx.log(f"{unanswered} listed training files have no answers and are not installed")
    gold = dict(gold)
    next_task = len(entries)
    val_answers: Answers = {}
    if splits.val is not None:
        val = {next_task + j: f for j, f in enumerate(splits.val)}
        gold.update({t: index[f.label] for t, f in val.items()})
        next_task += len(val)
    else:
        chosen = _val_tasks(sorted(train), val_ratio, ctx.seed)
        val = {t: train.pop(t) for t in chosen}
        val_answers = {t: answers[t] for t in chosen}
        answers = {t: a for t, a in answers.items() if t not in val}
    if splits.test is not None:
        test = {next_task + j: f for j, f in enumerate(splits.test)}
        for position, label in sorted(test_gold.items()):
            file = splits.test[position]
            if index[file.label] != label:
                raise DatasetError(f"{truth_path}: test file {position} ({file.path}): true label "
                                   f"{names[label]!r} but class folder {file.label!r}; fix one of them")
        gold.update({t: index[f.label] for t, f in test.items()})
        place(test, ctx.folder, "test", link=splits.link)
    place(train, ctx.folder, "train", link=splits.link)
    place(val, ctx.folder, "val", link=splits.link)
    metadata = {"unanswered_files": unanswered, "n_val_tasks": len(val),
                "val_split": "--val-path" if splits.val is not None else
                f"seeded random {val_ratio} of train (seed {ctx.seed})",
                "files": "links" if splits.link else "copies"}
    return ImageResult(answers, gold, val_answers, metadata)


def _val_tasks(tasks: list[int], ratio: float, seed: int) -> list[int]:
    """round(ratio * n) of ``tasks`` (at most n-1), drawn with ``seed``; sorted."""
    count = min(int(round(ratio * len(tasks))), max(len(tasks) - 1, 0))
    picked = np.random.default_rng(seed).permutation(len(tasks))[:count]
    return sorted(tasks[i] for i in picked.tolist())
