"""`fieldbook sync ...`: housekeeping that makes older cursors unservable, on purpose."""

import uuid
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app

from server.extensions import db
from server.models_base import utcnow
from server.stamps import watermark
from server.sync.models import SyncClock, SyncTombstone
from server.transaction import UnitOfWorkGroup

sync_cli = UnitOfWorkGroup("sync", help="Offline sync housekeeping.")


@sync_cli.command("purge-tombstones")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=0),
    help="Default: SYNC_TOMBSTONE_RETENTION.",
)
def purge_tombstones_cmd(older_than_days: int | None) -> None:
    """Delete old tombstones; devices whose cursor predates them resync (cron-able)."""
    retention = (
        timedelta(days=older_than_days)
        if older_than_days is not None
        else current_app.config["SYNC_TOMBSTONE_RETENTION"]
    )
    cutoff = utcnow() - retention
    clock = db.session.get(SyncClock, 1, with_for_update=True)
    assert clock is not None
    # Purge by stamp, not by date: everything below `purged_below` is then gone, so a
    # cursor at or above it still finds every deletion it needs.
    newest = db.session.scalar(
        sa.select(sa.func.max(SyncTombstone.sync_stamp)).where(SyncTombstone.deleted_at < cutoff)
    )
    purged = 0
    if newest is not None:
        result = db.session.execute(
            sa.delete(SyncTombstone).where(SyncTombstone.sync_stamp <= newest)
        )
        purged = result.rowcount  # type: ignore[attr-defined]
        clock.purged_below = max(clock.purged_below, newest + 1)
    click.echo(f"tombstones purged: {purged}; cursors below {clock.purged_below} will resync")


@sync_cli.command("new-epoch")
def new_epoch_cmd() -> None:
    """Run after restoring a backup: every device resyncs from scratch.

    A restored PostgreSQL database may hold stamps (old transaction ids) above the new
    server's watermark; they are lowered to 0 so the devices' full pulls serve them.
    """
    clock = db.session.get(SyncClock, 1, with_for_update=True)
    assert clock is not None
    conn = db.session.connection()
    mark = watermark(conn)
    lowered = 0
    for table in db.metadata.sorted_tables:
        if "sync_stamp" in table.c:
            # Plain SQL: a Core UPDATE would apply the columns' onupdate (updated_at).
            lowered += conn.execute(
                sa.text(f"UPDATE {table.name} SET sync_stamp = 0 WHERE sync_stamp >= :mark"),
                {"mark": mark},
            ).rowcount
    clock.epoch = uuid.uuid4()
    # Old cursors are refused by the epoch; the new history starts with nothing purged.
    clock.purged_below = 0
    click.echo(f"new sync epoch {clock.epoch}; stamps lowered: {lowered}")
