"""The agenda: a manager's day and week in one call, the most urgent first.

The clock is fixed at 2026-03-10 09:00 in Shanghai (01:00 UTC), a Tuesday; the week
runs from Wednesday 11 to Tuesday 17 March.
"""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from server.agenda.schemas import AgendaSchema
from server.agenda.services import agenda
from server.auth.models import Role, User
from server.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    IntakeChannel,
    Severity,
)
from server.extensions import db
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.tasks.models import Task, TaskStatus
from server.warnings.models import ChurnWarning, WarningSource, WarningStatus

API = "/api/v1/agenda"
NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _complaint(customer, owner, deadline: datetime, status=ComplaintStatus.RECEIVED, **kw):
    category = db.session.scalar(
        sa.select(ComplaintCategory).where(ComplaintCategory.code == "network")
    )
    row = Complaint(
        customer_id=customer.id,
        owner_id=owner.id,
        category_id=category.id,
        severity=kw.pop("severity", Severity.HIGH),
        intake_channel=IntakeChannel.PHONE,
        description=kw.pop("description", "No signal at home"),
        received_at=deadline - timedelta(hours=24),
        deadline_at=deadline,
        status=status,
        logged_by_id=owner.id,
    )
    db.session.add(row)
    return row


def _plan(customer, owner, due_from: date, due_to: date, status=PlanStatus.PLANNED, **kw):
    row = CarePlan(
        customer_id=customer.id,
        owner_id=owner.id,
        purpose=kw.pop("purpose", Purpose.ROUTINE),
        channel=Channel.PHONE,
        title=kw.pop("title", "日常维系"),
        due_from=due_from,
        due_to=due_to,
        status=status,
    )
    db.session.add(row)
    return row


def _task(owner, customer, due: date | None, status=TaskStatus.OPEN, title="Follow up"):
    row = Task(
        owner_id=owner.id,
        customer_id=customer.id if customer else None,
        title=title,
        due_date=due,
        status=status,
        created_by_id=owner.id,
    )
    db.session.add(row)
    return row


def _warning(customer, *, answered: bool, status=WarningStatus.OPEN):
    row = ChurnWarning(
        customer_id=customer.id,
        status=status,
        source=WarningSource.SPEND_RULE,
        reasons=[
            {
                "code": "total_drop",
                "drop_pct": 12.5,
                "text_zh": "月消费下降12.5%",
                "text_en": "Total monthly spend down 12.5%",
            }
        ],
        finding_keys=["total_drop:2026-02"],
        opened_at=_utc(3, 2),
        answered_at=_utc(3, 3) if answered else None,
    )
    db.session.add(row)
    return row


@pytest.fixture
def world(in_app, make_team, make_user, make_customer):
    """One manager's portfolio with something of every kind, plus what must not show."""
    team = make_team()
    mgr = make_user(Role.MANAGER, team=team, display_name="王经理")
    colleague = make_user(Role.MANAGER, team=team)
    rows = {
        "mgr": mgr,
        "colleague": colleague,
        "lead": make_user(Role.LEAD, team=team),
        "lead_other": make_user(Role.LEAD, team=make_team()),
        "admin": make_user(Role.ADMIN),
        "gold": make_customer(manager=mgr, tier="gold", name="金 Gold", phone="13800000001"),
        "diamond": make_customer(manager=mgr, tier="diamond", name="钻 Diamond"),
        # Birthdays: today, in three days, a lunar one (1/24 falls on 12 March 2026),
        # and one out of the week; a colleague's customer's today.
        "bday_today": make_customer(manager=mgr, tier="crystal", birthday=date(1975, 3, 10)),
        "bday_3": make_customer(manager=mgr, tier="gold", birthday=date(1980, 3, 13)),
        "bday_lunar": make_customer(
            manager=mgr, tier="platinum", birthday=date(1970, 1, 24), birthday_lunar=True
        ),
        "bday_far": make_customer(manager=mgr, birthday=date(1980, 3, 25)),
        "theirs": make_customer(manager=colleague, birthday=date(1981, 3, 10)),
    }
    with in_app():
        gold, diamond, theirs = rows["gold"], rows["diamond"], rows["theirs"]
        ids = {
            # Complaints: unresolved past the deadline, due within hours, due this week.
            "c_oldest": _complaint(gold, mgr, _utc(3, 8)),
            "c_overdue": _complaint(
                diamond, mgr, _utc(3, 9, 12), status=ComplaintStatus.IN_PROGRESS
            ),
            "c_soon": _complaint(gold, mgr, NOW + timedelta(hours=5)),
            "c_week": _complaint(gold, mgr, _utc(3, 14, 4)),
            # Not shown: resolved (late, but no longer overdue), beyond the week, theirs.
            "c_resolved": _complaint(gold, mgr, _utc(3, 8), status=ComplaintStatus.RESOLVED),
            "c_far": _complaint(gold, mgr, _utc(3, 20)),
            "c_theirs": _complaint(theirs, colleague, _utc(3, 8)),
            # Plans: window open today, missed last week, opening this week.
            "p_due": _plan(gold, mgr, date(2026, 3, 8), date(2026, 3, 12), title="季度回访"),
            "p_missed": _plan(
                diamond, mgr, date(2026, 3, 1), date(2026, 3, 5), status=PlanStatus.MISSED
            ),
            "p_week": _plan(gold, mgr, date(2026, 3, 13), date(2026, 3, 20)),
            "p_done": _plan(gold, mgr, date(2026, 3, 8), date(2026, 3, 12), PlanStatus.DONE),
            "p_later": _plan(gold, mgr, date(2026, 3, 18), date(2026, 3, 25)),
            "p_theirs": _plan(theirs, colleague, date(2026, 3, 8), date(2026, 3, 12)),
            # Tasks: overdue, due today, a standalone one this week.
            "t_overdue": _task(mgr, gold, date(2026, 3, 7), title="Send the new tariff"),
            "t_today": _task(mgr, diamond, TODAY, title="Bring the SIM"),
            "t_week": _task(mgr, None, date(2026, 3, 15), title="Team report"),
            "t_done": _task(mgr, gold, date(2026, 3, 7), TaskStatus.DONE),
            "t_undated": _task(mgr, gold, None),
            "t_theirs": _task(colleague, theirs, TODAY),
            # Warnings: open and unanswered, open and answered, retained.
            "w_open": _warning(gold, answered=False),
            "w_answered": _warning(diamond, answered=True),
            "w_retained": _warning(rows["bday_3"], answered=True, status=WarningStatus.RETAINED),
            "w_theirs": _warning(theirs, answered=False),
        }
        db.session.commit()
        rows.update({name: row.id for name, row in ids.items()})
    return rows


def _get(client, **query):
    response = client.get(API, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def _name(item, world) -> str:
    """The item's name in `world`; a birthday is named by its customer."""
    return next(k for k, v in world.items() if str(getattr(v, "id", v)) == item["id"])


def _entries(items, world) -> list[tuple[str, str]]:
    return [(item["type"], _name(item, world)) for item in items]


def test_today_and_week_in_order_of_urgency(client, auth, world):
    auth.login(world["mgr"].username)
    agenda = _get(client)
    assert agenda["date"] == "2026-03-10"
    assert agenda["manager"]["display_name"] == "王经理"
    assert _entries(agenda["today"], world) == [
        ("complaint", "c_oldest"),  # overdue complaints, the oldest deadline first
        ("complaint", "c_overdue"),
        ("plan", "p_missed"),  # overdue work, the oldest due first: 5 March
        ("task", "t_overdue"),  # 7 March
        ("complaint", "c_soon"),  # due in five hours
        ("warning", "w_open"),  # waiting for the cause analysis
        ("task", "t_today"),  # due today: diamond before gold
        ("plan", "p_due"),
        ("birthday", "bday_today"),
        ("warning", "w_answered"),  # answered, waiting for the outcome
    ]
    assert [item["urgency"] for item in agenda["today"]] == [7, 7, 6, 6, 5, 4, 3, 3, 2, 1]
    assert [item["overdue"] for item in agenda["today"]] == [True] * 4 + [False] * 6
    assert _entries(agenda["week"], world) == [
        ("birthday", "bday_lunar"),  # Thursday 12
        ("plan", "p_week"),  # Friday 13: the plan before the birthday
        ("birthday", "bday_3"),
        ("complaint", "c_week"),  # Saturday 14 (12:00 in Shanghai)
        ("task", "t_week"),  # Sunday 15
    ]
    assert {item["urgency"] for item in agenda["week"]} == {0}
    assert agenda["counts"] == {
        "today": 10,
        "week": 5,
        "overdue": 4,
        "plans": 3,
        "tasks": 3,
        "complaints": 4,
        "warnings": 2,
        "birthdays": 3,
    }


def test_item_shapes(client, auth, world):
    auth.login(world["mgr"].username)
    agenda = _get(client)
    by_name = {_name(item, world): item for item in agenda["today"] + agenda["week"]}

    complaint = by_name["c_oldest"]
    assert complaint["customer"] == {
        "id": str(world["gold"].id),
        "name": "金 Gold",
        "tier": "gold",
        "phone": "13800000001",
    }
    assert datetime.fromisoformat(complaint["due"]) == _utc(3, 8)
    assert complaint["severity"] == "high"
    assert complaint["status"] == "received"
    assert complaint["category"] == "network"
    assert complaint["title"] == "No signal at home"

    plan = by_name["p_due"]
    assert plan["title"] == "季度回访"
    assert (plan["due"], plan["due_from"], plan["due_to"]) == (
        "2026-03-12",
        "2026-03-08",
        "2026-03-12",
    )
    assert (plan["purpose"], plan["channel"], plan["status"]) == ("routine", "phone", "planned")
    assert by_name["p_missed"]["status"] == "missed"

    task = by_name["t_overdue"]
    assert (task["title"], task["due"], task["overdue"]) == (
        "Send the new tariff",
        "2026-03-07",
        True,
    )
    assert by_name["t_week"]["customer"] is None

    warning = by_name["w_open"]
    assert warning["answered"] is False
    assert warning["source"] == "spend_rule"
    assert warning["title"] == "Total monthly spend down 12.5%"
    assert warning["reasons"][0]["text_zh"] == "月消费下降12.5%"
    assert by_name["w_answered"]["answered"] is True

    assert by_name["bday_3"]["due"] == "2026-03-13"
    assert by_name["bday_3"]["lunar"] is False
    assert by_name["bday_lunar"]["due"] == "2026-03-12"
    assert by_name["bday_lunar"]["lunar"] is True
    assert by_name["bday_today"]["customer"]["tier"] == "crystal"
    # Fields of other types do not appear.
    assert "severity" not in plan
    assert "purpose" not in complaint


@pytest.mark.parametrize("who", ["mgr", "lead"])
def test_the_answer_is_what_its_schema_documents(client, auth, world, in_app, who):
    # The route writes the service's agenda with orjson, not through AgendaSchema (the
    # OpenAPI document's): the two must agree, masked phones included.
    auth.login(world[who].username)
    answer = _get(client, manager_id=world["mgr"].id)
    with in_app():
        actor = db.session.get(User, world[who].id)
        documented = AgendaSchema().dump(agenda(actor, manager_id=world["mgr"].id))
    assert answer == documented
    assert len(answer["today"]) == 10 and len(answer["week"]) == 5


def test_another_date_moves_what_is_due_and_overdue(client, auth, world):
    auth.login(world["mgr"].username)
    agenda = _get(client, date="2026-03-13")
    entries = _entries(agenda["today"], world)
    # Today's task (10 March) and plan (ends 12 March) are now overdue.
    assert ("task", "t_today") in entries
    assert ("plan", "p_due") in entries
    assert ("birthday", "bday_3") in entries
    assert ("plan", "p_week") in entries
    overdue = {_name(item, world) for item in agenda["today"] if item["overdue"]}
    assert overdue == {"c_oldest", "c_overdue", "p_missed", "t_overdue", "t_today", "p_due"}
    week = _entries(agenda["week"], world)
    assert ("birthday", "bday_lunar") not in week + entries  # 12 March is past
    assert ("plan", "p_later") in week  # opens 18 March, within 14..20


def test_a_complaint_due_later_today_is_today_even_with_a_short_horizon(
    app, client, auth, world, in_app, monkeypatch
):
    monkeypatch.setitem(app.config, "COMPLAINT_DUE_SOON_HOURS", 1)
    with in_app():
        from server.customers.models import Customer

        gold = db.session.get(Customer, world["gold"].id)
        # 02:00 on Wednesday in Shanghai: tomorrow, and beyond the 1-hour horizon.
        tomorrow = _complaint(gold, world["mgr"], _utc(3, 10, 18))
        db.session.commit()
        tomorrow_id = str(tomorrow.id)
    auth.login(world["mgr"].username)
    agenda = _get(client)
    today_ids = [item["id"] for item in agenda["today"]]
    # c_soon is due at 14:00 today: more than an hour away, but today.
    assert str(world["c_soon"]) in today_ids
    assert tomorrow_id not in today_ids
    assert tomorrow_id in [item["id"] for item in agenda["week"]]


# --- whose agenda -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "whose", "expected"),
    [
        ("mgr", None, 200),
        ("mgr", "mgr", 200),
        ("colleague", "mgr", 404),
        ("lead", "mgr", 200),
        ("lead_other", "mgr", 404),
        ("admin", "mgr", 200),
        ("admin", "lead", 404),  # not a manager
        ("admin", "unknown", 404),
    ],
)
def test_whose_agenda_may_be_read(client, auth, world, who, whose, expected):
    auth.login(world[who].username)
    query = {}
    if whose == "unknown":
        query["manager_id"] = str(uuid.uuid4())
    elif whose is not None:
        query["manager_id"] = str(world[whose].id)
    response = client.get(API, query_string=query)
    assert response.status_code == expected
    if expected == 200:
        assert response.json["manager"]["id"] == str(world["mgr"].id)
        assert response.json["counts"]["today"] == 10


def test_a_colleague_sees_only_their_own(client, auth, world):
    auth.login(world["colleague"].username)
    agenda = _get(client)
    assert _entries(agenda["today"], world) == [
        ("complaint", "c_theirs"),
        ("warning", "w_theirs"),
        ("task", "t_theirs"),
        ("plan", "p_theirs"),
        ("birthday", "theirs"),
    ]


def test_needs_sign_in(client):
    assert client.get(API).status_code == 401


@pytest.mark.parametrize(
    "query", [{"date": "10/03/2026"}, {"manager_id": "someone"}, {"day": "2026-03-10"}]
)
def test_bad_query_is_422(client, auth, world, query):
    auth.login(world["mgr"].username)
    response = client.get(API, query_string=query)
    assert response.status_code == 422
    assert next(iter(query)) in response.json["error"]["fields"]


def test_query_count_does_not_grow_with_the_portfolio(
    app, client, auth, world, in_app, make_customer
):
    auth.login(world["mgr"].username)

    def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            _get(client)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    more = [
        make_customer(manager=world["mgr"], tier=tier, birthday=date(1990, 3, 11))
        for tier in ("diamond", "emerald", "platinum", "sapphire", "crystal")
    ]
    with in_app():
        for customer in more:
            _complaint(customer, world["mgr"], NOW - timedelta(hours=1))
            _plan(customer, world["mgr"], TODAY, TODAY)
            _task(world["mgr"], customer, TODAY)
            _warning(customer, answered=False)
        db.session.commit()
    # Each adds an overdue complaint, a plan, a task and a warning today, and a birthday
    # tomorrow.
    counts = _get(client)["counts"]
    assert (counts["today"], counts["week"]) == (10 + 5 * 4, 5 + 5)
    assert statements() == few
