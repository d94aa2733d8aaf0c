"""The seeded, stratified validation split of the music training songs.

peerannot copies the test songs into ``val/``, so model selection sees the test set. Here
val is drawn from the crowd-labelled training songs instead: within each gold class the
songs are ordered by ``sha256("<seed>:<song id>")`` and the first ``round(fraction * n)``
(at least one when the fraction is positive and the class has two songs or more) go to val.
Hashing rather than a random generator keeps the split identical across Python and numpy
versions; stratifying keeps every class in val, which ImageFolder needs to index classes
the same way in every split.
"""

from __future__ import annotations

import hashlib

from crowdkit_core.errors import DatasetError


def parse_fraction(value: str | bool | None) -> float:
    """The ``--val-fraction`` option as a float in [0, 0.5]."""
    try:
        fraction = float(str(value))
    except ValueError:
        fraction = -1.0
    if not 0.0 <= fraction <= 0.5:
        raise DatasetError(f"music: --val-fraction {value!r} is not a number between 0 and 0.5; "
                           "pass e.g. --val-fraction 0.1")
    return fraction


def _order(seed: int, song: str) -> str:
    return hashlib.sha256(f"{seed}:{song}".encode("utf-8")).hexdigest()


def split_val(labels: dict[str, int], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(train songs, val songs), each sorted by id, split per class as described above."""
    train: list[str] = []
    val: list[str] = []
    for label in sorted(set(labels.values())):
        songs = sorted((s for s, y in labels.items() if y == label), key=lambda s: (_order(seed, s), s))
        n_val = round(fraction * len(songs))
        if fraction > 0 and len(songs) >= 2:
            n_val = min(max(n_val, 1), len(songs) - 1)
        val.extend(songs[:n_val])
        train.extend(songs[n_val:])
    return sorted(train), sorted(val)
