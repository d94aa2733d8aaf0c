"""Child process for the reference libraries, run by ``.bench/venv/bin/python``.

Reads answers from an ``.npz`` file written by the parent (or a CSV file), times one method
of crowd-kit or peerannot (or runs a whole crowd-kit script, timed by the parent) and prints
one JSON line with the result. It imports nothing from crowdkit_core
(that is not installed in the ``.bench`` environment).

    python _ref_child.py '{"method": "crowdkit_ds", "data": "/tmp/x.npz", "n_iter": 20, ...}'
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings


def load(args):
    import numpy as np

    data = np.load(args["data"])
    tasks, workers, labels = data["tasks"], data["workers"], data["labels"]
    k = int(data["n_classes"])
    n_workers = int(data["n_workers"])
    limit = args.get("max_task")
    if limit is not None:  # subsample: keep the answers of the first `limit` tasks
        keep = tasks < limit
        tasks, workers, labels = tasks[keep], workers[keep], labels[keep]
    return tasks, workers, labels, k, n_workers


def frame(tasks, workers, labels):
    import pandas as pd

    return pd.DataFrame({"task": tasks, "worker": workers, "label": labels})


def save_probas(model, path, n_tasks, k):
    import numpy as np

    probas = model.probas_.reindex(index=range(n_tasks), columns=range(k), fill_value=0.0)
    np.save(path, probas.to_numpy(dtype=float))


def crowdkit_em(args, cls_name):
    import numpy as np

    from crowdkit.aggregation import GLAD, DawidSkene

    tasks, workers, labels, k, _ = load(args)
    df = frame(tasks, workers, labels)
    cls = {"DawidSkene": DawidSkene, "GLAD": GLAD}[cls_name]
    kwargs = {"n_iter": args["n_iter"], "tol": args["tol"]}
    kwargs.update(args.get("extra", {}))
    model = cls(**kwargs)
    marks: list[float] = []
    if args.get("trace"):
        # Print the time at which each E-step (each iteration) starts, flushed, so that a
        # parent that stops us at its time limit still learns the iterations' durations.
        e_step = model._e_step

        def traced(*a, **kw):
            marks.append(time.perf_counter() - start)
            print(json.dumps({"mark": marks[-1]}), flush=True)
            return e_step(*a, **kw)

        model._e_step = traced
    gold_accuracies: list[float] = []
    if args.get("gold_trace"):
        # Accuracy on the gold tasks (truth >= 0) of the posteriors each E-step leaves in
        # probas_ (GLAD sets it there): the labels a fit stopped at that point would return.
        truth_all = np.load(args["data"])["truth"]
        gold_tasks = np.flatnonzero(truth_all >= 0)
        e_step_inner = model._e_step

        def scored(*a, **kw):
            result = e_step_inner(*a, **kw)
            picked = model.probas_.idxmax(axis=1).reindex(gold_tasks).to_numpy()
            gold_accuracies.append(float((picked == truth_all[gold_tasks]).mean()))
            print(json.dumps({"e_step": len(gold_accuracies) - 1, "accuracy": gold_accuracies[-1],
                              "t": time.perf_counter() - start}), flush=True)
            return result

        model._e_step = scored
    start = time.perf_counter()
    model.fit(df)
    walls = [time.perf_counter() - start]
    # Further untraced fits of fresh models: the best wall, as for ours (first fits in a fresh
    # process pay for pandas' lazy set-up).
    for _ in range(1, 1 if marks or gold_accuracies else int(args.get("repeats", 1))):
        again = cls(**kwargs)
        start = time.perf_counter()
        again.fit(df)
        walls.append(time.perf_counter() - start)
    wall = min(walls)
    n_tasks = int(tasks.max()) + 1
    out = {"wall": wall, "walls": walls, "n_iter": len(model.loss_history_),
           "n_answers": int(tasks.size)}
    if marks:
        out["marks"] = marks
    if gold_accuracies:
        out["gold_accuracies"] = gold_accuracies
        out["loss_history"] = [float(q) for q in model.loss_history_]
    if "truth" in args:
        truth = np.load(args["data"])["truth"][:n_tasks]
        labels_ = model.labels_.reindex(range(n_tasks)).to_numpy()
        out["accuracy"] = float((labels_ == truth).mean())
    if args.get("probas_out"):
        save_probas(model, args["probas_out"], n_tasks, k)
    return out


def crowdkit_mace_csv(args):
    """crowd-kit's MACE on a ``task,worker,label`` CSV read as is, or with ids aligned.

    crowd-kit 1.4.2 indexes its strategy matrix by ``pd.factorize`` codes (order of first
    appearance) but fills it from a groupby (sorted ids). ``aligned`` renames workers and
    labels to their rank of first appearance, which changes nothing in the model and makes
    the two orders agree; predictions are mapped back to the original labels.
    """
    import numpy as np
    import pandas as pd

    from crowdkit.aggregation import MACE

    df = pd.read_csv(args["answers"])
    truth = pd.read_csv(args["truth"]).set_index("task")["label"]
    back = None
    if args.get("aligned"):
        worker_codes, _ = pd.factorize(df["worker"])
        label_codes, label_names = pd.factorize(df["label"])
        df = df.assign(worker=[f"{c:07d}" for c in worker_codes], label=label_codes)
        back = np.asarray(label_names)
    start = time.perf_counter()
    model = MACE(**args.get("extra", {})).fit(df)
    wall = time.perf_counter() - start
    labels = model.labels_.reindex(truth.index)
    if back is not None:
        labels = labels.map(lambda code: back[int(code)] if pd.notna(code) else code)
    return {"wall": wall, "accuracy": float((labels.to_numpy() == truth.to_numpy()).mean()),
            "n_gold": int(truth.size)}


def crowdkit_ds_script(args):
    """The whole job as a crowd-kit user scripts it: read the CSV, fit DS, write the labels."""
    import pandas as pd

    from crowdkit.aggregation import DawidSkene

    answers = pd.read_csv(args["answers"])
    labels = DawidSkene(n_iter=100, tol=1e-5).fit_predict(answers)
    labels.to_csv(args["out"])
    return {"n_answers": int(len(answers))}


def peerannot_ds(args):
    from peerannot.models.aggregation.dawid_skene import DawidSkene

    tasks, workers, labels, k, n_workers = load(args)
    answers: dict[int, dict[int, int]] = {}
    for t, w, lab in zip(tasks.tolist(), workers.tolist(), labels.tolist()):
        answers.setdefault(t, {})[w] = lab
    start = time.perf_counter()
    model = DawidSkene(answers=answers, n_workers=n_workers, n_classes=k)
    build = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, n_iter = model.run(epsilon=0.0, maxiter=args["n_iter"])
    wall = time.perf_counter() - start
    return {"build": build, "wall": wall, "n_iter": int(n_iter), "n_answers": int(tasks.size),
            "per_iteration": wall / max(int(n_iter), 1)}


def main() -> None:
    args = json.loads(sys.argv[1])
    method = args["method"]
    if method == "crowdkit_ds":
        out = crowdkit_em(args, "DawidSkene")
    elif method == "crowdkit_glad":
        out = crowdkit_em(args, "GLAD")
    elif method == "crowdkit_mace_csv":
        out = crowdkit_mace_csv(args)
    elif method == "crowdkit_ds_script":
        out = crowdkit_ds_script(args)
    elif method == "peerannot_ds":
        out = peerannot_ds(args)
    else:
        raise SystemExit(f"unknown method {method!r}")
    out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out))


if __name__ == "__main__":
    main()
