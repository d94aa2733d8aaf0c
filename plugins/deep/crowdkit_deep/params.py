"""Parameter models of the deep trainers (pydantic only, no torch): the training options shared
by ``crowd train`` and every ``aggregate-deep`` model, and each model's own parameters."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crowdkit_core.params import StrategyParams


class TrainingParams(StrategyParams):
    """How a network is trained; defaults are peerannot's where they are sound."""

    model: str = Field("resnet18", description="torchvision classification architecture by name "
                       "(built locally, never through torch.hub), or 'cnn', a small local CNN.")
    pretrained: bool = Field(False, description="Load the architecture's default weights from the "
                             "local torch cache (an offline error when they are not there).")
    freeze: bool = Field(False, description="Train only the last layer (the classification head).")
    img_size: int = Field(224, ge=4, description="Images are resized to img_size x img_size once, "
                          "when they are decoded into the cache.")
    data_augmentation: bool = Field(False, description="Random flips and shifted crops on tensors.")
    n_epochs: int = Field(100, ge=1, description="Training epochs.")
    lr: float = Field(0.1, gt=0, description="Learning rate.")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum.")
    decay: float = Field(5e-4, ge=0, description="Weight decay of the classifier (AdamW: decoupled).")
    optimizer: Literal["sgd", "adam", "adamw"] = Field("sgd", description="Optimiser.")
    scheduler: Literal["multistep", "cosine", "none"] = Field(
        "multistep", description="Learning-rate schedule: multistep (x lr_decay at each milestone), "
        "cosine (annealed to 0 over n_epochs) or none.")
    milestones: tuple[int, ...] = Field((50,), description="Epochs at which multistep decays the lr.")
    lr_decay: float = Field(0.1, gt=0, le=1, description="Multistep decay factor (gamma).")
    batch_size: int = Field(64, ge=1, description="Tasks per batch.")
    num_workers: int = Field(0, ge=0, description="DataLoader worker processes (seeded).")
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        "auto", description="Where to train: auto picks cuda, then mps, then cpu.")


class CrowdParams(TrainingParams):
    """Options of every end-to-end crowd model."""

    worker_lr: float = Field(0.01, gt=0, description="Learning rate of the Adam optimiser of the "
                             "worker layers (the classifier uses optimizer and lr).")


class CrowdLayerParams(CrowdParams):
    """CrowdLayer's parameters: the form of each worker's layer."""

    conn_type: Literal["mw", "vw", "vb", "vw+b", "sw"] = Field(
        "mw", description="Worker layer: mw a K x K matrix, vw per-class weights, vb per-class "
        "biases, vw+b both, sw one scalar (Rodrigues & Pereira 2018).")


class CoNALParams(CrowdParams):
    """CoNAL's parameters: the regularisation and the auxiliary network's sizes."""

    scale: float = Field(1e-5, ge=0, description="Weight of the term -scale * sum_j ||W_j - W_g||_F "
                         "(the official code's 1e-5; peerannot's CLI uses 1e-4).")
    embedding_dim: int = Field(20, ge=1, description="Size of the instance and worker embeddings.")
    hidden_dim: int = Field(128, ge=1, description="Hidden width of the instance path.")
