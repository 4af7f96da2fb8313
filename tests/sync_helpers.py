"""A simulated phone for the sync tests, and the scope it must end up with.

`Device` applies pull pages as docs/sync.md's client duties say; `server_view` works
the user's scope out independently, straight from the ORM, so "the device equals the
server" can be asserted row by row; `settle` waits for PostgreSQL's watermark.
"""

import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask.testing import FlaskClient

from server.auth.models import User
from server.campaigns.models import Campaign, CampaignTarget
from server.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from server.customers.models import AssignmentHistory, Contact, Customer, MonthlySpend, Tier
from server.extensions import db
from server.plans.models import CarePlan
from server.stamps import watermark
from server.sync.models import SyncConflict
from server.sync.rows import serialise
from server.tasks.models import Task
from server.visits.models import Visit, VisitRevision
from server.warnings.models import ChurnWarning
from tests.conftest import AuthActions

PULL = "/api/v1/sync/pull"
ENTITIES = (
    "tiers",
    "complaint_categories",
    "users",
    "customers",
    "contacts",
    "monthly_spend",
    "assignment_history",
    "care_plans",
    "visits",
    "visit_revisions",
    "complaints",
    "complaint_events",
    "tasks",
    "churn_warnings",
    "campaigns",
    "campaign_targets",
    "sync_conflicts",
)


# --- a phone, as docs/sync.md's client duties describe it -------------------------


class Device:
    """Applies pull pages to a local copy; saves the cursor only after a page is stored."""

    def __init__(self, client: FlaskClient, device_id: uuid.UUID | None = None):
        self.client = client
        self.id = device_id or uuid.uuid4()
        self.cursor: str | None = None
        self.rows: dict[str, dict[str, dict]] = defaultdict(dict)

    def fetch(self, limit: int = 500, cursor: str | None = None, **params):
        query = {"device_id": str(self.id), "limit": limit, **params}
        cursor = cursor if cursor is not None else self.cursor
        if cursor is not None:
            query["cursor"] = cursor
        return self.client.get(PULL, query_string=query)

    def page(self, limit: int = 500, *, save: bool = True, wait: bool = True) -> dict:
        if wait:
            settle(self.client.application)
        response = self.fetch(limit)
        assert response.status_code == 200, response.json
        body = response.json
        self.apply(body["changes"])
        if save:
            self.cursor = body["cursor"]
        return body

    def sync(self, limit: int = 500, max_pages: int = 200) -> list[dict]:
        """Pull until has_more is false; the changes of every page, in order."""
        changes: list[dict] = []
        for _ in range(max_pages):
            body = self.page(limit)
            changes.extend(body["changes"])
            if not body["has_more"]:
                return changes
        raise AssertionError("pull never finished")

    def apply(self, changes: list[dict]) -> None:
        for change in changes:
            table = self.rows[change["entity"]]
            if change["op"] == "upsert":
                assert change["row"]["id"] == change["id"]
                table[change["id"]] = change["row"]
            elif change.get("cascade"):
                self._drop_customer(change["id"])
            else:
                table.pop(change["id"], None)

    def _drop_customer(self, customer_id: str) -> None:
        self.rows["customers"].pop(customer_id, None)
        for table in self.rows.values():
            for row_id in [i for i, row in table.items() if row.get("customer_id") == customer_id]:
                del table[row_id]
        # Rows under a dropped visit or complaint go with it.
        for entity, parent, key in (
            ("visit_revisions", "visits", "visit_id"),
            ("complaint_events", "complaints", "complaint_id"),
        ):
            table = self.rows[entity]
            for row_id in [i for i, row in table.items() if row[key] not in self.rows[parent]]:
                del table[row_id]

    def copy(self) -> dict[str, dict[str, dict]]:
        return {entity: dict(self.rows.get(entity, {})) for entity in ENTITIES}

    def ids(self, entity: str) -> set[str]:
        return set(self.rows.get(entity, {}))


def settle(app, timeout: float = 10.0) -> None:
    """Wait until every PostgreSQL transaction begun so far has ended.

    The watermark is cluster-wide: on a cluster shared with other work (other test
    runs), a long transaction elsewhere holds pulls back, and a test would miss what
    it just committed. On a quiet cluster, and on SQLite, this returns at once.
    """
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        target = conn.exec_driver_sql(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
        ).scalar_one()
        deadline = time.monotonic() + timeout
        while watermark(conn) < target and time.monotonic() < deadline:
            conn.rollback()
            time.sleep(0.02)


def server_view(in_app, user: User) -> dict[str, dict[str, dict]]:
    """What a device of `user` must hold, straight from the ORM (docs/sync.md, Scope)."""
    with in_app():
        from flask import current_app

        user = db.session.get(User, user.id)
        # A phone holds its user's own customers, whatever the role.
        visible = sa.select(Customer.id).where(Customer.manager_id == user.id)
        today = datetime.now(UTC).date()
        months = current_app.config["SYNC_SPEND_MONTHS"]
        n = today.year * 12 + today.month - months
        spend_from = date(n // 12, n % 12 + 1, 1)

        def rows(model, *where):
            return list(db.session.scalars(sa.select(model).where(*where)))

        users = rows(
            User,
            sa.or_(User.id == user.id, User.team_id == user.team_id)
            if user.team_id
            else User.id == user.id,
        )
        view = {
            "tiers": rows(Tier),
            "complaint_categories": rows(ComplaintCategory),
            "users": users,
            "customers": rows(Customer, Customer.id.in_(visible)),
            "contacts": rows(Contact, Contact.customer_id.in_(visible)),
            "monthly_spend": rows(
                MonthlySpend,
                MonthlySpend.customer_id.in_(visible),
                MonthlySpend.month >= spend_from,
            ),
            "assignment_history": rows(
                AssignmentHistory, AssignmentHistory.customer_id.in_(visible)
            ),
            "care_plans": rows(CarePlan, CarePlan.customer_id.in_(visible)),
            "visits": rows(Visit, Visit.customer_id.in_(visible)),
            "visit_revisions": rows(
                VisitRevision,
                VisitRevision.visit_id.in_(
                    sa.select(Visit.id).where(Visit.customer_id.in_(visible))
                ),
            ),
            "complaints": rows(Complaint, Complaint.customer_id.in_(visible)),
            "complaint_events": rows(
                ComplaintEvent,
                ComplaintEvent.complaint_id.in_(
                    sa.select(Complaint.id).where(Complaint.customer_id.in_(visible))
                ),
            ),
            "tasks": rows(Task, sa.or_(Task.owner_id == user.id, Task.customer_id.in_(visible))),
            "churn_warnings": rows(ChurnWarning, ChurnWarning.customer_id.in_(visible)),
            "campaigns": rows(
                Campaign,
                Campaign.id.in_(
                    sa.select(CampaignTarget.campaign_id).where(
                        CampaignTarget.customer_id.in_(visible)
                    )
                ),
            ),
            "campaign_targets": rows(CampaignTarget, CampaignTarget.customer_id.in_(visible)),
            "sync_conflicts": rows(SyncConflict, SyncConflict.user_id == user.id),
        }
        return {
            entity: {str(obj.id): serialise(obj) for obj in objs} for entity, objs in view.items()
        }


def signed_in(app, username: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 200
    return client
