"""Counting the SQL statements a piece of work sends (the cost guards' one tool);
watching what each of its commits makes visible, and cutting it short midway (the
chunked long work's)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import orm

from server.extensions import db

T = TypeVar("T")


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


@contextmanager
def commits(count: Callable[[orm.Session], T]) -> Iterator[list[T]]:
    """`count(session)` at each commit made while the block runs, in order.

    Taken as the commit is about to make the work durable, so the list shows what
    each chunk of long work let the phones see while later chunks were still to come;
    work done in one transaction shows a single entry.
    """
    seen: list[T] = []

    def record(session: orm.Session) -> None:
        seen.append(count(session))

    sa.event.listen(orm.Session, "before_commit", record)
    try:
        yield seen
    finally:
        sa.event.remove(orm.Session, "before_commit", record)


def counter(model: type) -> Callable[[orm.Session], int]:
    """For `commits`: how many rows `model` has, as the session sees them."""
    return lambda session: session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def crashing_on_call(work: Callable[..., Any], call: int) -> Callable[..., Any]:
    """`work`, but its `call`-th call raises instead, as a machine going down would."""
    calls = 0

    def run(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == call:
            raise RuntimeError("the machine went down")
        return work(*args, **kwargs)

    return run
