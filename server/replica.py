"""Heavy reads on a read replica: the console's dashboards, the indicators, review exports.

`DATABASE_REPLICA_URL` names a streaming replica of the primary (docs/deploy.md);
unset, everything stays on the primary and this module changes nothing. Inside
`replica_reads()` (or a view decorated with `reads_from_replica`), the ORM's SELECTs
go to the replica; everything else stays on the primary, in the same session:

- flushes (INSERT, UPDATE, DELETE of objects) never pass through `Session.execute`,
  so they take the primary whatever the block says: the audit trail, an access-log
  row, a review export's record, a job's progress;
- `SELECT ... FOR UPDATE`, DML statements and `text()` are left to the primary too: a
  lock or a write cannot run on a standby, and a text statement may be either;
- the signed-in user and their device session are loaded before the view runs (a
  `before_request` hook), so a session's sliding expiry is read and written on the
  primary, and its version check never meets a stale copy.

A replica lags the primary by a moment, so only reads that may be a little behind go
there (a dashboard, a month's indicators, an export), never a read a write depends
on, and nothing the phones sync: the sync's watermark is the primary's own.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import event, orm
from sqlalchemy.sql import CompoundSelect, Select

from server.extensions import db

REPLICA_BIND = "replica"

_ON_REPLICA: ContextVar[bool] = ContextVar("fieldbook_reads_on_replica", default=False)

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def replica_reads() -> Iterator[None]:
    """The ORM reads of this block go to the replica, when one is configured."""
    token = _ON_REPLICA.set(True)
    try:
        yield
    finally:
        _ON_REPLICA.reset(token)


def reads_from_replica(view: F) -> F:
    """A read-only view's queries go to the replica (its writes still to the primary)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def configured() -> bool:
    return has_app_context() and REPLICA_BIND in current_app.config.get("SQLALCHEMY_BINDS", {})


@event.listens_for(orm.Session, "do_orm_execute")
def _route_reads(state: orm.ORMExecuteState) -> None:
    if not _ON_REPLICA.get() or not configured():
        return
    statement = state.statement
    # A UNION is a read too (the indicators' scope of customers is one).
    if not isinstance(statement, Select | CompoundSelect) or statement._for_update_arg is not None:
        return
    state.bind_arguments["bind"] = db.engines[REPLICA_BIND]
