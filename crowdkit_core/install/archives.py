"""Safe extraction of downloaded archives (tar, tar.gz/bz2/xz, zip).

Every member is checked before anything is written: absolute paths, ``..`` components,
links that resolve outside the target, device files and FIFOs are refused, and so are
archives whose total extracted size exceeds a limit (zip bombs). The byte count is enforced
while writing too, since an archive's declared sizes can lie.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from crowdkit_core.errors import DatasetError

#: Default limit on the total extracted size of one archive (CIFAR-10 needs 0.2 GB).
DEFAULT_MAX_BYTES = 8 << 30


def extract(archive: Path, into: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Path:
    """Extract ``archive`` into folder ``into`` (created) after checking every member."""
    into.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        _extract_zip(archive, into, max_bytes)
    elif _is_tar(archive):
        _extract_tar(archive, into, max_bytes)
    else:
        raise DatasetError(f"{archive}: not a zip or tar archive; delete it and install again")
    return into


def _is_tar(archive: Path) -> bool:
    try:
        return tarfile.is_tarfile(archive)
    except OSError:
        return False


def _member_path(archive: Path, into: Path, name: str) -> Path:
    """Where member ``name`` goes, refusing absolute and escaping names."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise _refuse(archive, name, "an absolute path")
    if ".." in pure.parts:
        raise _refuse(archive, name, "a '..' component")
    return into.joinpath(*[p for p in pure.parts if p not in ("", ".")])


def _check_link(archive: Path, into: Path, name: str, where: Path, link: str, hard: bool) -> None:
    """Refuse a link whose target lies outside ``into``."""
    if os.path.isabs(link):
        raise _refuse(archive, name, f"a link to the absolute path {link!r}")
    base = into if hard else where.parent
    resolved = os.path.normpath(os.path.join(base, link))
    if os.path.commonpath([resolved, str(into)]) != str(into):
        raise _refuse(archive, name, f"a link pointing outside the target ({link!r})")


def _refuse(archive: Path, name: str, why: str) -> DatasetError:
    return DatasetError(f"{archive}: member {name!r} is {why}; refusing to extract this archive "
                        "(it may be malicious); report it to the dataset's source")


def _too_big(archive: Path, max_bytes: int) -> DatasetError:
    return DatasetError(f"{archive}: extracts to more than {max_bytes} bytes, over the limit; "
                        "refusing it (a zip bomb?)")


def _copy_limited(source: IO[bytes], target: Path, budget: list[int], archive: Path, limit: int) -> None:
    """Copy a member's bytes, failing once the archive's byte budget is spent."""
    with open(target, "wb") as out:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                return
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise _too_big(archive, limit)
            out.write(chunk)


def _extract_tar(archive: Path, into: Path, max_bytes: int) -> None:
    root = into.resolve()
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        declared = 0
        plan: list[tuple[tarfile.TarInfo, Path]] = []
        for m in members:
            where = _member_path(archive, root, m.name)
            if m.ischr() or m.isblk() or m.isfifo() or m.isdev():
                raise _refuse(archive, m.name, "a device file or FIFO")
            if m.issym() or m.islnk():
                _check_link(archive, root, m.name, where, m.linkname, hard=m.islnk())
            declared += max(m.size, 0) if m.isfile() else 0
            if declared > max_bytes:
                raise _too_big(archive, max_bytes)
            plan.append((m, where))
        budget = [max_bytes]
        for m, where in plan:
            if m.isdir():
                where.mkdir(parents=True, exist_ok=True)
            elif m.isfile():
                where.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(m)
                assert source is not None
                _copy_limited(source, where, budget, archive, max_bytes)
                os.chmod(where, 0o644 | (0o111 if m.mode & 0o100 else 0))
        for m, where in plan:  # links last, once their targets exist
            if m.issym():
                where.parent.mkdir(parents=True, exist_ok=True)
                _replace(where)
                os.symlink(m.linkname, where)
            elif m.islnk():
                where.parent.mkdir(parents=True, exist_ok=True)
                _replace(where)
                shutil.copyfile(root.joinpath(*PurePosixPath(m.linkname).parts), where)


def _replace(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()


def _extract_zip(archive: Path, into: Path, max_bytes: int) -> None:
    root = into.resolve()
    with zipfile.ZipFile(archive) as zf:
        declared = 0
        plan = []
        for info in zf.infolist():
            mode = (info.external_attr >> 16) & 0xFFFF
            where = _member_path(archive, root, info.filename)
            kind = stat.S_IFMT(mode)
            if kind and kind not in (stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK):
                raise _refuse(archive, info.filename, "a device file or FIFO")
            link = None
            if kind == stat.S_IFLNK:
                link = zf.read(info).decode("utf-8", "replace")
                _check_link(archive, root, info.filename, where, link, hard=False)
            declared += info.file_size
            if declared > max_bytes:
                raise _too_big(archive, max_bytes)
            plan.append((info, where, link))
        budget = [max_bytes]
        for info, where, link in plan:
            if info.is_dir():
                where.mkdir(parents=True, exist_ok=True)
            elif link is None:
                where.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source:
                    _copy_limited(source, where, budget, archive, max_bytes)
        for info, where, link in plan:
            if link is not None:
                where.parent.mkdir(parents=True, exist_ok=True)
                _replace(where)
                os.symlink(link, where)
