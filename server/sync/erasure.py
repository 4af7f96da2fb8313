"""An erased customer's personal data leaves the sync bookkeeping too (docs/security.md).

Conflicts about the customer lose their values and, if open, are settled (`kept`:
what is stored, the erased state; a lost-access change `dismissed`), so nobody can
restore an erased value. The stored
pushes that named the customer or a row of theirs keep their place in each device's
sequence (the exactly-once answer to a retry) but lose their arguments and the record
their answer carried; a retry of one gets its status without the record.
"""

import json
import uuid
from datetime import datetime

import sqlalchemy as sa

from server import events
from server.campaigns.models import CampaignTarget
from server.complaints.models import Complaint
from server.customers.models import AssignmentHistory, Customer
from server.extensions import db
from server.plans.models import CarePlan
from server.sync.models import (
    ConflictStatus,
    SyncConflict,
    SyncDevice,
    SyncFailedMutation,
    SyncMutation,
)
from server.tasks.models import Task
from server.visits.models import Visit
from server.warnings.models import ChurnWarning

# Rows of a customer a pushed mutation can name by id.
_OWNED = (Visit, Complaint, CarePlan, Task, ChurnWarning, CampaignTarget)


@events.customer_erased.connect
def _erase_sync_records(customer: Customer, *, at: datetime, **_) -> None:
    for kind, settled in (("field", "kept"), ("lost_access", "dismissed")):
        db.session.execute(
            sa.update(SyncConflict)
            .where(
                SyncConflict.customer_id == customer.id,
                SyncConflict.kind == kind,
                SyncConflict.status == ConflictStatus.OPEN,
            )
            .values(status=ConflictStatus.RESOLVED, resolution=settled, resolved_at=at)
            .execution_options(synchronize_session="fetch")
        )
    db.session.execute(
        sa.update(SyncConflict)
        .where(SyncConflict.customer_id == customer.id)
        .values(
            base_value=None,
            kept_value=None,
            lost_value=None,
            args=None,
            version=SyncConflict.version + 1,
        )
        .execution_options(synchronize_session="fetch")
    )
    ids = {str(customer.id)} | _owned_ids(customer.id)
    users = _managers(customer)
    devices = sa.select(SyncDevice.id).where(SyncDevice.user_id.in_(users))
    for mutation in db.session.scalars(
        sa.select(SyncMutation).where(SyncMutation.device_id.in_(devices))
    ):
        if _names_any(ids, mutation.args, mutation.result):
            mutation.args = {}
            if mutation.result.get("record") is not None:
                mutation.result = {**mutation.result, "record": None}
    for failed in db.session.scalars(
        sa.select(SyncFailedMutation).where(SyncFailedMutation.user_id.in_(users))
    ):
        if _names_any(ids, failed.args):
            failed.args = {}
    db.session.flush()


def _owned_ids(customer_id: uuid.UUID) -> set[str]:
    found: set[str] = set()
    for model in _OWNED:
        rows = db.session.scalars(sa.select(model.id).where(model.customer_id == customer_id))
        found.update(str(i) for i in rows)
    return found


def _managers(customer: Customer) -> set[uuid.UUID]:
    """Everyone who held the customer: only their phones can have pushed about it."""
    held: set[uuid.UUID] = {customer.manager_id} if customer.manager_id else set()
    for from_id, to_id in db.session.execute(
        sa.select(AssignmentHistory.from_manager_id, AssignmentHistory.to_manager_id).where(
            AssignmentHistory.customer_id == customer.id
        )
    ):
        held.update(i for i in (from_id, to_id) if i is not None)
    return held


def _names_any(ids: set[str], *values: object) -> bool:
    text = json.dumps(values, default=str)
    return any(i in text for i in ids)
