"""Time ``crowd install cifar10h`` end to end on full-size synthetic downloads, offline.

The four files are generated at their real sizes and structure (CIFAR-10's 60,000 images in
its pickled batches, 2,571 annotators x 200 ratings + 10 attention checks in the raw CSV,
matching counts/probs arrays), served from 127.0.0.1 by the core's FileServer, and the real
command runs in a fresh process: downloads, checksums, extraction, 60,000 PNG writes, the
layout check and the atomic rename. Then ``crowd aggregate cifar10h -s DS`` on the result.
peerannot's installer cannot run here: its URLs are hard-coded and it needs the network.

    python benchmarks/install_cifar10h.py [--no-write]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "datasets" / "tests"))
from _common import machine_description, markdown_table, now_utc, publish  # noqa: E402

import installer_fixtures.images as fx  # noqa: E402

N_ANNOTATORS, PER_ANNOTATOR = 2571, 200


def full_size_raw_rows(true_labels: list[int]) -> list[list[object]]:
    """2,571 annotators, each rating 200 images (about 51 per image) plus 10 attention checks."""
    rng = np.random.default_rng(0)
    rows: list[list[object]] = []
    for annotator in range(N_ANNOTATORS):
        images = (annotator * PER_ANNOTATOR + np.arange(PER_ANNOTATOR)) % fx.N_TEST
        chosen = np.where(rng.random(PER_ANNOTATOR) < 0.95, np.asarray(true_labels)[images],
                          rng.integers(0, 10, PER_ANNOTATOR))
        for trial, (image, label) in enumerate(zip(images.tolist(), chosen.tolist())):
            truth = true_labels[image]
            rows.append([annotator, trial, 0, fx.CLASSES[truth], fx.CLASSES[label], truth, label,
                         int(truth == label), image, f"{fx.CLASSES[truth]}-{image}.png", "sub",
                         800, 800 * trial])
        for k in range(10):
            rows.append([annotator, PER_ANNOTATOR + k, 1, "cat", "cat", 3, 3, 1, -99999,
                         "attn.png", "sub", 700, 0])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="only print the results")
    args = parser.parse_args()
    fx.N_TEST, fx.PER_TRAIN_BATCH = 10_000, 10_000
    from crowdkit_core.testing.fileserver import FileServer

    archive, contents = fx.cifar_archive()
    rows = full_size_raw_rows(contents["test_batch"][1])
    files = fx.cifar10h_files(rows)
    crowd = str(Path(sys.executable).with_name("crowd"))
    with tempfile.TemporaryDirectory() as tmp, FileServer() as server:
        for url, data in files.items():
            server.add(url, data)
        env = {**os.environ, "CROWDKIT_DATASETS_BASE_URL": server.url, "CROWDKIT_DATA_HOME": tmp}
        # the served files are synthetic: pin nothing, so the lock file records them
        env["CROWDKIT_BENCH_UNPINNED"] = "1"
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", UNPINNED_INSTALL], env=env,
                                capture_output=True, text=True)
        install_s = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        start = time.perf_counter()
        subprocess.run([crowd, "aggregate", "cifar10h", "-s", "DS", "-o", tmp + "/out"], env=env,
                       check=True, capture_output=True)
        aggregate_s = time.perf_counter() - start
        n_png = sum(1 for _ in Path(tmp, "cifar10h").rglob("*.png"))
    size = sum(len(v) for v in files.values())
    table = markdown_table(
        ["command", "wall (s)", "what it did"],
        [["crowd install cifar10h", f"{install_s:.1f}",
          f"{size / 1e6:.0f} MB served, {len(rows):,} raw rows, {n_png:,} PNGs written"],
         ["crowd aggregate cifar10h -s DS", f"{aggregate_s:.1f}", "514,200 answers, 10,000 tasks"]])
    machine = machine_description()
    text = (f"### Installing CIFAR-10H ({now_utc()})\n\n`python benchmarks/install_cifar10h.py` on "
            f"{machine['cpu']} ({machine['cores']} cores): full-size synthetic downloads served from "
            "127.0.0.1, the real command in a fresh process (peerannot's installer cannot be "
            "pointed at a local server).\n\n" + table)
    publish("install-cifar10h", text, not args.no_write)


#: The install run in the child: cifar10h with its pins replaced by "recorded at first download"
#: (the synthetic files cannot match the real digests), everything else as `crowd install`.
UNPINNED_INSTALL = """
import dataclasses
from crowdkit_core.install.jobs import install_dataset, installer_class
cls, _ = installer_class("cifar10h")
cls.files = tuple(dataclasses.replace(f, sha256=None, md5=None) for f in cls.files)
install_dataset("cifar10h")
"""

if __name__ == "__main__":
    main()
