"""Installing datasets: downloads, checksums, extraction safety, atomic installs, the CLI."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import types
import zipfile
from pathlib import Path

import pytest

from crowdkit_core import hookimpl
from crowdkit_core.errors import DatasetError, StrategyFailed
from crowdkit_core.install.archives import extract
from crowdkit_core.install.download import cached_path, effective_url, fetch
from crowdkit_core.install.home import LockFile, data_home, default_data_home
from crowdkit_core.install.jobs import install_dataset, run_installer
from crowdkit_core.install.layout import write_answers, write_metadata, write_truth
from crowdkit_core.installers import DatasetCard, DatasetInstaller, InstallerOption, RemoteFile
from crowdkit_core.plugins import PluginRegistry, reset_registry
from crowdkit_core.registry import DatasetInfo
from crowdkit_core.testing.fileserver import FileServer, free_port_url

URL = "https://example.org/files/toy.tar.gz"


def toy_archive(n_tasks: int = 30) -> bytes:
    """A tar.gz holding ``toy/answers.csv`` (3 workers per task) and ``toy/truth.csv``."""
    rows = "".join(f"{t},{w},{(t + (w == 2)) % 2}\n" for t in range(n_tasks) for w in range(3))
    members = {"toy/answers.csv": "task,worker,label\n" + rows,
               "toy/truth.csv": "task,label\n" + "".join(f"{t},{t % 2}\n" for t in range(n_tasks))}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(out.getvalue(), mtime=0)  # no timestamp: the same bytes every call


class Toy(DatasetInstaller):
    """Downloads toy.tar.gz (unpinned: lock file) and converts its CSV."""

    card = DatasetCard(title="A toy dataset", n_tasks=30, n_workers=3, n_answers=90, n_classes=2,
                       license="CC0", citation="Nobody (2026)")
    files = (RemoteFile(URL),)
    options = (InstallerOption("fail", "raise a user error in the middle of the build", flag=True),
               InstallerOption("bug", "raise a programming error", flag=True),
               InstallerOption("broken", "write answers that do not load", flag=True),
               InstallerOption("flavour", "a choice", default="plain", choices=("plain", "salty")))

    def build(self, ctx) -> None:
        root = ctx.extract(ctx.fetch(self.files[0]))
        answers: dict[str, dict[str, int]] = {}
        for line in (root / "toy/answers.csv").read_text().splitlines()[1:]:
            task, worker, label = line.split(",")
            answers.setdefault(task, {})[worker] = int(label)
        write_answers(ctx.folder, answers)
        if ctx.options.get("fail"):
            raise DatasetError("toy: asked to fail")
        if ctx.options.get("bug"):
            raise ZeroDivisionError("oops")
        write_metadata(ctx.folder, name="toy", n_classes=1 if ctx.options.get("broken") else 2,
                       flavour=ctx.options["flavour"])
        pairs = [tuple(r.split(",")) for r in (root / "toy/truth.csv").read_text().splitlines()[1:]]
        write_truth(ctx.folder, pairs)


class Manual(Toy):
    card = DatasetCard(title="needs a manual download", license="CC0", citation="x", manual=True,
                       manual_instructions="Log in at https://example.org and download toy.tar.gz.")

    def build(self, ctx) -> None:
        root = ctx.extract(ctx.from_file)
        answers: dict[str, dict[str, int]] = {}
        for line in (root / "toy/answers.csv").read_text().splitlines()[1:]:
            task, worker, label = line.split(",")
            answers.setdefault(task, {})[worker] = int(label)
        write_answers(ctx.folder, answers)
        write_metadata(ctx.folder, name="manual", n_classes=2)


def toy_plugin() -> types.ModuleType:
    module = types.ModuleType("toy_datasets")

    @hookimpl
    def crowdkit_register_datasets(register):
        register(DatasetInfo(name="toy", target=f"{__name__}:Toy", summary="toy data"))
        register(DatasetInfo(name="manual", target=f"{__name__}:Manual", summary="manual"))
        register(DatasetInfo(name="ghost", target=f"{__name__}:Missing", summary="fails to load"))

    module.crowdkit_register_datasets = crowdkit_register_datasets
    return module


@pytest.fixture
def registry():
    registry = PluginRegistry()
    registry.add_plugin(toy_plugin(), "toys", "toy-dist")
    reset_registry(registry)
    yield registry
    reset_registry()


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    monkeypatch.setenv("CROWDKIT_DATA_HOME", str(folder))
    return folder


@pytest.fixture
def server(monkeypatch):
    with FileServer({"example.org/files/toy.tar.gz": toy_archive()}) as running:
        monkeypatch.setenv("CROWDKIT_DATASETS_BASE_URL", running.url)
        monkeypatch.setenv("CROWDKIT_DOWNLOAD_TIMEOUT", "5")
        yield running


# -- data home ---------------------------------------------------------------------------------
def test_data_home_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("CROWDKIT_DATA_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_home() == tmp_path / "xdg" / "crowdkit" or os.sys.platform != "linux"
    monkeypatch.setenv("CROWDKIT_DATA_HOME", str(tmp_path / "env"))
    assert data_home() == tmp_path / "env"
    assert data_home(tmp_path / "flag") == tmp_path / "flag"


def test_mirror_url_and_cache_path(monkeypatch, tmp_path):
    monkeypatch.setenv("CROWDKIT_DATASETS_BASE_URL", "http://127.0.0.1:9/")
    assert effective_url("https://h.org/a/b.zip?raw=true") == "http://127.0.0.1:9/h.org/a/b.zip?raw=true"
    remote = RemoteFile("https://h.org/x/../../etc/b.zip")
    assert tmp_path in cached_path(tmp_path, remote).parents


# -- downloads ---------------------------------------------------------------------------------
def test_pinned_digest_is_checked(server, tmp_path):
    data = toy_archive()
    good = RemoteFile(URL, sha256=hashlib.sha256(data).hexdigest())
    assert fetch(good, tmp_path / "c", LockFile(tmp_path)).read_bytes() == data
    bad = RemoteFile("https://example.org/files/toy.tar.gz", md5="0" * 32, filename="other.tgz")
    with pytest.raises(DatasetError) as error:
        fetch(bad, tmp_path / "c", LockFile(tmp_path))
    message = str(error.value)
    assert URL.split("/")[-1] in message and hashlib.md5(data).hexdigest() in message and "0" * 32 in message
    assert not list((tmp_path / "c").rglob("other.tgz*")), "a corrupt download must not stay"


def test_lock_file_records_the_first_download_and_checks_later_ones(server, tmp_path):
    lock = LockFile(tmp_path)
    remote = RemoteFile(URL)
    path = fetch(remote, tmp_path / "c", lock)
    assert lock.get(URL)["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    path.unlink()
    server.add(URL, toy_archive(31))  # the source changed
    with pytest.raises(DatasetError, match="checksums.lock"):
        fetch(remote, tmp_path / "c", lock)


def test_corrupt_cached_copy_is_downloaded_again(server, tmp_path):
    lock = LockFile(tmp_path)
    path = fetch(RemoteFile(URL), tmp_path / "c", lock)
    path.write_bytes(b"garbage")
    assert fetch(RemoteFile(URL), tmp_path / "c", lock).read_bytes() == toy_archive()


def test_truncated_download_resumes_with_a_range_request(server, tmp_path):
    server.truncate["example.org/files/toy.tar.gz"] = 50
    with pytest.raises(DatasetError, match="resume"):
        fetch(RemoteFile(URL), tmp_path / "c", LockFile(tmp_path))
    path = fetch(RemoteFile(URL), tmp_path / "c", LockFile(tmp_path))
    assert path.read_bytes() == toy_archive()
    assert server.requests[-1] == ("example.org/files/toy.tar.gz", "bytes=50-")


def test_stale_part_file_restarts(server, tmp_path):
    cache = tmp_path / "c"
    part = cached_path(cache, RemoteFile(URL))
    part.parent.mkdir(parents=True)
    part.with_name(part.name + ".part").write_bytes(b"x" * 10_000)  # longer than the file: 416
    assert fetch(RemoteFile(URL), cache, LockFile(tmp_path)).read_bytes() == toy_archive()


def test_http_errors_and_a_down_server_name_the_url(server, tmp_path, monkeypatch):
    server.fail["example.org/files/toy.tar.gz"] = 404
    with pytest.raises(DatasetError, match=r"HTTP 404.*by hand"):
        fetch(RemoteFile(URL), tmp_path / "c", LockFile(tmp_path))
    monkeypatch.setenv("CROWDKIT_DATASETS_BASE_URL", free_port_url())
    with pytest.raises(DatasetError, match=r"127\.0\.0\.1.*cannot connect.*by hand"):
        fetch(RemoteFile(URL), tmp_path / "c", LockFile(tmp_path))


# -- extraction --------------------------------------------------------------------------------
def _tar(members: list[tarfile.TarInfo], payloads: dict[str, bytes] | None = None) -> Path:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for info in members:
            data = (payloads or {}).get(info.name)
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    path = Path(os.environ["TMP_ARCHIVE"])
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture
def archive_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TMP_ARCHIVE", str(tmp_path / "a.tar"))
    return tmp_path


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


@pytest.mark.parametrize("member, why", [
    (_info("../evil.txt"), "'..'"),
    (_info("/etc/evil.txt"), "absolute"),
    (_info("a/../../evil.txt"), "'..'"),
    (_info("link", tarfile.SYMTYPE, "../../outside"), "outside"),
    (_info("link", tarfile.SYMTYPE, "/etc/passwd"), "absolute"),
    (_info("hard", tarfile.LNKTYPE, "../outside"), "outside"),
    (_info("dev", tarfile.CHRTYPE), "device"),
    (_info("fifo", tarfile.FIFOTYPE), "device"),
])
def test_tar_members_that_escape_are_refused(archive_path, member, why):
    payload = {member.name: b"x"} if member.type == tarfile.REGTYPE else None
    archive = _tar([_info("ok.txt"), member], {"ok.txt": b"fine", **(payload or {})})
    with pytest.raises(DatasetError, match=why):
        extract(archive, archive_path / "out")
    assert not (archive_path / "out" / "ok.txt").exists(), "nothing is written before the checks pass"


def test_tar_links_inside_the_target_are_kept(archive_path):
    archive = _tar([_info("d/a.txt"), _info("d/link", tarfile.SYMTYPE, "a.txt"),
                    _info("d/hard", tarfile.LNKTYPE, "d/a.txt")], {"d/a.txt": b"data"})
    out = extract(archive, archive_path / "out")
    assert (out / "d/link").read_bytes() == b"data" and (out / "d/hard").read_bytes() == b"data"


def test_size_limit_stops_zip_bombs(archive_path):
    zpath = archive_path / "bomb.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\0" * 2_000_000)
    assert zpath.stat().st_size < 10_000
    with pytest.raises(DatasetError, match="zip bomb"):
        extract(zpath, archive_path / "out", max_bytes=1_000_000)
    archive = _tar([_info("big.bin")], {"big.bin": b"1" * 5000})
    with pytest.raises(DatasetError, match="zip bomb"):
        extract(archive, archive_path / "out2", max_bytes=4000)


@pytest.mark.parametrize("name, link", [("../evil.txt", None), ("/abs.txt", None),
                                        ("escape", "../../outside"), ("inside", None)])
def test_zip_members(archive_path, name, link):
    zpath = archive_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        info = zipfile.ZipInfo(name)
        if link is not None:
            info.external_attr = 0o120777 << 16
        zf.writestr(info, link if link is not None else b"x")
    if name == "inside":
        assert (extract(zpath, archive_path / "out") / "inside").read_bytes() == b"x"
        return
    with pytest.raises(DatasetError, match="refusing"):
        extract(zpath, archive_path / "out")


def test_not_an_archive(archive_path):
    path = archive_path / "plain.gz"
    path.write_bytes(b"hello")
    with pytest.raises(DatasetError, match="not a zip or tar"):
        extract(path, archive_path / "out")


# -- installs ----------------------------------------------------------------------------------
def test_install_then_load_by_plain_name(registry, server, home):
    from crowdkit_core.dataset import load_dataset

    result = install_dataset("toy")
    assert result.installed and result.folder == home / "toy"
    assert json.loads((home / "toy/install.json").read_text())["files"][URL].startswith("sha256:")
    data = load_dataset("toy")
    assert data.n_tasks == 30 and data.gold is not None and (data.gold >= 0).all()
    assert load_dataset("installed:toy").n_answers == 90
    assert sorted(p.name for p in home.iterdir()) == [".cache", "checksums.lock", "toy"]


def test_reinstall_force_and_failed_force_keeps_the_old_install(registry, server, home):
    first = install_dataset("toy")
    n = len(server.requests)
    assert not install_dataset("toy").installed
    assert install_dataset("toy", force=True, options={"flavour": "salty"}).installed
    assert len(server.requests) == n, "the cache serves reinstalls"
    assert json.loads((home / "toy/metadata.json").read_text())["flavour"] == "salty"
    with pytest.raises(DatasetError, match="asked to fail"):
        install_dataset("toy", force=True, options={"fail": True})
    assert json.loads((home / "toy/metadata.json").read_text())["flavour"] == "salty"
    assert sorted(p.name for p in home.iterdir()) == [".cache", "checksums.lock", "toy"]
    assert first.folder.is_dir()


def test_failed_install_leaves_nothing_and_the_next_run_continues(registry, server, home):
    server.truncate["example.org/files/toy.tar.gz"] = 100
    with pytest.raises(DatasetError):
        install_dataset("toy")
    assert not (home / "toy").exists() and not list(home.glob(".toy.partial-*"))
    (home / ".toy.partial-killed").mkdir()  # left by a killed run
    assert install_dataset("toy").installed
    assert not list(home.glob(".toy.partial-*"))


def test_installer_bugs_and_broken_results_are_the_plugins_fault(registry, server, home):
    with pytest.raises(StrategyFailed, match="bug in the installer"):
        install_dataset("toy", options={"bug": True})
    with pytest.raises(StrategyFailed, match="does not load"):
        install_dataset("toy", options={"broken": True})
    with pytest.raises(StrategyFailed, match="failed to load"):
        install_dataset("ghost")
    assert not (home / "toy").exists()


def test_options_are_validated(registry, server, home):
    with pytest.raises(DatasetError, match="unknown option --colour; this installer accepts"):
        install_dataset("toy", options={"colour": "red"})
    with pytest.raises(DatasetError, match="not one of plain, salty"):
        install_dataset("toy", options={"flavour": "sweet"})
    with pytest.raises(DatasetError, match="no dataset installer .*ghost, .*manual, .*toy"):
        install_dataset("nope")


def test_a_folder_that_is_not_an_install_is_not_replaced(registry, server, home):
    (home / "toy").mkdir(parents=True)
    (home / "toy/mine.txt").write_text("keep")
    with pytest.raises(DatasetError, match="--force"):
        install_dataset("toy")
    assert (home / "toy/mine.txt").read_text() == "keep"


def test_manual_download_flow(registry, server, home, tmp_path):
    with pytest.raises(DatasetError, match=r"by hand\. Log in at https://example.org.*--from FILE"):
        install_dataset("manual")
    assert server.requests == []
    with pytest.raises(DatasetError, match="no such file"):
        install_dataset("manual", from_file=tmp_path / "missing.tgz")
    given = tmp_path / "toy.tar.gz"
    given.write_bytes(toy_archive())
    before = hashlib.sha256(given.read_bytes()).hexdigest()
    result = install_dataset("manual", from_file=given)
    assert result.installed and hashlib.sha256(given.read_bytes()).hexdigest() == before
    assert result.record["files"][str(given)] == before


def test_layout_check_refuses_images_that_do_not_match_answers(registry, server, home):
    class Images(Toy):
        def build(self, ctx):
            super().build(ctx)
            for task in range(29):  # one task short
                folder = ctx.folder / "train" / str(task % 2)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"img-{task}.png").write_bytes(b"")

    with pytest.raises(StrategyFailed, match="no file for 1 answered tasks"):
        run_installer(Images, "toy", options={})


# -- installer files ---------------------------------------------------------------------------
def test_peerannot_style_installer_file(tmp_path, registry):
    folder = tmp_path / "mydata"
    folder.mkdir()
    script = folder / "mydata.py"
    script.write_text(
        "import json\nfrom pathlib import Path\n\n"
        "class MyData:\n"
        "    def __init__(self, **kwargs):\n"
        "        self.DIR = Path(__file__).parent.resolve()\n"
        "        self.kwargs = kwargs\n"
        "    def setfolders(self):\n"
        "        (self.DIR / 'answers.json').write_text(json.dumps({'0': {'0': 1, '1': 0}, '1': {'0': 0}}))\n"
        "        (self.DIR / 'metadata.json').write_text(json.dumps({'name': 'mydata', 'n_classes': 2}))\n")
    result = install_dataset(str(script), options={"answers-format": "1"})
    assert result.folder == folder and (folder / "answers.json").is_file()


def test_crowdkit_style_installer_file(tmp_path, registry, server, home):
    script = tmp_path / "toy2.py"
    script.write_text(f"from {__name__} import Toy\n\nclass Toy2(Toy):\n    pass\n")
    result = install_dataset(str(script))
    assert result.folder == home / "toy2" and (home / "toy2/install.json").is_file()


def test_installer_file_problems(tmp_path, registry):
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(DatasetError, match="setfolders"):
        install_dataset(str(empty))
    broken = tmp_path / "broken.py"
    broken.write_text("import not_a_module_anywhere\n")
    with pytest.raises(DatasetError, match="importing it failed"):
        install_dataset(str(broken))
    with pytest.raises(DatasetError, match="no such installer file"):
        install_dataset(str(tmp_path / "missing.py"))


# -- command line ------------------------------------------------------------------------------
@pytest.fixture
def crowd(registry):
    from typer.testing import CliRunner

    from crowdkit_core.cli.app import create_app

    runner = CliRunner()
    return lambda *args: runner.invoke(create_app(), list(args))


def test_cli_list_info_install_aggregate(crowd, server, home):
    rows = json.loads(crowd("datasets", "list", "--json").stdout)
    toy = next(r for r in rows if r["name"] == "toy")
    assert toy["installed"] is False and toy["license"] == "CC0" and toy["citation"] == "Nobody (2026)"
    assert "error" in next(r for r in rows if r["name"] == "ghost")
    table = crowd("datasets", "list")
    assert table.exit_code == 0 and "toy" in table.stdout and max(map(len, table.stdout.splitlines())) <= 80
    result = crowd("install", "toy", "--flavour", "salty")
    assert result.exit_code == 0, result.output
    assert "Installed toy" in result.stdout and "licence CC0" in result.stderr
    assert crowd("aggregate", "toy", "-s", "MV", "--json", "-o", str(home.parent / "out")).exit_code == 0
    info = crowd("datasets", "info", "toy")
    assert "installed: " + str(home / "toy") in info.stdout and "answers.json" in info.stdout
    again = crowd("install", "toy", "--json")
    assert json.loads(again.stdout)["installed"] is False


def test_cli_errors_are_one_line(crowd, server, home):
    for args, text in ((("install", "nope"), "no dataset installer"),
                       (("install", "toy", "stray"), "unexpected argument 'stray'"),
                       (("install", "toy", "--colour=red"), "unknown option --colour"),
                       (("datasets", "info", "nope"), "no dataset installer")):
        result = crowd(*args)
        assert result.exit_code == 2 and text in result.stderr, result.output
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_known_but_uninstalled_name_says_how_to_install_it(registry, home):
    from crowdkit_core.dataset import load_dataset

    with pytest.raises(DatasetError, match=r"toy: dataset not installed; run `crowd install toy`"):
        load_dataset("toy")
    with pytest.raises(DatasetError, match="no such file or folder"):
        load_dataset("not-a-dataset")


def test_a_dataset_installer_is_disabled_by_name(monkeypatch):
    monkeypatch.setenv("CROWDKIT_DISABLE_PLUGINS", "toy")
    registry = PluginRegistry()
    status = registry.add_plugin(toy_plugin(), "toys", "toy-dist")
    assert registry.get_dataset("toy") is None and registry.get_dataset("manual") is not None
    assert "toy" in status.disabled
