"""Change stamps: how a pull knows what changed, without ever skipping a commit.

Every synced row carries `sync_stamp`, set on each INSERT and UPDATE (ORM flushes,
bulk inserts and bulk UPDATE statements alike: it is the column's default and
onupdate) to the stamp of the writing transaction:

- PostgreSQL: the transaction id, `pg_current_xact_id()`. Transaction ids are handed
  out when a transaction first writes, not when it commits, so a transaction with a
  smaller id can commit after a larger one has been pulled. The watermark is
  therefore `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below it
  has finished, and none can start below it later. A pull serves stamps in
  [cursor, watermark) and the next pull starts at the watermark, so a late commit is
  served by the pull after it becomes visible, never skipped.
- SQLite: there is one writer at a time, so a counter row (`sync_clock`) bumped by the
  first stamped write of each transaction gives stamps that commit in order; the
  watermark is the committed counter plus one.

A stamp is computed once per transaction (and cached on the connection), so all the
rows one transaction writes share it.
"""

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

_CACHE_KEY = "fieldbook_sync_stamp"


def stamp_for(conn: Connection) -> int:
    """The stamp of the transaction `conn` is in (taking one if it has none yet)."""
    root = conn.get_transaction()  # the root transaction, savepoints aside
    cached = conn.info.get(_CACHE_KEY)
    if cached is not None and root is not None and cached[0] is root:
        return cached[1]
    if conn.dialect.name == "postgresql":
        value = conn.exec_driver_sql("SELECT pg_current_xact_id()::text::bigint").scalar_one()
    else:
        value = conn.exec_driver_sql(
            "UPDATE sync_clock SET value = value + 1 WHERE id = 1 RETURNING value"
        ).scalar_one()
    conn.info[_CACHE_KEY] = (root, value)
    return value


def _column_stamp(context) -> int:
    return stamp_for(context.connection)


def watermark(conn: Connection) -> int:
    """Every stamp below this belongs to a finished transaction, and no new one will be lower."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        ).scalar_one()
    return conn.exec_driver_sql("SELECT value FROM sync_clock WHERE id = 1").scalar_one() + 1


def watermark_column(dialect: str) -> sa.ColumnElement[int]:
    """`watermark` as a column of a SELECT from `sync_clock`, so a pull reads it with
    the clock in one statement."""
    if dialect == "postgresql":
        return sa.literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    return sa.literal_column("sync_clock.value + 1")


class SyncStamped:
    """Mixin for tables a phone keeps a copy of."""

    sync_stamp: Mapped[int] = mapped_column(
        sa.BigInteger, default=_column_stamp, onupdate=_column_stamp, index=True
    )
