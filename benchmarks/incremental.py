"""Warm starts and incremental DS, measured: prints the markdown tables of docs/warm-start.md.

1. Warm start: on every dataset of ../shared/data, DS on a seeded random half of the tasks,
   then DS on the other half cold and started from the first half's workers file in each
   mode; iterations and accuracy on the second half's gold tasks.
2. Incremental: 10 seeded task batches through ``partial_fit`` (revisit 0, 1, 2) against a
   full refit on all answers.
3. Speed: ``partial_fit`` of 100 batches of 1e4 answers (new tasks) on top of a history of
   1e5 and of 1e6 simulated answers; the per-batch time must not grow with the history.

Run: ``python benchmarks/incremental.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _common import SHARED_DATA

from crowdkit_core.dataset import CrowdDataset, load_dataset
from crowdkit_core.simulation import one_coin, sample_answers
from crowdkit_core.testing.datasets import task_batches
from crowdkit_core.worker_file import INIT_MODES, WorkerInit
from crowdkit_classic.dawid_skene import DawidSkene


def accuracy(labels: np.ndarray, gold: np.ndarray) -> float:
    known = gold >= 0
    return float((labels[known] == gold[known]).mean())


def split(data: CrowdDataset, parts: int, seed: int = 0) -> list[CrowdDataset]:
    """Seeded random task batches (the tests' helper)."""
    return task_batches(data, parts, seed)


def warm_table(names: list[str]) -> str:
    rows = ["| dataset | cold: iter, acc | " + " | ".join(f"{m}: iter, acc" for m in INIT_MODES) + " |",
            "|---|---|" + "---|" * len(INIT_MODES)]
    for name in names:
        first, second = split(load_dataset(SHARED_DATA / name), 2)
        table = DawidSkene().fit(first).export_workers(first)
        cold = DawidSkene().fit(second)
        cells = [f"{cold.n_iter_}, {accuracy(cold.labels_, second.gold):.4f}"]
        for mode in INIT_MODES:
            warm = DawidSkene().fit(second, init=WorkerInit(table, mode))  # type: ignore[arg-type]
            cells.append(f"{warm.n_iter_}, {accuracy(warm.labels_, second.gold):.4f}")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def incremental_table(names: list[str], revisits: tuple[float, ...] = (0.0, 1.0, 2.0)) -> str:
    rows = ["| dataset | full refit | " + " | ".join(f"revisit={r:g}" for r in revisits)
            + " | time, full / 10 batches (revisit=1) |", "|---|---|" + "---|" * (len(revisits) + 1)]
    for name in names:
        data = load_dataset(SHARED_DATA / name)
        start = time.perf_counter()
        full = accuracy(DawidSkene().fit(data).labels_, data.gold)
        full_s = time.perf_counter() - start
        batches = split(data, 10)
        cells, inc_s = [], 0.0
        for revisit in revisits:
            model = DawidSkene()
            start = time.perf_counter()
            for batch in batches:
                model.partial_fit(batch, revisit=revisit)
            if revisit == 1.0:
                inc_s = time.perf_counter() - start
            rows_of = {t: i for i, t in enumerate(model.task_ids_)}
            labels = model.labels_[[rows_of[str(t)] for t in data.task_ids]]
            value = accuracy(labels, data.gold)
            cells.append(f"{value:.4f} ({value - full:+.4f})")
        rows.append(f"| {name} | {full:.4f} | " + " | ".join(cells) + f" | {full_s:.2f} s / {inc_s:.2f} s |")
    return "\n".join(rows)


def simulated(n_tasks: int, seed: int, n_workers: int = 1000, k: int = 4,
              per_task: int = 10, offset: int = 0) -> CrowdDataset:
    rng = np.random.default_rng(seed)
    confusion = one_coin(np.random.default_rng(7).uniform(0.55, 0.95, n_workers), k)
    data = sample_answers(confusion, None, n_tasks, per_task, rng)
    return CrowdDataset(data.tasks, data.workers, data.labels, k, data.task_ids + offset,
                        data.worker_ids, name="simulated", gold=data.gold, presorted=True)


def speed_table(histories: tuple[int, ...], n_batches: int, batch_answers: int) -> str:
    rows = ["| history (answers) | first fit | per batch of 1e4 answers: median | p90 | "
            "first 10 batches | last 10 batches |", "|---|---|---|---|---|---|"]
    per_task = 10
    for history in histories:
        n_tasks = history // per_task
        base = simulated(n_tasks, 1)
        model = DawidSkene()
        start = time.perf_counter()
        model.partial_fit(base)
        first = time.perf_counter() - start
        times = []
        for b in range(n_batches):
            batch = simulated(batch_answers // per_task, 100 + b, offset=n_tasks + b * batch_answers)
            start = time.perf_counter()
            model.partial_fit(batch)
            times.append(time.perf_counter() - start)
        t = np.array(times) * 1e3
        rows.append(f"| {history:.0e} | {first:.2f} s | {np.median(t):.1f} ms | "
                    f"{np.percentile(t, 90):.1f} ms | {t[:10].mean():.1f} ms | {t[-10:].mean():.1f} ms |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two datasets and 10 batches")
    args = parser.parse_args()
    names = sorted(p.name for p in SHARED_DATA.iterdir() if (p / "answers.csv").exists())
    if args.quick:
        names = ["d_product", "s_rel"]
    print("## Warm start (second half of the tasks)\n")
    print(warm_table(names))
    print("\n## Incremental DS, 10 task batches\n")
    print(incremental_table(names))
    print("\n## partial_fit speed\n")
    print(speed_table((100_000, 1_000_000), 10 if args.quick else 100, 10_000))


if __name__ == "__main__":
    main()
