"""The ``.pth`` files of ``crowd train`` and ``crowd aggregate-deep``, laid out as peerannot's:
the classifier as the plain state dict of its torchvision model (``model.load_state_dict``
of ``torchvision.models.get_model(name, num_classes=K)`` takes it, with the 3x3 stem for
small images), and aggregate-deep's crowd layers under peerannot's keys (CrowdLayer
``confusion``; CoNAL ``auxiliary`` and ``noise_adaptation``). Serialised in memory so the
job writes them in its result set."""

from __future__ import annotations

import io
from typing import Any

import torch
from torch import nn

from crowdkit_deep.networks import Split, build_classifier, last_linear


def head_name(model: nn.Module) -> str:
    """The qualified name of ``model``'s classification head (its last linear layer)."""
    head = last_linear(model)[2]
    return next(name for name, module in model.named_modules() if module is head)


def plain_state_dict(network: Split, model: str, n_classes: int, img_size: int) -> dict[str, Any]:
    """The state dict of the model ``network`` wraps (body and head put back under the
    head's own name), checked by loading it into a fresh ``model`` of the same shape."""
    fresh = build_classifier(model, n_classes, img_size=img_size)
    name = head_name(fresh)
    state = {}
    for key, value in network.state_dict().items():
        part, _, rest = key.partition(".")
        state[rest if part == "body" else f"{name}.{rest}"] = value.detach().cpu()
    fresh.load_state_dict(state)  # strict: a layout this function does not know fails here
    return state


def crowd_state(strategy: str, objective: nn.Module) -> dict[str, Any]:
    """The crowd layers under peerannot's checkpoint keys: CrowdLayer's ``confusion`` (the
    (J, K, K) worker matrices for ``mw``, else the layer's parameters); CoNAL's ``auxiliary``
    (instance and worker embeddings) and ``noise_adaptation`` (``global`` and ``local``)."""
    state = {k: v.detach().cpu() for k, v in objective.state_dict().items()}
    if strategy == "CoNAL":
        return {"auxiliary": {k: v for k, v in state.items()
                              if k.startswith(("instance.", "worker_embedding.", "worker_bias"))},
                "noise_adaptation": {"global": state["global_matrix"], "local": state["local"]}}
    return {"confusion": state["matrix"] if "matrix" in state else state}


def to_bytes(payload: dict[str, Any]) -> bytes:
    """``torch.save`` of ``payload`` in memory."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()
