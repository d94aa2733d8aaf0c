"""EBCC against DS on a simulated crowd of 1e6 answers: time per iteration and per fit.

EBCC's iteration is DS's two sparse products with K*M columns instead of K, plus the
Dirichlet expectations of n_workers x K x M x K confusion rows; a default fit runs 40
restarts. The script times, on one simulated crowd (independent confusion matrices,
default 200,000 tasks x 5 answers, 1,000 workers, K = 2 and K = 5), best of ``--repeat``:

* DS, 20 iterations without the tolerance stop (per-iteration time);
* EBCC, one restart of 20 iterations without the stop (per-iteration time);
* EBCC, one restart run to its tolerance (iterations and seconds; a default fit is
  ``n_restarts`` such runs, on ``n_jobs`` threads side by side).

Usage: ``python benchmarks/ebcc_speed.py [--answers 1000000] [--repeat 3] [--jobs 1]``.
Prints a markdown table; nothing is written.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from crowdkit_core.simulation import simulate
from crowdkit_classic.dawid_skene import DawidSkene
from crowdkit_classic.ebcc import EBCC


def best_time(fit, repeat: int) -> tuple[float, object]:
    """Fastest of ``repeat`` calls of ``fit()`` (seconds) and the last result."""
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fit()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--per-task", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    n_tasks = args.answers // args.per_task
    print("| K | DS ms/iter | EBCC ms/iter | ratio | EBCC one restart to tol | "
          "EBCC accuracy (1 restart) | DS accuracy |")
    print("|---|---|---|---|---|---|---|")
    for k in args.classes:
        sim = simulate(strategy="independent-confusion", n_tasks=n_tasks, n_workers=args.workers,
                       n_classes=k, feedback=args.per_task, seed=1)
        data, truth = sim.dataset, sim.truth
        DawidSkene(max_iter=2).fit(data)  # build the answer matrix once, outside the timings
        ds_time, ds = best_time(lambda: DawidSkene(max_iter=20, tol=0, n_jobs=args.jobs).fit(data),
                                args.repeat)
        eb_time, _ = best_time(
            lambda: EBCC(n_restarts=1, max_iter=20, tol=0, n_jobs=args.jobs).fit(data), args.repeat)
        full_time, full = best_time(lambda: EBCC(n_restarts=1, n_jobs=args.jobs).fit(data), 1)
        ds_iter, eb_iter = ds_time / 20 * 1e3, eb_time / 20 * 1e3
        print(f"| {k} | {ds_iter:.1f} | {eb_iter:.1f} | {eb_iter / ds_iter:.1f}x | "
              f"{full.n_iter_} it., {full_time:.1f} s | {np.mean(full.labels_ == truth):.4f} | "
              f"{np.mean(ds.labels_ == truth):.4f} |", flush=True)
    print(f"\n{data.n_answers} answers, {data.n_tasks} tasks, {data.n_workers} workers, "
          f"n_jobs={args.jobs}, best of {args.repeat}.")


if __name__ == "__main__":
    main()
