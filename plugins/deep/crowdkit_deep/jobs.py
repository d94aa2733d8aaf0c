"""The ``crowd train`` and ``crowd aggregate-deep`` jobs as library calls: read the image
dataset, train, evaluate on the test split, and write the results JSON, the best model and
(aggregate-deep) the soft labels and worker matrices. The CLI only parses and calls these."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from crowdkit_core.errors import CrowdkitError, DatasetError
from crowdkit_core.output import npy_bytes, write_files_atomically
from crowdkit_deep.data import ImageData, load_image_dataset
from crowdkit_deep.params import TrainingParams


@dataclass
class JobResult:
    """What a job wrote and measured."""

    metrics: dict[str, Any]
    files: list[str] = field(default_factory=list)
    model: Any = None


def read_labels(source: str, data: ImageData, seed: int) -> np.ndarray:
    """(n_tasks, K) training targets from a hard (n,) or soft (n, K) ``.npy`` file, or from a
    strategy spec aggregated on the fly; hard -1 rows become all-zero (not trained on)."""
    n, k = data.crowd.n_tasks, data.crowd.n_classes
    if source.endswith(".npy"):
        path = Path(source)
        if not path.is_file():
            raise DatasetError(f"{path}: no such labels file; give a .npy from crowd aggregate or a strategy spec")
        try:
            labels = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise DatasetError(f"{path}: not a readable .npy array ({exc})") from None
    else:
        from crowdkit_core.application import aggregate

        labels = aggregate(data.crowd, source, seed=seed).proba
    if labels.ndim == 1 and len(labels) == n:
        if labels.min() < -1 or labels.max() >= k:
            raise DatasetError(f"{source}: hard labels must be class indices in 0..{k - 1} (or -1)")
        soft = np.zeros((n, k))
        soft[labels >= 0, labels[labels >= 0].astype(np.int64)] = 1.0
        return soft
    if labels.shape == (n, k):
        if (labels < 0).any() or not np.isfinite(labels).all():
            raise DatasetError(f"{source}: soft labels must be finite and non-negative")
        sums = labels.sum(1, keepdims=True)
        return np.divide(labels, sums, out=np.zeros_like(labels, dtype=np.float64), where=sums > 0)
    raise DatasetError(f"{source}: labels of shape {labels.shape}, expected ({n},) or ({n}, {k}) "
                       "for this dataset's tasks in answers.json order")


def kept_rows(data: ImageData, path_remove: str | None) -> np.ndarray:
    """Training task rows, without those listed in ``path_remove`` (task ids, as crowd identify writes)."""
    if not path_remove:
        return np.arange(data.crowd.n_tasks)
    from crowdkit_core.dataset import read_task_list

    keep = np.flatnonzero(~read_task_list(path_remove, data.crowd))
    if keep.size == 0:
        raise CrowdkitError(f"{path_remove}: removes every training task; keep at least one")
    return keep


def _json_bytes(payload: dict[str, Any]) -> bytes:
    return (json.dumps(payload, indent=1, default=float) + "\n").encode()


def _write_set(files: dict[Path, bytes]) -> None:
    """The job's files as one set: all of them land, or none (the old ones stay)."""
    from crowdkit_core.output_guard import write_error

    try:
        write_files_atomically(files)
    except OSError as exc:
        raise write_error(exc, next(iter(files)).parent) from None


def _check_writable(paths: list[Path]) -> None:
    """A one-line error before training when a result file could not be written."""
    from crowdkit_core.output_guard import check_targets

    check_targets(paths, option="dataset folder")


def _history(result: Any) -> dict[str, Any]:
    h = result.history
    return {"train_loss": [r.train_loss for r in h], "train_accuracy": [r.train_accuracy for r in h],
            "val_loss": [r.val_loss for r in h], "val_accuracy": [r.val_accuracy for r in h],
            "epoch_seconds": [r.seconds for r in h], "compute_seconds": [r.compute_seconds for r in h],
            "best_epoch": result.best_epoch, "model_selection": result.selection}


def _validation(data: ImageData) -> tuple[Any, np.ndarray] | None:
    return (data.val.images, data.val.labels) if data.val is not None else None


def _test_metrics(predict: Callable[[Any], np.ndarray], data: ImageData) -> dict[str, Any]:
    """Test-set metrics of the selected model, plus (K >= 8) its validation top-k accuracies,
    under crowdkit's and peerannot's key names."""
    from crowdkit_deep.evaluation import peerannot_names, split_metrics

    out: dict[str, Any] = {}
    if data.val is not None and data.crowd.n_classes >= 8:
        val = split_metrics(predict(data.val.images), data.val.labels, "val")
        out.update({k: v for k, v in val.items() if "_top" in k})
    if data.test is not None:
        out.update(split_metrics(predict(data.test.images), data.test.labels, "test"))
    return peerannot_names(out)


def train(dataset: str | os.PathLike[str], name: str, labels: str, params: TrainingParams, *,
          n_classes: int | None = None, metadata_path: str | None = None, path_remove: str | None = None,
          on_epoch: Callable[[Any], None] | None = None) -> JobResult:
    """``crowd train``: a classifier trained on aggregated labels; writes
    ``results/NAME.json`` and ``best_models/MODEL/NAME.pth`` (the torchvision model's plain
    state dict, as peerannot saves it) under the dataset folder, as one set."""
    from crowdkit_deep.checkpoints import plain_state_dict, to_bytes
    from crowdkit_deep.networks import Split, build_classifier
    from crowdkit_deep.objectives import LabelObjective
    from crowdkit_deep.training import fit_network, predict_proba, resolve_device, seeded

    folder = Path(dataset)
    model_path = folder / "best_models" / params.model / f"{name}.pth"
    results_path = folder / "results" / f"{name}.json"
    _check_writable([model_path, results_path])
    data = load_image_dataset(dataset, img_size=params.img_size, metadata_path=metadata_path,
                              n_classes=n_classes)
    targets = read_labels(labels, data, params.seed)
    rows = kept_rows(data, path_remove)
    rows = rows[targets[rows].sum(1) > 0]
    if rows.size == 0:
        raise CrowdkitError(f"{labels}: no training task has a label")
    device = resolve_device(params.device)
    with seeded(params.seed):
        network = Split(build_classifier(params.model, data.crowd.n_classes, pretrained=params.pretrained,
                                         freeze=params.freeze, img_size=params.img_size))
        result = fit_network(network, LabelObjective(targets), data.train.images, rows, params, device,
                             validation=_validation(data), on_epoch=on_epoch)
    metrics = {"name": name, "labels": labels, "params": params.model_dump(mode="json"),
               "n_train": int(rows.size), **_history(result),
               **_test_metrics(lambda x: predict_proba(network, x, params.batch_size, device), data)}
    state = plain_state_dict(network.cpu(), params.model, data.crowd.n_classes, params.img_size)
    _write_set({model_path: to_bytes(state), results_path: _json_bytes(metrics)})
    return JobResult(metrics, [str(results_path), str(model_path)], network)


def aggregate_deep(dataset: str | os.PathLike[str], name: str, spec: Any, *,
                   n_classes: int | None = None, metadata_path: str | None = None,
                   path_remove: str | None = None, answers_file: str | None = None,
                   on_epoch: Callable[[Any], None] | None = None) -> JobResult:
    """``crowd aggregate-deep``: CrowdLayer / CoNAL (a resolved trainer spec) on the raw
    answers; writes ``results/NAME.json``, ``best_models/NAME.pth`` (peerannot's keys:
    ``classifier``, and ``confusion`` or ``auxiliary`` / ``noise_adaptation``),
    ``labels/labels_<dataset>_NAME.npy`` (soft labels of the training tasks) and
    ``results/NAME.workers.json`` (each worker's learnt matrix keyed by worker id), as one set."""
    from crowdkit_deep.checkpoints import crowd_state, plain_state_dict, to_bytes

    model = spec.build()
    params = model.params
    folder = Path(dataset)
    model_path = folder / "best_models" / f"{name}.pth"
    results_path = folder / "results" / f"{name}.json"
    workers_path = folder / "results" / f"{name}.workers.json"
    _check_writable([model_path, results_path, workers_path])
    data = load_image_dataset(dataset, img_size=params.img_size, metadata_path=metadata_path,
                              n_classes=n_classes, answers_file=answers_file)
    labels_path = folder / "labels" / f"labels_{data.crowd.name}_{name}.npy"
    _check_writable([labels_path])
    rows = kept_rows(data, path_remove)
    crowd = data.crowd if rows.size == data.crowd.n_tasks else data.crowd.subset_tasks(
        np.isin(np.arange(data.crowd.n_tasks), rows))
    images = data.train.images if rows.size == data.crowd.n_tasks else np.asarray(data.train.images[rows])
    model.fit(crowd, images=images, validation=_validation(data))
    result = model._result
    if on_epoch is not None:
        for record in result.history:
            on_epoch(record)
    soft = np.zeros((data.crowd.n_tasks, data.crowd.n_classes))
    soft[rows] = model.proba_
    metrics = {"name": name, "strategy": spec.canonical if hasattr(spec, "canonical") else model.spec,
               "params": params.model_dump(mode="json"), "n_train": int(rows.size), **_history(result),
               **_test_metrics(model.predict_proba, data)}
    workers = {str(w): m.tolist() for w, m in zip(crowd.worker_ids, model.confusion_matrices_)}
    worker_file = {"confusion_matrices": workers,
                   "worker_parameters": {str(w): p.tolist() for w, p in
                                         zip(crowd.worker_ids, model.worker_parameters_)}}
    checkpoint = {"classifier": plain_state_dict(model.network, params.model, data.crowd.n_classes,
                                                 params.img_size),
                  **crowd_state(spec.info.name, model._objective_module),
                  "crowd": model._objective_module.state_dict(), "model": params.model}
    _write_set({results_path: _json_bytes(metrics), labels_path: npy_bytes(soft),
                workers_path: _json_bytes(worker_file), model_path: to_bytes(checkpoint)})
    return JobResult(metrics, [str(results_path), str(labels_path), str(workers_path), str(model_path)], model)
