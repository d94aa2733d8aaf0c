"""From a dataset argument to a CrowdDataset: resolve the name, find the files, load them.

A dataset argument is a folder, an answers file, or ``PREFIX:ARGUMENT`` for a resolver
registered by a plugin (the core's own is ``bundled:NAME``). Plain names that are not paths
are offered to resolvers registered with ``bare_names``. The answers file's suffix picks
its reader from the registry, so plugins can add formats. The plugin registry is imported
inside functions: reading a dataset must not load plugins before it is needed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from crowdkit_core.dataset.encoding import DuplicatePolicy, check_duplicate_policy, encode_answers
from crowdkit_core.dataset.formats import AnswerColumns, load_json, one_line
from crowdkit_core.dataset.model import CrowdDataset, Metadata
from crowdkit_core.dataset.side_files import find_gold, read_gold
from crowdkit_core.errors import DatasetError

if TYPE_CHECKING:
    from crowdkit_core.registry import Info, ResolverInfo

ANSWER_FILE_CANDIDATES = ("answers.json", "answers.csv", "answers.tsv", "answers.parquet")


# -- names ------------------------------------------------------------------------------------
def bundled_dir() -> Path:
    """Folder holding the small real datasets shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "bundled"


def bundled_names() -> list[str]:
    """Names of the bundled datasets (folders with a metadata.json)."""
    return sorted(p.name for p in bundled_dir().iterdir() if (p / "metadata.json").exists())


def resolve_bundled(argument: str) -> Path | None:
    """The ``bundled:`` resolver: the folder of bundled dataset ``argument``, None if unknown."""
    folder = bundled_dir() / argument
    return folder if argument and (folder / "metadata.json").exists() else None


#: Resolvers may carry ``known_names()``: the names they know, listed when one is unknown.
resolve_bundled.known_names = bundled_names  # type: ignore[attr-defined]


def resolve_dataset_path(argument: str | os.PathLike[str]) -> Path:
    """The folder or file a dataset argument names (a path, ``PREFIX:NAME`` or a bare name).

    ``PREFIX:NAME`` goes to the resolver registered for ``PREFIX`` (an unregistered prefix
    is part of a path, so ``./my:file.csv`` works); a plain argument that is not an
    existing path is offered to every ``bare_names`` resolver in registry order.
    """
    from crowdkit_core.plugins import get_registry

    text = str(argument)
    registry = get_registry()
    prefix, colon, rest = text.partition(":")
    info = registry.get_resolver(prefix) if colon and prefix else None
    if info is not None:
        found = _ask(info, rest, text)
        if found is None:
            raise DatasetError(f"{text}: {_unknown(info, rest)}")
        return found
    path = Path(argument)
    if path.exists():
        return path
    for info in registry.resolvers():
        if info.bare_names:
            found = _ask(info, text, text)
            if found is not None:
                return found
    if registry.get_dataset(text) is not None:
        raise DatasetError(f"{text}: dataset not installed; run `crowd install {text}` "
                           "(or check the path)")
    raise DatasetError(f"{path}: no such file or folder; check the dataset path")


def _ask(info: "ResolverInfo", name: str, argument: str) -> Path | None:
    """The path resolver ``info`` gives for ``name``, or None."""
    found = _call_plugin(info, name, argument)
    if found is None:
        return None
    if not isinstance(found, (str, os.PathLike)):
        raise DatasetError(
            f"{argument}: dataset resolver {info.name!r} of plugin {info.plugin!r} returned type "
            f"{type(found).__name__}, not a path; fix or disable the plugin "
            f"(CROWDKIT_DISABLE_PLUGINS={info.plugin})")
    return Path(found)


def _unknown(info: "ResolverInfo", name: str) -> str:
    """'no ... dataset named X' plus, when the resolver can list them, the names it knows."""
    message = f"no {info.name} dataset named {name!r}"
    try:
        known = getattr(info.load(), "known_names", None)
        names = list(known()) if callable(known) else []
    except Exception:  # listing is a courtesy: never let it hide the real error
        names = []
    return f"{message}; available: {', '.join(map(str, names))}" if names else message


def _call_plugin(info: "Info", value: Any, argument: Any) -> Any:
    """``info``'s target called on ``value``; its failures (an import, a bug) become one-line
    errors about ``argument`` that name the plugin, never a traceback."""
    try:
        return info.load()(value)
    except DatasetError:
        raise
    except Exception as exc:
        raise DatasetError(
            f"{argument}: {info.what} {info.name!r} of plugin {info.plugin!r} failed "
            f"({type(exc).__name__}: {one_line(exc)}); fix or disable the plugin "
            f"(CROWDKIT_DISABLE_PLUGINS={info.plugin})") from None


# -- files ------------------------------------------------------------------------------------
def load_dataset(
    path: str | os.PathLike[str],
    *,
    answers_file: str | os.PathLike[str] | None = None,
    metadata_path: str | os.PathLike[str] | None = None,
    duplicates: DuplicatePolicy = "keep",
    n_classes: int | None = None,
    label_names: Sequence[str] | None = None,
) -> CrowdDataset:
    """Load a dataset folder (peerannot layout) or a single answers file.

    A folder holds ``answers.json`` (``{task: {worker: label}}``) or ``answers.csv`` /
    ``.tsv`` / ``.parquet`` (columns ``task,worker,label``), optionally ``metadata.json``
    and gold labels in ``truth.csv`` / ``truth.json``. ``path`` may also be a resolver's
    ``PREFIX:NAME``, such as ``bundled:NAME`` for a dataset shipped with crowdkit.
    """
    check_duplicate_policy(duplicates)
    root = resolve_dataset_path(path)
    folder = root if root.is_dir() else root.parent
    answers = _answers_file(root, answers_file)
    meta_file = _metadata_file(root, metadata_path)
    metadata = read_metadata(meta_file) if meta_file else None
    if metadata is not None:
        n_classes = n_classes or metadata.n_classes
        label_names = label_names or metadata.label_names
    name = metadata.name if metadata is not None else (folder.name if root.is_dir() else answers.stem)

    columns = read_answers(answers)
    encoded = encode_answers(
        columns.tasks, columns.workers, columns.labels, n_classes=n_classes,
        label_names=label_names, duplicates=duplicates, source=str(answers),
        describe=columns.describe, metadata=metadata,
        metadata_source=str(meta_file) if meta_file else None,
        label_format=metadata.label_format if metadata is not None else "auto",
    )
    truth = find_gold(folder) if root.is_dir() else None
    gold = None if truth is None else read_gold(
        truth, encoded.task_ids, encoded.n_classes, encoded.label_names,
        label_format=metadata.label_format if metadata is not None else "auto")
    inputs = [f for f in (answers, meta_file, truth) if f is not None]
    return CrowdDataset.from_encoded(encoded, name=name, metadata=metadata, gold=gold,
                                     source=str(answers), inputs=inputs)


def _answers_file(root: Path, answers_file: str | os.PathLike[str] | None) -> Path:
    """The answers file: ``answers_file`` (relative to the folder), the folder's first
    ``answers.*`` candidate, or ``root`` itself when it is a file."""
    if answers_file is not None:
        answers = Path(answers_file)
        if not answers.is_absolute() and root.is_dir() and not answers.exists():
            answers = root / answers
    elif root.is_dir():
        found = [root / c for c in ANSWER_FILE_CANDIDATES if (root / c).exists()]
        if not found:
            raise DatasetError(
                f"{root}: no answers file found (looked for {', '.join(ANSWER_FILE_CANDIDATES)}); "
                "add one or pass --answers-file"
            )
        answers = found[0]
    else:
        answers = root
    if not answers.is_file():
        raise DatasetError(f"{answers}: answers file not found; check --answers-file")
    return answers


def _metadata_file(root: Path, metadata_path: str | os.PathLike[str] | None) -> Path | None:
    """``metadata_path`` (relative to the folder), else the folder's metadata.json if any."""
    folder = root if root.is_dir() else root.parent
    if metadata_path is None:
        candidate = folder / "metadata.json"
        return candidate if candidate.is_file() else None
    meta_file = Path(metadata_path)
    if not meta_file.is_absolute() and not meta_file.exists() and root.is_dir():
        meta_file = folder / meta_file
    if not meta_file.is_file():
        raise DatasetError(f"{meta_file}: metadata file not found; check --metadata-path")
    return meta_file


def read_answers(path: Path) -> AnswerColumns:
    """Read an answers file with the reader registered for its suffix."""
    from crowdkit_core.plugins import get_registry

    registry = get_registry()
    suffix = path.suffix.lower()
    info = registry.reader_for(suffix)
    if info is None:
        known = sorted(s for reader in registry.readers() for s in reader.suffixes)
        raise DatasetError(
            f"{path}: unsupported answers format {suffix!r}; use one of {', '.join(known)} "
            "(or install a plugin that reads it)")
    columns = _call_plugin(info, path, path)
    if not isinstance(columns, AnswerColumns):
        raise DatasetError(
            f"{path}: {info.what} {info.name!r} of plugin {info.plugin!r} returned "
            f"{type(columns).__name__}, not AnswerColumns; fix the plugin")
    return columns


def read_metadata(path: Path) -> Metadata:
    """Parse and validate ``metadata.json``."""
    from pydantic import ValidationError

    raw = load_json(path, 'an object such as {"name": "mydata", "n_classes": 3}')
    if not isinstance(raw, dict):
        raise DatasetError(f'{path}: metadata must be a JSON object such as {{"name": "mydata", "n_classes": 3}}')
    try:
        return Metadata.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "metadata"
        if err["type"] == "missing":
            fix = f'add "{field}"'
        else:
            fix = f"fix the value of {field!r} (got {err.get('input')!r})"
        raise DatasetError(f"{path}: {field}: {err['msg']}; {fix}") from None
