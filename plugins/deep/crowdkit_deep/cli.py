"""``crowd train`` and ``crowd aggregate-deep``: parse options, check torch is there, call
:mod:`crowdkit_deep.jobs`, print per-epoch progress and the summary. No torch at import."""

from __future__ import annotations

import importlib.util
from typing import Annotated, Any, Optional

import typer

Dataset = Annotated[str, typer.Argument(help="Image dataset folder (answers.json, metadata.json, train/ val/ test/).")]
Name = Annotated[str, typer.Option("-o", "--output-name", help="Name of the results/NAME.json and best_models/ files.")]
K = Annotated[Optional[int], typer.Option("-K", "--n-classes", help="Number of classes (default: metadata.json).")]
Model = Annotated[Optional[str], typer.Option("--model", help="torchvision architecture by name, or 'cnn' \\[default: resnet18].")]
Pretrained = Annotated[Optional[bool], typer.Option("--pretrained/--no-pretrained", help="Load default weights from the local torch cache.")]
Freeze = Annotated[Optional[bool], typer.Option("--freeze/--no-freeze", help="Train only the classification head.")]
ImgSize = Annotated[Optional[int], typer.Option("--img-size", help="Images resized to this square size \\[default: 224].")]
Augment = Annotated[Optional[bool], typer.Option("--data-augmentation/--no-data-augmentation", help="Random flips and shifted crops.")]
PathRemove = Annotated[Optional[str], typer.Option("--path-remove", help="File of task ids left out of training.")]
Epochs = Annotated[Optional[int], typer.Option("--n-epochs", help="Training epochs \\[default: 100].")]
Lr = Annotated[Optional[float], typer.Option("--lr", help="Learning rate \\[default: 0.1].")]
Momentum = Annotated[Optional[float], typer.Option("--momentum", help="SGD momentum \\[default: 0.9].")]
Decay = Annotated[Optional[float], typer.Option("--decay", help="Weight decay \\[default: 5e-4].")]
Optimizer = Annotated[Optional[str], typer.Option("--optimizer", "-optim", help="sgd, adam or adamw \\[default: sgd].")]
Scheduler = Annotated[Optional[str], typer.Option("--scheduler", help="multistep, cosine or none \\[default: multistep].")]
Milestones = Annotated[Optional[list[int]], typer.Option("-m", "--milestones", help="Multistep epochs (repeat the option) \\[default: 50].")]
LrDecay = Annotated[Optional[float], typer.Option("--lr-decay", help="Multistep factor \\[default: 0.1].")]
BatchSize = Annotated[Optional[int], typer.Option("--batch-size", help="Tasks per batch \\[default: 64].")]
Workers = Annotated[Optional[int], typer.Option("--num-workers", help="DataLoader worker processes \\[default: 0].")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of every random choice.")]
Device = Annotated[Optional[str], typer.Option("--device", help="auto, cpu, cuda or mps \\[default: auto].")]
Metadata = Annotated[Optional[str], typer.Option("--metadata-path", help="metadata.json to use instead of the dataset's (peerannot's --metadata_path works too).")]
Json = Annotated[bool, typer.Option("--json", help="Print the results JSON on stdout.")]
NParams = Annotated[Optional[int], typer.Option("--n-params", hidden=True, help="peerannot's option, unused there too: accepted and ignored.")]


def require_torch(command: str) -> None:
    """A one-line error (exit 2) when torch or torchvision is missing."""
    from crowdkit_core.errors import CrowdkitError

    missing = [m for m in ("torch", "torchvision") if importlib.util.find_spec(m) is None]
    if missing:
        raise CrowdkitError(f"crowd {command} needs {' and '.join(missing)}: pip install crowdkit-deep "
                            "(or pip install torch torchvision)")


#: The training options shared by ``train`` and ``aggregate-deep`` (their parameter names).
TRAINING_OPTIONS = ("model", "pretrained", "freeze", "img_size", "data_augmentation", "n_epochs",
                    "lr", "momentum", "decay", "optimizer", "scheduler", "milestones", "lr_decay",
                    "batch_size", "num_workers", "device")


def _options(values: dict[str, Any]) -> dict[str, Any]:
    """The training options given on the command line (None = not given), from a command's
    arguments (its ``locals()``)."""
    out = {k: values[k] for k in TRAINING_OPTIONS if values.get(k) is not None}
    if "milestones" in out:
        out["milestones"] = tuple(out["milestones"])
    for key in ("optimizer", "scheduler"):  # peerannot writes -optim SGD
        if key in out:
            out[key] = out[key].lower()
    if values.get("n_params") is not None:
        from crowdkit_core.cli.common import stderr

        stderr.print("Note: --n-params is ignored (peerannot ignores it too)", markup=False)
    return out


def _progress(as_json: bool) -> Any:
    from crowdkit_core.cli.common import stderr

    def show(record: Any) -> None:
        if as_json:
            return
        val = "" if record.val_loss is None else f"  val loss {record.val_loss:.4f}  val acc {record.val_accuracy:.4f}"
        acc = "" if record.train_accuracy is None else f"  acc {record.train_accuracy:.4f}"
        stderr.print(f"epoch {record.epoch:>3}  loss {record.train_loss:.4f}{acc}{val}  "
                     f"{record.seconds:.1f}s", markup=False)
    return show


def _summary(result: Any, as_json: bool) -> None:
    from crowdkit_core.cli.common import print_json, stdout

    if as_json:
        print_json(result.metrics)
        return
    m = result.metrics
    for key in ("test_accuracy", "test_loss", "test_ece"):
        if key in m:
            stdout.print(f"{key}: {m[key]:.4f}", markup=False)
    for path in result.files:
        stdout.print(f"wrote {path}", markup=False)


def train(dataset: Dataset, output_name: Name,
          labels: Annotated[str, typer.Option("--labels", help="Hard or soft labels .npy, or a strategy spec aggregated on the fly (e.g. DS).")],
          n_classes: K = None, model: Model = None, pretrained: Pretrained = None, freeze: Freeze = None,
          img_size: ImgSize = None, data_augmentation: Augment = None, path_remove: PathRemove = None,
          n_epochs: Epochs = None, lr: Lr = None, momentum: Momentum = None, decay: Decay = None,
          optimizer: Optimizer = None, scheduler: Scheduler = None, milestones: Milestones = None,
          lr_decay: LrDecay = None, batch_size: BatchSize = None, num_workers: Workers = None,
          seed: Seed = 0, device: Device = None, metadata_path: Metadata = None, json: Json = False,
          n_params: NParams = None) -> None:
    """Train an image classifier on aggregated crowd labels."""
    require_torch("train")
    from crowdkit_core.spec import validate_params
    from crowdkit_deep import jobs
    from crowdkit_deep.params import TrainingParams

    options = {**_options(locals()), "seed": seed}
    params = validate_params(TrainingParams, options, owner=lambda: "crowd train")
    result = jobs.train(dataset, output_name, labels, params, n_classes=n_classes,
                        metadata_path=metadata_path, path_remove=path_remove, on_epoch=_progress(json))
    _summary(result, json)


def aggregate_deep(dataset: Dataset, output_name: Name,
                   strategy: Annotated[str, typer.Option("-s", "--strategy", help="CrowdLayer or CoNAL, with parameters: 'CoNAL[scale=1e-4]'.")] = "CoNAL",
                   answers: Annotated[Optional[str], typer.Option("--answers", help="Answers file (default: the dataset's answers.json).")] = None,
                   n_classes: K = None, model: Model = None, pretrained: Pretrained = None, freeze: Freeze = None,
                   img_size: ImgSize = None, data_augmentation: Augment = None, path_remove: PathRemove = None,
                   n_epochs: Epochs = None, lr: Lr = None, momentum: Momentum = None, decay: Decay = None,
                   optimizer: Optimizer = None, scheduler: Scheduler = None, milestones: Milestones = None,
                   lr_decay: LrDecay = None, batch_size: BatchSize = None, num_workers: Workers = None,
                   seed: Seed = 0, device: Device = None, metadata_path: Metadata = None, json: Json = False,
                   n_params: NParams = None) -> None:
    """Train a classifier end to end from the raw answers (CrowdLayer, CoNAL)."""
    require_torch("aggregate-deep")
    from crowdkit_core.cli.peerannot import resolve
    from crowdkit_deep import jobs

    options = _options(locals())
    overrides = [f"{k}=[{','.join(map(str, v))}]" if isinstance(v, tuple) else (f"{k}='{v}'" if isinstance(v, str) else f"{k}={v}") for k, v in options.items()]
    spec = resolve(strategy, overrides=overrides, seed=seed, kind="trainer")
    result = jobs.aggregate_deep(dataset, output_name, spec, n_classes=n_classes,
                                 metadata_path=metadata_path, path_remove=path_remove,
                                 answers_file=answers, on_epoch=_progress(json))
    _summary(result, json)


def list_models(json: Json = False) -> None:
    """List the architectures --model accepts (peerannot's modelinfo)."""
    require_torch("list-models")
    from crowdkit_core.cli.common import print_json, stdout
    from crowdkit_deep.networks import available_models

    names = available_models()
    if json:
        print_json(names)
        return
    for name in names:
        stdout.print(name, markup=False)
