"""Strategy spec grammar: parsing, errors with carets, canonical round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdkit_core.errors import SpecError, UnknownStrategyError
from crowdkit_core.spec import canonical_spec, format_value, parse_assignment, parse_spec, resolve_spec


def test_bare_name():
    spec = parse_spec("DS")
    assert spec.name == "DS" and spec.params == {}


def test_params_stay_raw_strings():
    spec = parse_spec("DS[tol=1e-5, max_iter = 50,init=mv]")
    assert spec.params == {"tol": "1e-5", "max_iter": "50", "init": "mv"}


def test_quoted_lists_and_none():
    spec = parse_spec("X[a='x, y',b=\"q\\\"r\",c=[1,2,[3]],d=none,e='none',f=[]]")
    assert spec.params == {"a": "x, y", "b": 'q"r', "c": ["1", "2", ["3"]], "d": None, "e": "none", "f": []}


def test_trailing_comma_and_empty_brackets():
    assert parse_spec("MV[]").params == {}
    assert parse_spec("MV[seed=1,]").params == {"seed": "1"}


@pytest.mark.parametrize(
    "text, fragment, caret_col",
    [
        ("DS[tol 1e-5]", "expected '='", 9),
        ("DS[tol=1e-5", "missing closing ']'", None),
        ("DS[tol=]", "expected a value", 9),
        ("DS[=3]", "expected a parameter name", 5),
        ("DS[a=1,a=2]", "given twice", 9),
        ("DS[a='x]", "unterminated", 7),
        ("1DS", "expected a strategy name", 2),
        ("DS]x", "unexpected ']'", 4),
        ("", "empty strategy spec", None),
    ],
)
def test_parse_errors_show_a_caret(text, fragment, caret_col):
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    message = str(info.value)
    assert fragment in message
    if caret_col is not None:
        lines = message.splitlines()
        assert lines[1] == f"  {text}"
        assert lines[2].index("^") == caret_col


def test_assignment():
    assert parse_assignment("tol=1e-3") == ("tol", "1e-3")
    assert parse_assignment("x=[a,'b c']") == ("x", ["a", "b c"])
    with pytest.raises(SpecError):
        parse_assignment("tol")


def test_resolve_validates_and_suggests(crowd_registry):
    resolved = resolve_spec("mv[ties=lowest]", crowd_registry)
    assert resolved.info.name == "MV" and resolved.params.ties == "lowest"
    assert resolved.canonical == "MV[ties=lowest]"
    with pytest.raises(SpecError) as info:
        resolve_spec("MV[tie=lowest]", crowd_registry)
    assert "did you mean 'ties'" in str(info.value)
    with pytest.raises(SpecError) as info:
        resolve_spec("MV[seed=-3]", crowd_registry)
    assert "seed" in str(info.value) and "^" in str(info.value)
    with pytest.raises(UnknownStrategyError) as info:
        resolve_spec("MVV", crowd_registry)
    assert "did you mean MV" in str(info.value)


def test_aliases_case_insensitive(crowd_registry):
    for name in ("MV", "mv", "majority_voting", "Majority-Voting", "NaiveSoft", "naive_soft", "NAIVESOFT"):
        assert resolve_spec(name, crowd_registry).info.name in ("MV", "NaiveSoft")


def test_overrides_and_extra(crowd_registry):
    resolved = resolve_spec("MV[seed=1]", crowd_registry, overrides=["seed=4", "ties=lowest"], extra={"seed": 9})
    assert resolved.params.seed == 4 and resolved.params.ties == "lowest"
    assert resolve_spec("MV", crowd_registry, extra={"seed": 9}).params.seed == 9


def test_canonical_spec_only_non_defaults(crowd_registry):
    resolved = resolve_spec("MV[seed=0,ties=random]", crowd_registry)
    assert resolved.canonical == "MV"


_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-10**9, 10**9),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    ),
    lambda children: st.lists(children, max_size=4),
    max_leaves=8,
)


def _as_raw(value):
    """What parsing the formatted value must give back (raw strings, None, lists)."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_as_raw(v) for v in value]
    return format_value(value).strip("'") if isinstance(value, str) else format_value(value)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_format_then_parse_round_trips(value):
    spec = parse_spec(f"X[v={format_value(value)}]")
    got = spec.params["v"]
    if isinstance(value, str):
        assert got == value
    elif isinstance(value, (bool, int, float)):
        assert isinstance(got, str) and type(value)(got if not isinstance(value, bool) else got == "true") == value
    elif value is None:
        assert got is None
    else:
        assert isinstance(got, list) and len(got) == len(value)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30))
def test_parser_never_crashes(text):
    try:
        parse_spec(text)
    except SpecError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from(["random", "lowest"]))
def test_canonical_round_trip_through_registry(seed, ties):
    from crowdkit_core.plugins import get_registry

    registry = get_registry()
    resolved = resolve_spec(f"MV[seed={seed},ties={ties}]", registry)
    again = resolve_spec(resolved.canonical, registry)
    assert again.params == resolved.params
    assert canonical_spec("MV", again.params) == resolved.canonical
