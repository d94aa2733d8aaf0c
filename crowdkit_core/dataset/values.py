"""What an id or a label may be in memory: text or an integer, as in the files.

The file readers only ever produce text and integers; a list or DataFrame can hold None,
NaN, booleans or 1.5, which would otherwise become a task called "nan" or a class "True".
The check looks at distinct values or at the array's dtype, never at a Python object per row
when it can avoid it.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from crowdkit_core.dataset.encoding import Describe, EncodedColumn
from crowdkit_core.errors import DatasetError

_OK_TYPES = (str, int, np.str_, np.integer)


def check_values(column: Sequence[Any] | EncodedColumn, what: str, source: str,
                 describe: Describe) -> None:
    """Raise a one-line :class:`DatasetError` naming the first answer whose ``what`` (task
    id, worker id, label) is not text or an integer (a float with an integral value is
    refused too: write it as an integer)."""
    if isinstance(column, EncodedColumn):
        bad = _first_bad(column.values)
        if bad is not None:
            row = int(np.flatnonzero(column.codes == bad)[0])
            raise _error(column.values[bad], what, source, describe, row)
        return
    array = column if isinstance(column, np.ndarray) else None
    if array is not None and array.dtype.kind in "iuU":
        return
    if array is not None and array.dtype.kind in "bfc":
        raise _error(array.ravel()[0], what, source, describe, 0)
    values = column if isinstance(column, list) else list(column)
    bad = _first_bad(values)
    if bad is not None:
        raise _error(values[bad], what, source, describe, bad)


def _first_bad(values: Sequence[Any]) -> int | None:
    if all(type(v) is str for v in values):  # the common case, one C-speed pass
        return None
    for i, v in enumerate(values):
        if not isinstance(v, _OK_TYPES) or isinstance(v, (bool, np.bool_)):
            return i
    return None


def _error(value: Any, what: str, source: str, describe: Describe, row: int) -> DatasetError:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        problem = "is missing (None/NaN)"
        fix = "fill it in or drop the row"
    elif isinstance(value, (bool, np.bool_)):
        problem = f"is the boolean {value!r}"
        fix = "use text or an integer class index"
    else:
        problem = f"{value!r} is a {type(value).__name__}"
        fix = "use text or an integer (cast the column)"
    return DatasetError(f"{source}: {describe(row)}: {what} {problem}; {what}s must be text or "
                        f"integers: {fix}")
