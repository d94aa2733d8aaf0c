"""The training loop shared by ``crowd train`` and every ``aggregate-deep`` model.

Batches are index arrays drawn from a seeded permutation; the images of a batch are sliced
from the decoded uint8 array, moved to the device, normalised and augmented there as tensors
(no image decoding per epoch). An :class:`Objective` turns the network's outputs on a batch
into the loss: soft labels for ``train``, the batch's own answers for CrowdLayer and CoNAL.
Seeded runs are reproducible on the CPU (deterministic algorithms, one seeded generator).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from crowdkit_deep.params import TrainingParams

_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class Objective(nn.Module):
    """The loss of a batch from the classifier's logits and features and the batch's rows
    (training-task indices). Its own parameters (worker layers) get no weight decay."""

    def forward(self, logits: torch.Tensor, features: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    #: Learning rate of the separate Adam optimiser of this objective's own parameters.
    worker_lr: float = 0.01

    def hard_targets(self, rows: np.ndarray) -> np.ndarray | None:
        """Labels the training accuracy is measured against (None: no training accuracy)."""
        return None


@dataclass
class EpochRecord:
    """One epoch: mean training loss (per task), accuracies, validation loss, timings."""

    epoch: int
    train_loss: float
    train_accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    lr: float
    seconds: float
    compute_seconds: float


@dataclass
class TrainResult:
    """History, the selected epoch and how it was selected."""

    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0
    selection: str = "val_loss"


def resolve_device(name: str) -> torch.device:
    """``auto``: cuda, then mps, then cpu; an explicit device that is absent is an error."""
    from crowdkit_core.errors import CrowdkitError

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else (
            "mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise CrowdkitError("--device cuda: no CUDA device is available; use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise CrowdkitError("--device mps: no MPS device is available; use --device cpu or auto")
    return torch.device(name)


def to_input(batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 (B, 3, S, S) images -> normalised float on ``device``; task indices pass as they are."""
    if batch.dtype != torch.uint8:
        return batch.to(device)
    x = batch.to(device, non_blocking=True).float().div_(255.0)
    x = (x - _MEAN.to(device)) / _STD.to(device)
    return x.contiguous(memory_format=torch.channels_last) if device.type == "cuda" else x


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and crops shifted by up to S/8 pixels (reflect padding), per
    image, on the tensor's device; the random draws come from the CPU ``generator``."""
    if x.dtype not in (torch.float32, torch.float16, torch.bfloat16) or x.dim() != 4:
        return x
    b, _, h, w = x.shape
    pad = max(1, h // 8)
    flip = torch.rand(b, generator=generator) < 0.5
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=generator).to(x.device)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=generator).to(x.device)
    x = torch.where(flip.to(x.device).view(b, 1, 1, 1), x.flip(3), x)
    padded = nn.functional.pad(x, (pad, pad, pad, pad), mode="reflect")
    c = x.shape[1]
    ys = (dy.view(b, 1) + torch.arange(h, device=x.device)).view(b, 1, h, 1).expand(b, c, h, w + 2 * pad)
    rows = padded.gather(2, ys)
    xs = (dx.view(b, 1) + torch.arange(w, device=x.device)).view(b, 1, 1, w).expand(b, c, h, w)
    return rows.gather(3, xs)


class _Batches(torch.utils.data.Dataset):
    """Batch i = the images (or task indices) of ``batches[i]``; DataLoader workers only slice."""

    def __init__(self, inputs: Any, batches: Sequence[np.ndarray]) -> None:
        self.inputs, self.batches = inputs, batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        rows = self.batches[i]
        x = torch.from_numpy(np.ascontiguousarray(self.inputs[rows])) if self.inputs is not None \
            else torch.from_numpy(rows)
        return x, torch.from_numpy(rows)


def batch_loader(inputs: Any, batches: Sequence[np.ndarray], num_workers: int) -> Any:
    """Batches in the given order (no randomness in the workers, so any count is reproducible)."""
    if num_workers == 0:
        dataset = _Batches(inputs, batches)
        return (dataset[i] for i in range(len(dataset)))
    return torch.utils.data.DataLoader(_Batches(inputs, batches), batch_size=None, shuffle=False,
                                       num_workers=num_workers, persistent_workers=False)


def make_optimizers(params: TrainingParams, network: nn.Module, objective: "Objective") -> list[torch.optim.Optimizer]:
    """The classifier's optimiser (with weight decay), and Adam without decay for the worker
    layers, as in the original Keras code: decay would pull CrowdLayer's matrices to zero (as
    in peerannot), and under SGD each worker's gradient is diluted by its share of the batch's
    answers (about 1/n_workers), so the layers barely move."""
    main = _optimizer(params, [p for p in network.parameters() if p.requires_grad])
    own = [p for p in objective.parameters() if p.requires_grad]
    return [main, torch.optim.Adam(own, lr=objective.worker_lr)] if own else [main]


def _optimizer(params: TrainingParams, parameters: list[nn.Parameter]) -> torch.optim.Optimizer:
    groups = [{"params": parameters, "weight_decay": params.decay}]
    if params.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=params.lr, momentum=params.momentum)
    if params.optimizer == "adam":
        return torch.optim.Adam(groups, lr=params.lr)
    return torch.optim.AdamW(groups, lr=params.lr)


def make_scheduler(params: TrainingParams, optimizer: torch.optim.Optimizer) -> Any:
    if params.scheduler == "multistep":
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, list(params.milestones), params.lr_decay)
    if params.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, params.n_epochs)
    return None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _autocast(device: torch.device) -> Any:
    """bfloat16 mixed precision on CUDA; nothing elsewhere."""
    import contextlib

    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()


@torch.no_grad()
def predict_proba(network: nn.Module, inputs: Any, batch_size: int, device: torch.device) -> np.ndarray:
    """Softmax of the classifier (eval mode) on every row of ``inputs`` (images, or task indices)."""
    network.eval()
    n = len(inputs)
    out = []
    for start in range(0, n, max(batch_size, 256)):
        rows = np.arange(start, min(n, start + max(batch_size, 256)))
        x = torch.from_numpy(np.ascontiguousarray(inputs[rows])) if not isinstance(inputs, _TaskIndex) \
            else torch.from_numpy(rows)
        with _autocast(device):
            logits, _ = network(to_input(x, device))
        out.append(torch.softmax(logits.float(), 1).cpu().numpy().astype(np.float64))
    return np.concatenate(out) if out else np.zeros((0, 0))


class _TaskIndex:
    """Stand-in inputs when a model learns one free vector per task (no images)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


def task_index_inputs(n: int) -> _TaskIndex:
    return _TaskIndex(n)


def fit_network(network: nn.Module, objective: Objective, inputs: Any, rows: np.ndarray,
                params: TrainingParams, device: torch.device, *,
                validation: tuple[Any, np.ndarray] | None = None,
                on_epoch: Callable[[EpochRecord], None] | None = None) -> TrainResult:
    """Train ``network`` (a :class:`~crowdkit_deep.networks.Split`) with ``objective`` on the
    training ``rows`` of ``inputs`` for ``params.n_epochs``; keep the weights of the epoch with
    the lowest validation loss (the last epoch without validation data) and load them back."""
    generator = torch.Generator().manual_seed(params.seed)
    network.to(device)
    objective.to(device)
    if device.type == "cuda":
        network.to(memory_format=torch.channels_last)
    optimizers = make_optimizers(params, network, objective)
    optimizer = optimizers[0]
    scheduler = make_scheduler(params, optimizer)
    loader_inputs = None if isinstance(inputs, _TaskIndex) else inputs
    result = TrainResult(selection="val_loss" if validation is not None else "last_epoch")
    best: tuple[float, dict[str, Any], dict[str, Any]] | None = None
    for epoch in range(1, params.n_epochs + 1):
        start = time.perf_counter()
        network.train()
        objective.train()
        order = rows[torch.randperm(len(rows), generator=generator).numpy()]
        batches = [order[i:i + params.batch_size] for i in range(0, len(order), params.batch_size)]
        loss_sum, correct, counted, compute = 0.0, 0, 0, 0.0
        for x, batch_rows in batch_loader(loader_inputs, batches, params.num_workers):
            x = to_input(x, device)
            if params.data_augmentation:
                x = augment(x, generator)
            _sync(device)
            tick = time.perf_counter()
            with _autocast(device):
                logits, features = network(x)
                loss = objective(logits.float(), features.float(), batch_rows.to(device))
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt in optimizers:
                opt.step()
            _sync(device)
            compute += time.perf_counter() - tick
            loss_sum += float(loss.detach()) * len(batch_rows)
            targets = objective.hard_targets(batch_rows.numpy())
            if targets is not None:
                correct += int((logits.detach().argmax(1).cpu().numpy() == targets).sum())
                counted += len(targets)
        lr = optimizer.param_groups[0]["lr"]
        if scheduler is not None:
            scheduler.step()
        val_loss = val_accuracy = None
        if validation is not None:
            proba = predict_proba(network, validation[0], params.batch_size, device)
            val_loss, val_accuracy = nll_and_accuracy(proba, validation[1])
            if best is None or val_loss < best[0]:
                best = (val_loss, _state(network), _state(objective))
                result.best_epoch = epoch
        record = EpochRecord(epoch, loss_sum / max(len(rows), 1),
                             correct / counted if counted else None, val_loss, val_accuracy, lr,
                             time.perf_counter() - start, compute)
        result.history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    if best is not None:
        network.load_state_dict(best[1])
        objective.load_state_dict(best[2])
    else:
        result.best_epoch = params.n_epochs
    return result


def _state(module: nn.Module) -> dict[str, Any]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def nll_and_accuracy(proba: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean negative log-likelihood and accuracy of class probabilities against labels."""
    picked = proba[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(picked, 1e-12, None)).mean()), float((proba.argmax(1) == labels).mean())


def seeded(seed: int) -> Any:
    """A context that seeds torch's global generator (weight initialisation) and makes
    algorithms deterministic where possible, restoring the caller's RNG state after."""
    import contextlib

    @contextlib.contextmanager
    def scope() -> Any:
        previous = torch.are_deterministic_algorithms_enabled()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            torch.use_deterministic_algorithms(True, warn_only=True)
            try:
                yield
            finally:
                torch.use_deterministic_algorithms(previous)

    return scope()
