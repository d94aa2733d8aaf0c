"""Speed and memory of crowdkit against crowd-kit 1.4.2 and peerannot, side by side.

Every process runs on one thread (OMP/BLAS thread counts set to 1), except the rows marked
``n_jobs=2``, where crowdkit's DS runs its E- and M-steps on two Python threads (crowd-kit has
no such option and stays on one). Synthetic answers come
from a seeded Dawid-Skene process with known truth; crowd-kit and peerannot run in
subprocesses of ``.bench/venv`` (created once) and read the same answers from a temporary
``.npz`` file. Parts:

* ``ds``: DS fit at 1e6 answers (2e5 tasks, 1e3 workers, K=5, 5 answers per task), ours vs
  crowd-kit, same fixed iteration count; our time per EM iteration in ns per answer; peak
  memory per answer in a fresh subprocess.
* ``glad``: GLAD at 1e6 answers, ours vs crowd-kit (time-limited; beyond the limit crowd-kit
  runs on a subsample with few iterations and is extrapolated per iteration and answer).
* ``peerannot``: DS time per EM iteration at CIFAR-10H size (9500 tasks, 2571 workers, K=10,
  50 answers per task), ours vs peerannot (3 iterations).
* ``votes``: every installed vote-based strategy at 1e6 answers.
* ``big``: DS at 1e7 answers (2e6 tasks, 1e4 workers, K=5): EM wall and peak memory.
* ``cli``: the whole ``crowd aggregate`` command on a 1e7-answer CSV and Parquet file: wall
  and peak RSS of the child process.
* ``e2e``: the job as a user runs it, whole processes side by side: ``crowd aggregate
  answers.csv -s DS --hard --format csv`` against a crowd-kit script (pandas ``read_csv``,
  default ``DawidSkene`` ``fit_predict``, ``to_csv``) on the same 1e6-answer CSV with string
  ids; best wall of 3 fresh processes each, in the caller's environment (not pinned to one
  thread). ``--crowd PATH`` times another install's ``crowd`` (e.g. a default install).

    python benchmarks/speed.py [--only ds,glad,peerannot,votes,big,cli,e2e] [--quick] [--no-write]

Results are kept per part in ``.bench/speed_results[_quick].json``, so a part can be rerun
alone; each section of docs/benchmarks.md is rendered from its stored parts (``speed`` from
all but ``e2e``, ``speed-e2e`` from ``e2e``), and only sections with stored parts are written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SINGLE_THREAD_ENV  # noqa: E402  (no numpy imported yet)

USER_ENV = dict(os.environ)  # the caller's environment, for the e2e part's processes
os.environ.update(SINGLE_THREAD_ENV)  # before numpy is imported anywhere in this process

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

from _common import (  # noqa: E402
    BENCH_HOME, Synthetic, build_strategy, ensure_bench_env, fmt_seconds,
    installed_strategy_names, machine_description, markdown_table, now_utc, our_versions,
    publish, run_child, short_error, simulate_ds, strategy_class,
)

PARTS = ("ds", "glad", "peerannot", "votes", "big", "cli", "e2e")
#: docs/benchmarks.md section -> the parts its table is rendered from.
SECTIONS = {"speed": PARTS[:-1], "speed-e2e": ("e2e",)}
VOTE_STRATEGIES = ("MV", "NaiveSoft", "Wawa", "TwoThird", "IWMV", "PlantNet", "ZBS", "M-MSR", "KOS")

#: Sizes (n_tasks, n_workers, K, answers per task) and budgets, full and quick.
CONFIG: dict[str, dict[str, Any]] = {
    "full": {
        "a": (200_000, 1_000, 5, 5), "b": (9_500, 2_571, 10, 50), "c": (2_000_000, 10_000, 5, 5),
        "ds_iter": 20, "glad_iter": 10, "glad_limit": 300.0, "glad_sub_answers": 100_000,
        "glad_sub_iter": 2, "ref_limit": 900.0, "peerannot_iter": 3, "cli_limit": 900.0,
        "repeats": 3,
    },
    "quick": {
        "a": (20_000, 200, 5, 5), "b": (1_000, 500, 10, 50), "c": (200_000, 2_000, 5, 5),
        "ds_iter": 10, "glad_iter": 3, "glad_limit": 20.0, "glad_sub_answers": 10_000,
        "glad_sub_iter": 2, "ref_limit": 120.0, "peerannot_iter": 3, "cli_limit": 300.0,
        "repeats": 2,
    },
}

TARGETS = {
    "ds_ratio": 50.0, "glad_ratio": 100.0, "peerannot_ratio": 500.0, "ns_per_answer": 40.0,
    "bytes_per_answer": 100.0, "big_ds_wall": 30.0, "cli_rss_gib": 2.0, "votes_wall": 2.0,
    "e2e_ratio": 15.0,
}


# -- helpers ------------------------------------------------------------------------------------
def row(what: str, ours: str, ref: str = "–", ratio: str = "–", target: str = "–",
        ok: bool | None = None, note: str = "") -> dict[str, str]:
    verdict = "–" if ok is None else ("pass" if ok else "MISS")
    return {"what": what, "ours": ours, "ref": ref, "ratio": ratio, "target": target,
            "verdict": verdict, "note": note}


def spec_for(name: str, **params: Any) -> str:
    """``NAME[k=v,...]`` keeping only the parameters the strategy declares."""
    fields = strategy_class(name).Params.model_fields
    kept = {k: v for k, v in params.items() if k in fields}
    return name + ("[" + ",".join(f"{k}={v}" for k, v in kept.items()) + "]" if kept else "")


def thread_text(n_jobs: int) -> str:
    """How a row's fit was run: 'one thread' or 'n_jobs=N'."""
    return "one thread" if n_jobs == 1 else f"n_jobs={n_jobs} ({n_jobs} threads)"


def time_fit(syn: Synthetic, spec: str, repeats: int) -> tuple[float, Any]:
    """Best wall time of ``fit`` over ``repeats`` runs, each on a fresh dataset (cold caches)."""
    best, model = float("inf"), None
    for _ in range(repeats):
        data = syn.dataset()
        gc.collect()
        fresh = build_strategy(spec)
        start = time.perf_counter()
        fresh.fit(data)
        wall = time.perf_counter() - start
        if wall < best:
            best, model = wall, fresh
    return best, model


def time_fit_from_frame(syn: Synthetic, spec: str, repeats: int) -> tuple[float, Any] | None:
    """Best wall time of ``as_dataset(DataFrame)`` + ``fit``, the path crowd-kit's time covers
    (its ``fit`` starts from the same DataFrame); None without pandas."""
    try:
        import pandas as pd
    except ImportError:
        return None
    from crowdkit_core.dataset import as_dataset

    frame = pd.DataFrame({"task": syn.tasks, "worker": syn.workers, "label": syn.labels})
    best, model = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        fresh = build_strategy(spec)
        start = time.perf_counter()
        fresh.fit(as_dataset(frame))
        wall = time.perf_counter() - start
        if wall < best:
            best, model = wall, fresh
    return best, model


def per_iteration(syn: Synthetic, name: str, n: int, repeats: int, **params: Any) -> tuple[float, int]:
    """Seconds per EM iteration: (fit with n+1 iterations - fit with 1) / n, tol=0."""
    one, m1 = time_fit(syn, spec_for(name, max_iter=1, tol=0, **params), repeats)
    many, mn = time_fit(syn, spec_for(name, max_iter=n + 1, tol=0, **params), repeats)
    done = int(mn.n_iter_) - int(m1.n_iter_)
    return (many - one) / max(done, 1), done


def iteration_seconds(marks: list[float], wall: float | None) -> float:
    """Mean duration of the iterations whose start times (since fit began) are ``marks``.

    With ``wall`` (the fit's end) the last iteration counts too; set-up before the first
    iteration is left out.
    """
    ends = marks[1:] + ([wall] if wall is not None else [])
    return (ends[-1] - marks[0]) / len(ends)


def accuracy(model: Any, truth) -> float:
    return float((model.labels_ == truth).mean())


def ratio_text(ref: float | None, ours: float | None) -> str:
    if not ref or not ours:
        return "–"
    return f"{ref / ours:.0f}x" if ref / ours >= 10 else f"{ref / ours:.1f}x"


def size_text(shape: tuple[int, int, int, int]) -> str:
    t, w, k, r = shape
    return f"{t * r:.0e} answers ({t} tasks, {w} workers, K={k}, {r}/task)".replace("e+0", "e")


# -- parts ----------------------------------------------------------------------------------------
def crowd_executable() -> str:
    """The ``crowd`` command of this interpreter's install (else the one on PATH)."""
    beside = Path(sys.executable).with_name("crowd")
    return str(beside) if beside.exists() else (shutil.which("crowd") or str(beside))


def install_text(crowd: str) -> str:
    """Which install ``crowd`` runs from, and whether pandas is in it (pyarrow then imports
    pandas on its first dictionary encoding: a fixed start-up cost)."""
    try:
        python = Path(crowd).read_text(errors="replace").splitlines()[0].removeprefix("#!").strip()
        found = subprocess.run([python, "-c", "import importlib.util as u; print(bool(u.find_spec('pandas')))"],
                               capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return f"crowd: {crowd}"
    pandas = {"True": "with pandas", "False": "without pandas (as the default install)"}.get(found, "pandas unknown")
    return f"crowd: {crowd}, {pandas}"


def write_string_id_csv(syn: Synthetic, path: Path) -> Path:
    """``task,worker,label`` CSV of ``syn`` with string ids (``t17``, ``w3``) and integer labels."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.table({"task": np.char.add("t", syn.tasks.astype(str)),
                      "worker": np.char.add("w", syn.workers.astype(str)), "label": syn.labels})
    with path.open("wb") as handle:  # a plain header, as people write it (pyarrow would quote it)
        handle.write(b"task,worker,label\n")
        pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return path


def best_process_walls(cmds: dict[str, list[str]], repeats: int, limit: float,
                       env: dict[str, str]) -> dict[str, float | str]:
    """Best wall clock of ``repeats`` fresh runs of each command, run in turns (one of each,
    then again) so that a change in the machine's load hits both sides alike; a command that
    fails gets its error text instead and is not rerun."""
    best: dict[str, float | str] = {name: float("inf") for name in cmds}
    for _ in range(repeats):
        for name, cmd in cmds.items():
            if isinstance(best[name], str):
                continue
            wall, _, rc, err = run_measured(cmd, limit, env)
            best[name] = f"exit {rc}: {err}" if rc != 0 else min(best[name], wall)  # type: ignore[type-var]
    return best


class Bench:
    def __init__(self, mode: str, env, tmp: Path, log: Callable[[str], None] = print,
                 crowd: str | None = None) -> None:
        self.mode, self.cfg, self.env, self.tmp, self.log = mode, CONFIG[mode], env, tmp, log
        self.crowd = crowd or crowd_executable()
        self._data: dict[str, tuple[Synthetic, Path]] = {}

    def data(self, key: str) -> tuple[Synthetic, Path]:
        """Synthetic answers of size ``key`` ('a', 'b' or 'c'), generated once, saved once."""
        if key not in self._data:
            t, w, k, r = self.cfg[key]
            start = time.perf_counter()
            syn = simulate_ds(t, w, k, r, seed={"a": 1, "b": 2, "c": 3}[key])
            path = syn.save(self.tmp / f"answers_{key}.npz")
            self.log(f"generated {size_text(self.cfg[key])} in {time.perf_counter() - start:.1f} s")
            self._data[key] = (syn, path)
        return self._data[key]

    def ref(self, args: dict[str, Any], limit: float) -> dict[str, Any]:
        if not self.env.has_crowdkit and args["method"].startswith("crowdkit"):
            return {"error": "crowd-kit not installed: " + self.env.errors.get("crowd-kit", "?")}
        if not self.env.has_peerannot and args["method"].startswith("peerannot"):
            return {"error": "peerannot not installed: " + self.env.errors.get("peerannot", "?").splitlines()[0]}
        self.log(f"  running {args['method']} (limit {limit:.0f} s) ...")
        return run_child(self.env.python, "_ref_child.py", args, timeout=limit)

    # ds ------------------------------------------------------------------------------------
    def part_ds(self) -> list[dict[str, str]]:
        syn, path = self.data("a")
        n_iter, reps = self.cfg["ds_iter"], self.cfg["repeats"]
        threads = [1, 2] if (os.cpu_count() or 1) >= 2 else [1]
        target = f">= {TARGETS['ds_ratio']:.0f}x"
        rows = []
        ck = self.ref({"method": "crowdkit_ds", "data": str(path), "n_iter": n_iter,
                       "tol": float("-inf"), "truth": True, "repeats": reps}, self.cfg["ref_limit"])
        for n_jobs in threads:
            ours_wall, model = time_fit(syn, spec_for("DS", max_iter=n_iter, tol=0, n_jobs=n_jobs), reps)
            what = f"DS fit, {size_text(self.cfg['a'])}, {thread_text(n_jobs)}"
            note = (f"both {n_iter} EM iterations (tol disabled), both initialised with vote shares, "
                    f"best of {reps} fits each; ours accuracy vs truth {accuracy(model, syn.truth):.4f}")
            if "error" in ck:
                rows.append(row(what, fmt_seconds(ours_wall), f"crowd-kit: {ck['error']}", "–", target, False, note))
                continue
            note += f", crowd-kit {ck.get('accuracy', float('nan')):.4f} ({ck['n_iter']} iterations)"
            rows.append(row(what, fmt_seconds(ours_wall), f"crowd-kit {fmt_seconds(ck['wall'])}",
                            ratio_text(ck["wall"], ours_wall), target,
                            ck["wall"] / ours_wall >= TARGETS["ds_ratio"], note))
        per_ck = ck["wall"] / max(ck["n_iter"], 1) if "error" not in ck else None
        for n_jobs in threads:
            per, done = per_iteration(syn, "DS", n_iter, reps, n_jobs=n_jobs)
            ns = per / syn.n_answers * 1e9
            one_core = n_jobs == 1
            rows.append(row(f"DS time per EM iteration, {thread_text(n_jobs)}, K=5",
                            f"{ns:.1f} ns/answer ({fmt_seconds(per)})",
                            f"crowd-kit {per_ck / syn.n_answers * 1e9:.0f} ns/answer" if per_ck else "–",
                            ratio_text(per_ck, per) if per_ck else "–",
                            f"<= {TARGETS['ns_per_answer']:.0f} ns/answer (2x 20 ns)" if one_core else "–",
                            ns <= TARGETS["ns_per_answer"] if one_core else None,
                            f"(fit with {done + 1} iterations - fit with 1) / {done}; crowd-kit: wall / "
                            "iterations, its per-iteration figure includes its ELBO"))
        ck_default = self.ref({"method": "crowdkit_ds", "data": str(path), "n_iter": 100,
                               "tol": 1e-5, "truth": True, "repeats": reps}, self.cfg["ref_limit"])
        for n_jobs in threads:
            spec = "DS" if n_jobs == 1 else spec_for("DS", n_jobs=n_jobs)
            default_wall, dmodel = time_fit(syn, spec, reps)
            what = f"DS fit, tol=1e-5 (both defaults), {thread_text(n_jobs)}"
            ours_text = f"{fmt_seconds(default_wall)} ({dmodel.n_iter_} iterations)"
            note = f"best of {reps} fits each; accuracy vs truth {accuracy(dmodel, syn.truth):.4f}"
            if "error" in ck_default:
                rows.append(row(what, ours_text, f"crowd-kit: {ck_default['error']}", "–", target, False, note))
                continue
            note += (f", crowd-kit {ck_default.get('accuracy', float('nan')):.4f} "
                     f"({ck_default['n_iter']} iterations; it stops when its per-answer ELBO gains "
                     "less than 1e-5, ours when the log-likelihood changes by less than 1e-5 relative)")
            rows.append(row(what, ours_text, f"crowd-kit {fmt_seconds(ck_default['wall'])}",
                            ratio_text(ck_default["wall"], default_wall), target,
                            ck_default["wall"] / default_wall >= TARGETS["ds_ratio"], note))
        timed = time_fit_from_frame(syn, "DS", reps)
        if timed is not None and "error" not in ck_default:
            frame_wall, fmodel = timed
            rows.append(row("DS from a pandas DataFrame (as_dataset + fit), tol=1e-5, one thread",
                            f"{fmt_seconds(frame_wall)} ({fmodel.n_iter_} iterations)",
                            f"crowd-kit {fmt_seconds(ck_default['wall'])}",
                            ratio_text(ck_default["wall"], frame_wall), target,
                            ck_default["wall"] / frame_wall >= TARGETS["ds_ratio"],
                            "ours includes encoding the DataFrame's ids and building the sparse "
                            "dataset; crowd-kit's fit starts from the same DataFrame, so this is the "
                            "like-for-like wall time (the rows above start from a built CrowdDataset)"))
        rows.append(self.memory_row("DS", path, syn.n_answers, "a"))
        return rows

    def memory_row(self, spec: str, path: Path, n_answers: int, key: str) -> dict[str, str]:
        res = run_child(Path(sys.executable), "_ours_child.py", {"data": str(path), "spec": spec},
                        timeout=self.cfg["ref_limit"])
        what = f"{spec} peak memory per answer, {n_answers:.0e} answers".replace("e+0", "e")
        if "error" in res:
            return row(what, f"failed: {res['error']}", target=f"< {TARGETS['bytes_per_answer']:.0f} B", ok=False)
        rss, traced = res["rss_bytes_per_answer"], res["traced_bytes_per_answer"]
        note = (f"fresh process, warmed up on 100 tasks; peak RSS (VmHWM reset before the fit) - RSS before; input arrays (24 B/answer) not counted; "
                f"tracemalloc: build dataset {res['traced_build_bytes_per_answer']:.0f} B peak, dataset holds "
                f"{res['dataset_bytes_per_answer']:.0f} B, fit adds {res['traced_fit_bytes_per_answer']:.0f} B peak")
        if res.get("rss_peak_masked"):
            note += "; RSS peak masked by an earlier peak (lower bound)"
        limit = TARGETS["bytes_per_answer"]
        out = row(what, f"{rss:.0f} B (RSS), {traced:.0f} B (tracemalloc)",
                  target=f"< {limit:.0f} B/answer", ok=max(rss, traced) < limit, note=note)
        if (rss < limit) != (traced < limit):  # the two methods disagree: say which passes
            out["verdict"] = " / ".join(f"{'pass' if v < limit else 'MISS'} ({m})"
                                        for m, v in (("RSS", rss), ("tracemalloc", traced)))
        return out

    # glad ----------------------------------------------------------------------------------
    def part_glad(self) -> list[dict[str, str]]:
        syn, path = self.data("a")
        n_iter, reps = self.cfg["glad_iter"], self.cfg["repeats"]
        ours_wall, model = time_fit(syn, spec_for("GLAD", max_iter=n_iter, tol=0), min(reps, 2))
        ours_iter = max(int(model.n_iter_), 1)
        ours_per = ours_wall / ours_iter  # setup included: conservative for us
        what = f"GLAD fit, {size_text(self.cfg['a'])}"
        target = f">= {TARGETS['glad_ratio']:.0f}x per iteration"
        note = (f"max_iter={n_iter} for both, convergence tests disabled (ours still stops at an exact fixed "
                f"point: it ran {ours_iter} iterations, accuracy vs truth {accuracy(model, syn.truth):.4f}); "
                "the ratio compares time per EM iteration (ours: wall / iterations, set-up included; "
                "crowd-kit: mean time between the starts of its E-steps, set-up excluded); "
                "each library keeps its own M-step optimiser (crowd-kit: scipy CG, m_step_max_iter=25, "
                "m_step_tol=1e-2; ours: L-BFGS-B with its defaults)")
        ck = self.ref({"method": "crowdkit_glad", "data": str(path), "n_iter": n_iter,
                       "tol": float("-inf"), "truth": True, "trace": True}, self.cfg["glad_limit"])
        ours_text = f"{fmt_seconds(ours_wall)} ({ours_iter} it., {fmt_seconds(ours_per)}/it.)"
        limit = self.cfg["glad_limit"]
        if "error" not in ck:
            ck_per = iteration_seconds(ck["marks"], ck["wall"])
            note += f"; crowd-kit accuracy {ck.get('accuracy', float('nan')):.4f}"
            return [row(what, ours_text, f"crowd-kit {fmt_seconds(ck['wall'])} ({ck['n_iter']} it., "
                        f"{fmt_seconds(ck_per)}/it.)", ratio_text(ck_per, ours_per), target,
                        ck_per / ours_per >= TARGETS["glad_ratio"], note)]
        if not ck.get("timeout"):
            return [row(what, ours_text, f"crowd-kit: {ck['error']}", "–", target, False, note)]
        marks = [m["mark"] for m in ck.get("partial", []) if "mark" in m]
        if len(marks) >= 2:  # at least one iteration finished at full size before the limit
            ck_per = iteration_seconds(marks, None)
            note += (f"; crowd-kit was stopped at the {limit:.0f} s limit after {len(marks) - 1} complete "
                     f"iteration(s) at full size (set-up {fmt_seconds(marks[0])}); its time per iteration is "
                     f"their mean, and {n_iter} iterations would take about "
                     f"{fmt_seconds(marks[0] + ck_per * n_iter)}")
            return [row(what, ours_text, f"crowd-kit {fmt_seconds(ck_per)}/it. ({len(marks) - 1} it. "
                        f"measured; > {limit:.0f} s for {n_iter} it.)", ratio_text(ck_per, ours_per), target,
                        ck_per / ours_per >= TARGETS["glad_ratio"], note)]
        # Not even one iteration within the limit: time a subsample and extrapolate.
        sub_tasks = max(1, self.cfg["glad_sub_answers"] // self.cfg["a"][3])
        sub = self.ref({"method": "crowdkit_glad", "data": str(path), "n_iter": self.cfg["glad_sub_iter"],
                        "tol": float("-inf"), "max_task": sub_tasks, "trace": True}, self.cfg["ref_limit"])
        if "error" in sub:
            bound = limit / ours_per
            return [row(what, ours_text, f"crowd-kit > {limit:.0f} s for one iteration; subsample failed: "
                        f"{sub['error']}", f"> {bound:.0f}x", target,
                        True if bound >= TARGETS["glad_ratio"] else None, note)]
        ck_per = iteration_seconds(sub["marks"], sub["wall"]) / sub["n_answers"] * syn.n_answers
        note += (f"; crowd-kit did not finish one iteration within the {limit:.0f} s limit at full size, so "
                 f"it was timed on {sub['n_answers']} answers ({sub_tasks} tasks) for {sub['n_iter']} "
                 f"iterations and its time per iteration extrapolated linearly in answers")
        return [row(what, ours_text, f"crowd-kit ~{fmt_seconds(ck_per)}/it. (extrapolated from a subsample)",
                    f"~{ratio_text(ck_per, ours_per)}", target, ck_per / ours_per >= TARGETS["glad_ratio"], note)]

    # peerannot -----------------------------------------------------------------------------
    def part_peerannot(self) -> list[dict[str, str]]:
        syn, path = self.data("b")
        n_iter = self.cfg["peerannot_iter"]
        per, done = per_iteration(syn, "DS", 20, self.cfg["repeats"])
        pa = self.ref({"method": "peerannot_ds", "data": str(path), "n_iter": n_iter},
                      self.cfg["ref_limit"])
        what = f"DS time per EM iteration, {size_text(self.cfg['b'])}"
        target = f">= {TARGETS['peerannot_ratio']:.0f}x"
        if "error" in pa:
            return [row(what, fmt_seconds(per), f"peerannot: {pa['error']}", "–", target, None,
                        "peerannot could not be run")]
        ratio = pa["per_iteration"] / per
        note = (f"ours: (fit with {done + 1} iterations - fit with 1) / {done} (max_iter=21, tol=0: it stops "
                f"earlier only at an exact fixed point); peerannot: DawidSkene.run"
                f"(maxiter={n_iter}) / {pa['n_iter']} (its dense (tasks, workers, K) tensor is built "
                f"beforehand in {fmt_seconds(pa['build'])}, not counted)")
        return [row(what, fmt_seconds(per), f"peerannot {fmt_seconds(pa['per_iteration'])}",
                    ratio_text(pa["per_iteration"], per), target, ratio >= TARGETS["peerannot_ratio"], note)]

    # votes ---------------------------------------------------------------------------------
    def part_votes(self) -> list[dict[str, str]]:
        full, _ = self.data("a")
        # KOS is binary only: it runs on the same answers folded to two classes (label % 2).
        binary = dataclasses.replace(full, labels=full.labels % 2, truth=full.truth % 2, n_classes=2)
        installed = set(installed_strategy_names())
        rows = []
        for name in VOTE_STRATEGIES:
            syn = binary if name == "KOS" else full
            what = f"{name} fit, {syn.n_answers:.0e} answers".replace("e+0", "e")
            if name == "KOS":
                what += " (folded to K=2)"
            if name not in installed:
                rows.append(row(what, "not installed"))
                continue
            try:
                wall, model = time_fit(syn, name, self.cfg["repeats"])
            except Exception as exc:
                rows.append(row(what, f"failed: {short_error(exc)}", target="< 2 s", ok=False))
                continue
            labelled = model.labels_ >= 0
            note = f"accuracy vs truth {float((model.labels_[labelled] == syn.truth[labelled]).mean()):.4f}"
            if not labelled.all():
                note += f" on the {labelled.mean():.1%} of tasks it labels"
            rows.append(row(what, fmt_seconds(wall), target=f"< {TARGETS['votes_wall']:.0f} s",
                            ok=wall < TARGETS["votes_wall"], note=note))
        return rows

    # big -----------------------------------------------------------------------------------
    def part_big(self) -> list[dict[str, str]]:
        syn, path = self.data("c")
        wall, model = time_fit(syn, "DS", 1)
        size = size_text(self.cfg["c"])
        rows = [row(f"DS EM wall (default parameters), {size}",
                    f"{fmt_seconds(wall)} ({model.n_iter_} iterations)",
                    target=f"< {TARGETS['big_ds_wall']:.0f} s", ok=wall < TARGETS["big_ds_wall"],
                    note=f"fit on a CrowdDataset built beforehand; accuracy vs truth {accuracy(model, syn.truth):.4f}")]
        del model
        gc.collect()
        rows.append(self.memory_row("DS", path, syn.n_answers, "c"))
        return rows

    # cli -----------------------------------------------------------------------------------
    def part_cli(self) -> list[dict[str, str]]:
        syn, _ = self.data("c")
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        table = pa.table({"task": syn.tasks, "worker": syn.workers, "label": syn.labels})
        files = {"CSV": self.tmp / "answers_c.csv", "Parquet": self.tmp / "answers_c.parquet"}
        pacsv.write_csv(table, files["CSV"])
        pq.write_table(table, files["Parquet"])
        del table
        rows = []
        for kind, file in files.items():
            out_dir = self.tmp / f"out_{kind.lower()}"
            cmd = [self.crowd, "aggregate", str(file), "-s", "DS", "-o", str(out_dir), "--json"]
            self.log(f"  running crowd aggregate on the {kind} file ({file.stat().st_size / 2**20:.0f} MiB) ...")
            wall, rss_kib, rc, err = run_measured(cmd, self.cfg["cli_limit"])
            what = f"`crowd aggregate FILE -s DS`, {syn.n_answers:.0e}-answer {kind} file".replace("e+0", "e")
            if rc != 0:
                rows.append(row(what, f"failed ({err})", target=f"< {TARGETS['cli_rss_gib']:.0f} GiB peak RSS", ok=False,
                                note=f"peak RSS {rss_kib / 2**20:.2f} GiB when it stopped, after {fmt_seconds(wall)}"))
                continue
            gib = rss_kib / 2**20
            fit = ""
            prov = next(out_dir.glob("*.provenance.json"), None)
            if prov is not None:
                record = json.loads(prov.read_text())
                fit = f"; fit {fmt_seconds(record.get('fit_seconds'))} ({record.get('n_iter')} iterations)"
            # Where the memory goes: the same file through load_dataset alone, in a fresh process.
            load_cmd = [sys.executable, "-c", "import sys; from crowdkit_core.dataset import load_dataset; "
                        "load_dataset(sys.argv[1])", str(file)]
            load_wall, load_kib, load_rc, _ = run_measured(load_cmd, self.cfg["cli_limit"])
            load = (f"; `load_dataset` alone: {load_kib / 2**20:.2f} GiB peak RSS, {fmt_seconds(load_wall)}"
                    if load_rc == 0 else "")
            rows.append(row(what, f"{gib:.2f} GiB peak RSS, {fmt_seconds(wall)} wall",
                            target=f"< {TARGETS['cli_rss_gib']:.0f} GiB peak RSS", ok=gib < TARGETS["cli_rss_gib"],
                            note=f"file {file.stat().st_size / 2**20:.0f} MiB; maxrss of the child process "
                                 f"(wait4){fit}{load}"))
        return rows

    # e2e -----------------------------------------------------------------------------------
    def part_e2e(self) -> list[dict[str, str]]:
        syn, _ = self.data("a")
        answers = write_string_id_csv(syn, self.tmp / "answers_e2e.csv")
        reps, limit = self.cfg["repeats"], self.cfg["ref_limit"]
        what = f"`crowd aggregate answers.csv -s DS --hard --format csv`, {size_text(self.cfg['a'])}, string ids"
        target = f">= {TARGETS['e2e_ratio']:.0f}x"
        cmds = {"ours": [self.crowd, "aggregate", str(answers), "-s", "DS", "--hard", "--format", "csv",
                         "-o", str(self.tmp / "out_e2e")]}
        has_ref = self.env is not None and self.env.has_crowdkit
        if has_ref:
            ref_args = {"method": "crowdkit_ds_script", "answers": str(answers), "out": str(self.tmp / "ref_labels.csv")}
            cmds["ref"] = [str(self.env.python), str(Path(__file__).resolve().parent / "_ref_child.py"), json.dumps(ref_args)]
        self.log(f"  running {' and '.join(cmds)} x{reps}, in turns ...")
        walls = best_process_walls(cmds, reps, limit, USER_ENV)
        ours, ref = walls["ours"], walls.get("ref")
        if isinstance(ours, str):
            return [row(what, f"failed ({ours})", target=target, ok=False)]
        note = (f"whole processes, wall clock, best of {reps} fresh runs each (run in turns), in the caller's "
                f"environment (threads not pinned); file {answers.stat().st_size / 2**20:.0f} MiB; {install_text(self.crowd)}")
        if not has_ref:
            why = self.env.errors.get("crowd-kit", "?") if self.env else "no .bench environment"
            return [row(what, fmt_seconds(ours), f"crowd-kit not installed: {why}", "–", target, None, note)]
        if isinstance(ref, str):
            return [row(what, fmt_seconds(ours), f"crowd-kit script failed ({ref})", "–", target, False, note)]
        note += ("; crowd-kit script: `pd.read_csv`, `DawidSkene(n_iter=100, tol=1e-5).fit_predict`, "
                 "`labels.to_csv` (benchmarks/_ref_child.py, method crowdkit_ds_script)")
        return [row(what, fmt_seconds(ours), f"crowd-kit script {fmt_seconds(ref)}", ratio_text(ref, ours),
                    target, ref / ours >= TARGETS["e2e_ratio"], note), self.startup_row(syn, cmds["ours"], reps, limit)]

    def startup_row(self, syn: Synthetic, cmd: list[str], reps: int, limit: float) -> dict[str, str]:
        """The same command on the first 100 tasks' answers: the fixed cost (start-up, imports)."""
        few = syn.tasks < 100
        tiny = dataclasses.replace(syn, tasks=syn.tasks[few], workers=syn.workers[few], labels=syn.labels[few])
        cmd = [*cmd[:2], str(write_string_id_csv(tiny, self.tmp / "answers_e2e_tiny.csv")), *cmd[3:]]
        wall = best_process_walls({"ours": cmd}, reps, limit, USER_ENV)["ours"]
        what = f"the same command on {tiny.n_answers} answers (100 tasks): its fixed cost"
        return row(what, wall if isinstance(wall, str) else fmt_seconds(wall),
                   note="Python start-up, imports (typer, rich, pydantic, numpy, scipy, pyarrow), plugin "
                        "registry, writing; the rest of the row above grows with the answers")


def run_measured(cmd: list[str], limit: float, env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """Run ``cmd`` (in ``env``, default this process's); return (wall, child's maxrss in KiB,
    exit code, last stderr line)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=dict(env or os.environ))
        deadline = start + limit
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                return time.perf_counter() - start, usage.ru_maxrss, -9, f"killed after the {limit:.0f} s limit"
            time.sleep(0.05)
        wall = time.perf_counter() - start
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
    rc = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss, rc, (lines[-1] if lines else "")


# -- output ---------------------------------------------------------------------------------------
def results_path(mode: str) -> Path:
    return BENCH_HOME / ("speed_results.json" if mode == "full" else "speed_results_quick.json")


def render(store: dict[str, Any], mode: str, parts: tuple[str, ...] = SECTIONS["speed"]) -> str:
    """The markdown section for ``parts`` (machine, versions, table, notes) from ``store``."""
    machine, env = store.get("machine", {}), store.get("env", {})
    ours = store.get("ours", {})
    e2e = parts == SECTIONS["speed-e2e"]
    title = "End-to-end speed (whole processes)" if e2e else "Speed and memory"
    threads = ("Processes run in the caller's environment (thread counts not pinned)." if e2e else
               "Every process on one thread (OMP/OpenBLAS/MKL thread counts 1), except crowdkit's rows "
               "marked `n_jobs=2` (two Python threads).")
    data = ("the answers are written once to a CSV file with string ids; each side runs as a fresh "
            "process that reads it, fits and writes its labels, timed by wall clock." if e2e else
            "crowd-kit and peerannot read the same answers from a temporary file in a subprocess and "
            "time only their `fit`/`run`.")
    lines = [
        f"## {title}" + (" (quick mode: small sizes, not the reference figures)" if mode == "quick" else ""),
        "",
        f"Measured by `python benchmarks/speed.py{' --quick' if mode == 'quick' else ''}"
        f"{' --only e2e' if e2e else ''}`; parts last run: "
        + ", ".join(f"{p} ({store['parts'][p]['when']})" for p in parts if p in store.get("parts", {})) + ".",
        "",
        f"- Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, {machine.get('memory', '?')} "
        f"memory, {machine.get('os', '?')}, Python {machine.get('python', '?')}. {threads}",
        "- crowdkit: " + ", ".join(f"{k} {v}" for k, v in ours.items()) + ".",
        "- Reference (`.bench/venv`): " + (", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items()) or "none") + ".",
    ]
    for lib, why in env.get("errors", {}).items():
        lines.append(f"- {lib} could not be installed: `{why.splitlines()[0]}` (full log: `.bench/install.log`).")
    lines += [
        "- Data: seeded Dawid-Skene simulation (per-worker confusion matrices with diagonal uniform in "
        f"[0.55, 0.95], class prior Dirichlet(5), distinct workers per task); {data}",
        "- Ratio: reference time / our time (higher is better for us). `MISS` marks a target not met.",
        "",
    ]
    rows = []
    for part in parts:
        for r in store.get("parts", {}).get(part, {}).get("rows", []):
            rows.append([part, r["what"], r["ours"], r["ref"], r["ratio"], r["target"], r["verdict"]])
    lines.append(markdown_table(["part", "measurement", "crowdkit", "reference", "ratio", "target", "verdict"], rows))
    lines += ["", "Notes per measurement:", ""]
    for part in parts:
        for r in store.get("parts", {}).get(part, {}).get("rows", []):
            if r.get("note"):
                lines.append(f"- {part}, {r['what']}: {r['note']}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated parts to run (default: all of {','.join(PARTS)})")
    parser.add_argument("--quick", action="store_true", help="small sizes and short limits (a smoke run)")
    parser.add_argument("--no-write", action="store_true", help="print the table, do not touch docs/benchmarks.md")
    parser.add_argument("--crowd", help="crowd executable for the cli and e2e parts (default: this install's)")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",")] if args.only else list(PARTS)
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    mode = "quick" if args.quick else "full"
    needs_ref = {"ds", "glad", "peerannot", "e2e"} & set(parts)
    env = ensure_bench_env(want_peerannot="peerannot" in parts) if needs_ref else None
    if env is not None:
        for lib, why in env.errors.items():
            print(f"warning: {lib} is not available: {why}", file=sys.stderr)

    path = results_path(mode)
    store = json.loads(path.read_text()) if path.is_file() else {"parts": {}}
    store["machine"] = machine_description()
    store["ours"] = our_versions()
    if env is not None:
        store["env"] = {"versions": env.versions, "errors": env.errors}
    with tempfile.TemporaryDirectory(prefix="crowdkit-bench-") as tmp:
        bench = Bench(mode, env, Path(tmp), crowd=args.crowd)
        for part in parts:
            print(f"== {part}")
            start = time.perf_counter()
            try:
                rows = getattr(bench, f"part_{part}")()
            except Exception as exc:  # one broken part must not lose the others' results
                rows = [row(f"{part} part", f"failed: {short_error(exc, 200)}", ok=False)]
            for r in rows:
                print(f"  {r['what']}: {r['ours']} | {r['ref']} | {r['ratio']} | {r['target']} | {r['verdict']}")
            store["parts"][part] = {"rows": rows, "when": now_utc(),
                                    "seconds": round(time.perf_counter() - start, 1)}
            BENCH_HOME.mkdir(exist_ok=True)
            path.write_text(json.dumps(store, indent=1))
    for section, section_parts in SECTIONS.items():
        if any(p in store["parts"] for p in section_parts):
            publish(section, render(store, mode, section_parts), write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
