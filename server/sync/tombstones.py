"""Deleting a synced row leaves a tombstone, so devices holding a copy drop it too."""

import uuid

from sqlalchemy import event, insert

from server.models_base import utcnow
from server.stamps import SyncStamped
from server.sync.models import SyncTombstone


# A mapper event rather than the session's `deleted` list: rows removed as orphans
# (`customer.contacts.remove(contact)`) never appear in that list, but do come here.
@event.listens_for(SyncStamped, "after_delete", propagate=True)
def _record_deletion(_mapper, connection, obj) -> None:
    if isinstance(obj, SyncTombstone):
        return
    connection.execute(
        insert(SyncTombstone),
        {
            "id": uuid.uuid4(),
            "entity": obj.__tablename__,
            "row_id": obj.id,
            "customer_id": getattr(obj, "customer_id", None),
            "owner_id": getattr(obj, "owner_id", None),
            "deleted_at": utcnow(),
        },
    )
