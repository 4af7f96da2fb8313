"""What a sync pull costs: statements that follow the page, not the organisation.

Issue 12 measured pulls whose streams walked each whole table's primary key (the
cost grew with the number of managers) and an empty pull of 23 statements. These
guards count statements, and on PostgreSQL read the plans; they never time anything.
"""

import base64
import json
import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from server.auth.models import Role, User
from server.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from server.customers.models import Contact, Customer, MonthlySpend, Tier
from server.extensions import db
from server.plans.models import CarePlan
from server.sync import pull as pull_module
from server.sync.models import SyncClock
from server.tasks.models import Task
from server.visits.models import Visit, VisitRevision
from tests.statements import statements
from tests.sync_helpers import Device, server_view, settle, signed_in

# The statements of a pull besides its streams': the session (2), the watermark with
# the clock and the device (1), the scope's customer ids (1), and on a page after the
# first round the assignments in the window (1); the access log's row on a page that
# carries customers (1).
FIXED_CEILING = 6
# A first sync's first page also counts what the round holds, in one statement.
ESTIMATE = 1
# An empty pull: the session, the watermark with the clock and device, and at most
# one statement asking the indexes whether anything of the user's changed.
EMPTY_CEILING = 4


def _month(back: int) -> date:
    return date.today().replace(day=1) - relativedelta(months=back)


def _portfolios(in_app, managers: list[User], customers_each: int) -> None:
    """Each manager's customers with a year of spend, a contact, a plan, a visit with a
    revision, a complaint with its event and a task: 32 rows in every big stream."""
    now = datetime.now(UTC)
    with in_app():
        tier = db.session.scalar(sa.select(Tier).where(Tier.code == "gold"))
        category = db.session.scalar(sa.select(ComplaintCategory).limit(1))
        rows: dict[type, list[dict]] = {model: [] for model in (Customer, MonthlySpend)}
        for model in (Contact, CarePlan, Visit, VisitRevision, Complaint, ComplaintEvent, Task):
            rows[model] = []
        for manager in managers:
            for i in range(customers_each):
                cid, vid, kid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
                rows[Customer].append(
                    {
                        "id": cid,
                        "external_no": f"P{cid.hex[:12]}",
                        "name": f"客户{i}",
                        "kind": "individual",
                        "stage": "maturity",
                        "tier_id": tier.id,
                        "manager_id": manager.id,
                        "products": [],
                        "special_dates": [],
                    }
                )
                rows[MonthlySpend] += [
                    {"customer_id": cid, "month": _month(m), "service": s, "amount": Decimal("9")}
                    for m in range(12)
                    for s in ("mobile", "broadband")
                ]
                rows[Contact].append({"customer_id": cid, "name": "联系人"})
                rows[CarePlan].append(
                    {
                        "customer_id": cid,
                        "owner_id": manager.id,
                        "purpose": "routine",
                        "channel": "phone",
                        "title": "Call",
                        "due_from": now.date(),
                        "due_to": now.date(),
                    }
                )
                rows[Visit].append(
                    {
                        "id": vid,
                        "customer_id": cid,
                        "manager_id": manager.id,
                        "channel": "phone",
                        "purpose": "routine",
                        "started_at": now,
                        "products_discussed": [],
                    }
                )
                rows[VisitRevision].append(
                    {"visit_id": vid, "editor_id": manager.id, "changes": {}}
                )
                rows[Complaint].append(
                    {
                        "id": kid,
                        "customer_id": cid,
                        "owner_id": manager.id,
                        "category_id": category.id,
                        "severity": "low",
                        "intake_channel": "phone",
                        "description": "慢",
                        "received_at": now,
                        "deadline_at": now,
                        "logged_by_id": manager.id,
                    }
                )
                rows[ComplaintEvent].append(
                    {"complaint_id": kid, "actor_id": manager.id, "to_status": "received"}
                )
                rows[Task].append(
                    {
                        "customer_id": cid,
                        "owner_id": manager.id,
                        "created_by_id": manager.id,
                        "title": "Follow up",
                    }
                )
        for model, values in rows.items():
            if values:
                db.session.execute(sa.insert(model), values)
        db.session.commit()


def _pull_costs(app, device: Device, limit: int) -> tuple[list[int], int]:
    """Statements of each page of a full sync, and the changes it brought."""
    counts, total = [], 0
    for _ in range(200):
        settle(app)
        with statements(app) as seen:
            body = device.page(limit=limit, wait=False)
        counts.append(len(seen))
        total += len(body["changes"])
        if not body["has_more"]:
            return counts, total
    raise AssertionError("the pull never finished")


def _org(in_app, make_team, make_user, *, others: int, customers: int, others_each: int = 5):
    team = make_team()
    me = make_user(Role.MANAGER, team=team)
    rest = [make_user(Role.MANAGER, team=make_team()) for _ in range(others)]
    _portfolios(in_app, [me], customers)
    _portfolios(in_app, rest, others_each)
    return me


@pytest.mark.committed
def test_a_pulls_statements_do_not_follow_the_organisation(app, in_app, make_team, make_user):
    """The same portfolio in an organisation of 2 and of 20 other managers: the same
    statements, page for page, and the same for an empty pull."""
    costs = []
    for others in (2, 20):
        me = _org(in_app, make_team, make_user, others=others, customers=6)
        device = Device(signed_in(app, me.username))
        pages, total = _pull_costs(app, device, limit=40)
        assert device.copy() == server_view(in_app, me)
        settle(app)
        with statements(app) as seen:
            body = device.page(limit=40, wait=False)
        assert body["changes"] == []
        costs.append((pages, total, len(seen)))
    (small_pages, small_total, small_empty), (big_pages, big_total, big_empty) = costs
    assert small_total == big_total >= 6 * 32
    assert small_pages == big_pages
    assert len(small_pages) >= 5
    assert max(small_empty, big_empty) <= EMPTY_CEILING


@pytest.mark.committed
def test_a_pulls_statements_do_not_follow_the_portfolio(app, in_app, make_team, make_user):
    """5 and 50 customers, pages of 40: a page reads the streams it passes through,
    one statement each, whatever the number of customers behind them."""
    team = make_team()
    small, big = make_user(Role.MANAGER, team=team), make_user(Role.MANAGER, team=team)
    _portfolios(in_app, [small], 5)
    _portfolios(in_app, [big], 50)
    small_pages, small_total = _pull_costs(app, Device(signed_in(app, small.username)), 40)
    big_device = Device(signed_in(app, big.username))
    big_pages, big_total = _pull_costs(app, big_device, 40)

    assert small_total >= 5 * 32 and big_total >= 50 * 32
    assert len(big_pages) >= 40
    streams = len(pull_module.STREAMS)
    # A page inside one stream: the fixed statements and that stream's one.
    assert min(big_pages) == min(small_pages) <= FIXED_CEILING + 1
    # A page costs a statement per stream it passes through, and more customers only
    # make a page pass through fewer.
    assert max(big_pages) <= max(small_pages) <= FIXED_CEILING + streams + ESTIMATE
    # The whole sync: the fixed statements a page, one per page for the stream it is
    # in, one for each of the streams it moved on to, and the first page's count.
    assert sum(big_pages) <= len(big_pages) * (FIXED_CEILING + 1) + streams + ESTIMATE
    assert big_device.copy() == server_view(in_app, big)


@pytest.mark.committed
def test_an_empty_pull_is_a_few_statements_and_asks_the_indexes(app, in_app, make_team, make_user):
    """After a full sync, another manager's change moves the watermark (on SQLite
    surely, on PostgreSQL unless another transaction holds it): the pull answers
    nothing in at most the session, the clock and one probe of the indexes."""
    me = _org(in_app, make_team, make_user, others=3, customers=5)
    device = Device(signed_in(app, me.username))
    device.sync()
    cursor = pull_module.Cursor.decode(device.cursor)
    with in_app():
        other = db.session.scalar(sa.select(Customer).where(Customer.manager_id != me.id).limit(1))
        other.name = "换了名字"
        db.session.commit()
        stamp = other.sync_stamp
    settle(app)
    with statements(app) as seen:
        body = device.page(wait=False)
    assert body["changes"] == []
    assert len(seen) <= EMPTY_CEILING
    assert not any("INSERT" in s or "UPDATE" in s for s in seen)
    # Whatever the watermark did, the probe itself sees no change of the user's in a
    # window holding the other manager's, and sees one of the user's own.
    with in_app():
        user = db.session.get(User, me.id)
        assert not pull_module._anything_in(user, cursor.lo, stamp + 1)
        mine = db.session.scalar(
            sa.select(MonthlySpend).join(Customer).where(Customer.manager_id == me.id).limit(1)
        )
        mine.amount = Decimal("10")
        db.session.commit()
        assert pull_module._anything_in(user, cursor.lo, mine.sync_stamp + 1)
    settle(app)
    changes = device.page()["changes"]
    assert [(c["entity"], c["id"]) for c in changes] == [("monthly_spend", str(mine.id))]


@pytest.mark.committed
def test_an_old_cursor_is_served_not_reset(app, in_app, make_team, make_user):
    """A version 1 cursor (a position was one id) still works: between rounds as it
    is, inside a round from the start of its stream."""
    me = _org(in_app, make_team, make_user, others=1, customers=3)
    device = Device(signed_in(app, me.username))
    device.sync()
    now = pull_module.Cursor.decode(device.cursor)
    with in_app():
        epoch = db.session.scalar(sa.select(SyncClock.epoch)).hex

    def v1(**fields) -> str:
        data = {"v": 1, "e": epoch, "f": now.scope, "lo": now.lo, "m": now.spend_from.isoformat()}
        data.update(fields)
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    between = device.fetch(cursor=v1())
    assert between.status_code == 200
    assert between.json["changes"] == []
    inside = device.fetch(cursor=v1(lo=0, hi=now.lo, s="customers", k=uuid.uuid4().hex))
    assert inside.status_code == 200
    served = {c["id"] for c in inside.json["changes"] if c["entity"] == "customers"}
    assert served == device.ids("customers")


# --- plans (PostgreSQL) ------------------------------------------------------------

# Tables big enough in the test below that a Seq Scan would read other managers' rows.
BIG_TABLES = {
    "customers",
    "contacts",
    "monthly_spend",
    "care_plans",
    "visits",
    "visit_revisions",
    "complaints",
    "complaint_events",
    "tasks",
}


def _nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.postgres_only
@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
    reason="plans are PostgreSQL's",
)
@pytest.mark.committed
def test_each_stream_walks_its_index_on_postgresql(app, in_app, make_team, make_user):
    """A first pull's stream queries use the index meant for them and read about as
    many rows as the page holds: no Seq Scan of a big table, and the stream's own scan
    examines at most a page of rows."""
    me = _org(in_app, make_team, make_user, others=40, customers=5, others_each=50)
    with in_app():
        for table in BIG_TABLES:
            db.session.execute(sa.text(f"ANALYZE {table}"))
        db.session.commit()
        engine = db.engine
    device = Device(signed_in(app, me.username))
    recorded: list[tuple[str, dict]] = []

    counted: list[tuple[str, dict]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "sync_stamp" in statement and "ORDER BY" in statement:
            recorded.append((statement, parameters))
        elif "count(*)" in statement:
            counted.append((statement, parameters))

    limit = 200
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        device.sync(limit=limit)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    read: dict[str, set[str]] = {}
    with engine.connect() as conn:
        # Tables of a test's size are cheaper read whole, and PostgreSQL rightly does;
        # what must hold is that each query can be served by its index and reads a
        # page's worth through it (a query written so that no index serves it, or one
        # ordered by the table's id, still scans everything, or the wrong index).
        conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in recorded:
            (plan,) = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
            ).scalar_one()
            table = re.search(r"\bFROM\s+(\w+)", statement)[1]
            for node in _nodes(plan["Plan"]):
                relation = node.get("Relation Name")
                assert not (node["Node Type"] == "Seq Scan" and relation in BIG_TABLES), (
                    statement,
                    plan,
                )
                index = node.get("Index Name", "")
                if index.startswith((f"ix_{table}_", f"pk_{table}")):
                    read.setdefault(table, set()).add(index)
                if relation == table:
                    examined = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
                    assert examined <= limit + 1, (statement, plan)
        # The first page's estimate counts each stream's rows on the same indexes.
        assert len(counted) == 1
        (statement, parameters) = counted[0]
        (plan,) = conn.exec_driver_sql(
            "EXPLAIN (FORMAT JSON) " + statement, parameters
        ).scalar_one()
        for node in _nodes(plan["Plan"]):
            assert not (
                node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES
            ), (statement, plan)
    # Each stream starts from the user's customers (the customers from their manager,
    # the rest from their customer, parent or owner): its index on (that column,
    # sync_stamp, id), or on that column alone for a portfolio this small.
    starts = {
        "customers": ["manager_id"],
        "contacts": ["customer_id"],
        "monthly_spend": ["customer_id"],
        "care_plans": ["customer_id"],
        "visits": ["customer_id"],
        "visit_revisions": ["visit_id"],
        "complaints": ["customer_id"],
        "complaint_events": ["complaint_id"],
        "tasks": ["customer_id", "owner_id"],
    }
    for table, columns in starts.items():
        allowed = {f"ix_{table}_{c}{sync}" for c in columns for sync in ("_sync", "")}
        assert read[table] and read[table] <= allowed, (table, read[table])
