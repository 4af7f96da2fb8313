"""The agenda and the team indicators cost a constant number of statements.

Issue 12: their cost must follow neither the portfolio nor the team. A manager's
agenda costs the same for 10 customers and for 100; a team's monthly review the same
for 2 managers and for 20 (and for 2 customers a manager and for 20). Statement
counts, never time; the hand-written SQL they are benchmarked against is in
bench/query_floors.py.
"""

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from server.auth.models import Role
from server.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    IntakeChannel,
    Severity,
)
from server.customers.models import (
    AssignmentHistory,
    Customer,
    CustomerKind,
    MonthlySpend,
    Stage,
    Tier,
)
from server.extensions import db
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.tasks.models import Task, TaskStatus
from server.visits.models import Visit
from server.warnings.models import ChurnWarning, WarningSource, WarningStatus
from tests.statements import statements

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 20, 10, 0, tzinfo=SHANGHAI)
TODAY = date(2026, 6, 20)
JUNE = {"starts_on": "2026-06-01", "ends_on": "2026-06-30"}

# Absolute ceilings, a little above what they cost (the sign-in's and the session's
# statements included): a new query per source fails the equality checks below, and
# these catch a new constant one.
AGENDA_CEILING = 10
TEAM_REVIEW_CEILING = 23

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _customers(manager, count: int) -> list[Customer]:
    """`count` customers of `manager`, each with something of every kind of work."""
    tiers = db.session.scalars(sa.select(Tier).order_by(Tier.rank)).all()
    category = db.session.scalar(
        sa.select(ComplaintCategory).where(ComplaintCategory.code == "billing")
    )
    made = []
    for i in range(count):
        n = next(_numbers)
        customer = Customer(
            external_no=f"Q{n:08d}",
            name=f"客户Q{n}",
            phone=f"1390000{n:04d}",
            kind=CustomerKind.INDIVIDUAL,
            stage=Stage.MATURITY,
            tier=tiers[i % len(tiers)],
            manager_id=manager.id,
            activation_date=date(2020, 1, 1),
            birthday=date(1990, 6, 21),
        )
        db.session.add(customer)
        db.session.flush()
        add = db.session.add
        add(
            AssignmentHistory(
                customer_id=customer.id,
                to_manager_id=manager.id,
                source="import",
                reason="portfolio",
                at=datetime(2026, 1, 1, tzinfo=SHANGHAI),
            )
        )
        for due, status in (
            (TODAY, PlanStatus.PLANNED),
            (TODAY - timedelta(days=9), PlanStatus.DONE),
        ):
            add(
                CarePlan(
                    customer_id=customer.id,
                    owner_id=manager.id,
                    purpose=Purpose.ROUTINE,
                    channel=Channel.PHONE,
                    title="日常维系",
                    due_from=due - timedelta(days=3),
                    due_to=due,
                    status=status,
                    completed_at=NOW - timedelta(days=10) if status == PlanStatus.DONE else None,
                )
            )
        add(
            Visit(
                customer_id=customer.id,
                manager_id=manager.id,
                channel=Channel.PHONE,
                purpose=Purpose.ROUTINE,
                started_at=NOW - timedelta(days=10),
                privileges_explained=True,
            )
        )
        add(
            Complaint(
                customer_id=customer.id,
                owner_id=manager.id,
                category_id=category.id,
                severity=Severity.HIGH,
                intake_channel=IntakeChannel.PHONE,
                description="Bill too high",
                received_at=NOW - timedelta(days=2),
                deadline_at=NOW + timedelta(hours=4),
                status=ComplaintStatus.RECEIVED,
                logged_by_id=manager.id,
            )
        )
        add(
            Task(
                owner_id=manager.id,
                customer_id=customer.id,
                title="Follow up",
                due_date=TODAY - timedelta(days=1),
                status=TaskStatus.OPEN,
                created_by_id=manager.id,
            )
        )
        add(
            ChurnWarning(
                customer_id=customer.id,
                status=WarningStatus.OPEN,
                source=WarningSource.SPEND_RULE,
                reasons=[{"code": "total_drop", "drop_pct": 12.5}],
                finding_keys=[f"total_drop:2026-05:{n}"],
                opened_at=NOW - timedelta(days=5),
            )
        )
        for month in (date(2026, 5, 1), date(2026, 6, 1)):
            add(
                MonthlySpend(
                    customer_id=customer.id,
                    month=month,
                    service="mobile",
                    amount=Decimal("128.00"),
                )
            )
        made.append(customer)
    return made


# --- the agenda -------------------------------------------------------------------


def test_the_agenda_costs_the_same_for_10_and_100_customers(
    app, client, auth, in_app, make_team, make_user
):
    team = make_team()
    small, large = make_user(Role.MANAGER, team=team), make_user(Role.MANAGER, team=team)
    with in_app():
        _customers(small, 10)
        _customers(large, 100)
        db.session.commit()

    def cost(manager) -> tuple[int, dict]:
        auth.login(manager.username)
        with statements(app) as seen:
            response = client.get("/api/v1/agenda")
        assert response.status_code == 200, response.json
        return len(seen), response.json["counts"]

    few, few_counts = cost(small)
    many, many_counts = cost(large)
    # Each customer: an overdue task, a plan due today, a complaint due soon, an open
    # warning today, and a birthday tomorrow; so the agenda did read them all.
    assert (few_counts["today"], many_counts["today"]) == (40, 400)
    assert (few_counts["week"], many_counts["week"]) == (10, 100)
    assert many == few
    assert few <= AGENDA_CEILING


# --- the team's indicators ----------------------------------------------------------


def _team(in_app, make_team, make_user, managers: int, customers: int):
    team = make_team()
    lead = make_user(Role.LEAD, team=team)
    members = [make_user(Role.MANAGER, team=team) for _ in range(managers)]
    with in_app():
        for member in members:
            _customers(member, customers)
        db.session.commit()
    return team, lead


def _review_cost(app, client, auth, team, lead) -> tuple[int, dict]:
    auth.login(lead.username)
    with statements(app) as seen:
        response = client.get("/api/v1/reviews", query_string={"team_id": team.id, **JUNE})
    assert response.status_code == 200, response.json
    return len(seen), response.json


def _team_figure(review: dict, code: str) -> tuple[float, float]:
    figure = review["total"]["figures"][code]
    return figure["numerator"], figure["denominator"]


def test_a_teams_review_costs_the_same_for_2_and_20_managers(
    app, client, auth, in_app, make_team, make_user
):
    two = _team(in_app, make_team, make_user, managers=2, customers=3)
    twenty = _team(in_app, make_team, make_user, managers=20, customers=3)
    few, small = _review_cost(app, client, auth, *two)
    many, large = _review_cost(app, client, auth, *twenty)
    assert (len(small["managers"]), len(large["managers"])) == (2, 20)
    # Each customer's June routine plans: one done on the 10th, one due today not done.
    assert _team_figure(small, "routine_care") == (6, 12)
    assert _team_figure(large, "routine_care") == (60, 120)
    assert many == few
    assert few <= TEAM_REVIEW_CEILING


def test_a_teams_review_costs_the_same_for_2_and_20_customers_a_manager(
    app, client, auth, in_app, make_team, make_user
):
    few, small = _review_cost(app, client, auth, *_team(in_app, make_team, make_user, 2, 2))
    many, large = _review_cost(app, client, auth, *_team(in_app, make_team, make_user, 2, 20))
    assert _team_figure(small, "privilege_awareness") == (4, 4)
    assert _team_figure(large, "privilege_awareness") == (40, 40)
    assert many == few
