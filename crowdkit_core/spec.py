"""Strategy specs: ``NAME[key=value,...]``, parsed by hand and validated by pydantic.

Grammar (whitespace allowed between tokens)::

    spec   := NAME [ "[" [ param ("," param)* [","] ] "]" ]
    param  := KEY "=" value
    value  := list | quoted | bare
    list   := "[" [ value ("," value)* ] "]"
    quoted := '"' chars '"' | "'" chars "'"      (backslash escapes the next character)
    bare   := one or more characters other than whitespace , [ ] = ' "
    NAME   := letter (letter | digit | "_" | "-")*
    KEY    := (letter | "_") (letter | digit | "_")*

The parser produces raw strings (bare ``none`` becomes ``None``); the strategy's pydantic
parameter model coerces them to their declared types, so ``1e-5`` becomes a float only where a
float is expected and a typo never turns silently into a string.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from crowdkit_core.errors import SpecError

if TYPE_CHECKING:
    from crowdkit_core.params import StrategyParams
    from crowdkit_core.plugins import PluginRegistry
    from crowdkit_core.registry import StrategyInfo

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE_RE = re.compile(r"[^\s,\[\]='\"]+")
_SAFE_BARE_RE = re.compile(r"[^\s,\[\]='\"\\]+")


@dataclass
class ParsedSpec:
    """Result of :func:`parse_spec`: the name and raw values, with their positions."""

    text: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    key_spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    value_spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    name_span: tuple[int, int] = (0, 0)


def caret_message(text: str, span: tuple[int, int], message: str) -> str:
    """``message`` followed by the spec and a ``^~~`` marker under ``span``; a long spec is
    shown as a window of :data:`CARET_WINDOW` characters around the span."""
    start, end = span
    if len(text) > CARET_WINDOW:
        left = max(0, min(start - CARET_WINDOW // 3, len(text) - CARET_WINDOW))
        shown = text[left:left + CARET_WINDOW]
        prefix, suffix = ("..." if left else ""), ("..." if left + CARET_WINDOW < len(text) else "")
        text, start, end = prefix + shown + suffix, start - left + len(prefix), min(end, left + CARET_WINDOW) - left + len(prefix)
    width = max(1, end - start)
    return f"{message}\n  {text}\n  {' ' * start}^{'~' * (width - 1)}"


#: Widest piece of a spec an error shows.
CARET_WINDOW = 72


#: Deepest list nesting a spec value may have (parameters take at most a matrix).
MAX_LIST_DEPTH = 8


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str, start: int | None = None, end: int | None = None) -> SpecError:
        start = self.pos if start is None else start
        end = start + 1 if end is None else end
        return SpecError(caret_message(self.text, (start, end), f"invalid strategy spec: {message}"))

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "end of spec"
            raise self.error(f"expected {char!r} {what}, found {found}")
        self.pos += 1

    def match(self, regex: re.Pattern[str], what: str) -> tuple[str, int, int]:
        self.skip_ws()
        m = regex.match(self.text, self.pos)
        if not m:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "end of spec"
            raise self.error(f"expected {what}, found {found}")
        self.pos = m.end()
        return m.group(0), m.start(), m.end()

    def parse(self) -> ParsedSpec:
        if not self.text.strip():
            raise SpecError("empty strategy spec: give a name such as MV or 'DS[max_iter=50]'")
        name, start, end = self.match(_NAME_RE, "a strategy name")
        spec = ParsedSpec(self.text, name, name_span=(start, end))
        if self.peek() == "[":
            self.pos += 1
            self.parse_params(spec)
        self.skip_ws()
        if self.pos != len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r} after the spec")
        return spec

    def parse_params(self, spec: ParsedSpec) -> None:
        while True:
            if self.peek() == "]":
                self.pos += 1
                return
            key, kstart, kend = self.match(_KEY_RE, "a parameter name")
            if key in spec.params:
                raise self.error(f"parameter {key!r} given twice", kstart, kend)
            self.expect("=", f"after parameter {key!r}")
            self.skip_ws()
            vstart = self.pos
            value = self.parse_value()
            spec.params[key] = value
            spec.key_spans[key] = (kstart, kend)
            spec.value_spans[key] = (vstart, self.pos)
            nxt = self.peek()
            if nxt == ",":
                self.pos += 1
            elif nxt != "]":
                raise self.error("expected ',' or ']' after a parameter value"
                                 if nxt else "missing closing ']'")

    def parse_value(self, depth: int = 0) -> Any:
        char = self.peek()
        if char == "[":
            if depth >= MAX_LIST_DEPTH:  # bounded recursion: no parameter nests lists this deep
                raise self.error(f"lists nested deeper than {MAX_LIST_DEPTH} levels; no parameter "
                                 "takes that, check the brackets")
            self.pos += 1
            items: list[Any] = []
            while True:
                if self.peek() == "]":
                    self.pos += 1
                    return items
                items.append(self.parse_value(depth + 1))
                nxt = self.peek()
                if nxt == ",":
                    self.pos += 1
                elif nxt != "]":
                    raise self.error("expected ',' or ']' in a list" if nxt else "missing closing ']' of a list")
        if char in ("'", '"'):
            return self.parse_quoted(char)
        raw, _, _ = self.match(_BARE_RE, "a value")
        return None if raw.lower() == "none" else raw

    def parse_quoted(self, quote: str) -> str:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == quote:
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.error("unterminated quoted string", start, len(self.text))


def parse_spec(text: str) -> ParsedSpec:
    """Parse ``NAME[key=value,...]`` into a name and raw (untyped) values."""
    return _Parser(text).parse()


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse one ``key=value`` (the ``-p`` option) with the same value grammar as specs."""
    parser = _Parser(text)
    key, _, _ = parser.match(_KEY_RE, "a parameter name")
    parser.expect("=", f"after parameter {key!r}")
    value = parser.parse_value()
    parser.skip_ws()
    if parser.pos != len(text):
        raise parser.error(f"unexpected {text[parser.pos]!r} after the value")
    return key, value


# -- formatting ---------------------------------------------------------------------------
def format_value(value: Any) -> str:
    """Spec text for one value; parsing it back yields a value that validates the same."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    if hasattr(value, "value") and not isinstance(value, str):  # enums
        return format_value(value.value)
    text = str(value)
    if _SAFE_BARE_RE.fullmatch(text) and text.lower() != "none":
        return text
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def canonical_spec(name: str, params: "StrategyParams") -> str:
    """``NAME[k=v,...]`` with only non-default values, in the model's field order."""
    parts = []
    for key, value in params.non_default_items():
        parts.append(f"{key}={format_value(value)}")
    return f"{name}[{','.join(parts)}]" if parts else name


# -- validation ---------------------------------------------------------------------------
def validate_params(
    params_model: type["StrategyParams"],
    values: dict[str, Any],
    parsed: ParsedSpec | None = None,
    owner: str | Callable[[], str] = "",
) -> "StrategyParams":
    """Validate raw values against a strategy's parameter model, with caret errors.

    ``owner`` names the strategy in messages (default: the model's class name); a callable
    is called only when there is a message to write.
    """
    from pydantic import ValidationError

    try:
        return params_model.model_validate(values)
    except ValidationError as exc:
        raise SpecError(_describe_validation_error(params_model, exc, parsed, owner)) from None


def _describe_validation_error(params_model: Any, exc: Any, parsed: ParsedSpec | None,
                               owner: str | Callable[[], str] = "") -> str:
    fields = list(params_model.model_fields)
    messages = []
    first_span = None
    for err in exc.errors():
        key = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(key, fields, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            msg = f"unknown parameter {key!r}: {hint}valid parameters: {', '.join(fields)}"
            span = parsed.key_spans.get(key) if parsed else None
        else:
            loc = ".".join(str(p) for p in err["loc"]) or "parameters"
            given = err.get("input")
            msg = f"parameter {loc}={given!r}: {err['msg']}" if key else err["msg"]
            span = parsed.value_spans.get(key) if parsed else None
        messages.append(msg)
        if first_span is None and span is not None:
            first_span = span
    strategy = (owner() if callable(owner) else owner) or params_model.__name__
    message = f"invalid parameters for {strategy}: " + "; ".join(messages)
    if parsed is not None and first_span is not None:
        return caret_message(parsed.text, first_span, message)
    return message


@dataclass
class ResolvedSpec:
    """A spec bound to an installed strategy with validated parameters."""

    info: "StrategyInfo"
    strategy_class: Any
    params: "StrategyParams"

    @property
    def canonical(self) -> str:
        return canonical_spec(self.info.name, self.params)

    def build(self) -> Any:
        """A fresh, unfitted aggregator with these parameters."""
        return self.strategy_class(**self.params.model_dump())


def resolve_spec(
    text: str,
    registry: "PluginRegistry | None" = None,
    overrides: list[str] | tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
    kind: str | None = None,
) -> ResolvedSpec:
    """Parse ``text``, find the strategy and validate its parameters.

    ``overrides`` are ``key=value`` strings (the CLI's ``-p``) applied after the spec;
    ``extra`` holds already-typed values (e.g. ``--seed``) applied only where the strategy
    has such a parameter. With ``kind``, a strategy of another kind is an error naming the
    command that runs it, and so is a class that does not subclass its kind's base.
    """
    from crowdkit_core.errors import UnknownStrategyError
    from crowdkit_core.plugins import get_registry
    from crowdkit_core.registry import kind_base, kind_command

    registry = registry or get_registry()
    parsed = parse_spec(text)
    try:
        info = registry.get_strategy(parsed.name)
    except UnknownStrategyError as exc:
        raise UnknownStrategyError(caret_message(text, parsed.name_span, str(exc))) from None
    if kind is not None and info.kind != kind:
        raise SpecError(f"{info.name} is an {info.kind} strategy, not an {kind} one; run it "
                        f"with `{kind_command(info.kind)}`")
    try:
        cls = info.load()
    except Exception as exc:
        raise SpecError(
            f"strategy {info.name!r} (plugin {info.plugin!r}) failed to import: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    base = kind_base(info.kind)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise SpecError(
            f"strategy {info.name!r} (plugin {info.plugin!r}) is registered as {info.kind} but "
            f"{info.target} is not a {base.__name__} subclass; report this to the plugin's authors")
    values = dict(parsed.params)
    for item in overrides:
        key, value = parse_assignment(item)
        values[key] = value
    for key, value in (extra or {}).items():
        if key in cls.Params.model_fields and key not in values:
            values[key] = value
    params = validate_params(cls.Params, values, parsed, owner=info.name)
    return ResolvedSpec(info, cls, params)
