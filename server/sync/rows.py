"""Rows as a device stores them: every column by name, in JSON-safe values.

Pulls send these, and the push answers a mutation with the record it wrote in the
same shape, so a device keeps one representation of each row. Personal data the
field work does not need, password hashes and sync bookkeeping never leave the server.

A first pull converts tens of thousands of rows, so each table's synced columns and
the converter of each column are worked out once (`shape`), not per row; the values
are exactly `server.jsonvalue.to_json`'s.
"""

import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa

from server.jsonvalue import to_json
from server.models_base import UTCDateTime

# Columns a device never receives, by table.
EXCLUDED_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"password_hash"}),
    "customers": frozenset({"income_band", "consumption_habits"}),
}
# Internal to the server (a PostgreSQL transaction id means nothing to a phone).
BOOKKEEPING_COLUMNS = frozenset({"sync_stamp"})

Converter = Callable[[Any], Any]


def _instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise TypeError("a naive datetime has no agreed JSON form")
    return value.astimezone(UTC).isoformat()


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


# The Python type a column's values come back as -> its JSON form (as `to_json`).
_BY_PYTHON_TYPE: dict[type, Converter] = {
    uuid.UUID: str,
    Decimal: str,
    datetime: _instant,
    date: date.isoformat,
}
_PLAIN = (bool, int, float, str)


def _wire_converter(column: sa.Column) -> Converter | None:
    """Like `_converter`, for an answer that orjson writes: it writes uuids, dates,
    UTC datetimes and enums exactly as `to_json` would, so only the rest is converted."""
    if isinstance(column.type, sa.Enum | UTCDateTime | sa.Uuid | sa.Date | sa.JSON):
        return None
    return _converter(column)


def _converter(column: sa.Column) -> Converter | None:
    """How to convert this column's non-NULL values; None when they are JSON already."""
    if isinstance(column.type, sa.Enum):
        return _enum_value
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return to_json
    if python_type in _BY_PYTHON_TYPE:
        return _BY_PYTHON_TYPE[python_type]
    if python_type in _PLAIN:
        return None
    return to_json  # JSON documents, and anything unforeseen: the general conversion


@dataclass(frozen=True)
class Shape:
    """A table's synced columns, their names and converters, in table order."""

    columns: tuple[sa.Column, ...]
    names: tuple[str, ...]
    converters: tuple[Converter | None, ...]
    # The columns orjson cannot write as `to_json` would, and their converters.
    wire_fixes: tuple[tuple[str, Converter], ...]

    def to_wire(self, values: Sequence[Any]) -> dict[str, Any]:
        """A row selected as `select(*shape.columns, ...)`, for `orjson.dumps` only (it
        may hold uuids, dates, UTC datetimes and enums, which orjson writes as sent)."""
        row = dict(zip(self.names, values, strict=False))
        for name, convert in self.wire_fixes:
            if (value := row[name]) is not None:
                row[name] = convert(value)
        return row

    def from_mapping(self, values: Mapping[Any, Any]) -> dict[str, Any]:
        return {
            name: value if (value := values[name]) is None or convert is None else convert(value)
            for name, convert in zip(self.names, self.converters, strict=True)
        }


@cache
def shape(table: sa.Table) -> Shape:
    hidden = EXCLUDED_COLUMNS.get(table.name, frozenset()) | BOOKKEEPING_COLUMNS
    columns = tuple(column for column in table.c if column.name not in hidden)
    return Shape(
        columns=columns,
        names=tuple(column.name for column in columns),
        converters=tuple(_converter(column) for column in columns),
        wire_fixes=tuple(
            (column.name, convert)
            for column in columns
            if (convert := _wire_converter(column)) is not None
        ),
    )


def synced_columns(table: sa.Table) -> list[sa.Column]:
    """The columns of `table` a device receives, in table order."""
    return list(shape(table).columns)


def serialise_row(table: sa.Table, values: Mapping[Any, Any]) -> dict[str, Any]:
    """`values` (a Core row mapping or a dict with at least the synced columns) as sent."""
    return shape(table).from_mapping(values)


def serialise(obj: Any) -> dict[str, Any]:
    """An ORM object (a loaded synced row of any synced model) as a device stores it."""
    mapper = sa.inspect(type(obj))
    return {
        column.name: to_json(getattr(obj, mapper.get_property_by_column(column).key))
        for column in shape(obj.__table__).columns
    }
