"""One conversion of Python values to JSON values, for every place that stores or compares them.

Sync rows, conflict values, visit revisions and the `base` a phone sends all use it,
so a value compares equal however it travelled: enums as their values, UUIDs and
Decimals as strings, dates as ISO dates, datetimes as ISO instants in UTC.
"""

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


def to_json(value: Any) -> Any:
    """`value` as JSON; raises TypeError for a type with no agreed JSON form."""
    if isinstance(value, enum.Enum):  # before str: our enums are StrEnums
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):  # before date: a datetime is a date
        if value.tzinfo is None:
            raise TypeError("a naive datetime has no agreed JSON form")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    raise TypeError(f"cannot convert {type(value).__name__} to JSON")
