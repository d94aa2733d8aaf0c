"""Attaches completion to the ``crowd`` command tree: every strategy-like option and dataset
argument, found by walking the built click commands (plugins' commands included), so no
option declaration has to name a completer."""

from __future__ import annotations

from typing import Any, Callable

from crowdkit_core.registry import KINDS

#: Parameters (by their Python name) whose values are strategy specs.
SPEC_PARAMS = frozenset({"strategy", "strategies", "method"})
#: Parameters whose values are dataset arguments (folders, files, PREFIX:NAME, installed names).
DATASET_PARAMS = frozenset({"dataset", "datasets"})
#: (command path, parameter) pairs taking a registered installer's name.
INSTALLER_PARAMS = frozenset({("install", "name"), ("datasets info", "name")})
#: (command path, parameter) pairs that look like specs but are not: simulate's -s is a
#: worker model.
NOT_SPECS = frozenset({("simulate", "strategy")})
#: (command path, parameter) pairs taking a spec that SPEC_PARAMS does not name.
EXTRA_SPECS = {("train", "labels"): "aggregation", ("report", "confusion_on"): "aggregation"}
#: The strategy kind each command runs: from the registry's kinds, plus the commands that run
#: aggregation or trainer strategies under another name; other commands complete every kind.
COMMAND_KINDS: dict[str, str] = {
    **{command.split()[-1]: kind for kind, (_, command) in KINDS.items()},
    "evaluate": "aggregation", "report": "aggregation", "aggregate-deep": "trainer",
}

Completer = Callable[[Any, Any, str], list[Any]]


def attach_completion(command: Any, names: Callable[[], dict[str, Any]],
                      installed: Callable[[], list[str]]) -> int:
    """Give each strategy, dataset and installer parameter of ``command`` and its
    subcommands a completer reading ``names()`` (the cached names) and ``installed()`` (the
    installed datasets); parameters that complete already (choices, own completers) are
    left alone. Returns how many parameters got one."""
    count = 0
    for name, param in _walk(command, ()):
        completer = _completer(name, param, names, installed)
        if completer is None or getattr(param, "_custom_shell_complete", None) is not None:
            continue
        if getattr(getattr(param, "type_descriptor", None), "is_choice", False):
            continue
        param._custom_shell_complete = completer
        count += 1
    return count


def _walk(command: Any, path: tuple[str, ...]) -> Any:
    """(command path such as ``"datasets info"``, parameter) for every parameter of
    ``command`` and its subcommands."""
    for param in getattr(command, "params", []):
        yield " ".join(path), param
    for sub_name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, (*path, sub_name))


def _completer(command: str, param: Any, names: Callable[[], dict[str, Any]],
               installed: Callable[[], list[str]]) -> Completer | None:
    """The completer of one parameter, or None when it takes no name crowdkit knows."""
    from crowdkit_core.completion import complete

    key = (command, param.name)
    if key in NOT_SPECS:
        return None
    if key in EXTRA_SPECS or param.name in SPEC_PARAMS:
        kind = EXTRA_SPECS.get(key) or COMMAND_KINDS.get(command)
        return _items(lambda typed: complete.spec_items(names(), typed, kind))
    if key in INSTALLER_PARAMS:
        return _items(lambda typed: complete.installer_items(names(), typed))
    if param.name in DATASET_PARAMS:
        return _items(lambda typed: complete.dataset_items(names(), typed, installed()))
    return None


def _items(compute: Callable[[str], list[tuple[str, str]]]) -> Completer:
    """A click ``shell_complete`` callback from a function of the typed text."""
    def callback(ctx: Any, param: Any, incomplete: str) -> list[Any]:
        from crowdkit_core.completion.shells import completion_item

        return [completion_item(value, text) for value, text in compute(incomplete)]

    return callback



class _RawText:
    """Stands in for Typer's runtime coercion of a parameter during completion: completion
    only parses the words to find the parameter being typed, and Typer builds each coercion
    from a pydantic TypeAdapter, which would import pydantic on every keystroke."""

    def coerce(self, value: Any, param: Any = None, ctx: Any = None) -> Any:
        return value


def skip_coercion() -> None:
    """In a completion process only: every Typer parameter (``--help`` too, which click
    creates on the fly) keeps the words as typed. Typer releases without runtime coercion
    (they use click's types, no pydantic) are left as they are."""
    try:
        from typer.core import _TyperParameter  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - older Typer
        return
    if hasattr(_TyperParameter, "get_runtime_param"):
        raw = _RawText()
        _TyperParameter.get_runtime_param = lambda self: raw  # type: ignore[method-assign]
