"""Mutations that failed unexpectedly: kept whole, shown to their user and to admins."""

import uuid

import sqlalchemy as sa

from server.auth.models import User
from server.extensions import db
from server.sync.models import SyncFailedMutation


def list_failed(
    *,
    status: str = "failed",
    device_id: uuid.UUID | None = None,
    limit: int = 200,
    user: User | None = None,
) -> list[SyncFailedMutation]:
    """Failed mutations, newest first: all (admins) or one user's."""
    stmt = sa.select(SyncFailedMutation)
    if status == "failed":
        stmt = stmt.where(
            SyncFailedMutation.gave_up_at.is_not(None), SyncFailedMutation.settled_at.is_(None)
        )
    elif status == "retrying":
        stmt = stmt.where(
            SyncFailedMutation.gave_up_at.is_(None), SyncFailedMutation.settled_at.is_(None)
        )
    elif status == "settled":
        stmt = stmt.where(SyncFailedMutation.settled_at.is_not(None))
    if device_id is not None:
        stmt = stmt.where(SyncFailedMutation.device_id == device_id)
    if user is not None:
        stmt = stmt.where(SyncFailedMutation.user_id == user.id)
    stmt = stmt.order_by(SyncFailedMutation.last_failed_at.desc(), SyncFailedMutation.id)
    return list(db.session.scalars(stmt.limit(limit)))
