"""Smoke test of benchmarks/accuracy.py, so the benchmark scripts do not rot.

The benchmarks themselves are not tests; this runs the accuracy script on one small real
dataset with MV only and checks the table it writes against MV computed directly.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATASET = "wsd"


def test_accuracy_script_writes_the_mv_row(shared_data: Path, tmp_path: Path) -> None:
    from crowdkit_classic.majority_vote import MajorityVote
    from crowdkit_core.dataset import load_dataset

    output = tmp_path / "accuracy.md"
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "accuracy.py"), "--strategies", "MV,MV[ties=lowest]",
         "--datasets", DATASET, "--data-root", str(shared_data), "--output", str(output)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    text = output.read_text()
    assert f"| strategy | {DATASET} |" in text

    data = load_dataset(shared_data / DATASET)
    mask = data.gold >= 0
    for spec, ties in (("MV", "random"), ("MV[ties=lowest]", "lowest")):
        match = re.search(rf"^\| {re.escape(spec)} \| ([0-9.]+) \|$", text, re.M)
        assert match, f"no accuracy row for {spec} in:\n{text}"
        labels = MajorityVote(ties=ties).fit(data).labels_
        expected = (labels[mask] == data.gold[mask]).mean()
        assert float(match.group(1)) == round(float(expected), 3)
    assert "## Fit time" in text


def test_glad_trajectory_script_matches_fits_stopped_early(shared_data: Path) -> None:
    """benchmarks/glad_trajectory.py (ours only): row m is GLAD stopped after m M-steps."""
    from crowdkit_classic.glad import GLAD
    from crowdkit_core.dataset import load_dataset

    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "glad_trajectory.py"), "--dataset", "temp",
         "--iters", "3", "--no-crowdkit", "--no-write", "--data-root", str(shared_data)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = dict(re.findall(r"^\| (\d+) \| ([0-9.]+) \| – \|$", proc.stdout, re.M))
    assert sorted(rows) == ["0", "1", "2", "3"], proc.stdout
    data = load_dataset(shared_data / "temp")
    mask = data.gold >= 0
    for m in (1, 3):
        labels = GLAD(max_iter=m, tol=0, ties="lowest").fit(data).labels_
        assert float(rows[str(m)]) == round(float((labels[mask] == data.gold[mask]).mean()), 4)
    assert "Ours with defaults" in proc.stdout
