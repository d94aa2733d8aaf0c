"""LabelMe (Rodrigues & Pereira 2018): 1,000 training scenes with MTurk labels, 8 classes.

The archive ``deep_LabelMe.tar.gz`` holds ``LabelMe/{train,valid,test}/<class>/<file>.jpg``,
``filenames_<split>.txt`` and ``labels_<split>.txt`` (one line per image, aligned), and
``answers.txt``: one row per training image (in ``filenames_train.txt`` order), one column
per annotator, -1 where that annotator gave no label. Labels in these files use Rodrigues'
class ids (``RODRIGUES_CLASSES``); they are renumbered to the alphabetical order of the class
names, which is the order of the class folders. ``prepared/`` holds VGG16 features
(``--features`` copies them). Task key = row in ``filenames_<split>.txt``; worker = column
of ``answers.txt``. Files are copied, never moved, so the cached archive stays usable.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from crowdkit_core.errors import DatasetError
from crowdkit_core.install import InstallContext
from crowdkit_core.install.layout import indexed_name, place_file, write_answers, write_metadata, write_truth
from crowdkit_core.installers import DatasetCard, DatasetInstaller, InstallerOption, RemoteFile
from crowdkit_datasets.images.splits import make_class_folders

#: Class of each label id in the archive's label files and answers.txt.
RODRIGUES_CLASSES = ("highway", "insidecity", "tallbuilding", "street", "forest", "coast",
                     "mountain", "opencountry")
LABEL_NAMES = tuple(sorted(RODRIGUES_CLASSES))
#: Rodrigues' label id -> crowdkit class index (peerannot's ``convert_labels``).
TO_SORTED = {i: LABEL_NAMES.index(name) for i, name in enumerate(RODRIGUES_CLASSES)}
#: Archive split folder -> installed split folder.
SPLITS = {"train": "train", "valid": "val", "test": "test"}
FEATURES = tuple(f"data_{split}_vgg16.npy" for split in SPLITS)
MISSING = -1
CITATION = ("Rodrigues, F., & Pereira, F. C. (2018). Deep learning from crowds. Proceedings of "
            "the AAAI Conference on Artificial Intelligence, 32(1).")
LICENSE = "not stated"
LICENSE_NOTES = ("not stated by the source; the crowd answers are also redistributed under "
                 "CC BY 4.0 by computorg/published-202402-lefort-peerannot")


class LabelMe(DatasetInstaller):
    """Copies the LabelMe images into the standard layout and converts answers.txt."""

    card = DatasetCard(
        title="LabelMe scenes: 1,000 training images with MTurk labels, 8 classes",
        kind="images",
        n_tasks=1000,
        n_workers=59,
        n_answers=2547,
        n_classes=8,
        download_size=None,
        license=LICENSE,
        license_notes=LICENSE_NOTES,
        citation=CITATION,
        homepage="http://fprodrigues.com/",
        notes=("train/ 1,000 images with answers, val/ 500, test/ 1,188 (the archive's splits). "
               "Task = row of filenames_<split>.txt; worker = column of answers.txt (0-76; 59 "
               "of the 77 columns hold answers). Classes renumbered alphabetically. --features "
               "copies prepared/data_{train,valid,test}_vgg16.npy into features/."),
    )
    files = (RemoteFile("http://fprodrigues.com/deep_LabelMe.tar.gz"),)
    options = (InstallerOption("features", "also copy the archive's VGG16 feature arrays "
                               "(prepared/data_*_vgg16.npy) into features/", flag=True),)

    def build(self, ctx: InstallContext) -> None:
        root = _root(ctx.extract(ctx.fetch(self.files[0])))
        labels: dict[str, list[int]] = {}
        for source, target in SPLITS.items():
            make_class_folders(ctx.folder / target, LABEL_NAMES)
            labels[source] = _copy_split(root, source, ctx.folder / target)
        answers = read_answers_matrix(root / "answers.txt", len(labels["train"]))
        write_answers(ctx.folder, answers)
        write_truth(ctx.folder, enumerate(labels["train"]))
        write_metadata(ctx.folder, name="labelme", n_classes=len(LABEL_NAMES),
                       n_workers=len({w for given in answers.values() for w in given}),
                       n_tasks=len(answers), label_names=list(LABEL_NAMES), license=LICENSE,
                       citation=CITATION)
        if ctx.options.get("features"):
            _copy_features(root / "prepared", ctx.folder / "features", ctx)


def _root(extracted: Path) -> Path:
    root = extracted / "LabelMe"
    if not (root / "answers.txt").is_file():
        raise DatasetError("deep_LabelMe.tar.gz: no LabelMe/answers.txt inside; delete the cached "
                           "archive and install again")
    return root


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DatasetError(f"{path}: missing from deep_LabelMe.tar.gz; delete the cached archive "
                           "and install again")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _label(path: Path, line: int, text: str) -> int:
    """A Rodrigues label id (written ``3`` or ``3.0``) as a crowdkit class index."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer() or int(value) not in TO_SORTED:
        raise DatasetError(f"{path}: line {line}: label {text!r} is not a class id 0..7; delete "
                           "the cached deep_LabelMe.tar.gz and install again")
    return TO_SORTED[int(value)]


def _missing(text: str) -> bool:
    try:
        return float(text) == MISSING
    except ValueError:
        return False


def _copy_split(root: Path, split: str, target: Path) -> list[int]:
    """Copy one split's images to ``target/<class>/<stem>-<row>.jpg``; their class indices."""
    names = _lines(root / f"filenames_{split}.txt")
    labels_file = root / f"labels_{split}.txt"
    raw_labels = _lines(labels_file)
    if len(raw_labels) != len(names):
        raise DatasetError(f"{labels_file}: {len(raw_labels)} labels for {len(names)} file names in "
                           f"filenames_{split}.txt; delete the cached archive and install again")
    classes = []
    for row, (name, text) in enumerate(zip(names, raw_labels)):
        label = _label(labels_file, row + 1, text)
        cls = LABEL_NAMES[label]
        source = root / split / cls / name
        if not source.is_file():
            raise DatasetError(f"{source}: listed on line {row + 1} of filenames_{split}.txt with "
                               f"class {cls}, but not in the archive; delete the cached archive "
                               "and install again")
        place_file(source, target / cls / indexed_name(Path(name).stem, row, Path(name).suffix or "jpg"))
        classes.append(label)
    return classes


def read_answers_matrix(path: Path, n_tasks: int) -> dict[int, dict[int, int]]:
    """answers.txt as {task row: {annotator column: class index}}, -1 entries skipped."""
    rows = _lines(path)
    if len(rows) != n_tasks:
        raise DatasetError(f"{path}: {len(rows)} rows for {n_tasks} training images in "
                           "filenames_train.txt; delete the cached archive and install again")
    answers: dict[int, dict[int, int]] = {}
    width = None
    for task, row in enumerate(rows):
        fields = row.split()
        if width is not None and len(fields) != width:
            raise DatasetError(f"{path}: line {task + 1}: {len(fields)} columns, line 1 has {width}; "
                               "delete the cached archive and install again")
        width = len(fields)
        given = {worker: _label(path, task + 1, text) for worker, text in enumerate(fields)
                 if not _missing(text)}
        if not given:
            raise DatasetError(f"{path}: line {task + 1}: no annotator labelled this image; delete "
                               "the cached archive and install again")
        answers[task] = given
    return answers


def _copy_features(prepared: Path, target: Path, ctx: InstallContext) -> None:
    """Copy the VGG16 feature arrays and log their shapes (read from the .npy headers)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in FEATURES:
        source = prepared / name
        if not source.is_file():
            raise DatasetError(f"{source}: missing from deep_LabelMe.tar.gz, so --features cannot "
                               "be honoured; install without --features")
        shutil.copyfile(source, target / name)
        ctx.log(f"labelme: features/{name}: shape {_npy_shape(target / name)}")


def _npy_shape(path: Path) -> tuple[int, ...]:
    with path.open("rb") as handle:
        try:
            major, _ = np.lib.format.read_magic(handle)
            header = (np.lib.format.read_array_header_1_0 if major == 1
                      else np.lib.format.read_array_header_2_0)(handle)
        except ValueError as exc:
            raise DatasetError(f"{path}: not a .npy array ({exc}); delete the cached "
                               "deep_LabelMe.tar.gz and install again") from None
    return tuple(header[0])
