"""The demo's history of work (`seed_activity`): what a demo manager finds on the agenda.

Each test seeds the whole demo (a few seconds): the fixtures roll back after every test.
"""

import hashlib
from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from server.agenda.services import agenda
from server.auth.models import Role, User
from server.complaints.models import Complaint, ComplaintEvent, ComplaintStatus
from server.customers.models import Customer, Stage
from server.demo.activity import seed_activity
from server.demo.reviews import seed_review_history
from server.demo.seed import DEFAULT_SEED, seed_demo
from server.extensions import db
from server.plans.models import CarePlan, PlanStatus, Purpose
from server.reviews.services import month_period, resolve_scope, review
from server.tasks.models import Task, TaskStatus
from server.timeutil import start_of_local_day
from server.visits.models import Visit
from server.warnings.models import ChurnWarning, WarningStatus

TODAY = date(2025, 12, 28)


def _now():
    """10:30 on TODAY, local time (needs the app context for the zone)."""
    return start_of_local_day(TODAY) + timedelta(hours=10, minutes=30)


def _seed() -> dict:
    seed_demo(today=TODAY)
    return seed_activity(DEFAULT_SEED, TODAY, _now())


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_manager1_opens_an_agenda_with_every_kind_of_work(in_app):
    with in_app():
        _seed()
        db.session.commit()
        now = _now()
        result = agenda(_user("manager1"), day=TODAY, now=now)

    items = result["today"] + result["week"]
    by_type = Counter(item["type"] for item in items)
    assert all(by_type[kind] >= 1 for kind in ("plan", "task", "complaint", "warning"))

    # The most urgent thing comes first: a complaint past its deadline, not yet resolved.
    first = result["today"][0]
    assert first["type"] == "complaint" and first["overdue"]
    assert first["status"] in ("received", "in_progress")
    assert first["received_at"] < first["deadline_at"] < now
    assert any(
        i["type"] == "complaint"
        and not i["overdue"]
        and now < i["deadline_at"] <= now + timedelta(hours=24)
        for i in result["today"]
    )

    due_plans = [i for i in result["today"] if i["type"] == "plan" and not i["overdue"]]
    assert {"routine", "contract_expiry"} <= {p["purpose"] for p in due_plans}
    assert all(p["due_from"] <= TODAY <= p["due_to"] for p in due_plans)
    # The hand-made marketing plan of a fortnight ago that nobody answered.
    missed = [i for i in items if i["type"] == "plan" and i["overdue"]]
    assert [(p["purpose"], p["status"], p["due_to"]) for p in missed] == [
        ("marketing", "missed", TODAY - timedelta(days=5))
    ]

    # seed_demo moved four of manager1's birthdays 1, 2, 4 and 6 days ahead.
    birthdays = {i["due"] for i in items if i["type"] == "birthday"}
    assert {TODAY + timedelta(days=d) for d in (1, 2, 4, 6)} <= birthdays
    assert all(TODAY <= day <= TODAY + timedelta(days=7) for day in birthdays)

    overdue_tasks = [i for i in items if i["type"] == "task" and i["overdue"]]
    assert ("寄送发票及合同复印件", TODAY - timedelta(days=2)) in {
        (t["title"], t["due"]) for t in overdue_tasks
    }
    warnings = [i for i in items if i["type"] == "warning"]
    assert warnings and all(w["reasons"] for w in warnings)

    with in_app():
        manager1 = _user("manager1")
        closed = db.session.scalars(
            sa.select(Complaint).where(
                Complaint.owner_id == manager1.id, Complaint.status == ComplaintStatus.CLOSED
            )
        ).all()
        assert closed and all(1 <= c.satisfaction <= 5 and c.resolution for c in closed)


def test_every_manager_has_history_and_the_same_seed_gives_the_same_work(in_app):
    with in_app():
        summary = _seed()
        now = _now()
        managers = db.session.scalars(sa.select(User).where(User.role == Role.MANAGER)).all()
        assert len(managers) == 8

        def per_manager(model, *where) -> Counter:
            owner = model.manager_id if model is Visit else model.owner_id
            return Counter(db.session.scalars(sa.select(owner).where(*where)))

        visits = per_manager(Visit)
        complaints = per_manager(Complaint)
        open_warnings = Counter(
            db.session.scalars(
                sa.select(Customer.manager_id)
                .join(ChurnWarning, ChurnWarning.customer_id == Customer.id)
                .where(ChurnWarning.status == WarningStatus.OPEN)
            )
        )
        for manager in managers:
            portfolio = db.session.scalar(
                sa.select(sa.func.count()).where(Customer.manager_id == manager.id)
            )
            # About a quarter of the portfolio in the visit history, plus today's few.
            assert 0.2 * portfolio <= visits[manager.id] <= 0.3 * portfolio
            assert 3 <= complaints[manager.id] <= 6
            assert open_warnings[manager.id] >= 1

        # Logged as it happened: no time flags, nothing after now.
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(Visit.time_flag.is_not(None))) == 0
        )
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(Complaint.time_flag.is_not(None)))
            == 0
        )
        assert db.session.scalar(sa.select(sa.func.max(Visit.ended_at))) <= now
        assert db.session.scalar(sa.select(sa.func.max(ComplaintEvent.at))) <= now
        assert db.session.scalar(sa.select(sa.func.min(Visit.started_at))) >= now - timedelta(
            days=91
        )

        # Each complaint's history reads in order: every step starts where the last one left.
        events = db.session.execute(
            sa.select(
                ComplaintEvent.complaint_id,
                ComplaintEvent.from_status,
                ComplaintEvent.to_status,
            ).order_by(ComplaintEvent.complaint_id, ComplaintEvent.at)
        ).all()
        status: dict = {}
        for complaint_id, from_status, to_status in events:
            assert from_status == status.get(complaint_id)
            if to_status is not None:
                status[complaint_id] = to_status
        assert status == dict(db.session.execute(sa.select(Complaint.id, Complaint.status)).all())

        # Some of today's plans were done by a visit logged against them.
        done_today = db.session.scalars(
            sa.select(CarePlan)
            .join(Visit, Visit.plan_id == CarePlan.id)
            .where(CarePlan.status == PlanStatus.DONE, CarePlan.due_from <= TODAY)
            .where(CarePlan.due_to >= TODAY)
        ).all()
        assert len(done_today) >= 8

        # Churn warnings: answered, retained, and two customers lost with a win-back plan.
        statuses = Counter(db.session.scalars(sa.select(ChurnWarning.status)))
        assert statuses[WarningStatus.RETAINED] >= 8 and statuses[WarningStatus.CHURNED] == 2
        churned = db.session.scalars(
            sa.select(ChurnWarning).where(ChurnWarning.status == WarningStatus.CHURNED)
        ).all()
        for warning in churned:
            assert warning.exit_reason and warning.customer.stage == Stage.CHURNED
        win_back = db.session.scalars(
            sa.select(CarePlan.customer_id).where(CarePlan.purpose == Purpose.WIN_BACK)
        ).all()
        assert sorted(map(str, win_back)) == sorted(str(w.customer_id) for w in churned)
        unanswered_retained = db.session.scalar(
            sa.select(sa.func.count()).where(
                ChurnWarning.status == WarningStatus.RETAINED, ChurnWarning.answered_at.is_(None)
            )
        )
        assert unanswered_retained == 0
        assert summary["warnings"] == {k.value: n for k, n in statuses.items()}
        assert Counter(db.session.scalars(sa.select(Task.status)))[TaskStatus.OPEN] >= 8 * 3

        first = _digest()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
        assert _seed() == summary
        assert _digest() == first


def _digest() -> str:
    """The work, named by customer number and content, never by the random row ids."""
    rows = [
        db.session.execute(
            sa.select(
                Customer.external_no, Visit.channel, Visit.purpose, Visit.started_at, Visit.notes
            )
            .join(Customer, Customer.id == Visit.customer_id)
            .order_by(Customer.external_no, Visit.started_at)
        ).all(),
        db.session.execute(
            sa.select(
                Customer.external_no,
                Complaint.status,
                Complaint.severity,
                Complaint.received_at,
                Complaint.description,
            )
            .join(Customer, Customer.id == Complaint.customer_id)
            .order_by(Customer.external_no, Complaint.received_at)
        ).all(),
        sorted(
            db.session.execute(
                sa.select(Task.title, Task.due_date, Task.status, Customer.external_no).outerjoin(
                    Customer, Customer.id == Task.customer_id
                )
            ).all(),
            key=repr,
        ),
        db.session.execute(
            sa.select(Customer.external_no, ChurnWarning.status, ChurnWarning.cause_analysis)
            .join(Customer, Customer.id == ChurnWarning.customer_id)
            .order_by(Customer.external_no)
        ).all(),
        db.session.execute(
            sa.select(Customer.external_no, CarePlan.purpose, CarePlan.status, CarePlan.due_from)
            .join(Customer, Customer.id == CarePlan.customer_id)
            .order_by(Customer.external_no, CarePlan.purpose, CarePlan.due_from)
        ).all(),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_every_indicator_of_each_demo_team_shows_a_real_figure_for_last_month(in_app):
    with in_app():
        _seed()
        history = seed_review_history(DEFAULT_SEED, TODAY, _now())
        assert history["targets"] > 0 and history["routine"] > 0
        last_month = month_period(TODAY.replace(day=1) - relativedelta(days=1))
        assert last_month.stored is not None  # configured as a review period
        for lead in ("lead1", "lead2"):
            result = review(resolve_scope(_user(lead)), last_month, now=_now())
            missing = [code for code, fig in result.total.figures.items() if fig.value is None]
            assert missing == []
            assert all(m.scored.total is not None for m in result.managers)
