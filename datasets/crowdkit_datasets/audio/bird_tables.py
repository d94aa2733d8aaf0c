"""The Kerttu bird-sound validations of Zenodo record 7030863, as peerannot reads them.

``bird_sound_training_data/letters/annotations.tsv`` holds one row per validation
(``candidate_id``: the candidate vocalization, ``user_id``, ``annotation``: an integer code);
``bird_sound_training_data/users.tsv`` holds one row per user with the self-declared
``birdwatching_activity_level`` (1 to 4; 4 = bird researcher or professional birdwatcher,
the users peerannot takes as experts). The level may be a number or an enum name ending in
the number (``MA.birdwatchingActivityLevelEnum4``); both are read.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from crowdkit_core.errors import DatasetError

from crowdkit_datasets.audio.tables import numbering, read_rows, sort_key

ANNOTATIONS = "bird_sound_training_data/letters/annotations.tsv"
USERS = "bird_sound_training_data/users.tsv"
_LEVEL = re.compile(r"(\d+)\s*$")


@dataclass(frozen=True)
class BirdData:
    """Everything the installer writes, numbered deterministically."""

    tasks: dict[str, int]            # candidate_id -> task index (sorted ids)
    workers: dict[str, int]          # user_id -> worker index (sorted ids of users who answered)
    codes: list[str]                 # annotation code of each class index (sorted numerically)
    answers: dict[int, dict[int, int]]
    experts: set[str]                # user ids at the expert level
    truth: dict[int, int]            # task -> majority class of its experts' answers
    expert_ties: int                 # tasks whose experts split evenly (no truth written)
    repeated: int                    # (task, user) pairs answered again (the last answer kept)


def _level(value: str, path: Path, line: int) -> int:
    match = _LEVEL.search(value)
    if match is None:
        raise DatasetError(f"{path}: line {line}: birdwatching_activity_level {value!r} is not "
                           "a level 1-4; the file is not the expected release")
    return int(match.group(1))


def read_bird_data(annotations: Path, users: Path, expert_level: int) -> BirdData:
    """Parse both tables; expert truth is looked up by user id, never by row position."""
    rows = read_rows(annotations, ("candidate_id", "user_id", "annotation"), delimiter="\t")
    for line, row in enumerate(rows, start=2):
        if not row["annotation"].lstrip("-").isdigit():
            raise DatasetError(f"{annotations}: line {line}: annotation {row['annotation']!r} is "
                               "not an integer code; the file is not the expected release")
    user_rows = read_rows(users, ("user_id", "birdwatching_activity_level"), delimiter="\t")
    experts = {r["user_id"] for line, r in enumerate(user_rows, start=2)
               if r["birdwatching_activity_level"]
               and _level(r["birdwatching_activity_level"], users, line) >= expert_level}
    tasks = numbering(r["candidate_id"] for r in rows)
    workers = numbering(r["user_id"] for r in rows)
    codes = sorted({r["annotation"] for r in rows}, key=sort_key)
    code_index = {c: i for i, c in enumerate(codes)}
    answers: dict[int, dict[int, int]] = {}
    by_experts: dict[int, Counter[int]] = {}
    repeated = 0
    for row in rows:
        task, worker, label = tasks[row["candidate_id"]], workers[row["user_id"]], code_index[row["annotation"]]
        repeated += worker in answers.setdefault(task, {})
        answers[task][worker] = label
    expert_workers = {workers[u] for u in experts if u in workers}
    for task, given in answers.items():
        votes = Counter(label for worker, label in given.items() if worker in expert_workers)
        if votes:
            by_experts[task] = votes
    truth: dict[int, int] = {}
    ties = 0
    for task, votes in by_experts.items():
        (best, n), *rest = votes.most_common()
        if rest and rest[0][1] == n:
            ties += 1
        else:
            truth[task] = best
    return BirdData(tasks, workers, codes, answers, experts, truth, ties, repeated)
