"""``crowd report``: a self-contained, deterministic HTML page built on identify and evaluate."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from _report_data import make_image_dataset

pytest.importorskip("matplotlib")

FIGURES = {"class_balance", "workload", "confusion_matrices", "worker_ranking", "entropy"}


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory) -> Path:
    return make_image_dataset(tmp_path_factory.mktemp("report") / "tinyimages")


@pytest.fixture(scope="module")
def image_report(image_folder):
    from crowdkit_core.report import build_report

    return build_report(image_folder, max_workers=4)


@pytest.fixture(scope="module")
def labelme_report():
    from crowdkit_core.report import build_report

    return build_report("bundled:labelme")


def _attributes(html: str, name: str) -> list[str]:
    return re.findall(rf'\b{name}="([^"]*)"', html)


@pytest.mark.parametrize("which", ["labelme_report", "image_report"])
def test_page_is_self_contained(which, request):
    html = request.getfixturevalue(which).html
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    for value in _attributes(html, "src") + _attributes(html, "href"):
        assert not re.match(r"(https?:)?//", value), value
    sources = _attributes(html, "src")
    assert sources and all(s.startswith("data:image/") for s in sources)
    assert re.search(r"url\(", html) is None
    assert "default-src 'none'" in html  # the browser may fetch nothing else


def test_answer_only_dataset_with_gold_has_every_figure_and_the_comparison(labelme_report):
    report = labelme_report
    assert set(report.figures) == FIGURES | {"strategies"}
    for name, png in report.figures.items():
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), name
        assert b"Software" not in png and b"matplotlib" not in png.lower()
        assert f'id="fig-{name}"' in report.html
    assert 'class="task"' not in report.html  # no images in this dataset
    assert "Showing the 36 workers with most answers of 59" in report.html
    for spec in ("MV", "Wawa", "DS", "MACE"):
        assert f"<td>{spec}</td>" in report.html


def test_comparison_shows_what_evaluate_computes(labelme_report):
    from crowdkit_core.evaluation import evaluate

    expected = evaluate(["bundled:labelme"], "MV,Wawa,DS,MACE").datasets[0]
    shown = labelme_report.data.comparison
    assert [r.spec for r in shown.ranked()] == [r.spec for r in expected.ranked()]
    for run, ref in zip(shown.runs, expected.runs):
        assert run.scores.accuracy == ref.scores.accuracy
        assert f"{run.scores.accuracy:.3f}" in labelme_report.html
    ds = next(r for r in shown.runs if r.spec == "DS")
    assert round(ds.scores.accuracy, 3) == 0.797  # peerannot's published DS on labelme


def test_worker_and_task_views_come_from_identify(labelme_report):
    from crowdkit_core.identify_job import identify

    data = labelme_report.data
    spam = identify("bundled:labelme", "spam_score[on=DS]")
    entropy = identify("bundled:labelme", "entropy")
    np.testing.assert_array_equal(data.workers.spam, spam.scores)
    np.testing.assert_array_equal(data.tasks.entropy, entropy.model.entropies_)
    largest = data.workers.largest(36)
    assert (np.diff(data.workers.answers[largest]) <= 0).all()
    first = entropy.ids[entropy.model.ranking()[0]]
    assert f"<td>{first}</td>" in labelme_report.html


def test_image_dataset_inlines_the_ambiguous_tasks_images(image_report):
    report = image_report
    assert set(report.figures) == FIGURES  # no gold: no comparison figure
    images = re.findall(r'<img class="task" src="(data:image/png;base64,[^"]+)"', report.html)
    assert len(images) == 12  # --top-tasks default, every listed task has its file
    assert "no gold labels" in report.html
    assert "Showing the 4 workers with most answers of 5" in report.html
    # the spammer (always 'cat') is ranked least reliable
    worst = report.data.workers.least_reliable(1)[0]
    assert report.data.workers.ids[worst] == "4"


def test_same_input_same_bytes(image_folder, image_report, tmp_path, cli):
    """A second build (through the CLI) gives the fixture's bytes, page and figures."""
    result = cli("report", str(image_folder), "--max-workers", "4", "-o", str(tmp_path / "a.html"),
                 "--png", str(tmp_path / "png"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.html").read_text() == image_report.html
    assert {p.stem for p in (tmp_path / "png").iterdir()} == FIGURES
    assert (tmp_path / "png" / "entropy.png").read_bytes() == image_report.figures["entropy"]


def test_gold_file_adds_the_comparison_and_no_compare_removes_it(image_folder, tmp_path, cli):
    truth = make_image_dataset(tmp_path / "withgold", truth=True) / "truth.csv"
    out = tmp_path / "gold.html"
    result = cli("report", str(image_folder), "--gold", str(truth), "-s", "MV,DS", "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert 'id="fig-strategies"' in html and "<td>MV</td>" in html and "<td>gold</td>" not in html
    assert "<th>gold</th>" in html
    result = cli("report", str(truth.parent), "--no-compare", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert 'id="fig-strategies"' not in out.read_text()


def test_default_output_path(image_folder, tmp_path, monkeypatch, cli):
    from crowdkit_core.report import report_path

    assert report_path(None, str(image_folder)) == image_folder / "report.html"
    assert report_path(None, str(image_folder / "answers.json")) == image_folder / "report.html"
    assert report_path(None, "bundled:labelme") == Path("report.html")
    monkeypatch.chdir(tmp_path)
    result = cli("report", str(image_folder), "--json", "--no-compare")
    assert result.exit_code == 0, result.output
    assert (image_folder / "report.html").is_file()
    assert '"html"' in result.stdout


@pytest.mark.parametrize("args, message", [
    (["-s", "NoSuchStrategy"], "NoSuchStrategy"),
    (["-s", "MV"], "no gold labels"),
    (["--gold", "missing.csv"], "gold file not found"),
    (["--on", "MV"], "has no per-worker confusion matrices"),
    (["--max-workers", "0"], "--max-workers 0: give at least 1"),
    (["--time-limit", "0"], "--time-limit 0"),
])
def test_bad_input_is_one_line_and_writes_nothing(args, message, image_folder, tmp_path, cli):
    out = tmp_path / "r.html"
    result = cli("report", str(image_folder), *args, "-o", str(out), "--png", str(tmp_path / "png"))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error:") and message in lines[0], lines
    assert all(line.startswith("  ") for line in lines[1:]), lines  # a spec's caret display
    assert "Traceback" not in result.output
    assert not out.exists() and not (tmp_path / "png").exists()


def test_png_folder_that_is_a_file_writes_nothing(image_folder, tmp_path, cli):
    (tmp_path / "taken").write_text("x")
    result = cli("report", str(image_folder), "--no-compare", "-o", str(tmp_path / "r.html"),
                 "--png", str(tmp_path / "taken"))
    assert result.exit_code == 2 and "give --png a folder" in result.stderr
    assert not (tmp_path / "r.html").exists()


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


def test_without_matplotlib_the_error_says_what_to_install(image_folder, tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from crowdkit_core.cli.app import main; sys.argv = ['crowd', 'report', *sys.argv[1:]]\n"
            "main()")
    done = _run(code, str(image_folder), "-o", str(tmp_path / "r.html"))
    assert done.returncode == 2
    assert done.stderr.strip() == ("Error: crowd report needs matplotlib: "
                                   "pip install 'crowdkit-core[report]'")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("argv", [["--help"], ["report", "--help"],
                                  ["aggregate", "bundled:labelme", "-s", "MV", "-o", "{out}"]])
def test_help_and_aggregate_never_import_matplotlib(argv, tmp_path):
    code = ("import sys; from crowdkit_core.cli.app import main\n"
            "sys.argv = ['crowd', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print('matplotlib' in sys.modules, file=sys.stderr)")
    done = _run(code, *[a.format(out=tmp_path) for a in argv])
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr


def test_real_dataset_report_numbers(shared_data):
    """On the shared labelme copy (answers.csv, truth.csv): the published accuracies."""
    from crowdkit_core.dataset import load_dataset
    from crowdkit_core.report.data import gather

    numbers = gather(load_dataset(shared_data / "labelme"), specs=["MV", "DS"], images=False)
    accuracy = {r.spec: round(r.scores.accuracy, 3) for r in numbers.comparison.runs}
    assert accuracy == {"MV": 0.767, "DS": 0.797}  # peerannot: MV .766 (random ties), DS .797
    assert numbers.workers.confusion.shape == (59, 8, 8)
    assert np.allclose(numbers.workers.confusion.sum(axis=2), 1.0)


# -- a real headless browser (Debian's Chromium through chromedriver, see tests/_browser.py) --
def _page_problems(browser, path: Path) -> tuple[list[str], int]:
    """(problems seen by the browser on the page at ``path``, number of images checked)."""
    from _browser import IMAGE_CHECK

    browser.open(path)
    images = browser.run(IMAGE_CHECK)
    problems = [f"console {e['level']}: {e['message']}" for e in browser.console()
                if e["level"] in ("SEVERE", "WARNING")]
    for img in images:
        if not (img["complete"] and img["naturalWidth"] > 0 and img["width"] > 0
                and img["height"] > 0 and img["visible"]):
            problems.append(f"image {img['alt']!r} not shown: {img}")
    return problems, len(images)


def _colours(png: bytes) -> tuple[int, float, set[tuple[int, int, int]]]:
    """(distinct colours, share of pixels off the page background, the colours) of a PNG."""
    import io

    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    distinct = {tuple(c) for c in np.unique(pixels, axis=0).tolist()}
    background = (pixels == [250, 250, 250]).all(axis=1) | (pixels == 255).all(axis=1)
    return len(distinct), float(1 - background.mean()), distinct


@pytest.fixture(scope="module")
def browser():
    from _browser import Browser, browser_missing

    why = browser_missing()
    if why:
        pytest.skip(f"browser test skipped: {why}")
    with Browser(width=1280, height=1600) as session:
        yield session


@pytest.mark.browser
def test_report_opens_cleanly_in_chromium(browser, labelme_report, image_report, tmp_path):
    for name, report in (("labelme", labelme_report), ("tinyimages", image_report)):
        path = tmp_path / f"{name}.html"
        path.write_text(report.html)
        problems, n_images = _page_problems(browser, path)
        assert problems == [], (name, problems)
        assert n_images == report.html.count("<img ")
    assert n_images == len(FIGURES) + 12  # the image dataset: figures and the task images
    browser.open(tmp_path / "labelme.html")
    shot = browser.screenshot()
    distinct, drawn, colours = _colours(shot)
    assert distinct > 200 and drawn > 0.1, (distinct, drawn)
    assert (36, 71, 107) in colours  # the header's blue
    assert (59, 117, 175) in colours  # the bars of the class-balance figure


@pytest.mark.browser
def test_browser_check_catches_a_broken_page(browser, tmp_path):
    """The checks above can fail: a corrupt image and a script error are both reported."""
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><html><body><img alt="corrupt" '
                      'src="data:image/png;base64,iVBORw0KGgoAAAA"><script>undefinedCall();'
                      "</script></body></html>")
    problems, _ = _page_problems(browser, broken)
    assert any("corrupt" in p for p in problems) and any("undefinedCall" in p for p in problems)
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body style='background:#fafafa'></body></html>")
    browser.open(blank)
    distinct, drawn, _ = _colours(browser.screenshot())
    assert distinct <= 2 and drawn == 0.0
