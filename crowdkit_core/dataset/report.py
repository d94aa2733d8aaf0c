"""What ``crowd validate`` reports about a dataset: its statistics and the problems worth a
warning, as one JSON-ready dict that Python users get too."""

from __future__ import annotations

from typing import Any

from crowdkit_core.dataset.model import CrowdDataset


def dataset_report(data: CrowdDataset) -> dict[str, Any]:
    """Statistics (:meth:`CrowdDataset.statistics`) plus ``warnings`` (the dataset's own, single-
    answer workers, unused classes) and ``source``."""
    report = data.statistics()
    problems = list(data.warnings)
    single = int((data.answers_per_worker == 1).sum())
    if single:
        problems.append(f"{single} workers gave a single answer (their confusion matrices are "
                        "poorly estimated)")
    unused = [name for name, count in report["class_balance"].items() if count == 0]
    if unused:
        problems.append(f"classes never used in any answer: {', '.join(unused)}")
    report["warnings"] = problems
    report["source"] = data.source
    return report
