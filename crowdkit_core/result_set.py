"""A set of files replaced as one: after any failure or signal, the old set or the new one.

Renaming one file is atomic, renaming three is not; so a set is written as a small
transaction in a hidden folder next to the targets (``.crowdkit-tx-<hex>``):

1. every new file is staged there and synced;
2. a ``COMMIT`` manifest (targets, and stale files of the old set to remove) is renamed into
   place: this one rename is the commit point;
3. each target is set aside and the staged file renamed over it; then the folder is removed.

A failure before step 2 removes the staging folder (the old set is untouched); a failure in
step 3 puts every file back. A process killed at any moment (SIGKILL included) leaves a
staging folder that :func:`recover` finishes on the next write to that folder, or that
``crowd`` runs before it reads a result folder: a transaction without ``COMMIT`` is dropped
(old set), one with it is rolled forward (new set). A live transaction holds an ``flock`` on
its folder, so recovery never touches another running process's write.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import suppress
from pathlib import Path
from typing import Iterable, Mapping

try:  # POSIX: a lock that the kernel drops when its process dies, even by SIGKILL
    import fcntl
except ImportError:  # pragma: no cover - Windows: no concurrent-writer protection
    fcntl = None  # type: ignore[assignment]

TX_PREFIX = ".crowdkit-tx-"
COMMIT = "COMMIT"
LOCK = "lock"
_TEST_PAUSE = "CROWDKIT_TEST_PAUSE_BETWEEN_FILES"  # seconds to sleep per rename (tests only)


def commit_files(files: Mapping[Path, bytes], remove: Iterable[Path] = ()) -> None:
    """Replace ``files`` ({path: bytes}) and delete ``remove`` as one transaction (module doc).

    Raises the original exception after putting every file back; missing parent folders
    created for the set are removed again on failure.
    """
    targets = [Path(p) for p in files]
    stale = [Path(p) for p in remove if Path(p) not in files]
    if not targets:
        return
    root = Path(os.path.commonpath([str(p.parent.absolute()) for p in targets]))
    made = _make_parents(targets)
    try:
        recover(root)
        tx, lock = _open_transaction(root)
    except BaseException:
        _remove_empty(made)
        raise
    try:
        entries = _stage(tx, root, files)
        gone = [os.path.relpath(p.absolute(), root) for p in stale]
        _write_manifest(tx, entries, gone)
    except BaseException:
        shutil.rmtree(tx, ignore_errors=True)
        os.close(lock)
        _remove_empty(made)
        raise
    try:
        _apply(tx, root, entries, gone)
    except BaseException:
        _roll_back(tx, root, entries, gone)
        shutil.rmtree(tx, ignore_errors=True)
        os.close(lock)
        _remove_empty(made)
        raise
    _finish(tx)
    os.close(lock)


def recover(folder: str | os.PathLike[str]) -> list[Path]:
    """Finish or drop the transactions that killed processes left in ``folder``; return the
    staging folders handled (those of live processes are left alone)."""
    folder = Path(folder)
    handled: list[Path] = []
    try:
        candidates = [p for p in folder.iterdir() if p.name.startswith(TX_PREFIX) and p.is_dir()]
    except OSError:
        return handled
    for tx in candidates:
        lock = _try_lock(tx)
        if lock is None:
            continue  # a live writer holds it
        try:
            manifest = _read_manifest(tx)
            if manifest is not None:
                entries = [(name, staged) for name, staged in manifest["targets"]]
                _apply(tx, folder, entries, manifest.get("remove", []), keep_old=False)
            _finish(tx)
            handled.append(tx)
        finally:
            os.close(lock)
    return handled


# -- steps ------------------------------------------------------------------------------------
def _open_transaction(root: Path) -> tuple[Path, int]:
    """A new staging folder in ``root`` and the file descriptor of its held lock."""
    while True:
        tx = root / f"{TX_PREFIX}{os.urandom(6).hex()}"
        try:
            tx.mkdir()
        except FileExistsError:
            continue
        lock = _try_lock(tx)
        if lock is not None:
            return tx, lock
        # a concurrent recover() took the new folder's lock first: start over elsewhere


def _try_lock(tx: Path) -> int | None:
    """The fd of ``tx``'s lock file, exclusively locked; None if another process holds it
    (or the folder vanished)."""
    try:
        fd = os.open(tx / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    if not tx.is_dir():
        os.close(fd)
        return None
    return fd


def _stage(tx: Path, root: Path, files: Mapping[Path, bytes]) -> list[tuple[str, str]]:
    """Each new file synced in ``tx``; (target relative to root, staged name) per file."""
    entries = []
    for i, (path, data) in enumerate(files.items()):
        staged = f"{i}.new"
        fd = os.open(tx / staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        entries.append((os.path.relpath(Path(path).absolute(), root), staged))
    return entries


def _write_manifest(tx: Path, entries: list[tuple[str, str]], gone: list[str]) -> None:
    """The commit point: the manifest renamed to ``COMMIT`` and the folder synced."""
    tmp = tx / "manifest.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"targets": entries, "remove": gone}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, tx / COMMIT)
    _sync_dir(tx)


def _read_manifest(tx: Path) -> dict | None:
    try:
        text = (tx / COMMIT).read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        manifest = json.loads(text)
    except ValueError:  # cannot happen (the manifest is renamed complete); drop it, old set
        return None
    return manifest if isinstance(manifest, dict) else None


def _apply(tx: Path, root: Path, entries: list[tuple[str, str]], gone: list[str],
           keep_old: bool = True) -> None:
    """Move each staged file over its target (the old one set aside in ``tx``); stale files
    of the old set into ``tx`` too. Idempotent, so recovery can run it on a half-done set."""
    pause = float(os.environ.get(_TEST_PAUSE, "0") or 0)
    for name, staged in entries:
        source, target = tx / staged, root / name
        if not source.exists():
            continue  # already placed
        if keep_old and target.exists():
            os.replace(target, tx / f"{staged}.old")
        if pause:
            import time

            time.sleep(pause)
        os.replace(source, target)
    for j, name in enumerate(gone):
        with suppress(FileNotFoundError):
            os.replace(root / name, tx / f"gone{j}.old")
    _sync_dir(root)


def _roll_back(tx: Path, root: Path, entries: list[tuple[str, str]], gone: list[str]) -> None:
    """Undo :func:`_apply` after an exception: new files back to ``tx``, old ones in place."""
    for j, name in reversed(list(enumerate(gone))):
        with suppress(OSError):
            os.replace(tx / f"gone{j}.old", root / name)
    for name, staged in reversed(entries):
        target, old = root / name, tx / f"{staged}.old"
        with suppress(OSError):
            if not (tx / staged).exists() and target.exists():
                os.replace(target, tx / staged)
            if old.exists():
                os.replace(old, target)
    with suppress(OSError):
        (tx / COMMIT).unlink()


def _finish(tx: Path) -> None:
    """Remove a done (or dropped) transaction: the manifest first, then the folder."""
    with suppress(FileNotFoundError):
        (tx / COMMIT).unlink()
    shutil.rmtree(tx, ignore_errors=True)


def _make_parents(targets: list[Path]) -> list[Path]:
    """Create the targets' missing parent folders; those created, outermost first."""
    made: list[Path] = []
    for path in targets:
        missing = [p for p in reversed(path.parents) if not p.exists() and p not in made]
        path.parent.mkdir(parents=True, exist_ok=True)
        made += missing
    return made


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        with suppress(OSError):  # not empty (someone else wrote there) or already gone
            folder.rmdir()


def _sync_dir(folder: Path) -> None:
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
