"""The ``crowd`` command line (Typer + rich). Heavy modules are imported inside commands."""
