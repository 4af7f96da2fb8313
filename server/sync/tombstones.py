"""Deleting a synced row leaves a tombstone, so devices holding a copy drop it too."""

import uuid

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from server.models_base import utcnow
from server.sync.models import SyncTombstone
from server.sync.stamps import SyncStamped


@event.listens_for(Session, "after_flush")
def _record_deletions(session: Session, _flush_context) -> None:
    rows = [
        {
            "id": uuid.uuid4(),
            "entity": obj.__tablename__,  # type: ignore[attr-defined]
            "row_id": obj.id,  # type: ignore[attr-defined]
            "customer_id": getattr(obj, "customer_id", None),
            "owner_id": getattr(obj, "owner_id", None),
            "deleted_at": utcnow(),
        }
        for obj in session.deleted
        if isinstance(obj, SyncStamped) and not isinstance(obj, SyncTombstone)
    ]
    if rows:
        session.connection().execute(insert(SyncTombstone), rows)
