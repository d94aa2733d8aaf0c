"""Base class for strategy parameters: one pydantic model holds type, default, constraint
and description of every parameter, and is the single place they are validated."""

from __future__ import annotations

import typing
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticUndefined


class StrategyParams(BaseModel):
    """Parameters shared by every aggregation strategy.

    Subclasses add their own fields, each with a ``description``. Unknown keys are rejected,
    and instances are immutable: ``Aggregator.set_params`` revalidates into a new instance.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    #: Ignored (the strategy's name comes from its registration); declared so that plugins
    #: written for crowdkit 0.1, which set it, still load.
    strategy_name: ClassVar[str] = ""

    ties: Literal["random", "lowest"] = Field(
        "random",
        description=(
            "How to break ties between equally likely labels: 'random' picks uniformly "
            "among them with the seeded generator; 'lowest' takes the lowest class index."
        ),
    )
    seed: int = Field(
        0, ge=0, description="Seed of every random choice (tie-breaking, initialisation)."
    )

    #: Other libraries' spellings of parameters, accepted in specs and constructors and
    #: stored under crowdkit's name: crowd-kit's ``n_iter``, and what a subclass adds (e.g.
    #: peerannot's ``AIweight`` for PlantNet). Giving both spellings keeps crowdkit's.
    key_aliases: ClassVar[dict[str, str]] = {"n_iter": "max_iter"}

    @model_validator(mode="before")
    @classmethod
    def _accept_key_aliases(cls, data: Any) -> Any:
        """Rename the aliases in :attr:`key_aliases` that this model has a field for."""
        if not isinstance(data, dict):
            return data
        found = [(alias, name) for alias, name in cls.key_aliases.items()
                 if alias in data and name in cls.model_fields and alias not in cls.model_fields]
        if found:
            data = dict(data)
            for alias, name in found:
                value = data.pop(alias)
                data.setdefault(name, value)
        return data

    def non_default_items(self) -> list[tuple[str, Any]]:
        """(name, value) pairs that differ from the defaults, in field order."""
        items = []
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            default = info.get_default(call_default_factory=True)
            if default is PydanticUndefined or value != default:
                items.append((name, value))
        return items


def describe_parameters(params_model: type[StrategyParams]) -> list[dict[str, str]]:
    """Rows for ``crowd describe``: name, type, default, constraint, description."""
    rows = []
    for name, info in params_model.model_fields.items():
        default = info.get_default(call_default_factory=True)
        rows.append(
            {
                "name": name,
                "type": _type_name(info.annotation),
                "default": "required" if default is PydanticUndefined else repr(default),
                "constraint": _constraint_text(info),
                "description": info.description or "",
            }
        )
    return rows


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "choice"
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = " | ".join(_type_name(a) for a in args)
        return f"{inner} | none" if len(args) < len(typing.get_args(annotation)) else inner
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return f"list[{_type_name(args[0])}]" if args else "list"
    return getattr(annotation, "__name__", str(annotation))


def _constraint_text(info: Any) -> str:
    parts = []
    annotation = info.annotation
    if typing.get_origin(annotation) is Literal:
        parts.append("one of " + ", ".join(repr(a) for a in typing.get_args(annotation)))
    symbols = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "multiple_of": "multiple of",
               "min_length": "min length", "max_length": "max length"}
    for meta in info.metadata:
        for attr, symbol in symbols.items():
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{symbol} {value}")
    return ", ".join(parts)
