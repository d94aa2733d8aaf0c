"""``crowd install custom --name NAME --answers FILE ...``: the user's own dataset.

The options are those of peerannot's ``customDataset.py`` (same names and meaning; formats
also by readable names), plus ``--name`` (the installed folder), ``--val-ratio`` and
``--link``. What is written:

- ``answers.json``: the training tasks' answers (task keys = indices in the file names);
- ``answers_valid.json``: the answers of the tasks that the random validation split moved
  from train/ to val/ (kept, never dropped; ``answers.json`` covers train/ only, as the core's
  install check requires);
- ``truth.csv``: known true labels (val/ and test/ folders, ``--test-ground-truth``);
- ``task_ids.csv``: index,task when answers-only task ids were not integers and were numbered;
- ``metadata.json`` and the ``train/ val/ test/<class>/<stem>-<task>.<ext>`` copies or links.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from crowdkit_core.dataset.formats import load_json
from crowdkit_core.errors import DatasetError
from crowdkit_core.install.layout import write_answers, write_metadata, write_truth
from crowdkit_core.installers import DatasetCard, DatasetInstaller, InstallerOption
from crowdkit_core.output import atomic_write_bytes

from crowdkit_datasets.custom.answer_files import FORMATS, existing_file, format_name, read_rows
from crowdkit_datasets.custom.images import ImageSplits, build_images
from crowdkit_datasets.custom.labels import (
    check_names, code_answers, code_label, names_from_labels, read_label_names, sorted_order,
)
from crowdkit_datasets.custom.truth import read_truth_rows

Answers = dict[int, dict[str, int]]
_FORMAT_CHOICES = tuple(FORMATS)
IMAGE_OPTIONS = ("files-path", "train-path", "val-path", "test-path")


class CustomInstaller(DatasetInstaller):
    """Installs the user's answers (and images) from local files; downloads nothing."""

    card = DatasetCard(
        title="Your own crowdsourced labels, optionally with train/val/test image folders",
        kind="answers",
        download_size=0,
        license="yours",
        license_notes="that of your data",
        citation="peerannot's customDataset.py options (Lefort et al., peerannot, 2024)",
        homepage="https://peerannot.github.io/",
        notes="Installs as --name; answers in Rodrigues' matrix, task- or worker-major JSON, or "
              "a task,worker,label table; images copied (or --link) as <stem>-<task>.<ext>; "
              "a seeded --val-ratio split of train/ when no --val-path is given.",
    )
    options = (
        InstallerOption("name", "name of the installed dataset (its folder in the data home)",
                        required=True),
        InstallerOption("answers", "the answers file", required=True),
        InstallerOption("answers-format", "0/matrix: worker-column matrix (-1: no answer); "
                        "1/task-json: {task: {worker: label}}; 2/worker-json: {worker: {task: "
                        "label}}; table/csv/tsv: task,worker,label with a header",
                        default="0", choices=_FORMAT_CHOICES),
        InstallerOption("no-task", "answers only: no image folders", flag=True),
        InstallerOption("metadata", "a metadata.json whose fields are kept"),
        InstallerOption("label-names", "class names, one a line, in class-index order"),
        InstallerOption("files-path", "line i = the training file of task i"),
        InstallerOption("train-path", "training images, <class>/<file>"),
        InstallerOption("val-path", "validation images, <class>/<file> (default: a split of train)"),
        InstallerOption("test-path", "test images, <class>/<file>"),
        InstallerOption("test-ground-truth", "true labels (of test/ files by position, or of the "
                        "answered tasks without --test-path)"),
        InstallerOption("test-ground-truth-format", "format of --test-ground-truth (default: "
                        "--answers-format)", choices=_FORMAT_CHOICES),
        InstallerOption("val-ratio", "fraction of train/ moved to val/ without --val-path",
                        default="0.2"),
        InstallerOption("link", "symlink the images instead of copying them", flag=True),
    )

    def folder_name(self, options: dict[str, str | bool]) -> str:
        return str(options.get("name", ""))

    def build(self, ctx: Any) -> None:
        opts = ctx.options
        images = _image_mode(opts)
        answers_path = existing_file(str(opts["answers"]), "answers")
        fmt = format_name(str(opts["answers-format"]), "answers-format")
        user_files = {key: existing_file(str(opts[key]), key)
                      for key in ("metadata", "label-names", "files-path", "test-ground-truth")
                      if opts.get(key)}
        for path in (answers_path, *user_files.values()):
            ctx.record_manual(path)
        user_meta = _user_metadata(user_files.get("metadata"))
        rows = read_rows(answers_path, fmt)
        if not rows:
            raise DatasetError(f"{answers_path}: no answers found; check the file and --answers-format")
        splits = ImageSplits.scan(opts) if images else None
        names = _label_names(user_files.get("label-names"), splits, user_meta, rows)
        n_classes = _n_classes(names, user_meta)
        coded = code_answers(rows, names, n_classes, answers_path)
        if n_classes is None:
            n_classes = max(max(a.values()) for a in coded.values()) + 1
            if n_classes < 2:
                raise DatasetError(f"{answers_path}: only class 0 appears; give --label-names or "
                                   "n_classes in --metadata")
        tasks = _task_index(coded, answers_path, images)
        answers = {tasks[t]: a for t, a in coded.items() if a}
        gold, test_gold = _gold(opts, user_files, fmt, names, n_classes, tasks, splits)
        if names is not None and splits is not None and names != sorted(names):
            order = sorted_order(names)
            ctx.log(f"classes reordered to the sorted names {sorted(names)} (ImageFolder's order)")
            answers = {t: {w: order[v] for w, v in a.items()} for t, a in answers.items()}
            gold = {t: order[v] for t, v in gold.items()}
            test_gold = {t: order[v] for t, v in test_gold.items()}
            user_meta.setdefault("source_label_names", names)
            names = sorted(names)
        extra: dict[str, Any] = {}
        if splits is not None:
            assert names is not None  # image mode always has names (at least the folders')
            result = build_images(ctx, splits, answers, gold, test_gold, names, answers_path,
                                  user_files["files-path"], _val_ratio(opts),
                                  user_files.get("test-ground-truth"))
            answers, gold, extra = result.answers, result.gold, result.metadata
            if result.val_answers:
                _write_side_answers(ctx, result.val_answers, "answers_valid.json")
        write_answers(ctx.folder, answers)
        if gold:
            write_truth(ctx.folder, gold.items())
        if any(str(t) != str(i) for t, i in tasks.items()):
            _write_task_ids(ctx.folder, tasks)
        workers = {w for a in answers.values() for w in a}
        _check_user_counts(user_meta, n_classes, names, len(workers), user_files.get("metadata"))
        user_meta.pop("n_tasks", None)
        user_meta.pop("n_task", None)
        user_meta.update(extra)
        user_meta.setdefault("n_workers", len(workers))
        if user_meta.get("name", opts["name"]) != opts["name"]:
            user_meta["source_name"] = user_meta["name"]
        user_meta.pop("name", None)
        write_metadata(ctx.folder, name=str(opts["name"]),
                       n_classes=n_classes, n_tasks=len(answers), label_names=names,
                       **{k: v for k, v in user_meta.items() if k not in ("n_classes", "label_names")})


def _gold(opts: dict[str, Any], user_files: dict[str, Path], fmt: str, names: list[str] | None,
          n_classes: int, tasks: dict[str, int], splits: "ImageSplits | None",
          ) -> tuple[dict[int, int], dict[int, int]]:
    """--test-ground-truth as ({task index: label}, {test-file position: label}): keyed by
    test-file position when there is a --test-path, else by the answers' task ids."""
    path = user_files.get("test-ground-truth")
    if path is None:
        return {}, {}
    truth_fmt = format_name(str(opts.get("test-ground-truth-format") or fmt),
                            "test-ground-truth-format")
    lookup = {n: i for i, n in enumerate(names or ())}
    gold: dict[int, int] = {}
    test_gold: dict[int, int] = {}
    for row in read_truth_rows(path, truth_fmt):
        label = code_label(row, lookup, n_classes, path)
        if splits is not None and splits.test is not None:
            test_gold[_position(row.task, len(splits.test), path)] = label
        elif row.task in tasks:
            gold[tasks[row.task]] = label
        else:
            raise DatasetError(f"{path}: {row.where}: task {row.task!r} has no answers in "
                               f"{opts['answers']}; remove the line or fix the task id")
    return gold, test_gold


def _image_mode(opts: dict[str, Any]) -> bool:
    """Whether image folders are installed (peerannot: unless --no-task)."""
    given = [k for k in IMAGE_OPTIONS if opts.get(k)]
    if opts.get("no-task"):
        if given:
            raise DatasetError(f"--no-task with --{given[0]}: answers-only installs take no "
                               "image folders; drop one of the two")
        return False
    if not opts.get("train-path") or not opts.get("files-path"):
        missing = "train-path" if not opts.get("train-path") else "files-path"
        raise DatasetError(f"custom: --{missing} is missing; give --train-path DIR and "
                           "--files-path FILE, or --no-task for answers only")
    return True


def _user_metadata(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    raw = load_json(path, "an object of metadata fields")
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: must hold a JSON object of metadata fields")
    return dict(raw)


def _label_names(path: Path | None, splits: "ImageSplits | None", meta: dict[str, Any],
                 rows: list[Any]) -> list[str] | None:
    """Class names: --label-names, else the class folders, else the metadata's, else the
    labels themselves when all are names."""
    if path is not None:
        names = read_label_names(path)
        check_names(names, str(path), folders=splits is not None)
        return names
    if splits is not None:
        names = splits.class_names()
        check_names(names, "class folders of --train/--val/--test-path", folders=True)
        return names
    if isinstance(meta.get("label_names"), list):
        names = [str(n) for n in meta["label_names"]]
        check_names(names, "label_names of --metadata")
        return names
    return names_from_labels(rows)


def _n_classes(names: list[str] | None, meta: dict[str, Any]) -> int | None:
    if names is not None:
        return len(names)
    value = meta.get("n_classes")
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _check_user_counts(meta: dict[str, Any], n_classes: int, names: list[str] | None,
                       n_workers: int, path: Path | None) -> None:
    """The user's metadata must agree with the data it describes."""
    if path is None:
        return
    if "n_classes" in meta and meta["n_classes"] != n_classes:
        raise DatasetError(f"{path}: n_classes={meta['n_classes']!r} but the data has {n_classes} "
                           "classes; fix n_classes or --label-names")
    given = meta.get("label_names")
    if given is not None and names is not None and sorted(map(str, given)) != sorted(names):
        raise DatasetError(f"{path}: label_names {given} differ from the classes {names}; fix one")
    declared = meta.get("n_workers", meta.get("n_worker"))
    if isinstance(declared, int) and declared < n_workers:
        raise DatasetError(f"{path}: n_workers={declared} but {n_workers} workers answered; "
                           "fix n_workers or remove it")


def _task_index(coded: dict[str, Any], source: Path, images: bool) -> dict[str, int]:
    """{task id: index}: integer ids are their own index; other ids (answers only) are
    numbered in sorted order and recorded in task_ids.csv."""
    canonical = {t: t.isdigit() and str(int(t)) == t for t in coded}
    if all(canonical.values()):
        return {t: int(t) for t in coded}
    bad = next(t for t, ok in canonical.items() if not ok)
    if images:
        raise DatasetError(f"{source}: task {bad!r} is not a task number; with image folders "
                           "task i is line i+1 of --files-path, so use 0, 1, 2, ...")
    return {t: i for i, t in enumerate(sorted(coded))}


def _position(task: str, n_test: int, path: Path) -> int:
    if not (task.isdigit() and int(task) < n_test):
        raise DatasetError(f"{path}: task {task!r} is not a test-file position 0..{n_test - 1} "
                           "(test files in sorted <class>/<file> order); fix the entry")
    return int(task)


def _val_ratio(opts: dict[str, Any]) -> float:
    text = str(opts.get("val-ratio", "0.2"))
    try:
        ratio = float(text)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio < 1.0:
        raise DatasetError(f"--val-ratio {text!r}: give a fraction in [0, 1), such as 0.2")
    return ratio


def _write_side_answers(ctx: Any, answers: Answers, filename: str) -> None:
    """Write answers in answers.json's exact form under another name (core's writer)."""
    staging = ctx.scratch / f"side-{filename}"
    staging.mkdir(parents=True, exist_ok=True)
    os.replace(write_answers(staging, answers), ctx.folder / filename)


def _write_task_ids(folder: Path, tasks: dict[str, int]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["index", "task"])
    for task, index in sorted(tasks.items(), key=lambda item: item[1]):
        writer.writerow([index, task])
    atomic_write_bytes(folder / "task_ids.csv", buffer.getvalue().encode("utf-8"))

