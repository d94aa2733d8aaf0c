"""Scale benchmarks of the engines: local DS from Parquet, Dask overhead, a cluster plan.

Parts (``--only``, comma-separated):

* ``local``: DS (default parameters) with the local engine on ``--local-sizes`` answers
  (10 answers per task, 1e4 workers, K=2) read from a Parquet file, each size in a fresh
  process: load time, EM wall time, peak memory (max RSS) per answer. The target size is
  1e8 (``--local-sizes 1e8``, about 12 GB of RSS: run it on a quiet machine).
* ``dask``: 1e7 answers, 10 iterations (tol=0), per-iteration time of the local engine
  against a Dask LocalCluster with 1 and 2 worker processes, and the bytes a DS iteration
  moves (the statistics and the state).
* ``plan``: the expected time per iteration for 1e9 and 1e10 answers on N machines, from
  the measured per-answer partition time and the per-iteration bytes.

Results are printed as JSON lines and written to ``benchmarks/engine_scale.json``; the
tables in docs/benchmarks.md and docs/engines.md come from that file.

    python benchmarks/engine_scale.py [--only local,dask,plan] [--local-sizes 1e7,3e7]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "engine_scale.json"
N_WORKERS, K, PER_TASK = 10_000, 2, 10


def write_parquet(path: Path, n_answers: int, seed: int = 0, chunk: int = 10_000_000) -> Path:
    """DS-process answers (one-coin workers of accuracy U(0.55, 0.95), balanced classes),
    ``PER_TASK`` per task, written chunk by chunk (bounded memory), sorted by task."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    accuracy = rng.uniform(0.55, 0.95, N_WORKERS)
    writer = None
    try:
        for first in range(0, n_answers, chunk):
            n = min(chunk, n_answers - first)
            tasks = (first + np.arange(n)) // PER_TASK
            truth = (tasks * 2654435761 % 1000003) % K  # a fixed truth per task
            workers = rng.integers(0, N_WORKERS, n)
            right = rng.random(n) < accuracy[workers]
            labels = np.where(right, truth, (truth + rng.integers(1, K, n)) % K)
            table = pa.table({"task": tasks, "worker": workers, "label": labels})
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=1 << 20)
    finally:
        if writer is not None:
            writer.close()
    return path


def _local_child(path: str) -> dict:
    import resource

    from crowdkit_core.dataset import load_dataset
    from crowdkit_classic.dawid_skene import DawidSkene

    start = time.perf_counter()
    data = load_dataset(path)
    load = time.perf_counter() - start
    model = DawidSkene().fit(data)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"n_answers": data.n_answers, "load_s": round(load, 2), "em_s": round(model.fit_seconds_, 2),
            "n_iter": model.n_iter_, "peak_rss_gib": round(rss / 2**30, 2),
            "bytes_per_answer": round(rss / data.n_answers, 1)}


def part_local(sizes: list[int], tmp: Path) -> list[dict]:
    rows = []
    for n in sizes:
        path = write_parquet(tmp / f"answers_{n}.parquet", n)
        out = subprocess.run([sys.executable, __file__, "--child-local", str(path)],
                             capture_output=True, text=True, check=True)
        row = {"part": "local", **json.loads(out.stdout.strip().splitlines()[-1])}
        rows.append(row)
        print(json.dumps(row), flush=True)
        path.unlink()
    return rows


def part_dask(n_answers: int, tmp: Path, iterations: int = 10) -> list[dict]:
    from crowdkit_core.dataset import load_dataset
    from crowdkit_core.engines.dask_engine import DaskEngine
    from crowdkit_core.engines.partitioned import partition_dataset
    from crowdkit_classic.dawid_skene import DawidSkene

    data = load_dataset(write_parquet(tmp / "answers_dask.parquet", n_answers))
    params = dict(max_iter=iterations, tol=0.0)
    local = DawidSkene(**params).fit(data)
    rows = [{"part": "dask", "engine": "local threads (1)", "n_answers": data.n_answers,
             "per_iter_s": round(local.fit_seconds_ / iterations, 3)}]
    print(json.dumps(rows[0]), flush=True)
    stats_bytes = data.n_workers * K * K * 8 + K * 8 + 8
    state_bytes = data.n_workers * K * (K + 1) * 8 + 3 * K * 8 + 8  # LogScores: relative, column
    for workers in (1, 2):
        with DaskEngine(n_workers=workers, processes=True, memory_limit="8GB") as engine:
            start = time.perf_counter()
            parts = partition_dataset(data, engine, 4 * workers)
            setup = time.perf_counter() - start
            model = DawidSkene(**params).fit(parts)
            gap = float(np.abs(model.proba_ - local.proba_).max())
            per_part = _partition_time(engine, parts)
        per_iter = model.fit_seconds_ / iterations
        overhead = max(0.0, per_iter - per_part * data.n_answers / workers) / parts.n_partitions
        row = {"part": "dask", "engine": f"dask LocalCluster, {workers} process(es)",
               "n_answers": data.n_answers, "partitions": parts.n_partitions,
               "setup_s": round(setup, 2), "per_iter_s": round(model.fit_seconds_ / iterations, 3),
               "max_abs_diff_vs_local": gap, "stats_bytes_per_partition": stats_bytes,
               "state_bytes_per_worker": state_bytes,
               "ns_per_answer_in_partition": round(per_part * 1e9, 2),
               "overhead_s_per_partition_iteration": round(overhead, 4)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def _partition_time(engine, parts) -> float:
    """Seconds per answer of one fused DS pass inside a partition (no scheduling)."""
    return float(np.median(engine.map_blocks(_time_pass, parts.parts))) / (parts.n_answers / parts.n_partitions)


def _time_pass(part) -> float:
    from crowdkit_classic._confusion import ConfusionState, LogScores, confusion_block
    from crowdkit_classic._partitioned import whole_block

    w, k = part.n_workers, part.n_classes
    state = ConfusionState(np.full(k, 1 / k), np.tile(np.eye(k) * 0.6 + 0.4 / k, (w, 1, 1)))
    scores, block = LogScores.of_state(state), whole_block(part)
    out = np.empty((part.n_tasks, k))
    confusion_block(block, out, scores, True)
    start = time.perf_counter()
    confusion_block(block, out, scores, True)
    return time.perf_counter() - start


def part_plan(dask_rows: list[dict]) -> list[dict]:
    """Per-iteration time on N machines of C cores: compute + stats reduce + scheduling."""
    measured = [r for r in dask_rows if "overhead_s_per_partition_iteration" in r]
    ns = max(r["ns_per_answer_in_partition"] for r in measured) if measured else 8.0
    stats = measured[0]["stats_bytes_per_partition"] if measured else 320_024
    # measured: what a Dask iteration costs beyond the partitions' compute (broadcast of the
    # state, the tree sum, round trips), on this machine's LocalCluster
    fixed = max((r["overhead_s_per_partition_iteration"] * r["partitions"] for r in measured),
                default=0.2)
    rows = []
    cores, bandwidth = 16, 1.0e9  # 16 cores per machine, 10 Gb/s links
    per_task_s = 1e-3  # Dask's documented scheduler cost, about 1 ms per task (assumed)
    for n_answers in (1e9, 1e10):
        for machines in (4, 16, 64):
            partitions = machines * cores  # one partition per core
            compute = n_answers * ns * 1e-9 / (machines * cores)
            # the tree sum moves each partition's statistics once, then log8 levels of sums
            reduce = stats * partitions / (machines * bandwidth) + stats * np.log(partitions) / np.log(8) / bandwidth
            # 3 tasks per partition per iteration on the one scheduler, plus the fixed cost
            schedule = fixed + 3 * partitions * per_task_s
            memory_gib = n_answers * 40 / (machines * 2**30)
            row = {"part": "plan", "n_answers": n_answers, "machines": machines,
                   "cores_each": cores, "partitions": partitions,
                   "compute_s": round(compute, 2), "reduce_s": round(reduce, 3),
                   "overhead_s": round(schedule, 2),
                   "per_iter_s": round(compute + reduce + schedule, 2),
                   "worker_memory_gib_per_machine": round(memory_gib, 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="local,dask,plan")
    parser.add_argument("--local-sizes", default="1e7,3e7")
    parser.add_argument("--dask-size", default="1e7")
    parser.add_argument("--child-local")
    args = parser.parse_args()
    if args.child_local:
        print(json.dumps(_local_child(args.child_local)))
        return
    parts = args.only.split(",")
    rows: list[dict] = []
    previous = [r for r in (json.loads(RESULTS.read_text()) if RESULTS.exists() else [])
                if r.get("part") not in parts]
    with tempfile.TemporaryDirectory(prefix="crowdkit-scale-") as folder:
        tmp = Path(folder)
        if "local" in parts:
            rows += part_local([int(float(s)) for s in args.local_sizes.split(",")], tmp)
        if "dask" in parts:
            rows += part_dask(int(float(args.dask_size)), tmp)
    if "plan" in parts:
        rows += part_plan([r for r in rows + previous if r.get("part") == "dask"])
    RESULTS.write_text(json.dumps(previous + rows, indent=1) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
