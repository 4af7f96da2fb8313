"""GET /api/v1/sync/pull: a device ends up with exactly its user's scope.

Pulls serve committed changes only, so every test that writes and then pulls is
`committed`. `Device` (tests/sync_helpers.py) plays the phone: it applies pages as
docs/sync.md tells a client to, and `server_view` is the scope worked out
independently (ORM rows of the visible customers), so "the device equals the
server" is asserted row by row.
"""

import gzip
import json
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from server.auth.models import Role, User
from server.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    IntakeChannel,
    Severity,
)
from server.customers.models import Contact, Customer, MonthlySpend, Tier
from server.extensions import db
from server.plans.models import CarePlan, Channel, Purpose
from server.sync import pull as pull_module
from server.sync.models import SyncClock, SyncDevice
from server.tasks.models import Task, TaskStatus
from server.visits.models import Visit, VisitRevision
from server.warnings.models import ChurnWarning, WarningSource
from tests.sync_helpers import PULL, Device, server_view, settle, signed_in

# --- data -------------------------------------------------------------------------


def month_start(months_ago: int) -> date:
    today = datetime.now(UTC).date()
    n = today.year * 12 + today.month - 1 - months_ago
    return date(n // 12, n % 12 + 1, 1)


def fill(in_app, customer: Customer, manager: User, *, spend_months: int = 14) -> dict:
    """Give a customer one of everything a device holds; returns the ids by entity."""
    now = datetime.now(UTC)
    with in_app():
        category = db.session.scalar(sa.select(ComplaintCategory).limit(1))
        contact = Contact(customer_id=customer.id, name="王经理", phone="13900000000")
        spend = [
            MonthlySpend(
                customer_id=customer.id,
                month=month_start(m),
                service=service,
                amount=Decimal("88.50"),
            )
            for m in range(spend_months)
            for service in ("mobile", "broadband")
        ]
        plan = CarePlan(
            customer_id=customer.id,
            owner_id=manager.id,
            purpose=Purpose.ROUTINE,
            channel=Channel.PHONE,
            title="Routine call",
            due_from=now.date(),
            due_to=now.date() + timedelta(days=7),
        )
        visit = Visit(
            customer_id=customer.id,
            manager_id=manager.id,
            channel=Channel.VISIT,
            purpose=Purpose.ROUTINE,
            started_at=now - timedelta(days=3),
            notes="拜访",
        )
        complaint = Complaint(
            customer_id=customer.id,
            owner_id=manager.id,
            category_id=category.id,
            severity=Severity.MEDIUM,
            intake_channel=IntakeChannel.IN_PERSON,
            description="信号差",
            received_at=now - timedelta(days=2),
            deadline_at=now + timedelta(days=2),
            logged_by_id=manager.id,
        )
        open_task = Task(
            owner_id=manager.id,
            customer_id=customer.id,
            title="Call back",
            created_by_id=manager.id,
        )
        done_task = Task(
            owner_id=manager.id,
            customer_id=customer.id,
            title="Sent the offer",
            status=TaskStatus.DONE,
            completed_at=now,
            created_by_id=manager.id,
        )
        warning = ChurnWarning(customer_id=customer.id, source=WarningSource.MANUAL, opened_at=now)
        db.session.add_all([contact, *spend, plan, visit, complaint, open_task, done_task, warning])
        db.session.flush()
        revision = VisitRevision(
            visit_id=visit.id, editor_id=manager.id, changes={"notes": {"old": "", "new": "拜访"}}
        )
        event = ComplaintEvent(
            complaint_id=complaint.id, actor_id=manager.id, to_status=ComplaintStatus.RECEIVED
        )
        db.session.add_all([revision, event])
        db.session.commit()
        return {
            "contacts": str(contact.id),
            "spend": [str(s.id) for s in spend],
            "care_plans": str(plan.id),
            "visits": str(visit.id),
            "visit_revisions": str(revision.id),
            "complaints": str(complaint.id),
            "complaint_events": str(event.id),
            "open_task": str(open_task.id),
            "done_task": str(done_task.id),
            "churn_warnings": str(warning.id),
        }


@pytest.fixture
def portfolios(app, in_app, team_setup, make_customer):
    """team_setup, with mgr_a1's and mgr_b1's first customers filled with everything."""
    rows = dict(team_setup)
    rows["fill_a1"] = fill(in_app, rows["cust_a1"], rows["mgr_a1"])
    rows["fill_b1"] = fill(in_app, rows["cust_b1"], rows["mgr_b1"])
    return rows


# --- first sync -------------------------------------------------------------------


@pytest.mark.committed
def test_first_pull_is_exactly_the_managers_scope(app, in_app, portfolios, make_customer):
    p = portfolios
    secret = make_customer(
        manager=p["mgr_a1"],
        income_band="50-80万",
        consumption_habits="国际漫游多",
    )
    device = Device(signed_in(app, p["mgr_a1"].username))

    settle(app)
    response = device.fetch(limit=2000)
    assert response.status_code == 200
    body = response.json
    assert body["has_more"] is False
    assert body["last_acknowledged_seq"] == 0
    device.apply(body["changes"])

    own = {str(p["cust_a1"].id), str(p["cust_a1_2"].id), str(secret.id)}
    assert device.ids("customers") == own
    fa = p["fill_a1"]
    assert device.ids("contacts") == {fa["contacts"]}
    assert device.ids("visits") == {fa["visits"]}
    assert device.ids("visit_revisions") == {fa["visit_revisions"]}
    assert device.ids("complaints") == {fa["complaints"]}
    assert device.ids("complaint_events") == {fa["complaint_events"]}
    assert device.ids("care_plans") == {fa["care_plans"]}
    assert device.ids("churn_warnings") == {fa["churn_warnings"]}
    assert device.ids("tasks") == {fa["open_task"], fa["done_task"]}
    # 14 months on the server, 2 services each: the last 12 months only.
    assert device.ids("monthly_spend") == set(fa["spend"][:24])
    months = {row["month"] for row in device.rows["monthly_spend"].values()}
    assert months == {month_start(m).isoformat() for m in range(12)}
    # Reference data and the team's names.
    assert len(device.rows["tiers"]) == 6
    with in_app():
        categories = db.session.scalar(sa.select(sa.func.count()).select_from(ComplaintCategory))
    assert len(device.rows["complaint_categories"]) == categories
    team_a = {p[k].username for k in ("lead_a", "mgr_a1", "mgr_a2")}
    assert {u["username"] for u in device.rows["users"].values()} == team_a

    # Personal data and bookkeeping never leave the server.
    text = response.get_data(as_text=True)
    for hidden in ("income_band", "consumption_habits", "password_hash", "sync_stamp"):
        assert hidden not in text
    assert "50-80万" not in text and "国际漫游多" not in text
    row = device.rows["customers"][str(secret.id)]
    assert row["name"] == secret.name
    assert row["manager_id"] == str(p["mgr_a1"].id)
    assert row["activation_date"] == "2020-01-01"
    spend_row = next(iter(device.rows["monthly_spend"].values()))
    assert spend_row["amount"] == "88.50"

    assert device.copy() == server_view(in_app, p["mgr_a1"])


@pytest.mark.committed
def test_a_leads_or_an_admins_phone_holds_their_own_customers_only(
    app, in_app, portfolios, make_customer
):
    """The console serves the team and the organisation online; a phone holds what its
    user works in the field."""
    p = portfolios
    lead = Device(signed_in(app, p["lead_a"].username))
    lead.sync()
    assert lead.ids("customers") == set()
    assert lead.ids("users") == {str(p[k].id) for k in ("lead_a", "mgr_a1", "mgr_a2")}
    assert lead.copy() == server_view(in_app, p["lead_a"])

    own = make_customer(manager=p["admin"])
    admin = Device(signed_in(app, p["admin"].username))
    admin.sync()
    assert admin.ids("customers") == {str(own.id)}
    assert admin.ids("users") == {str(p["admin"].id)}
    assert admin.copy() == server_view(in_app, p["admin"])


# --- incremental ------------------------------------------------------------------


@pytest.mark.committed
def test_after_an_edit_the_next_pull_brings_just_that_row(app, in_app, portfolios):
    p = portfolios
    client = signed_in(app, p["mgr_a1"].username)
    device = Device(client)
    device.sync()

    response = client.patch(f"/api/v1/customers/{p['cust_a1'].id}", json={"notes": "爱打羽毛球"})
    assert response.status_code == 200

    changes = device.sync()
    assert [(c["entity"], c["op"], c["id"]) for c in changes] == [
        ("customers", "upsert", str(p["cust_a1"].id))
    ]
    assert changes[0]["row"]["notes"] == "爱打羽毛球"
    assert changes[0]["row"]["version"] == 2

    # Nothing changed since: an empty answer.
    body = device.page()
    assert body["changes"] == [] and body["has_more"] is False
    assert device.copy() == server_view(in_app, p["mgr_a1"])


@pytest.mark.committed
def test_another_managers_edit_is_not_pulled(app, in_app, portfolios):
    p = portfolios
    device = Device(signed_in(app, p["mgr_a1"].username))
    device.sync()
    other = signed_in(app, p["mgr_b1"].username)
    assert (
        other.patch(f"/api/v1/customers/{p['cust_b1'].id}", json={"notes": "x"}).status_code == 200
    )
    assert device.sync() == []


@pytest.mark.committed
def test_a_deleted_contact_comes_as_a_delete(app, in_app, portfolios):
    p = portfolios
    client = signed_in(app, p["mgr_a1"].username)
    device = Device(client)
    device.sync()
    contact_id = p["fill_a1"]["contacts"]
    with in_app():  # contacts belong to organisations; the fixture's customer is a person
        customer = db.session.get(Customer, p["cust_a1"].id)
        customer.kind = "organisation"
        db.session.commit()
    assert device.sync() == [
        {
            "entity": "customers",
            "op": "upsert",
            "id": str(p["cust_a1"].id),
            "row": device.rows["customers"][str(p["cust_a1"].id)],
        }
    ]

    response = client.delete(f"/api/v1/customers/{p['cust_a1'].id}/contacts/{contact_id}")
    assert response.status_code == 204

    assert device.sync() == [{"entity": "contacts", "op": "delete", "id": contact_id}]
    assert contact_id not in device.ids("contacts")
    assert device.copy() == server_view(in_app, p["mgr_a1"])


# --- paging -----------------------------------------------------------------------


@pytest.mark.committed
def test_small_pages_add_up_to_the_full_pull(app, in_app, portfolios):
    p = portfolios
    client = signed_in(app, p["mgr_a1"].username)
    whole = Device(client)
    everything = whole.sync(limit=2000)

    paged = Device(client)
    pages = []
    for _ in range(100):
        body = paged.page(limit=7)
        assert len(body["changes"]) <= 7
        pages.append(body["changes"])
        if not body["has_more"]:
            break
    assert len(pages) >= len(everything) // 7
    assert sorted(json.dumps(c, sort_keys=True) for page in pages for c in page) == sorted(
        json.dumps(c, sort_keys=True) for c in everything
    )
    assert paged.copy() == whole.copy() == server_view(in_app, p["mgr_a1"])


@pytest.mark.committed
def test_a_first_syncs_first_page_tells_how_many_changes_the_round_holds(
    app, in_app, portfolios, make_customer
):
    """The phone shows "1,234 / 5,678": the first page of a full sync says how many
    changes the whole round brings (the user's own, not the team's), later pages and
    later rounds say nothing (they cost nothing more)."""
    p = portfolios
    # Another manager's portfolio is bigger than mine and must not count.
    for _ in range(3):
        make_customer(manager=p["mgr_b1"])
    client = signed_in(app, p["mgr_a1"].username)
    device = Device(client)
    first = device.page(limit=7)
    assert first["has_more"]
    total = len(first["changes"])
    for _ in range(100):
        body = device.page(limit=7)
        assert "estimate" not in body
        total += len(body["changes"])
        if not body["has_more"]:
            break
    assert first["estimate"] == total == len(Device(client).sync(limit=2000))
    assert "estimate" not in device.page(limit=7)
    # A one-page first sync says it too: every change it holds.
    whole = Device(signed_in(app, p["mgr_b1"].username)).page(limit=2000)
    assert not whole["has_more"]
    assert whole["estimate"] == len(whole["changes"])


@pytest.mark.committed
def test_a_device_that_crashes_before_saving_the_cursor_ends_the_same(app, in_app, portfolios):
    p = portfolios
    client = signed_in(app, p["mgr_a1"].username)
    device = Device(client)
    for n in range(100):
        # Every other page is stored but the phone dies before saving the cursor.
        body = device.page(limit=5, save=n % 2 == 1)
        if n % 2 == 1 and not body["has_more"]:
            break
    assert device.copy() == server_view(in_app, p["mgr_a1"])


@pytest.mark.committed
def test_a_change_during_paging_is_served_by_the_next_round(app, in_app, portfolios):
    p = portfolios
    client = signed_in(app, p["mgr_a1"].username)
    device = Device(client)
    device.page(limit=4)  # the reference data; customers come later in the round
    assert (
        client.patch(f"/api/v1/customers/{p['cust_a1'].id}", json={"notes": "新"}).status_code
        == 200
    )
    device.sync(limit=4)
    # The edit is newer than the round's window: the round ends without the row...
    assert str(p["cust_a1"].id) not in device.ids("customers")
    # ...and the next pull brings it.
    changes = device.sync(limit=4)
    assert [(c["entity"], c["id"]) for c in changes] == [("customers", str(p["cust_a1"].id))]
    assert device.rows["customers"][str(p["cust_a1"].id)]["notes"] == "新"
    assert device.copy() == server_view(in_app, p["mgr_a1"])


# --- reassignment -----------------------------------------------------------------


@pytest.mark.committed
def test_reassignment_moves_the_customer_and_everything_under_it(app, in_app, portfolios):
    p = portfolios
    customer = str(p["cust_a1"].id)
    fa = p["fill_a1"]
    a = Device(signed_in(app, p["mgr_a1"].username))
    b = Device(signed_in(app, p["mgr_a2"].username))
    a.sync()
    b.sync()
    assert fa["visits"] in a.ids("visits") and customer not in b.ids("customers")

    lead = signed_in(app, p["lead_a"].username)
    response = lead.post(
        f"/api/v1/customers/{customer}/assign",
        json={"manager_id": str(p["mgr_a2"].id), "reason": "rebalance"},
    )
    assert response.status_code == 200, response.json

    a_changes = a.sync()
    assert {"entity": "customers", "op": "delete", "id": customer, "cascade": True} in a_changes
    assert customer not in a.ids("customers")
    assert not a.ids("visits") and not a.ids("contacts") and not a.ids("monthly_spend")
    # Finished work keeps its owner: A still holds the done task (the open one moved to B).
    assert a.ids("tasks") == {fa["done_task"]}
    assert a.copy() == server_view(in_app, p["mgr_a1"])

    b.sync()
    assert customer in b.ids("customers")
    # Including rows stamped long before B's cursor.
    for entity in ("visits", "visit_revisions", "contacts", "complaints", "complaint_events"):
        assert fa[entity] in b.ids(entity), entity
    assert {fa["open_task"], fa["done_task"]} <= b.ids("tasks")
    assert len([s for s in b.rows["monthly_spend"].values() if s["customer_id"] == customer]) == 24
    assert b.copy() == server_view(in_app, p["mgr_a2"])

    # And back again.
    response = lead.post(
        f"/api/v1/customers/{customer}/assign",
        json={"manager_id": str(p["mgr_a1"].id), "reason": "back"},
    )
    assert response.status_code == 200
    a.sync()
    b.sync()
    assert a.copy() == server_view(in_app, p["mgr_a1"])
    assert b.copy() == server_view(in_app, p["mgr_a2"])
    assert customer in a.ids("customers") and customer not in b.ids("customers")


@pytest.mark.committed
def test_a_move_between_two_managers_reaches_neither_the_leads_nor_a_third_phone(
    app, in_app, portfolios
):
    p = portfolios
    lead_client = signed_in(app, p["lead_a"].username)
    lead = Device(lead_client)
    lead.sync()
    bystander = Device(signed_in(app, p["mgr_b1"].username))
    bystander.sync()
    response = lead_client.post(
        f"/api/v1/customers/{p['cust_a1'].id}/assign",
        json={"manager_id": str(p["mgr_a2"].id), "reason": "rebalance"},
    )
    assert response.status_code == 200
    assert lead.sync() == [] and bystander.sync() == []
    assert lead.copy() == server_view(in_app, p["lead_a"])


# --- refusals ---------------------------------------------------------------------


def _cursor(text: str) -> pull_module.Cursor:
    return pull_module.Cursor.decode(text)


@pytest.mark.committed
def test_cursors_the_server_cannot_serve_ask_for_a_reset(app, in_app, portfolios, runner):
    p = portfolios
    client = signed_in(app, p["mgr_a1"].username)
    device = Device(client)
    device.sync()
    good = device.cursor

    def refused(cursor: str) -> None:
        response = device.fetch(cursor=cursor)
        assert response.status_code == 410, response.json
        assert response.json["error"]["code"] == "reset_required"

    refused("not a cursor")
    refused("eyJ2IjoxfQ")  # {"v":1}: decodes, but says nothing
    # Ahead of the server (a database restored from an older backup).
    refused(replace(_cursor(good), lo=_cursor(good).lo + 10_000_000).encode())
    refused(replace(_cursor(good), hi=10_000_000, stream="customers").encode())
    # Another user's cursor.
    other = Device(signed_in(app, p["mgr_a2"].username))
    other.sync()
    refused(other.cursor)

    # A new epoch (after a restore) makes every cursor unservable.
    with in_app():
        old_epoch = db.session.get(SyncClock, 1).epoch
    assert runner.invoke(args=["sync", "new-epoch"]).exit_code == 0
    refused(good)
    device.cursor = None
    device.rows.clear()
    device.sync()
    assert device.copy() == server_view(in_app, p["mgr_a1"])
    with in_app():
        assert db.session.get(SyncClock, 1).epoch != old_epoch


@pytest.mark.committed
def test_purged_tombstones_make_older_cursors_reset(app, in_app, portfolios, runner):
    p = portfolios
    client = signed_in(app, p["mgr_a1"].username)
    device = Device(client)
    device.sync()
    stale = device.cursor
    with in_app():
        db.session.get(Customer, p["cust_a1"].id).kind = "organisation"
        db.session.commit()
    contact_id = p["fill_a1"]["contacts"]
    response = client.delete(f"/api/v1/customers/{p['cust_a1'].id}/contacts/{contact_id}")
    assert response.status_code == 204

    # Too young to purge: nothing changes.
    result = runner.invoke(args=["sync", "purge-tombstones"])
    assert result.exit_code == 0, result.output
    assert "tombstones purged: 0" in result.output
    assert device.fetch(cursor=stale).status_code == 200

    result = runner.invoke(args=["sync", "purge-tombstones", "--older-than-days", "0"])
    assert result.exit_code == 0, result.output
    assert "tombstones purged: 1" in result.output
    response = device.fetch(cursor=stale)
    assert response.status_code == 410
    assert response.json["error"]["code"] == "reset_required"
    # A device that had already pulled past the deletion carries on.
    fresh = Device(client)
    fresh.sync()
    assert fresh.page()["changes"] == []


@pytest.mark.committed
def test_a_role_or_team_change_asks_for_a_reset(app, in_app, portfolios):
    p = portfolios
    device = Device(signed_in(app, p["mgr_a1"].username))
    device.sync()
    with in_app():
        db.session.get(User, p["mgr_a1"].id).team_id = p["team_b"].id
        db.session.commit()
    response = device.fetch()
    assert response.status_code == 410
    assert response.json["error"]["code"] == "reset_required"


def test_an_unsupported_schema_version_is_426(app, team_setup):
    device = Device(signed_in(app, team_setup["mgr_a1"].username))
    response = device.fetch(schema_version=1)
    assert response.status_code == 426
    assert response.json["error"]["code"] == "upgrade_required"


def test_a_device_id_belongs_to_one_user(app, team_setup):
    mine = Device(signed_in(app, team_setup["mgr_a1"].username))
    assert mine.fetch().status_code == 200
    theirs = Device(signed_in(app, team_setup["mgr_a2"].username), device_id=mine.id)
    response = theirs.fetch()
    assert response.status_code == 403
    assert response.json["error"]["code"] == "device_mismatch"


def test_signed_out_pull_is_401(client):
    response = client.get(PULL, query_string={"device_id": str(uuid.uuid4())})
    assert response.status_code == 401


@pytest.mark.committed
def test_a_forged_cursor_stays_inside_the_users_scope(app, in_app, portfolios):
    p = portfolios
    device = Device(signed_in(app, p["mgr_a2"].username))
    device.sync()
    own = {str(p["cust_a2"].id), str(p["cust_a2_2"].id)}
    assert device.ids("customers") == own
    mark = _cursor(device.cursor)
    # Restart a round from the beginning of time, positioned anywhere.
    for stream, after in (
        ("customers", None),
        ("customers", (0, uuid.UUID(int=0))),
        ("visits", None),
        ("tombstones", None),
        ("leaving", None),
    ):
        forged = replace(mark, lo=0, hi=mark.lo, stream=stream, after=after).encode()
        changes = []
        cursor = forged
        for _ in range(50):
            body = device.fetch(cursor=cursor, limit=2000).json
            changes.extend(body["changes"])
            cursor = body["cursor"]
            if not body["has_more"]:
                break
        customers = {c["id"] for c in changes if c["entity"] == "customers"}
        assert customers <= own
        assert p["fill_a1"]["visits"] not in {c["id"] for c in changes}


# --- cost ---------------------------------------------------------------------------


def _portfolio(in_app, manager: User, size: int) -> None:
    """`size` customers with 12 months of two services' spend; a tenth with more."""
    now = datetime.now(UTC)
    with in_app():
        tier = db.session.scalar(sa.select(Tier).where(Tier.code == "gold"))
        category = db.session.scalar(sa.select(ComplaintCategory).limit(1))
        prefix = uuid.uuid4().hex[:6]
        customers = [
            {
                "id": uuid.uuid4(),
                "external_no": f"Q{prefix}{i:05d}",
                "name": f"客户{i}",
                "kind": "individual",
                "stage": "maturity",
                "tier_id": tier.id,
                "manager_id": manager.id,
                "products": [],
                "special_dates": [],
            }
            for i in range(size)
        ]
        db.session.execute(sa.insert(Customer), customers)
        db.session.execute(
            sa.insert(MonthlySpend),
            [
                {
                    "customer_id": c["id"],
                    "month": month_start(m),
                    "service": service,
                    "amount": Decimal("120.00"),
                }
                for c in customers
                for m in range(12)
                for service in ("mobile", "broadband")
            ],
        )
        some = customers[::10]
        visit_ids = [uuid.uuid4() for _ in some]
        complaint_ids = [uuid.uuid4() for _ in some]
        db.session.execute(
            sa.insert(Visit),
            [
                {
                    "id": vid,
                    "customer_id": c["id"],
                    "manager_id": manager.id,
                    "channel": "phone",
                    "purpose": "routine",
                    "started_at": now,
                    "products_discussed": [],
                }
                for vid, c in zip(visit_ids, some, strict=True)
            ],
        )
        db.session.execute(
            sa.insert(CarePlan),
            [
                {
                    "customer_id": c["id"],
                    "owner_id": manager.id,
                    "purpose": "routine",
                    "channel": "phone",
                    "title": "Call",
                    "due_from": now.date(),
                    "due_to": now.date(),
                }
                for c in some
            ],
        )
        db.session.execute(
            sa.insert(Complaint),
            [
                {
                    "id": cid,
                    "customer_id": c["id"],
                    "owner_id": manager.id,
                    "category_id": category.id,
                    "severity": "low",
                    "intake_channel": "phone",
                    "description": "慢",
                    "received_at": now,
                    "deadline_at": now,
                    "logged_by_id": manager.id,
                }
                for cid, c in zip(complaint_ids, some, strict=True)
            ],
        )
        db.session.execute(
            sa.insert(ComplaintEvent),
            [
                {"complaint_id": cid, "actor_id": manager.id, "to_status": "received"}
                for cid in complaint_ids
            ],
        )
        db.session.execute(
            sa.insert(VisitRevision),
            [{"visit_id": vid, "editor_id": manager.id, "changes": {}} for vid in visit_ids],
        )
        db.session.commit()


class StatementCounter:
    def __init__(self, engine):
        self.engine = engine
        self.selects = 0

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.selects += 1


def _selects_per_page(app, in_app, device: Device, limit: int) -> tuple[list[int], int]:
    """SELECTs each page of a full sync issued, and how many changes it brought."""
    with in_app():
        engine = db.engine
    counts, total = [], 0
    for _ in range(100):
        settle(app)
        with StatementCounter(engine) as counter:
            body = device.page(limit=limit, wait=False)
        counts.append(counter.selects)
        total += len(body["changes"])
        if not body["has_more"]:
            return counts, total
    raise AssertionError("pull never finished")


@pytest.mark.committed
def test_a_first_pull_of_a_big_portfolio_is_a_handful_of_queries(app, in_app, make_team, make_user):
    team = make_team()
    small, big = (make_user(Role.MANAGER, team=team) for _ in range(2))
    _portfolio(in_app, small, 50)
    _portfolio(in_app, big, 500)

    small_counts, small_total = _selects_per_page(
        app, in_app, Device(signed_in(app, small.username)), 2000
    )
    big_device = Device(signed_in(app, big.username))
    big_counts, big_total = _selects_per_page(app, in_app, big_device, 2000)

    assert small_total >= 50 + 50 * 24
    assert big_total >= 500 + 500 * 24
    assert len(big_counts) >= 6  # 13,000+ changes, 2,000 a page
    # A bounded number of statements per page, whatever the number of customers.
    assert max(big_counts) <= 25
    assert max(big_counts) <= max(small_counts)
    assert big_device.copy() == server_view(in_app, big)

    # Nothing changed: one indexed query per stream, no changes.
    settle(app)
    with StatementCounter(engine_of(in_app)) as counter:
        body = big_device.page(limit=2000, wait=False)
    assert body["changes"] == []
    assert counter.selects <= 25


def engine_of(in_app):
    with in_app():
        return db.engine


@pytest.mark.committed
def test_a_large_pull_is_gzip_compressed(app, in_app, portfolios):
    client = signed_in(app, portfolios["mgr_a1"].username)
    settle(app)
    response = client.get(
        PULL,
        query_string={"device_id": str(uuid.uuid4()), "limit": 2000},
        headers={"Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.get_data()))
    assert len(body["changes"]) > 30


@pytest.mark.committed
def test_the_device_records_its_pulls(app, in_app, portfolios):
    device = Device(signed_in(app, portfolios["mgr_a1"].username))
    device.sync()
    with in_app():
        row = db.session.get(SyncDevice, device.id)
        assert row.user_id == portfolios["mgr_a1"].id
        assert row.last_pull_at is not None
        row.last_seq = 42
        db.session.commit()
    assert device.page()["last_acknowledged_seq"] == 42


@pytest.mark.committed
def test_months_that_slide_out_of_the_window_are_dropped(app, in_app, portfolios):
    p = portfolios
    device = Device(signed_in(app, p["mgr_a1"].username))
    device.sync()
    oldest = month_start(11).isoformat()
    assert any(s["month"] == oldest for s in device.rows["monthly_spend"].values())

    next_month = month_start(-1)
    later = datetime(next_month.year, next_month.month, 2, 12, tzinfo=UTC)
    with time_machine.travel(later):
        # A month on, the phone signs in again; its copy and cursor are kept.
        device.client = signed_in(app, p["mgr_a1"].username)
        changes = device.sync()
    dropped = {c["id"] for c in changes if c["op"] == "delete"}
    assert len(dropped) == 2
    assert all(s["month"] > oldest for s in device.rows["monthly_spend"].values())
    assert len(device.rows["monthly_spend"]) == 22
