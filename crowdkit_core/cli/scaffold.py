"""``crowd new-plugin``: parse the options, call :func:`crowdkit_core.scaffold.generate_plugin`,
say what was written and what to do next."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from crowdkit_core.cli.common import handle_user_errors, print_json, stdout


@handle_user_errors
def new_plugin(
    name: Annotated[str, typer.Argument(help="Plugin name: letters and digits, words joined by '-' or '_' (my-vote); the distribution is crowdkit-NAME.")],
    kind: Annotated[str, typer.Option("--kind", help="What the plugin provides: aggregation (a strategy for `crowd aggregate`), identification (a method for `crowd identify`) or dataset (an installer for `crowd install`).")] = "aggregation",
    directory: Annotated[Optional[Path], typer.Option("--dir", help="Folder to create (default ./crowdkit-NAME); an existing non-empty one needs --force.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into an existing non-empty folder, overwriting the generated files (other files are kept).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Generate a new plugin distribution: pyproject.toml with the entry point, a light
    registration module, a parameters model, a skeleton that reports 'not implemented yet'
    until written, a README and tests running crowdkit's conformance kit."""
    from crowdkit_core.scaffold import generate_plugin

    result = generate_plugin(name, kind, directory, force=force)
    if as_json:
        print_json(result.as_dict())
        return
    names = result.names
    stdout.print(f"Wrote {names.distribution} ({names.kind}: {names.registered_name}) in "
                 f"{result.folder}:", markup=False)
    for path in result.files:
        stdout.print(f"  {path}", markup=False)
    method = "build" if names.kind == "dataset" else "_fit"
    stdout.print(f"Next: write {method} in {names.package}/{names.module}.py, then "
                 f"`cd {result.folder} && pip install -e . && pytest` (see its README.md).",
                 markup=False)
