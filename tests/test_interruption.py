"""Issue 17: a `crowd aggregate` killed at any moment leaves the old result set or the new one.

The child process sleeps before each rename of the commit (``CROWDKIT_TEST_PAUSE_BETWEEN_FILES``)
so that signals land inside the write as well as before and after it. After the kill, the
next write to the folder (here :func:`recover` directly) finishes or drops the transaction.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from crowdkit_core.result_set import TX_PREFIX, commit_files, recover

OLD = b"old run"


def _dataset(folder: Path, n_answers: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    n_tasks = max(2, n_answers // 5)
    folder.mkdir(parents=True, exist_ok=True)
    tasks, workers, labels = rng.integers(0, n_tasks, n_answers), rng.integers(0, 50, n_answers), rng.integers(0, 3, n_answers)
    lines = "\n".join(f"t{t},w{w},{k}" for t, w, k in zip(tasks, workers, labels))
    (folder / "answers.csv").write_text(f"task,worker,label\n{lines}\n")
    (folder / "metadata.json").write_text(json.dumps({"name": "big", "n_classes": 3}))
    return folder


def _command(data: Path, out: Path) -> list[str]:
    return [sys.executable, "-c", "from crowdkit_core.cli.app import main; main()", "aggregate", str(data),
            "-s", "TwoThird", "-o", str(out), "--format", "csv"]


def _state(out: Path, names: list[str], new: dict[str, bytes]) -> str:
    """"old" or "new" if every file of the set is from one run; raises otherwise."""
    contents = {n: (out / n).read_bytes() if (out / n).exists() else None for n in names}
    if all(c == OLD for c in contents.values()):
        return "old"
    labels = [n for n in names if n.endswith(".csv")][0]
    assert all(c not in (None, OLD) for c in contents.values()), f"mixed set: {contents.keys()}"
    assert contents[labels] == new[labels]
    json.loads(contents[[n for n in names if n.endswith(".provenance.json")][0]])  # complete JSON
    return "new"


def _interrupt(tmp_path: Path, n_answers: int, kills: int, pause: float, seed: int) -> list[str]:
    data = _dataset(tmp_path / "data", n_answers)
    reference = tmp_path / "reference"
    env = {**os.environ, "CROWDKIT_TEST_PAUSE_BETWEEN_FILES": "0"}
    subprocess.run(_command(data, reference), check=True, env=env, capture_output=True)
    names = sorted(p.name for p in reference.iterdir())
    assert len(names) == 3  # labels, details, provenance
    new = {n: (reference / n).read_bytes() for n in names}
    start = time.perf_counter()
    subprocess.run(_command(data, tmp_path / "timing"), check=True, env=env, capture_output=True)
    duration = time.perf_counter() - start + 3 * pause
    rng = random.Random(seed)
    states = []
    env["CROWDKIT_TEST_PAUSE_BETWEEN_FILES"] = str(pause)
    for i in range(kills):
        out = tmp_path / f"out{i}"
        out.mkdir()
        for n in names:
            (out / n).write_bytes(OLD)
        sig = rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
        child = subprocess.Popen(_command(data, out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3 * duration, duration))
        child.send_signal(sig)
        child.wait()
        recover(out)
        states.append(_state(out, names, new))
        assert not [p for p in out.iterdir() if p.name.startswith(TX_PREFIX)], "staging folder left behind"
        assert sorted(p.name for p in out.iterdir()) == names
    return states


def test_killed_aggregate_leaves_old_or_new_set(tmp_path):
    states = _interrupt(tmp_path, 20_000, kills=5, pause=0.25, seed=1)
    assert set(states) <= {"old", "new"}


@pytest.mark.slow
def test_killed_aggregate_on_millions_of_answers(tmp_path):
    states = _interrupt(tmp_path, 2_000_000, kills=12, pause=0.3, seed=2)
    assert set(states) <= {"old", "new"}


def test_every_moment_of_the_commit_in_process(tmp_path, monkeypatch):
    """Fail at each rename of the commit in turn: an exception rolls back to the old set;
    a "kill" (the process stopping there, simulated by leaving the staging folder as it is)
    is finished by recover() into the new set once COMMIT exists, else dropped."""
    import crowdkit_core.result_set as rs

    names = ["a.npy", "a.details.json", "a.provenance.json"]
    real_replace = os.replace
    for fail_at in range(1, 8):
        for mode in ("exception", "kill"):
            out = tmp_path / f"{mode}{fail_at}"
            out.mkdir()
            for n in names:
                (out / n).write_bytes(OLD)
            calls = {"n": 0}

            class Stop(BaseException):
                pass

            def replace(src, dst, _fail_at=fail_at):
                calls["n"] += 1
                if calls["n"] == _fail_at:
                    raise Stop if mode == "kill" else OSError("disk full")
                real_replace(src, dst)

            monkeypatch.setattr(rs.os, "replace", replace)
            monkeypatch.setattr(rs, "_roll_back", rs._roll_back if mode == "exception" else lambda *a: None)
            monkeypatch.setattr(rs.shutil, "rmtree", rs.shutil.rmtree if mode == "exception" else lambda *a, **k: None)
            with pytest.raises((Stop, OSError)):
                commit_files({out / n: f"new {n}".encode() for n in names})
            monkeypatch.undo()
            recover(out)
            contents = {(out / n).read_bytes() for n in names}
            assert contents == {OLD} or contents == {f"new {n}".encode() for n in names}, (mode, fail_at, contents)
            if mode == "exception":
                assert contents == {OLD}
            assert sorted(p.name for p in out.iterdir()) == sorted(names)


def test_recover_leaves_a_live_transaction_alone(tmp_path):
    import fcntl

    tx = tmp_path / f"{TX_PREFIX}live"
    tx.mkdir()
    fd = os.open(tx / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    child = subprocess.run([sys.executable, "-c", f"from crowdkit_core.result_set import recover; print(len(recover({str(tmp_path)!r})))"],
                           capture_output=True, text=True, check=True)
    assert child.stdout.strip() == "0" and tx.exists()
    os.close(fd)
    assert recover(tmp_path) == [tx] and not tx.exists()
