"""Installer of the Kerttu bird-sound validations (Zenodo record 7030863).

The user downloads the record's archive by hand (its file names could not be verified, so
no URL is hard-coded) and passes it with ``--from``; the two tables peerannot reads are
taken from it. Unlike peerannot, task and worker indices follow the sorted ids (peerannot
numbers them in ``set()`` order, which changes between runs for string ids) and expert truth
is looked up by user id (peerannot indexes the expert flags by row of users.tsv but looks
them up with its set-order worker numbers, so truth can come from the wrong users).

Layout::

    answers.json   {task: {worker: class}}, every validation (experts' included)
    truth.csv      majority class of each task's expert answers (ties left out)
    tasks.csv      task,candidate_id       workers.csv   worker,user_id,expert
    metadata.json  label_names = the annotation codes in class order
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import ClassVar

from crowdkit_core.install.layout import write_answers, write_metadata, write_truth
from crowdkit_core.installers import DatasetCard, DatasetInstaller, InstallerOption

from crowdkit_datasets.audio.bird_tables import ANNOTATIONS, USERS, read_bird_data
from crowdkit_datasets.audio.members import locate, read_members
from crowdkit_datasets.audio.tables import write_rows

RECORD = "https://zenodo.org/records/7030863"
EXPECTED = f"the archive of {RECORD} holding {ANNOTATIONS} and {USERS}"
CITATION = ("P. Lehikoinen, M. Rannisto, U. Camargo, A. Aintila, P. Lauha, E. Piirainen, "
            "P. Somervuo, O. Ovaskainen. A Successful Crowdsourcing Approach for Bird Sound "
            "Classification. Citizen Science: Theory and Practice, 2023 (doi:10.5334/cstp.556); "
            f"data: Zenodo record 7030863 ({RECORD}).")


class BirdAudioInstaller(DatasetInstaller):
    """Binary validations of candidate bird vocalizations by Finnish birdwatchers."""

    card: ClassVar[DatasetCard] = DatasetCard(
        title="Bird sounds: Kerttu citizen-science validations of candidate vocalizations",
        kind="answers",
        # Only K is known (peerannot's metadata.json: n_classes 2, and 206 rows of users);
        # the record's counts could not be read here.
        n_tasks=None, n_workers=None, n_answers=None, n_classes=2,
        download_size=None,
        license="not verified",
        license_notes=f"not verified here: see {RECORD}",
        citation=CITATION,
        homepage=RECORD,
        manual=True,
        manual_instructions=(
            f"Open {RECORD}, download the record's archive (the one holding "
            f"{ANNOTATIONS} and {USERS}) and pass it, unchanged, with --from."),
        notes="Answers only (no audio). Truth = majority of the expert users' answers "
              "(birdwatching_activity_level >= --expert-level, default 4); ids numbered in "
              "sorted order.",
    )
    options: ClassVar[tuple[InstallerOption, ...]] = (
        InstallerOption("expert-level", "users whose birdwatching_activity_level is at least "
                        "this are experts (4: bird researcher or professional, as peerannot)",
                        default="4", choices=("1", "2", "3", "4")),
    )

    def check_manual_file(self, path: Path) -> None:
        locate(path, {"annotations": ANNOTATIONS, "users": USERS}, EXPECTED)

    def build(self, ctx) -> None:
        names = locate(ctx.from_file, {"annotations": ANNOTATIONS, "users": USERS}, EXPECTED)
        content = read_members(ctx.from_file, names)
        paths = {}
        for key, data in content.items():
            paths[key] = Path(tempfile.mkstemp(dir=ctx.scratch, suffix=f"-{key}.tsv")[1])
            paths[key].write_bytes(data)
        data = read_bird_data(paths["annotations"], paths["users"], int(ctx.options.get("expert-level", "4")))
        write_answers(ctx.folder, data.answers)
        write_truth(ctx.folder, sorted(data.truth.items()))
        write_rows(ctx.folder / "tasks.csv", ("task", "candidate_id"),
                   sorted((i, c) for c, i in data.tasks.items()))
        write_rows(ctx.folder / "workers.csv", ("worker", "user_id", "expert"),
                   sorted((i, u, int(u in data.experts)) for u, i in data.workers.items()))
        n_answers = sum(len(a) for a in data.answers.values())
        write_metadata(
            ctx.folder, name="bird_audio", n_classes=len(data.codes), label_names=data.codes,
            n_tasks=len(data.tasks), n_workers=len(data.workers), n_answers=n_answers,
            license=self.card.license, citation=CITATION,
            expert_level=int(ctx.options.get("expert-level", "4")),
            n_experts=len({u for u in data.experts if u in data.workers}),
            n_truth=len(data.truth), expert_ties_without_truth=data.expert_ties,
            repeated_answers_replaced_by_the_last=data.repeated,
        )
