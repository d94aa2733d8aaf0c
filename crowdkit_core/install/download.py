"""Downloading one file properly: cache, resume, checksums, timeouts, clear errors.

A download goes to ``<cache>/<host>/<path>.part`` and is renamed to its final name only once
complete and verified, so the cache never holds a partial or corrupt file under a real name.
An interrupted download resumes with an HTTP ``Range`` request. ``$CROWDKIT_DATASETS_BASE_URL``
points every download at a mirror (``<base>/<host>/<path>``), which is how the tests serve
fixture archives from 127.0.0.1 and how a site can use an internal mirror.

Standard-library ``urllib`` is used rather than pooch: pooch neither resumes downloads nor
keeps a lock file of first-seen digests, and its progress bar is tqdm rather than rich.
"""

from __future__ import annotations

import http.client
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from crowdkit_core.errors import DatasetError
from crowdkit_core.install.home import LockFile
from crowdkit_core.installers import RemoteFile, file_digest

BASE_URL_ENV = "CROWDKIT_DATASETS_BASE_URL"
#: Seconds without any byte from the server before a download is abandoned.
TIMEOUT_ENV = "CROWDKIT_DOWNLOAD_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
CHUNK = 1 << 16
USER_AGENT = "crowdkit-datasets (https://pypi.org/project/crowdkit-core/)"


class Reporter(Protocol):
    """Receives download progress (the CLI draws rich progress bars from it)."""

    def start(self, name: str, total: int | None, done: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def finish(self) -> None: ...


class SilentReporter:
    """A reporter that shows nothing (library calls, tests)."""

    def start(self, name: str, total: int | None, done: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


def effective_url(url: str) -> str:
    """``url``, or its mirror under ``$CROWDKIT_DATASETS_BASE_URL`` when that is set."""
    base = os.environ.get(BASE_URL_ENV, "").strip()
    if not base:
        return url
    parts = urlsplit(url)
    return f"{base.rstrip('/')}/{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def cached_path(cache: Path, remote: RemoteFile) -> Path:
    """Where the cache keeps ``remote``: ``<cache>/<host>/<folders of the path>/<name>``."""
    parts = urlsplit(remote.url)
    folders = [unquote(p) for p in parts.path.strip("/").split("/")[:-1]]
    safe = [p for p in [parts.netloc.replace(":", "_"), *folders] if p not in ("", ".", "..")]
    return cache.joinpath(*safe, remote.name)


def fetch(remote: RemoteFile, cache: Path, lock: LockFile, *,
          reporter: Reporter | None = None, timeout: float | None = None) -> Path:
    """The verified local copy of ``remote``: from the cache, or downloaded (resuming a
    partial download) and checked against its pinned digest or the lock file."""
    target = cached_path(cache, remote)
    if target.is_file():
        try:
            verify(target, remote, lock)
            return target
        except DatasetError:
            target.unlink(missing_ok=True)  # a corrupt cached copy: download it again, once
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    _download(remote, part, reporter or SilentReporter(), timeout or _timeout())
    verify(part, remote, lock, shown=remote.url)
    os.replace(part, target)
    return target


def verify(path: Path, remote: RemoteFile, lock: LockFile, shown: str | None = None) -> None:
    """Check ``path`` against ``remote``'s pinned digest, else against the lock file (where
    the first download's sha256 is recorded). A mismatch names the file and both digests."""
    where = shown or str(path)
    if remote.sha256 or remote.md5:
        algorithm, expected = ("sha256", remote.sha256) if remote.sha256 else ("md5", remote.md5)
        digest = file_digest(path, algorithm)
        if digest != expected.lower():  # type: ignore[union-attr]
            path.unlink(missing_ok=True)
            raise DatasetError(
                f"{where}: {algorithm} {digest} differs from the pinned {expected}; the download "
                "is corrupt or the file changed at its source. Run the install again; if it "
                "fails the same way, report it to the installer's authors")
        return
    digest = file_digest(path, "sha256")
    entry = lock.get(remote.url)
    if entry is None:
        lock.record(remote.url, digest, path.stat().st_size)
    elif entry.get("sha256") != digest:
        path.unlink(missing_ok=True)
        raise DatasetError(
            f"{where}: sha256 {digest} differs from {entry.get('sha256')} (recorded in "
            f"{lock.path} at its first download); if the source really changed, delete that "
            "entry and install again")


def _timeout() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        raise DatasetError(f"{TIMEOUT_ENV}: not a number of seconds; unset it or set e.g. 60") from None


def _download(remote: RemoteFile, part: Path, reporter: Reporter, timeout: float) -> None:
    """Stream ``remote`` into ``part``, continuing an existing ``part`` with a Range request."""
    url = effective_url(remote.url)
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part file is already complete (or stale): restart
            part.unlink()
            return _download(remote, part, reporter, timeout)
        raise DatasetError(
            f"{url}: the server answered HTTP {exc.code} ({exc.reason}); check the URL or "
            f"download the file by hand into {part.with_name(remote.name)}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DatasetError(
            f"{url}: cannot connect ({reason}); check the network, or download the file by "
            f"hand and put it at {part.with_name(remote.name)}") from None
    with response:
        resumed = have and response.status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else remote.size
        reporter.start(remote.name, total, have)
        received = have
        try:
            with open(part, "ab" if resumed else "wb") as handle:
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    handle.write(chunk)
                    received += len(chunk)
                    reporter.advance(len(chunk))
        except (socket.timeout, TimeoutError):
            raise DatasetError(
                f"{url}: no data for {timeout:g} s, stopped after {received} bytes; run the "
                f"install again to resume (or raise ${TIMEOUT_ENV})") from None
        except (OSError, http.client.HTTPException) as exc:
            raise DatasetError(
                f"{url}: the connection broke after {received} bytes ({exc}); run the install "
                "again to resume") from None
        finally:
            reporter.finish()
    if total is not None and received < total:
        raise DatasetError(
            f"{url}: the download stopped at {received} of {total} bytes; run the install "
            "again to resume it")

