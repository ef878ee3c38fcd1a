"""Result rows as the dataclasses the repositories return: a field takes the column of its own name unless given."""

from __future__ import annotations

from dataclasses import MISSING
from dataclasses import fields
from typing import Any
from typing import TypeVar

T = TypeVar("T")


def from_row(cls: type[T], row: Any, **given: Any) -> T:
    """`cls` built from `row` (a Row or a RowMapping). A field missing from the row keeps its default; one with
    no default and no column raises KeyError, as a misspelt column should."""
    columns = getattr(row, "_mapping", row)
    values = dict(given)
    for field in fields(cls):  # type: ignore[arg-type]
        if field.name in values or not field.init:
            continue
        if field.name in columns:
            values[field.name] = columns[field.name]
        elif field.default is MISSING and field.default_factory is MISSING:
            raise KeyError(field.name)
    return cls(**values)
