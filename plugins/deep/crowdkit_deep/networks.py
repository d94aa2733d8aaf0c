"""Classifiers built locally from torchvision by name (never torch.hub), with weights read
only from the local torch cache, split into a feature body and a linear head."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from crowdkit_core.errors import CrowdkitError, SpecError


class SmallCNN(nn.Module):
    """'cnn': two conv blocks and a linear head, for small images and fast tests."""

    def __init__(self, num_classes: int, width: int = 32) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.MaxPool2d(2), nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def available_models() -> list[str]:
    """Every classification architecture torchvision knows locally, plus 'cnn'."""
    import torchvision

    return ["cnn", *torchvision.models.list_models(module=torchvision.models)]


def _cached_weights(name: str) -> Path:
    """The local file of ``name``'s default weights; an offline error when it is absent."""
    import torchvision

    weights = torchvision.models.get_model_weights(name).DEFAULT
    path = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    if not path.is_file():
        raise CrowdkitError(f"--pretrained: weights of {name} not in the torch cache ({path}); "
                            f"download {weights.url} there (no network is used), or drop --pretrained")
    return path


def last_linear(model: nn.Module) -> tuple[nn.Module, str, nn.Linear]:
    """The parent module, attribute name and module of the last ``nn.Linear`` (the head)."""
    found = None
    for parent in model.modules():
        for attr, child in parent.named_children():
            if isinstance(child, nn.Linear):
                found = (parent, attr, child)
    if found is None:
        raise SpecError("the model has no linear classification head")
    return found


def build_classifier(name: str, n_classes: int, *, pretrained: bool = False, freeze: bool = False,
                     img_size: int = 224) -> nn.Module:
    """``name`` with a K-way head. Residual networks on images under 64 pixels get a 3x3
    stride-1 stem (padding 1) without max-pooling, chosen by size, never by a path name."""
    import torchvision

    if name == "cnn":
        if pretrained:
            raise SpecError("--pretrained: the local 'cnn' has no pretrained weights")
        model: nn.Module = SmallCNN(n_classes)
    else:
        if name not in torchvision.models.list_models(module=torchvision.models):
            raise SpecError(f"--model {name}: not a torchvision classification model; use one "
                            f"of cnn, resnet18, vgg16_bn, ... (torchvision.models.list_models())")
        model = torchvision.models.get_model(name, weights=None)
        if pretrained:
            model.load_state_dict(torch.load(_cached_weights(name), map_location="cpu", weights_only=True))
        parent, attr, head = last_linear(model)
        setattr(parent, attr, nn.Linear(head.in_features, n_classes))
        if img_size < 64 and isinstance(model, torchvision.models.ResNet):
            model.conv1 = nn.Conv2d(3, model.conv1.out_channels, 3, 1, 1, bias=False)
            model.maxpool = nn.Identity()
    if freeze:
        head = last_linear(model)[2]
        for p in model.parameters():
            p.requires_grad_(False)
        for p in head.parameters():
            p.requires_grad_(True)
    return model


class Split(nn.Module):
    """A classifier as body (features) and head (linear): ``forward`` gives both."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        parent, attr, head = last_linear(model)
        setattr(parent, attr, nn.Identity())
        self.body, self.head = model, head
        self.feature_dim = head.in_features

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(x)
        return self.head(features), features
