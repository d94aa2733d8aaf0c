"""``crowd report``: one self-contained HTML page (and PNG figures) to look at a crowd.

::

    from crowdkit_core.report import build_report, write_report
    report = build_report("bundled:labelme")            # specs=None: a small default set
    report.html[:15], sorted(report.figures)            # the page and {name: PNG bytes}
    write_report(report, "labelme.html", png_dir="figures")

:mod:`.data` gathers the numbers from the identify and evaluate jobs, :mod:`.figures` draws
them with matplotlib (the optional ``report`` extra), :mod:`.page` assembles the HTML and
:mod:`.images` inlines the task images of image datasets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from crowdkit_core.errors import CrowdkitError

if TYPE_CHECKING:
    from crowdkit_core.dataset import CrowdDataset
    from crowdkit_core.plugins import PluginRegistry
    from crowdkit_core.report.data import ReportData

__all__ = ["Report", "PNGFigure", "build_report", "write_report", "report_path", "check_destination"]


@dataclass(frozen=True)
class PNGFigure:
    """One figure of a report as PNG bytes; notebooks show it inline (``_repr_png_``)."""

    name: str
    png: bytes

    def _repr_png_(self) -> bytes:
        return self.png


@dataclass
class Report:
    """A built report: the HTML page, its figures as ``{name: PNG bytes}`` and the numbers.

    In a notebook the report shows itself inline (the page in a sandboxed frame, so its
    styles stay its own), and ``report.figure(name)`` shows one figure.
    """

    html: str
    figures: dict[str, bytes]
    data: "ReportData"

    def figure(self, name: str) -> PNGFigure:
        """The figure ``name`` (one of ``figures``), displayable in a notebook."""
        if name not in self.figures:
            raise KeyError(f"no figure {name!r}; figures: {', '.join(self.figures)}")
        return PNGFigure(name, self.figures[name])

    def _repr_html_(self) -> str:
        from html import escape

        return (f'<iframe srcdoc="{escape(self.html, quote=True)}" sandbox="allow-same-origin" '
                'style="width:100%;height:640px;border:1px solid #ccc"></iframe>')


def build_report(
    dataset: "str | os.PathLike[str] | CrowdDataset",
    specs: Sequence[str] | None = None,
    *,
    gold: "str | os.PathLike[str] | None" = None,
    confusion_on: str = "DS",
    max_workers: int = 36,
    top_workers: int = 30,
    top_tasks: int = 12,
    time_limit: float | None = 60.0,
    seed: int | None = None,
    registry: "PluginRegistry | None" = None,
    answers_file: "str | os.PathLike[str] | None" = None,
    metadata_path: "str | os.PathLike[str] | None" = None,
    duplicates: str = "keep",
) -> Report:
    """Build the report of ``dataset`` (a folder, answers file, name or CrowdDataset).

    ``specs``: aggregation strategies compared on the gold labels (None: MV, Wawa, DS and
    MACE when the dataset has gold, else no comparison; ``[]``: none); ``gold``: a gold file
    instead of the dataset's truth file; ``confusion_on``: the strategy whose worker
    confusion matrices are drawn and scored; ``max_workers`` caps the matrix grid (largest
    workers first), ``top_workers`` the ranking and ``top_tasks`` the ambiguous-task list.
    Bad input raises a one-line :class:`CrowdkitError` before anything is drawn.
    """
    from crowdkit_core.dataset import CrowdDataset, load_dataset
    from crowdkit_core.report.data import gather
    from crowdkit_core.report.figures import render, require_matplotlib
    from crowdkit_core.report.page import assemble

    require_matplotlib()
    for name, value in (("--max-workers", max_workers), ("--top-workers", top_workers),
                        ("--top-tasks", top_tasks)):
        if value < 1:
            raise CrowdkitError(f"{name} {value}: give at least 1")
    data = dataset if isinstance(dataset, CrowdDataset) else load_dataset(
        dataset, answers_file=answers_file, metadata_path=metadata_path,
        duplicates=duplicates)  # type: ignore[arg-type]
    numbers = gather(data, specs=specs, gold=gold, confusion_on=confusion_on,
                     time_limit=time_limit, seed=seed, registry=registry, image_tasks=top_tasks)
    figures = render(numbers, max_workers=max_workers, top_workers=top_workers, top_tasks=top_tasks)
    why = ("No strategy comparison: the dataset has no gold labels. Add a truth.csv next to "
           "the answers or pass --gold FILE." if specs is None or list(specs)
           else "No strategy comparison (none asked for).")
    html = assemble(numbers, figures, max_workers=max_workers, top_workers=top_workers,
                    top_tasks=top_tasks, comparison_note=why)
    return Report(html, figures, numbers)


def report_path(output: "str | os.PathLike[str] | None",
                source: "str | os.PathLike[str] | None") -> Path:
    """``output``, else ``report.html`` in the dataset folder named by ``source`` (the folder
    of an answers file named directly), else ``./report.html`` (a name a resolver turned
    into a folder is not the user's to write into)."""
    from crowdkit_core.writers import _names_a_folder

    if output is not None:
        return Path(output)
    if source is not None:
        if _names_a_folder(source):
            return Path(source) / "report.html"
        if Path(source).is_file():
            return Path(source).parent / "report.html"
    return Path("report.html")


def check_destination(output: "str | os.PathLike[str] | None",
                      source: "str | os.PathLike[str] | None",
                      png_dir: "str | os.PathLike[str] | None" = None) -> Path:
    """The page's path, after checking that it and ``png_dir`` can be written (so a bad
    ``-o`` or ``--png`` fails before the work, not after it)."""
    page = report_path(output, source)
    if page.is_dir():
        raise CrowdkitError(f"{page}: is a folder; give -o a file name such as {page / 'report.html'}")
    if png_dir is not None and Path(png_dir).exists() and not Path(png_dir).is_dir():
        raise CrowdkitError(f"{png_dir}: is a file; give --png a folder")
    return page


def write_report(report: Report, output: "str | os.PathLike[str] | None" = None, *,
                 source: "str | os.PathLike[str] | None" = None,
                 png_dir: "str | os.PathLike[str] | None" = None) -> dict[str, str]:
    """Write the page (and, with ``png_dir``, every figure as ``<name>.png``), all files or
    none; return ``{"html": path, <figure name>: path, ...}``."""
    from crowdkit_core.output import write_files_atomically

    page = check_destination(output, source, png_dir)
    files: dict[Path, bytes] = {page: report.html.encode("utf-8")}
    written = {"html": str(page)}
    if png_dir is not None:
        folder = Path(png_dir)
        for name, png in report.figures.items():
            files[folder / f"{name}.png"] = png
            written[name] = str(folder / f"{name}.png")
    write_files_atomically(files)
    return written
