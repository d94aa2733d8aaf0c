"""crowdkit-deep without training: torch stays unimported by the rest of crowd, and bad image
datasets give one-line errors naming the file (exit 2)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from crowdkit_core.errors import CrowdkitError, DatasetError

CROWD = [sys.executable, "-c", "from crowdkit_core.cli.app import main; main()"]


def _torch_loaded(code: str) -> bool:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('torch' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1] == "True"


def test_help_list_and_aggregate_do_not_import_torch(tmp_path):
    assert not _torch_loaded("import crowdkit_deep.registration, crowdkit_deep.cli, crowdkit_deep.params")
    run = "import sys\nsys.argv = ['crowd', *{args}]\nfrom crowdkit_core.cli.app import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    assert not _torch_loaded(run.format(args="['--help']"))
    assert not _torch_loaded(run.format(args="['list-strategies', '--kind', 'trainer']"))
    assert not _torch_loaded(run.format(args="['aggregate', 'bundled:labelme', '-s', 'MV', '-o', %r]" % str(tmp_path)))


def test_missing_torch_is_one_line(monkeypatch):
    from crowdkit_deep import cli

    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CrowdkitError, match="pip install crowdkit-deep"):
        cli.require_torch("train")


@pytest.fixture()
def small(tmp_path):
    """A 6-image dataset in the standard layout (2 classes)."""
    from PIL import Image

    from crowdkit_core.install.layout import write_answers, write_metadata

    for split, n in (("train", 6), ("val", 2), ("test", 2)):
        for i in range(n):
            folder = tmp_path / split / ("a" if i % 2 == 0 else "b")
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((5, 7, 3), 40 * i, np.uint8)).save(folder / f"img-{i}.png")
    write_answers(tmp_path, {i: {0: i % 2, 1: i % 2} for i in range(6)})
    write_metadata(tmp_path, name="small", n_classes=2)
    return tmp_path


def _load(folder: Path):
    from crowdkit_deep.data import load_image_dataset

    return load_image_dataset(folder, img_size=4)


def test_layout_is_read_and_decoded_once(small):
    data = _load(small)
    assert data.train.images.shape == (6, 3, 4, 4) and data.classes == ("a", "b")
    assert list(data.train.labels) == [0, 1, 0, 1, 0, 1]
    cached = sorted((small / ".crowdkit-cache").glob("*.u8"))
    assert len(cached) == 3
    stamp = [c.stat().st_mtime_ns for c in cached]
    again = _load(small)
    assert [c.stat().st_mtime_ns for c in cached] == stamp  # no second decode
    assert np.array_equal(np.asarray(again.train.images[np.arange(6)]), np.asarray(data.train.images[np.arange(6)]))
    assert data.val is not None and len(data.val.labels) == 2


@pytest.mark.parametrize("break_it, message", [
    (lambda f: (f / "train/a/img-0.png").rename(f / "train/a/noindex.png"), "noindex.png: no task index"),
    (lambda f: shutil.copy(f / "train/a/img-0.png", f / "train/a/img-9.png"), "img-9.png: task index 9 has no answers"),
    (lambda f: (f / "train/a/img-2.png").unlink(), "task '2' has answers but no image"),
    (lambda f: shutil.rmtree(f / "test/b"), "class folder missing from test/"),
    (lambda f: (f / "train/b/img-3.png").write_bytes(b"not a png"), "img-3.png: unreadable image"),
])
def test_bad_layouts_name_the_file(small, break_it, message):
    break_it(small)
    with pytest.raises(DatasetError, match=message.replace("(", r"\(")):
        _load(small)


def test_cli_bad_dataset_exit_2_one_line(small):
    (small / "train/a/img-0.png").rename(small / "train/a/noindex.png")
    out = subprocess.run([*CROWD, "train", str(small), "-o", "x", "--labels", "MV", "--model", "cnn"],
                         capture_output=True, text=True)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "noindex.png" in out.stderr
    assert "Traceback" not in out.stderr and not (small / "results").exists()


def test_metadata_path_option_works(small, tmp_path_factory):
    """peerannot crashes on --metadata_path in every command; here it replaces metadata.json."""
    other = tmp_path_factory.mktemp("meta") / "metadata.json"
    other.write_text(json.dumps({"name": "renamed", "n_classes": 2}))
    from crowdkit_deep.data import load_image_dataset

    assert load_image_dataset(small, img_size=4, metadata_path=other).crowd.name == "renamed"
