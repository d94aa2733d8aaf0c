"""crowd-kit 1.4.2's MACE with its worker ids as given and with ids aligned, next to ours.

crowd-kit's MACE fills its per-worker strategy matrix from ``groupby(["worker", "label"])``
(rows sorted by worker id, columns by label) but reads it with ``pd.factorize`` codes (order of
first appearance), so each worker's strategy is another worker's unless the two orders agree.
Renaming workers and labels to their rank of first appearance changes nothing in the model and
makes them agree. This script runs crowd-kit both ways on the datasets behind its published
MACE figures and writes the table into docs/benchmarks.md. About 5 minutes.

    python benchmarks/mace_worker_order.py [--datasets d_product,d_possent,s_rel,s_adult]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    SHARED_DATA, build_strategy, ensure_bench_env, markdown_table, now_utc, publish, run_child,
)

#: crowd-kit's published MACE accuracies (Ustalov et al., JOSS 2024).
PUBLISHED = {"d_product": ".929", "d_possent": ".950", "s_rel": ".501", "s_adult": ".763"}


def ours(folder: Path) -> str:
    from crowdkit_core.dataset import load_dataset

    data = load_dataset(folder)
    mask = data.gold >= 0
    labels = build_strategy("MACE").fit(data).labels_
    return f"{(labels[mask] == data.gold[mask]).mean():.4f}"


def theirs(env, folder: Path, aligned: bool) -> str:
    res = run_child(env.python, "_ref_child.py",
                    {"method": "crowdkit_mace_csv", "answers": str(folder / "answers.csv"),
                     "truth": str(folder / "truth.csv"), "aligned": aligned}, timeout=3600)
    return res["error"] if "error" in res else f"{res['accuracy']:.4f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(PUBLISHED))
    parser.add_argument("--data-root", default=str(SHARED_DATA))
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args(argv)
    env = ensure_bench_env(want_peerannot=False)
    if not env.has_crowdkit:
        print(f"crowd-kit is not available: {env.errors.get('crowd-kit')}", file=sys.stderr)
        return 2
    rows = []
    for name in args.datasets.split(","):
        folder = Path(args.data_root) / name
        if not (folder / "answers.csv").is_file() or not (folder / "truth.csv").is_file():
            print(f"{folder}: needs answers.csv and truth.csv", file=sys.stderr)
            return 2
        rows.append([name, PUBLISHED.get(name, "–"), theirs(env, folder, False),
                     theirs(env, folder, True), ours(folder)])
        print(" | ".join(rows[-1]), flush=True)
    version = env.versions.get("crowd-kit", "?")
    text = "\n".join([
        "## MACE: crowd-kit's worker order",
        "",
        f"Measured by `python benchmarks/mace_worker_order.py` on {now_utc()}: accuracy on the "
        f"gold tasks of crowd-kit {version} `MACE()` (defaults) on each `answers.csv` as given, "
        "and with workers and labels renamed to their rank of first appearance (`aligned`: the "
        "same data and model, but crowd-kit's groupby order then matches its factorize codes); "
        "ours is `MACE` with its defaults.",
        "",
        markdown_table(["dataset", "published (crowd-kit)", f"crowd-kit {version} as given",
                        f"crowd-kit {version} aligned", "ours"], rows),
        "",
        "Where the two crowd-kit columns differ, its result depends on how the workers happen to "
        "be named: the published figure on that dataset is not MACE's. See the MACE page.",
    ])
    publish("mace-worker-order", text, write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
