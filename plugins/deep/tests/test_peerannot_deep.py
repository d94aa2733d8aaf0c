"""``crowd train`` and ``crowd aggregate-deep`` on a peerannot image folder with peerannot's
option spellings: the results JSON keys, the ``.pth`` layouts and file places peerannot
uses, written all or nothing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

# not imported from conftest: several test folders have one, so the name is ambiguous
HAS_TORCH = all(importlib.util.find_spec(m) is not None for m in ("torch", "torchvision"))

#: peerannot's command-line spellings of the training options (small, fast values).
TRAINING = ["-K", "2", "--model", "cnn", "--img-size", "8", "--n-epochs", "2", "-optim", "SGD",
            "--lr", "0.05", "--scheduler", "multistep", "-m", "1", "--batch-size", "4",
            "--n-params", "3072"]


@pytest.fixture
def images(tmp_path):
    """peerannot's layout: train/ val/ test/<class>/<stem>-<task>.png, answers.json keyed by
    the task number in the file names, metadata.json; class 'bright' and class 'dark'."""
    from PIL import Image

    folder = tmp_path / "shapes"
    rng = np.random.default_rng(0)
    answers = {}
    for split, n in (("train", 12), ("val", 4), ("test", 4)):
        for i in range(n):
            cls = i % 2
            pixels = rng.integers(150, 255, (8, 8, 3)) if cls == 0 else rng.integers(0, 100, (8, 8, 3))
            target = folder / split / ("bright" if cls == 0 else "dark")
            target.mkdir(parents=True, exist_ok=True)
            task = i if split == "train" else 100 + len(list(folder.rglob("*.png")))
            Image.fromarray(pixels.astype(np.uint8)).save(target / f"img-{task}.png")
            if split == "train":
                answers[str(i)] = {"0": cls, "1": cls, "2": int(rng.integers(0, 2))}
    (folder / "answers.json").write_text(json.dumps(answers))
    (folder / "metadata.json").write_text(json.dumps({"name": "shapes", "n_classes": 2, "n_workers": 3}))
    return folder


def crowd(*args: str):
    from typer.testing import CliRunner

    from crowdkit_core.cli.app import create_app
    from crowdkit_core.plugins import reset_registry

    reset_registry()
    return CliRunner().invoke(create_app(), list(args))


def test_top_k_keys_also_under_peerannot_s_names():
    from crowdkit_deep.evaluation import peerannot_names

    metrics = {"test_top2_micro": 0.9, "test_top5_macro": 0.99, "val_top2_macro": 0.8, "test_loss": 1.0}
    named = peerannot_names(metrics)
    assert named["test_micro_top2"] == 0.9 and named["test_macro_top5"] == 0.99
    assert named["val_macro_top2"] == 0.8 and named["test_loss"] == 1.0 and len(named) == 7


@pytest.mark.torch
@pytest.mark.skipif(not HAS_TORCH, reason="torch/torchvision not installed")
def test_train_with_peerannot_options_writes_peerannot_s_files(images):
    import torch

    from crowdkit_deep.networks import build_classifier

    assert crowd("aggregate", str(images), "-s", "MV").exit_code == 0
    labels = images / "labels" / "labels_shapes_mv.npy"
    result = crowd("train", str(images), "-o", "run", "--labels", str(labels), *TRAINING,
                   "--metadata_path", str(images / "metadata.json"), "--seed", "0")
    assert result.exit_code == 0, result.output
    assert "--n-params is ignored" in result.stderr
    metrics = json.loads((images / "results" / "run.json").read_text())
    for key in ("train_loss", "val_loss", "val_accuracy"):
        assert len(metrics[key]) == 2, key
    for key in ("test_loss", "test_accuracy", "test_ece"):
        assert isinstance(metrics[key], float), key
    assert metrics["params"]["optimizer"] == "sgd"
    state = torch.load(images / "best_models" / "cnn" / "run.pth", weights_only=True)
    model = build_classifier("cnn", 2, img_size=8)
    model.load_state_dict(state)  # peerannot's layout: the model's own state dict


@pytest.mark.torch
@pytest.mark.skipif(not HAS_TORCH, reason="torch/torchvision not installed")
def test_plain_state_dict_loads_into_torchvision_with_the_small_image_stem():
    from crowdkit_deep.checkpoints import head_name, plain_state_dict
    from crowdkit_deep.networks import Split, build_classifier

    for name, size in (("resnet18", 16), ("resnet18", 224), ("mobilenet_v3_small", 64)):
        trained = build_classifier(name, 3, img_size=size)
        wanted = {k: v.clone() for k, v in trained.state_dict().items()}
        state = plain_state_dict(Split(trained), name, 3, size)
        assert set(state) == set(wanted) and all(np.array_equal(state[k], wanted[k]) for k in wanted)
    assert head_name(build_classifier("resnet18", 3)) == "fc"
    assert head_name(build_classifier("mobilenet_v3_small", 3)) == "classifier.3"


@pytest.mark.torch
@pytest.mark.skipif(not HAS_TORCH, reason="torch/torchvision not installed")
@pytest.mark.parametrize("strategy, keys", [
    ("crowdlayer", {"classifier", "confusion", "crowd", "model"}),
    ("CoNAL[scale=1e-4]", {"classifier", "auxiliary", "noise_adaptation", "crowd", "model"}),
])
def test_aggregate_deep_writes_peerannot_s_checkpoint(images, strategy, keys):
    import torch

    from crowdkit_deep.networks import build_classifier

    result = crowd("aggregate-deep", str(images), "-o", "deep", "-s", strategy,
                   "--answers", str(images / "answers.json"), *TRAINING)
    assert result.exit_code == 0, result.output
    checkpoint = torch.load(images / "best_models" / "deep.pth", weights_only=True)
    assert set(checkpoint) == keys
    build_classifier("cnn", 2, img_size=8).load_state_dict(checkpoint["classifier"])
    if "confusion" in checkpoint:
        assert tuple(checkpoint["confusion"].shape) == (3, 2, 2)
    else:
        assert tuple(checkpoint["noise_adaptation"]["global"].shape) == (2, 2)
        assert tuple(checkpoint["noise_adaptation"]["local"].shape) == (3, 2, 2)
    metrics = json.loads((images / "results" / "deep.json").read_text())
    assert {"train_loss", "val_loss", "val_accuracy", "test_loss", "test_accuracy", "test_ece"} <= set(metrics)
    assert np.load(images / "labels" / "labels_shapes_deep.npy").shape == (12, 2)


@pytest.mark.torch
@pytest.mark.skipif(not HAS_TORCH, reason="torch/torchvision not installed")
def test_a_failed_write_leaves_no_result_file(images, monkeypatch):
    from crowdkit_core.testing.faults import fail_renames_to

    fail_renames_to(monkeypatch, ".pth")
    result = crowd("aggregate-deep", str(images), "-o", "deep", "-s", "CrowdLayer", *TRAINING)
    assert result.exit_code == 2 and "disk full" in result.stderr
    for folder in ("results", "best_models", "labels"):
        assert not (images / folder).exists(), folder


def test_peerannot_spellings_are_documented_options():
    """``-optim``, ``--n-params`` and ``--answers`` are options of the deep commands."""
    import typer.main

    from crowdkit_core.cli.app import create_app

    group = typer.main.get_command(create_app())
    if "train" not in group.commands:
        pytest.skip("crowdkit-deep commands not registered")
    for name in ("train", "aggregate-deep"):
        opts = {o for p in group.commands[name].params for o in p.opts}
        assert {"-optim", "--n-params", "-K", "-m", "--metadata-path"} <= opts, name
    assert "--answers" in {o for p in group.commands["aggregate-deep"].params for o in p.opts}
    assert "list-models" in group.commands
