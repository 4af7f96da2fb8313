"""Counting the SQL statements a piece of work sends: the cost guards' one tool."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

from server.extensions import db


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The statements sent to `app`'s engine while the block runs, in order.

    SQLite's `BEGIN` (the writer lock a writing request takes, server/extensions.py) is
    not counted: PostgreSQL sends none, and the guards hold on both databases.
    """
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement != "BEGIN":
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
