"""Speed of crowdkit-deep: per-epoch time of `train` and of CrowdLayer / CoNAL with 2,571
simulated workers, and the share of the epoch spent outside forward/backward/step.

    python benchmarks/deep_speed.py [--device cpu|cuda] [--n-images 3000] [--epochs 2]

Images: scikit-learn's digits (tiled to --n-images) resized to 32x32, resnet18, batch 64.
peerannot is not run side by side yet (its models come through torch.hub, which needs
GitHub; see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-images", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2571)
    args = parser.parse_args()
    from crowdkit_core.application import resolve_strategy
    from crowdkit_core.simulation.confusion import one_coin
    from crowdkit_deep import digits as dg
    from crowdkit_deep import jobs
    from crowdkit_deep.params import TrainingParams
    from sklearn import datasets as skd

    real = skd.load_digits

    def tiled(*a, **k):
        d = real()
        reps = int(np.ceil((args.n_images + 600) / len(d.target)))
        d.images, d.target = np.tile(d.images, (reps, 1, 1))[:args.n_images + 600], np.tile(d.target, reps)[:args.n_images + 600]
        return d

    import sklearn.datasets
    sklearn.datasets.load_digits = tiled
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rng = np.random.default_rng(0)
        dg.write_digits(folder, one_coin(rng.uniform(0.5, 0.9, args.workers), 10), 5)
        opts = dict(model="resnet18", img_size=32, n_epochs=args.epochs, batch_size=64, device=args.device,
                    scheduler="none")
        rows = {}
        from crowdkit_deep.data import load_image_dataset
        load_image_dataset(folder, img_size=32)  # decode once (not timed per epoch)
        rows["train"] = jobs.train(folder, "t", "MV", TrainingParams(**opts)).metrics
        for name in ("CrowdLayer", "CoNAL"):
            spec = resolve_strategy(name, kind="trainer", overrides=[
                f"{k}='{v}'" if isinstance(v, str) else f"{k}={v}" for k, v in opts.items()])
            rows[name] = jobs.aggregate_deep(folder, name, spec).metrics
    out = {}
    for name, m in rows.items():
        epoch = float(np.median(m["epoch_seconds"]))
        compute = float(np.median(m["compute_seconds"]))
        out[name] = {"epoch_seconds": epoch, "outside_share": 1 - compute / epoch}
    for name in ("CrowdLayer", "CoNAL"):
        out[name]["vs_train"] = out[name]["epoch_seconds"] / out["train"]["epoch_seconds"]
    print(json.dumps({"device": args.device, "n_images": args.n_images, "workers": args.workers, **out}, indent=1))


if __name__ == "__main__":
    main()
