"""CIFAR-10H: ~51 human labels for each of the 10,000 CIFAR-10 test images (Peterson et al. 2019).

The crowd labelled CIFAR-10's *test* images, so those become ``train/`` (task key = CIFAR-10
test index); CIFAR-10's 50,000 training images, which have no crowd labels, give ``val/`` and
``test/``. ``--split peerannot`` reproduces peerannot's installer instead: test images
0..9499 in ``train/``, 9500..9999 in ``val/`` (their answers in ``answers_valid.json``), the
50,000 training images in ``test/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crowdkit_core.errors import DatasetError
from crowdkit_core.install import InstallContext
from crowdkit_core.install.layout import indexed_name, write_answers, write_metadata, write_truth
from crowdkit_core.installers import DatasetCard, DatasetInstaller, InstallerOption, RemoteFile
from crowdkit_datasets.images import cifar_batches as batches
from crowdkit_datasets.images.cifar10h_raw import check_counts, find_csv, read_raw
from crowdkit_datasets.images.png import write_png
from crowdkit_datasets.images.splits import make_class_folders

REPO = "https://github.com/jcpeterson/cifar-10h/raw/master/data"
LICENSE = "CC BY-NC-SA 4.0"
CITATION = ("Peterson, J. C., Battleday, R. M., Griffiths, T. L., & Russakovsky, O. (2019). "
            "Human uncertainty makes classification more robust. Proceedings of the IEEE/CVF "
            "International Conference on Computer Vision (ICCV), 9617-9626.")
#: peerannot keeps the last 500 annotated images for validation.
PEERANNOT_VAL = 500


class CIFAR10H(DatasetInstaller):
    """Builds train/ from the CIFAR-10 test images and the CIFAR-10H raw answers."""

    card = DatasetCard(
        title="CIFAR-10H: human labels for the 10,000 CIFAR-10 test images",
        kind="images",
        n_tasks=10000,
        n_workers=2571,
        n_answers=514200,
        n_classes=10,
        download_size=None,
        license=LICENSE,
        citation=CITATION,
        homepage="https://github.com/jcpeterson/cifar-10h",
        notes=("train/: the 10,000 CIFAR-10 test images (task = test index) with the crowd "
               "answers, attention checks dropped; val/: --val_size CIFAR-10 training images "
               "drawn with the install seed; test/: the other training images. --split peerannot: "
               "train/ = test images 0..9499, val/ = 9500..9999 (answers_valid.json), test/ = all "
               "50,000 training images. n_answers = 2571 annotators x 200 rating trials (README)."),
    )
    files = (
        RemoteFile("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                   md5="c58f30108f718f92721af3b95e74349a", size=170498071),
        RemoteFile(f"{REPO}/cifar10h-raw.zip"),
        RemoteFile(f"{REPO}/cifar10h-counts.npy",
                   sha256="9b36b4550349af56c79083356312eb4af856cc5fd3caf1f669d40b9d0bbb69ff",
                   size=800128),
        RemoteFile(f"{REPO}/cifar10h-probs.npy",
                   sha256="436ae98620e00073f9d08585ac870573b588853e7af9f54eb1647408114af77d",
                   size=800128),
    )
    options = (
        InstallerOption("split", "full: all 10,000 annotated images in train/, val/ from the "
                        "CIFAR-10 training images; peerannot: peerannot's 9,500/500 split",
                        default="full", choices=("full", "peerannot")),
        InstallerOption("val_size", "with --split full: how many CIFAR-10 training images go to "
                        "val/ (drawn with the install seed); the rest are test/", default="500"),
    )

    def build(self, ctx: InstallContext) -> None:
        ctx.log(f"cifar10h: the CIFAR-10H labels are licensed {LICENSE}: non-commercial use only, "
                "share derived data under the same licence")
        archive, raw_zip, counts_file, probs_file = (ctx.fetch(f) for f in self.files)
        images_root = ctx.extract(archive)
        names = batches.read_label_names(images_root)
        annotated = batches.read_split(images_root, train=False)
        unlabelled = batches.read_split(images_root, train=True)
        raw_csv = find_csv(ctx.extract(raw_zip))
        raw = read_raw(raw_csv, len(annotated.labels))
        check_counts(raw, counts_file, probs_file)
        _check_against_cifar(raw_csv, raw.true_labels, annotated.labels)
        ctx.log(f"cifar10h: dropped {raw.n_attention} attention-check rows"
                + (f" and {raw.n_repeats} repeated (annotator, image) answers (first kept)"
                   if raw.n_repeats else ""))

        n = len(annotated.labels)
        if ctx.options.get("split") == "peerannot":
            cut = n - min(PEERANNOT_VAL, n // 20)
            train_tasks, val_tasks = np.arange(cut), np.arange(cut, n)
            val_images, test_idx = annotated, np.arange(len(unlabelled.labels))
            write_answers(ctx.folder, {int(t): raw.answers[int(t)] for t in val_tasks}
                          ).rename(ctx.folder / "answers_valid.json")
        else:
            train_tasks = np.arange(n)
            val_tasks, test_idx = _draw_val(unlabelled.labels.size, ctx)
            val_images = unlabelled
        for split in ("train", "val", "test"):
            make_class_folders(ctx.folder / split, names)
        _write_images(ctx.folder / "train", annotated, train_tasks, names)
        _write_images(ctx.folder / "val", val_images, val_tasks, names)
        _write_images(ctx.folder / "test", unlabelled, test_idx, names)

        answers = {int(t): raw.answers[int(t)] for t in train_tasks}
        write_answers(ctx.folder, answers)
        write_truth(ctx.folder, ((int(t), int(annotated.labels[t])) for t in train_tasks))
        write_metadata(ctx.folder, name="cifar10h", n_classes=len(names),
                       n_workers=len({w for given in answers.values() for w in given}),
                       n_tasks=len(answers), label_names=list(names), license=LICENSE,
                       citation=CITATION, homepage=self.card.homepage,
                       split=ctx.options.get("split", "full"))


def _check_against_cifar(path: Path, true_labels: dict[int, int], cifar_labels: np.ndarray) -> None:
    """Every test image is answered, and the file's true labels are CIFAR-10's."""
    unanswered = sorted(set(range(len(cifar_labels))) - set(true_labels))
    if unanswered:
        raise DatasetError(f"{path}: no answers for CIFAR-10 test image {unanswered[0]} "
                           f"({len(unanswered)} in all); delete the cached cifar10h-raw.zip and "
                           "install again")
    wrong = [i for i, label in sorted(true_labels.items()) if label != cifar_labels[i]]
    if wrong:
        raise DatasetError(f"{path}: image {wrong[0]}: true_label {true_labels[wrong[0]]} but "
                           f"CIFAR-10 says {int(cifar_labels[wrong[0]])}; the two downloads do "
                           "not match, delete the cached files and install again")


def _draw_val(n_train: int, ctx: InstallContext) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (val, test) indices of the CIFAR-10 training images, val drawn with the seed."""
    text = str(ctx.options.get("val_size", "500"))
    if not text.isdigit() or not 0 < int(text) < n_train:
        raise DatasetError(f"cifar10h: --val_size {text!r} must be an integer from 1 to "
                           f"{n_train - 1}; give a smaller number")
    chosen = np.random.default_rng(ctx.seed).permutation(n_train)[: int(text)]
    val = np.sort(chosen)
    return val, np.setdiff1d(np.arange(n_train), val)


def _write_images(split: Path, batch: batches.Batch, indices: np.ndarray,
                  names: tuple[str, ...]) -> None:
    """``split/<class>/<class>-<index>.png`` for each index."""
    for index in indices:
        name = names[int(batch.labels[index])]
        write_png(split / name / indexed_name(name, int(index), "png"), batch.images[index])
