"""The user's image folders (ImageFolder layout ``<class>/<file>``) and the files list.

Scanning is strict: a file outside a class folder, a folder inside a class folder, or a
file without an extension is an error naming it; hidden entries (``.DS_Store``) are skipped.
Files are placed under their new names by :func:`crowdkit_core.install.layout.place_file`,
which copies or links and never moves the user's file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crowdkit_core.errors import DatasetError
from crowdkit_core.install.layout import indexed_name, place_file

from crowdkit_datasets.custom.answer_files import text_lines

_EXT = re.compile(r"^\.[A-Za-z0-9]+$")


@dataclass(frozen=True)
class UserFile:
    """One file of a user's ImageFolder tree."""

    label: str
    path: Path

    @property
    def relative(self) -> str:
        """``<class>/<file name>``."""
        return f"{self.label}/{self.path.name}"

    def target_name(self, task: int) -> str:
        """``<stem>-<task>.<ext>``, keeping the source's extension."""
        return indexed_name(self.path.stem, task, self.path.suffix)


def scan(root: Path, option: str) -> list[UserFile]:
    """The files of ImageFolder tree ``root`` sorted by ``<class>/<name>``."""
    if not root.is_dir():
        raise DatasetError(f"{root}: folder not found; check --{option}")
    found: list[UserFile] = []
    for class_dir in sorted(p for p in root.iterdir() if not p.name.startswith(".")):
        if not class_dir.is_dir():
            raise DatasetError(f"{class_dir}: a file outside the class folders of --{option}; "
                               "move it into its <class>/ folder or out of the tree")
        for file in sorted(p for p in class_dir.iterdir() if not p.name.startswith(".")):
            if file.is_dir():
                raise DatasetError(f"{file}: a folder inside class folder {class_dir.name!r}; "
                                   f"--{option} must hold <class>/<file> only")
            if not file.is_file():
                raise DatasetError(f"{file}: not a readable file (a broken link?); fix or remove it")
            if not _EXT.match(file.suffix):
                raise DatasetError(f"{file}: no plain extension (such as .png); rename the file")
            found.append(UserFile(class_dir.name, file))
    if not found:
        raise DatasetError(f"{root}: no files in <class>/<file> folders; check --{option}")
    return found


def check_classes(files: list[UserFile], names: list[str], option: str) -> None:
    """Every class folder must be one of the label names."""
    known = set(names)
    for file in files:
        if file.label not in known:
            raise DatasetError(f"{file.path.parent}: class folder {file.label!r} of --{option} is "
                               f"not a label name ({', '.join(names)}); rename it or fix --label-names")


def read_files_list(path: Path) -> list[str]:
    """Line i = the file of task i (a file name, or ``<class>/<file name>``)."""
    entries: list[str] = []
    seen: dict[str, int] = {}
    for number, entry in text_lines(path):
        if entry in seen:
            raise DatasetError(f"{path}: line {number}: {entry!r} is also on line {seen[entry]}; "
                               "each task has its own file")
        seen[entry] = number
        entries.append(entry)
    return entries


def match_files(entries: list[str], files: list[UserFile], list_path: Path,
                root: Path) -> dict[int, UserFile]:
    """{task: file} for the files list; every training file must be listed exactly once.

    An entry is matched by file name (as peerannot does) or, when it contains a ``/``, by its
    last two parts ``<class>/<file>``; a bare name found in two class folders is ambiguous.
    """
    by_relative = {f.relative: f for f in files}
    by_name: dict[str, list[UserFile]] = {}
    for f in files:
        by_name.setdefault(f.path.name, []).append(f)
    matched: dict[int, UserFile] = {}
    owner: dict[str, int] = {}
    for task, entry in enumerate(entries):
        parts = entry.replace("\\", "/").split("/")
        if len(parts) > 1:
            hits = [by_relative["/".join(parts[-2:])]] if "/".join(parts[-2:]) in by_relative else []
        else:
            hits = by_name.get(entry, [])
        if not hits:
            raise DatasetError(f"{list_path}: line {task + 1}: {entry!r} is not in --train-path "
                               f"{root}; fix the line or add the file")
        if len(hits) > 1:
            raise DatasetError(f"{list_path}: line {task + 1}: {entry!r} is in several class "
                               f"folders ({', '.join(h.label for h in hits)}); write it as <class>/{entry}")
        if hits[0].relative in owner:
            raise DatasetError(f"{list_path}: line {task + 1}: {entry!r} is the file of line "
                               f"{owner[hits[0].relative] + 1} already; each task has its own file")
        owner[hits[0].relative] = task
        matched[task] = hits[0]
    for f in files:
        if f.relative not in owner:
            raise DatasetError(f"{f.path}: not in the files list {list_path}; add it (line i is "
                               "the file of task i) or remove it from --train-path")
    return matched


def place(files: dict[int, UserFile], folder: Path, split: str, *, link: bool) -> None:
    """Copy (or link) each file to ``<split>/<class>/<stem>-<task>.<ext>``."""
    for task in sorted(files):
        file = files[task]
        place_file(file.path, folder / split / file.label / file.target_name(task), link=link)
