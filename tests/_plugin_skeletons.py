"""Helpers of the ``crowd new-plugin`` tests: generate a plugin and write the body a plugin
author would write in its skeleton (small but real implementations of each kind)."""

from __future__ import annotations

from pathlib import Path

from crowdkit_core.scaffold import GeneratedPlugin, generate_plugin

#: Per kind: (file under the package, the method body replacing the skeleton's raise).
BODIES = {
    "aggregation": ("strategy.py", """\
        counts = dataset.vote_counts + self.params.smoothing
        self.proba_ = counts / counts.sum(axis=1, keepdims=True)
"""),
    "identification": ("method.py", """\
        import numpy as np

        majority = dataset.vote_counts.argmax(axis=1)
        agree = dataset.labels == majority[dataset.tasks]
        hits = np.bincount(dataset.workers, weights=agree, minlength=dataset.n_workers)
        total = np.bincount(dataset.workers, minlength=dataset.n_workers)
        self.scores_ = (hits + self.params.smoothing) / (total + 2 * self.params.smoothing)
"""),
    "dataset": ("installer.py", """\
        import csv

        from crowdkit_core.install.layout import write_answers, write_metadata

        with open(ctx.fetch(self.files[0]), newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        names = sorted({row["label"] for row in rows})
        answers: dict = {}
        for row in rows:
            answers.setdefault(row["task"], {})[row["worker"]] = names.index(row["label"])
        write_answers(ctx.folder, answers)
        write_metadata(ctx.folder, name="%(name)s", n_classes=len(names), label_names=names)
"""),
}


def generate(name: str, kind: str, parent: Path) -> GeneratedPlugin:
    """``crowd new-plugin NAME --kind KIND`` into ``parent/crowdkit-NAME``, names unchecked
    against the installed plugins (tests may reuse a name)."""
    return generate_plugin(name, kind, parent / f"crowdkit-{name}", taken=lambda names: None)


def skeleton_path(plugin: GeneratedPlugin) -> Path:
    """The file holding the class the author writes."""
    return plugin.folder / plugin.names.package / BODIES[plugin.names.kind][0]


def implement(plugin: GeneratedPlugin) -> Path:
    """Replace the skeleton's ``raise NotImplementedYet(...)`` line by a real body."""
    path = skeleton_path(plugin)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    [index] = [i for i, line in enumerate(lines) if "raise NotImplementedYet(" in line]
    body = BODIES[plugin.names.kind][1] % {"name": plugin.names.registered_name}
    lines[index:index + 1] = [body]
    path.write_text("".join(lines), encoding="utf-8")
    return path
