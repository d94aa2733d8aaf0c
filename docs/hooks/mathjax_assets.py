"""MkDocs hook: serve MathJax from the site itself, so equations render offline.

The ``$...$`` equations of the pages go through ``pymdownx.arithmatex`` (generic mode) and are
typeset by MathJax 3. Its files come from the ``django-static-mathjax`` wheel (plain static
files, no Django needed; in the ``docs`` extra): this hook copies the one combined script
``tex-chtml.js`` and its web fonts into ``site/assets/mathjax/`` with the same relative
layout, so no page depends on a CDN.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

DEST = "assets/mathjax"
SCRIPT = "es5/tex-chtml.js"
FONTS = "es5/output/chtml/fonts/woff-v2"


def mathjax_root() -> Path:
    """The ``mathjax/static/mathjax`` folder of the installed wheel."""
    spec = importlib.util.find_spec("mathjax")
    root = Path(spec.origin).parent / "static" / "mathjax" if spec and spec.origin else None
    if root is None or not (root / SCRIPT).is_file():
        raise PluginError("MathJax files not found: pip install -e '.[docs]' "
                          "(it brings django-static-mathjax)")
    return root


def mathjax_files(root: Path) -> list[str]:
    """Paths, relative to ``root``, of what the pages load: the script, its fonts, the licence."""
    fonts = sorted(p.relative_to(root).as_posix() for p in (root / FONTS).glob("*.woff"))
    licence = [name for name in ("LICENSE",) if (root / name).is_file()]
    return [SCRIPT, *fonts, *licence]


def on_files(files: Files, config) -> Files:
    """Add MathJax's files to the site (``es5/X`` is published as ``assets/mathjax/X``)."""
    root = mathjax_root()
    for path in mathjax_files(root):
        dest = f"{DEST}/{path.removeprefix('es5/')}"
        files.append(File(path, str(root), config["site_dir"], config["use_directory_urls"],
                          dest_uri=dest))
    return files
