"""Speed of the Bayesian models (IBCC, BWA) against DS on 1e6 simulated answers, one thread.

The crowd is the speed benchmark's case (a): 200,000 tasks, 1,000 workers, K = 5, 5 answers
per task, drawn by the core's Dawid-Skene simulator. For each strategy:

* seconds per iteration: ``(t(max_iter=1 + n) - t(max_iter=1)) / n`` with ``tol=0``, so set-up
  (initial posteriors, the final labels) cancels; best of ``--repeats``;
* a default fit: total seconds and the number of iterations it ran until its own stopping rule.

    python benchmarks/bayes_speed.py [--iters 20] [--repeats 5] [--write]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    SINGLE_THREAD_ENV, build_strategy, machine_description, markdown_table, now_utc, publish,
    simulate_ds,
)

os.environ.update(SINGLE_THREAD_ENV)  # before numpy starts its BLAS threads

STRATEGIES = ("DS", "IBCC", "BWA")


def best_time(spec: str, data, repeats: int) -> tuple[float, object]:
    """Fastest of ``repeats`` fits of ``spec`` on ``data`` and the last fitted model."""
    best, model = float("inf"), None
    for _ in range(repeats):
        model = build_strategy(spec)
        start = time.perf_counter()
        model.fit(data)
        best = min(best, time.perf_counter() - start)
    return best, model


def measure(iters: int, repeats: int) -> list[list[object]]:
    from crowdkit_core.dataset import CrowdDataset
    from crowdkit_core.metrics import gold_accuracy

    sim = simulate_ds(200_000, 1_000, 5, 5, seed=0)
    data = CrowdDataset(sim.tasks, sim.workers, sim.labels, sim.n_classes,
                        list(range(sim.n_tasks)), list(range(sim.n_workers)), gold=sim.truth)
    build_strategy("DS[max_iter=1]").fit(data)  # builds the cached answer matrix and blocks
    rows = []
    per_iteration = {}
    for name in STRATEGIES:
        one, _ = best_time(f"{name}[max_iter=1,tol=0]", data, repeats)
        many, _ = best_time(f"{name}[max_iter={1 + iters},tol=0]", data, repeats)
        per_iteration[name] = (many - one) / iters
        total, model = best_time(name, data, repeats)
        rows.append([name, f"{per_iteration[name] * 1e3:.1f}",
                     f"{per_iteration[name] / per_iteration['DS']:.2f}", model.n_iter_,
                     f"{total:.3f}", f"{gold_accuracy(model.labels_, data.gold):.4f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="rewrite docs/benchmarks.md's section")
    args = parser.parse_args()
    rows = measure(args.iters, args.repeats)
    machine = machine_description()
    text = "\n".join([
        "## Bayesian models against DS (1e6 answers, one thread)",
        "",
        f"`python benchmarks/bayes_speed.py` ({now_utc()}; {machine.get('cpu', '')}, "
        f"{machine.get('cores', '')} cores): 200,000 tasks, 1,000 workers, K = 5, 5 answers per "
        f"task. Milliseconds per iteration: (t({1 + args.iters} iterations) - t(1)) / "
        f"{args.iters}, best of {args.repeats}; the default fit runs to its own stopping rule.",
        "",
        markdown_table(["strategy", "ms / iteration", "x DS", "default fit: iterations",
                        "default fit: seconds", "accuracy"], rows),
    ])
    publish("bayes-speed", text, args.write)


if __name__ == "__main__":
    main()
