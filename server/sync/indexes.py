"""The indexes the sync pull walks, declared on the synced tables in one place.

A pull's stream reads the rows of the user's customers in (customer, stamp, id)
order (server/sync/pull.py): for a first sync the index hands them out in that order
from the first customer on, so a page reads about as many rows as it serves; after
it, the same index answers "anything stamped since the cursor?" with one probe per
customer. Rows linked through a parent (a visit's revisions, a complaint's events)
are walked by parent the same way, the customers by manager, a user's own tasks by
owner.
Migration 0011 creates them.
"""

import sqlalchemy as sa

from server.campaigns.models import CampaignTarget
from server.complaints.models import Complaint, ComplaintEvent
from server.customers.models import AssignmentHistory, Contact, Customer, MonthlySpend
from server.plans.models import CarePlan
from server.tasks.models import Task
from server.visits.models import Visit, VisitRevision
from server.warnings.models import ChurnWarning

# (model, the column the stream starts from)
WALKED: list[tuple[type, str]] = [
    (Customer, "manager_id"),
    (Contact, "customer_id"),
    (MonthlySpend, "customer_id"),
    (AssignmentHistory, "customer_id"),
    (CarePlan, "customer_id"),
    (Visit, "customer_id"),
    (VisitRevision, "visit_id"),
    (Complaint, "customer_id"),
    (ComplaintEvent, "complaint_id"),
    (Task, "customer_id"),
    (ChurnWarning, "customer_id"),
    (CampaignTarget, "customer_id"),
]


def _name(table: sa.Table, column: str) -> str:
    return f"ix_{table.name}_{column}_sync"


INDEXES: list[sa.Index] = []
for _model, _column in [*WALKED, (Task, "owner_id")]:
    _table: sa.Table = _model.__table__  # type: ignore[attr-defined]
    INDEXES.append(
        sa.Index(_name(_table, _column), _table.c[_column], _table.c.sync_stamp, _table.c.id)
    )
