"""The checks every installer of crowdkit-datasets passes, offline, against its fixture.

Parametrized over the registered datasets: a successful install that loads and aggregates, a
checksum mismatch, a truncated download that resumes, a server that is down, archives with
``../`` entries and with an escaping symlink, a re-install, ``--force`` and, for datasets
with a manual download, the ``--from`` flow. A registered dataset without a fixture fails.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile

import pytest

from harness import all_fixtures, pin_to_fixture, serve
from crowdkit_core.dataset import load_dataset
from crowdkit_core.errors import DatasetError
from crowdkit_core.install.home import LockFile, installed_names
from crowdkit_core.install.jobs import install_dataset, installer_class
from crowdkit_core.plugins import get_registry
from crowdkit_core.testing.fileserver import free_port_url

FIXTURES = all_fixtures()


def ours() -> list[str]:
    return sorted(d.name for d in get_registry().datasets() if d.distribution == "crowdkit-datasets")


NAMES = ours()


def test_every_registered_dataset_has_a_fixture():
    assert NAMES, "crowdkit-datasets registered no installer"
    assert sorted(set(NAMES) - set(FIXTURES)) == []


@pytest.fixture(params=NAMES)
def case(request, tmp_path, monkeypatch, server, home):
    """(name, installer class, fixture, install kwargs) with the fixture served and pinned."""
    name = request.param
    if name not in FIXTURES:
        pytest.fail(f"no fixture for {name}")
    fixture = FIXTURES[name](tmp_path / "fixture")
    cls, _ = installer_class(name)
    pin_to_fixture(monkeypatch, cls, fixture)
    serve(server, fixture)
    kwargs: dict = {"options": dict(fixture.options)}
    if fixture.manual is not None:
        manual = tmp_path / fixture.manual[0]
        manual.write_bytes(fixture.manual[1])
        kwargs["from_file"] = manual
    return name, cls, fixture, kwargs


def _install(name, kwargs, **extra):
    return install_dataset(name, **kwargs, **extra)


def test_install_loads_and_aggregates(case, home):
    name, cls, fixture, kwargs = case
    result = _install(name, kwargs)
    assert result.installed and result.folder.parent == home
    data = load_dataset(result.folder.name)  # the plain name works as a dataset argument
    assert data.n_answers > 0 and data.n_classes == cls.card.n_classes or cls.card.n_classes is None
    from crowdkit_core.application import aggregate

    labels = aggregate(result.folder.name, "MV").labels
    assert labels.shape[0] == data.n_tasks
    assert not [p for p in home.iterdir() if ".partial-" in p.name]
    if fixture.check is not None:
        fixture.check(result.folder)


def test_reinstall_is_a_no_op_and_force_rebuilds_from_the_cache(case, server):
    name, cls, fixture, kwargs = case
    first = _install(name, kwargs)
    before = (first.folder / "answers.json").read_bytes()
    n_requests = len(server.requests)
    again = _install(name, kwargs)
    assert not again.installed and again.folder == first.folder
    forced = _install(name, kwargs, force=True)
    assert forced.installed and (forced.folder / "answers.json").read_bytes() == before
    assert len(server.requests) == n_requests, "a --force reinstall must use the download cache"


def _downloads(cls):
    if not cls.files:
        pytest.skip("this installer downloads nothing")
    return cls.files


def test_checksum_mismatch_names_the_file_and_both_digests(case, server, home):
    name, cls, fixture, kwargs = case
    remote = _downloads(cls)[0]
    good = fixture.files[remote.url]
    if not (remote.sha256 or remote.md5):  # unpinned: a lock entry from an earlier download
        LockFile(home).record(remote.url, hashlib.sha256(good).hexdigest(), len(good))
    key = server.add(remote.url, good + b"corrupt")
    with pytest.raises(DatasetError) as error:
        _install(name, kwargs)
    message = str(error.value)
    assert key.split("/")[-1] in message and message.count(" ") > 5
    words = message.replace(";", " ").replace("(", " ").replace(")", " ").split()
    digests = [w for w in words if len(w) in (32, 64) and w.isalnum()]
    assert len(digests) == 2 and digests[0] != digests[1], message
    assert installed_names(home) == []


def test_truncated_download_resumes(case, server):
    name, cls, fixture, kwargs = case
    remote = _downloads(cls)[0]
    key = server.add(remote.url, fixture.files[remote.url])
    server.truncate[key] = max(1, len(fixture.files[remote.url]) // 2)
    with pytest.raises(DatasetError, match="resume"):
        _install(name, kwargs)
    assert _install(name, kwargs).installed
    assert [r for r in server.requests if r[0] == key][-1][1] is not None, "no Range request"


def test_server_down_names_the_url(case, monkeypatch, home):
    name, cls, fixture, kwargs = case
    _downloads(cls)
    monkeypatch.setenv("CROWDKIT_DATASETS_BASE_URL", free_port_url())
    with pytest.raises(DatasetError, match="cannot connect"):
        _install(name, kwargs)
    assert installed_names(home) == []


def _first_archive(cls, fixture):
    for remote in cls.files:
        data = fixture.files[remote.url]
        if zipfile.is_zipfile(io.BytesIO(data)):
            return remote, "zip"
        try:
            with tarfile.open(fileobj=io.BytesIO(data)):
                return remote, "tar"
        except tarfile.TarError:
            continue
    pytest.skip("this installer extracts no archive")


def _evil(kind: str, data: bytes, how: str) -> bytes:
    """``data`` (an archive) with one malicious member added."""
    out = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                dst.writestr(info, src.read(info))
            if how == "dotdot":
                dst.writestr("../escaped.txt", b"x")
            else:
                link = zipfile.ZipInfo("escape")
                link.external_attr = (0o120777 << 16)
                dst.writestr(link, "../../outside")
        return out.getvalue()
    with tarfile.open(fileobj=io.BytesIO(data)) as src, tarfile.open(fileobj=out, mode="w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        if how == "dotdot":
            info = tarfile.TarInfo("../escaped.txt")
            info.size = 1
            dst.addfile(info, io.BytesIO(b"x"))
        else:
            info = tarfile.TarInfo("escape")
            info.type = tarfile.SYMTYPE
            info.linkname = "../../outside"
            dst.addfile(info)
    return out.getvalue()


@pytest.mark.parametrize("how", ["dotdot", "symlink"])
def test_malicious_archive_is_refused(case, server, monkeypatch, home, tmp_path, how):
    name, cls, fixture, kwargs = case
    remote, kind = _first_archive(cls, fixture)
    fixture.files[remote.url] = _evil(kind, fixture.files[remote.url], how)
    pin_to_fixture(monkeypatch, cls, fixture)
    server.add(remote.url, fixture.files[remote.url])
    with pytest.raises(DatasetError, match="refusing"):
        _install(name, kwargs)
    assert installed_names(home) == []
    assert not list(home.parent.rglob("escaped.txt"))


def test_manual_download_is_asked_for_before_any_download(case, server):
    name, cls, fixture, kwargs = case
    if fixture.manual is None:
        pytest.skip("nothing to download by hand")
    kwargs = {k: v for k, v in kwargs.items() if k != "from_file"}
    with pytest.raises(DatasetError, match="--from"):
        _install(name, kwargs)
    assert server.requests == []
