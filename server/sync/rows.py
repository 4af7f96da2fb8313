"""Rows as a device stores them: every column by name, in JSON-safe values.

Pulls send these, and the push answers a mutation with the record it wrote in the
same shape, so a device keeps one representation of each row. Personal data the
field work does not need, password hashes and sync bookkeeping never leave the server.
"""

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from server.jsonvalue import to_json

# Columns a device never receives, by table.
EXCLUDED_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"password_hash"}),
    "customers": frozenset({"income_band", "consumption_habits"}),
}
# Internal to the server (a PostgreSQL transaction id means nothing to a phone).
BOOKKEEPING_COLUMNS = frozenset({"sync_stamp"})


def synced_columns(table: sa.Table) -> list[sa.Column]:
    """The columns of `table` a device receives, in table order."""
    hidden = EXCLUDED_COLUMNS.get(table.name, frozenset()) | BOOKKEEPING_COLUMNS
    return [column for column in table.c if column.name not in hidden]


def serialise_row(table: sa.Table, values: Mapping[Any, Any]) -> dict[str, Any]:
    """`values` (a Core row mapping or a dict with at least the synced columns) as sent."""
    return {column.name: to_json(values[column.name]) for column in synced_columns(table)}


def serialise(obj: Any) -> dict[str, Any]:
    """An ORM object (a loaded synced row of any synced model) as a device stores it."""
    mapper = sa.inspect(type(obj))
    return {
        column.name: to_json(getattr(obj, mapper.get_property_by_column(column).key))
        for column in synced_columns(obj.__table__)
    }
