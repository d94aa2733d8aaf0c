"""The one rule that turns a label into a class when the dataset has ``label_names``.

* A typed integer (a JSON number, an int column) is a class index; a name cannot capture it.
* Text (CSV/TSV fields, JSON strings, str columns) is read column-wise: as label names when
  every text label is a name and one at least is not a valid index; as class indices when
  every one is a valid index and one at least is not a name; value by value otherwise.
* A text label that reads both ways with two different classes (ratings named "1".."5",
  where "3" is the name of class 2 and the index of class 3) and that the column does not
  settle is refused: ``label_format`` (``names`` or ``indices``, in metadata.json or as an
  argument) says which reading is meant.
"""

from __future__ import annotations

from typing import Any, Literal, Sequence

import numpy as np

from crowdkit_core.errors import DatasetError

LabelFormat = Literal["auto", "names", "indices"]
LABEL_FORMATS: tuple[str, ...] = ("auto", "names", "indices")


def check_label_format(label_format: str, where: str) -> None:
    if label_format not in LABEL_FORMATS:
        raise DatasetError(f"{where}: label_format {label_format!r} is not one of "
                           f"{', '.join(LABEL_FORMATS)}; fix it")


def check_label_names(names: Sequence[Any], where: str) -> list[str]:
    """``names`` as text, refusing a name given twice (its second class would be unreachable)."""
    text = [str(n) for n in names]
    seen: dict[str, int] = {}
    for i, name in enumerate(text):
        if name in seen:
            raise DatasetError(f"{where}: label_names gives {name!r} twice (classes {seen[name]} and "
                               f"{i}); give each class its own name")
        seen[name] = i
    return text


def is_typed_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _as_index(text: str, k: int) -> int | None:
    stripped = text.strip()
    if stripped.lstrip("-").isdigit() and 0 <= int(stripped) < k:
        return int(stripped)
    return None


def label_classes(values: Sequence[Any], names: Sequence[str], k: int,
                  label_format: str = "auto") -> list[int | None | str]:
    """The class of each distinct label under the rule (module docstring): an int, None for
    a label that is neither a name nor an index, or ``"ambiguous"``."""
    lookup = {n: i for i, n in enumerate(names)}
    texts = [(i, str(v)) for i, v in enumerate(values) if not is_typed_int(v)]
    out: list[int | None | str] = [None] * len(values)
    for i, v in enumerate(values):
        if is_typed_int(v):
            out[i] = int(v) if 0 <= int(v) < k else None
    as_name = {i: lookup.get(t) for i, t in texts}
    as_index = {i: _as_index(t, k) for i, t in texts}
    mode = label_format
    if mode == "auto" and texts:
        all_names = all(as_name[i] is not None for i, _ in texts)
        all_indices = all(as_index[i] is not None for i, _ in texts)
        if all_names and not all_indices:
            mode = "names"
        elif all_indices and not all_names:
            mode = "indices"
    for i, _ in texts:
        if mode == "names":
            out[i] = as_name[i]
        elif mode == "indices":
            out[i] = as_index[i]
        elif as_name[i] is not None and as_index[i] is not None and as_name[i] != as_index[i]:
            out[i] = "ambiguous"
        else:
            out[i] = as_name[i] if as_name[i] is not None else as_index[i]
    return out


def ambiguous_message(label: Any, names: Sequence[str], k: int) -> str:
    index = int(str(label).strip())
    return (f"label {str(label)!r} is both the name of class {list(names).index(str(label))} and "
            f"the index of class {index} ({names[index]!r}), and the other labels do not settle "
            "which is meant (rule: text labels are names if every one is a name, indices if every "
            "one is an index); set \"label_format\": \"names\" or \"indices\" in metadata.json "
            "(label_format= in Python), or write labels as JSON numbers for indices")
