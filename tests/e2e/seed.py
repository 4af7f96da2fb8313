"""Migrate and seed the e2e server's own database; prints what it made as JSON.

Run as `python tests/e2e/seed.py <managers>` with DATABASE_URL pointing at a fresh
SQLite file, before the server starts. Everything goes through the server's own
services, so the rows look exactly like the ones the app makes.

Each test takes one manager of the pool (`tests/e2e/conftest.py`), so no two tests
share a portfolio: a manager has four customers, an open task, a complaint, a churn
warning and a plan due today; their second customer is a target of a running
campaign (with its plan) and of a closed one. So that "My numbers" has figures this
month, their third customer had a routine plan due on the 1st, completed by a phone
call that told them of their privileges, and a complaint closed with satisfaction 4.

`e2e_today` (tests/e2e/test_today.py) has a week like the demo's manager1: 60 customers
with plans overdue, due today, this week and later, tasks, birthdays, a complaint and
two warnings.

The console's tests have a team of their own ("Console team", lead `e2e_console_lead`):
`e2e_busy` holds 600 customers, over the capacity of 500, so that each of the two screen
sizes can move 50 away and still find them overloaded; `e2e_calm1` holds 100 (ten of
them diamond, a campaign's segment) and `e2e_calm2` 60.
"""

import json
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask_migrate import upgrade

from server import create_app
from server.auth.models import Role
from server.auth.services import create_user
from server.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignTarget,
    Outcome,
)
from server.complaints.models import ComplaintStatus, IntakeChannel, Severity
from server.complaints.services import create_complaint, transition_complaint
from server.customers.models import Customer, CustomerKind, MonthlySpend, Stage, Tier
from server.customers.services import assign
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.plans.services import Contact, complete_plan, create_plan, plan_contacts
from server.tasks.services import create_task
from server.team.models import Team
from server.timeutil import local_today
from server.visits.services import create_visit
from server.warnings.models import ManualReason
from server.warnings.services import flag_customer
from tests.churn_history import MONTHS as HISTORY_MONTHS
from tests.churn_history import make_history

PASSWORD = "e2e-password-1"
# The first customer's name is unique enough to search for; the others share nothing.
CUSTOMER_NAMES = ("Amber Li", "Birch Wang", "Cedar Zhou", "Dahlia Sun")
TASK_TITLE = "Call back about the roaming bill"
CAMPAIGN_NAME = "Gold members: double data"


def _campaign(team: Team, lead, name: str, status: CampaignStatus, today) -> Campaign:
    """A launched (or closed) campaign of the team, made as a launch leaves it.

    Inserted directly rather than through launch_campaign: that submits a background
    job, and the seed wants its targets now.
    """
    campaign = Campaign(
        name=name,
        kind=CampaignKind.PRIVILEGE,
        offer="Double data for a year for gold members who renew.",
        segment={"tiers": ["gold"]},
        team_id=team.id,
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=30),
        status=status,
        created_by_id=lead.id,
        launched_at=utcnow(),
        launched_by_id=lead.id,
        closed_at=utcnow() if status == CampaignStatus.CLOSED else None,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def _target(campaign: Campaign, customer: Customer, manager, lead, today, **fields):
    """The customer as a target of `campaign`, with the plan a launch makes for it."""
    plans = plan_contacts(
        [Contact(customer.id, manager.id, customer.tier.rank)],
        purpose=Purpose.MARKETING,
        title=campaign.name,
        notes=campaign.offer,
        due_from=today,
        due_to=campaign.ends_on,
        generation_key=f"campaign:{campaign.id}",
        created_by=lead,
    )
    target = CampaignTarget(
        campaign_id=campaign.id, customer_id=customer.id, plan_id=plans[customer.id], **fields
    )
    db.session.add(target)
    db.session.flush()
    return target


def _month_so_far(user, customer: Customer, today) -> None:
    """Work done this month that "My numbers" counts: a routine plan due on the 1st,
    completed by a call that explained the customer's privileges, and a complaint
    closed with satisfaction 4."""
    first = today.replace(day=1)
    plan = create_plan(
        user,
        customer,
        purpose=Purpose.ROUTINE,
        channel=Channel.PHONE,
        due_from=first,
        due_to=first,
        title="Monthly call",
    )
    create_visit(
        user,
        customer,
        channel=Channel.PHONE,
        started_at=utcnow(),
        plan_id=plan.id,
        privileges_explained=True,
        notes="Monthly call; explained the gold privileges.",
    )
    complaint = create_complaint(
        user,
        customer,
        category="billing",
        severity=Severity.LOW,
        intake_channel=IntakeChannel.PHONE,
        description="Asked why the bill went up.",
    )
    transition_complaint(user, complaint, ComplaintStatus.IN_PROGRESS)
    transition_complaint(
        user, complaint, ComplaintStatus.RESOLVED, resolution="Explained the new data pack."
    )
    transition_complaint(user, complaint, ComplaintStatus.INFORMED)
    transition_complaint(user, complaint, ComplaintStatus.CLOSED, satisfaction=4)


CONSOLE_PORTFOLIOS = (
    ("e2e_busy", "Busy Bai", 600),
    ("e2e_calm1", "Calm Chen", 100),
    ("e2e_calm2", "Calm Cui", 60),
)


def _console_team(admin, today) -> dict:
    """A lead with three managers, one of them over capacity (see the module's doc)."""
    team = Team(name="Console team")
    db.session.add(team)
    lead = create_user(
        username="e2e_console_lead",
        display_name="Console Lead",
        role=Role.LEAD,
        password=PASSWORD,
        team=team,
    )
    tiers = {t.code: t for t in db.session.scalars(sa.select(Tier))}
    managers = {}
    for username, name, size in CONSOLE_PORTFOLIOS:
        user = create_user(
            username=username, display_name=name, role=Role.MANAGER, password=PASSWORD, team=team
        )
        for n in range(size):
            customer = Customer(
                external_no=f"CON-{username[4:]}-{n:04d}",
                name=f"{name.split()[0]} customer {n:03d}",
                kind=CustomerKind.INDIVIDUAL,
                stage=Stage.MATURITY,
                tier=tiers["diamond" if username == "e2e_calm1" and n < 10 else "gold"],
                address=f"Hangzhou, Wensan Road {n}",
                activation_date=today - timedelta(days=400),
            )
            db.session.add(customer)
            db.session.flush()
            assign(customer, user, reason="e2e seed", actor=admin, source="api")
        managers[username] = str(user.id)
    db.session.flush()
    return {"team_id": str(team.id), "lead": lead.username, "managers": managers}


# A manager's week as the demo gives manager1 (tests/e2e/test_today.py): a few things
# due today, dozens overdue, dozens this week and far more later.
BUSY_CUSTOMERS = 60


def _busy_today(team: Team, admin, today) -> dict:
    """`e2e_today`: 60 customers with plans overdue (missed), due today, this week and
    later, tasks, birthdays, a complaint and warnings; three plans due today to move."""
    user = create_user(
        username="e2e_today",
        display_name="Busy Today",
        role=Role.MANAGER,
        password=PASSWORD,
        team=team,
    )
    tiers = list(db.session.scalars(sa.select(Tier).order_by(Tier.rank)))
    customers = []
    for n in range(BUSY_CUSTOMERS):
        customer = Customer(
            external_no=f"BUSY{n:03d}",
            name=f"Busy customer {n:02d}",
            phone=f"1380000{n:04d}",
            kind=CustomerKind.INDIVIDUAL,
            stage=Stage.MATURITY,
            tier=tiers[n % len(tiers)],
            activation_date=today - timedelta(days=700),
            birthday=(today + timedelta(days=n % 7)).replace(year=1980) if n % 10 == 0 else None,
        )
        db.session.add(customer)
        db.session.flush()
        assign(customer, user, reason="e2e seed", actor=admin, source="api")
        customers.append(customer)

    def plan(customer, due_from, due_to, purpose=Purpose.ROUTINE, status=PlanStatus.PLANNED):
        row = CarePlan(
            customer_id=customer.id,
            owner_id=user.id,
            purpose=purpose,
            channel=Channel.PHONE,
            title="日常维系",
            due_from=due_from,
            due_to=due_to,
            status=status,
        )
        db.session.add(row)
        return row

    for n, customer in enumerate(customers):
        # Later: windows that opened already but end weeks away (the old "due today").
        plan(customer, today - timedelta(days=5), today + timedelta(days=10 + n % 30))
        plan(customer, today + timedelta(days=20), today + timedelta(days=50), Purpose.MARKETING)
        if n % 2 == 0:
            plan(
                customer,
                today - timedelta(days=40),
                today - timedelta(days=10 + n % 20),
                status=PlanStatus.MISSED,
            )
        if n % 3 == 0:
            plan(customer, today, today + timedelta(days=1 + n % 6), Purpose.INTRODUCTION_CHECK)
    moved = [plan(customers[k], today - timedelta(days=3), today) for k in (1, 2, 3)]
    plan(customers[4], today, today, Purpose.BIRTHDAY)
    for k in range(8):
        create_task(
            user,
            title=f"Busy task {k}",
            customer_id=customers[k].id,
            due_date=today + timedelta(days=k % 4),
            today=today - timedelta(days=1),
        )
    create_complaint(
        user,
        customers[5],
        category="billing",
        severity=Severity.HIGH,
        intake_channel=IntakeChannel.PHONE,
        description="Roaming charged twice.",
    )
    for k in (6, 7):
        flag_customer(user, customers[k], ManualReason.COMPETITOR, "Offered a cheaper plan.")
    db.session.flush()
    return {
        "username": user.username,
        "plans": [str(p.id) for p in moved],
        "customer": {"id": str(customers[9].id), "name": customers[9].name},
    }


def _churn_history(today) -> dict:
    """A team whose customers have the made-up churn history of the churn tests
    (tests/churn_history.py), its last month this one: the churn model's screen trains
    on it."""
    team = Team(name="History team")
    db.session.add(team)
    managers = [
        create_user(
            username=f"e2e_history{n}",
            display_name=f"History {n}",
            role=Role.MANAGER,
            password=PASSWORD,
            team=team,
        )
        for n in range(1, 4)
    ]
    first = today.replace(day=1) - relativedelta(months=HISTORY_MONTHS - 1)
    left = make_history(managers, customers=300, first=first)
    return {"team_id": str(team.id), "leavers": sum(v is not None for v in left.values())}


def seed(managers: int) -> dict:
    today = local_today(utcnow())
    team = Team(name="E2E team")
    db.session.add(team)
    admin = create_user(
        username="e2e_admin", display_name="Admin", role=Role.ADMIN, password=PASSWORD
    )
    lead = create_user(
        username="e2e_lead", display_name="Lead", role=Role.LEAD, password=PASSWORD, team=team
    )
    gold = db.session.scalar(sa.select(Tier).where(Tier.code == "gold"))
    running = _campaign(team, lead, CAMPAIGN_NAME, CampaignStatus.LAUNCHED, today)
    closed = _campaign(team, lead, "Autumn upgrade offer", CampaignStatus.CLOSED, today)
    pool = []
    for m in range(1, managers + 1):
        user = create_user(
            username=f"e2e_mgr{m:02d}",
            display_name=f"Manager {m:02d}",
            role=Role.MANAGER,
            password=PASSWORD,
            team=team,
        )
        customers = []
        for c, name in enumerate(CUSTOMER_NAMES):
            customer = Customer(
                external_no=f"E2E{m:03d}{c}",
                name=name,
                phone=f"139{m:04d}{c:04d}",
                kind=CustomerKind.INDIVIDUAL,
                stage=Stage.MATURITY,
                tier=gold,
                activation_date=today - timedelta(days=900),
                latitude=30.25 + m / 1000,
                longitude=120.17 + c / 1000,
                birthday=today.replace(year=1985) if c == 3 else None,
            )
            db.session.add(customer)
            db.session.flush()
            assign(customer, user, reason="e2e seed", actor=admin, source="api")
            customers.append(customer)
        for back in range(6):
            month = today.replace(day=1) - relativedelta(months=back)
            db.session.add(
                MonthlySpend(
                    customer_id=customers[0].id,
                    month=month,
                    service="mobile",
                    amount=Decimal("180.00") + back * 10,
                )
            )
        db.session.flush()
        task = create_task(user, title=TASK_TITLE, customer_id=customers[0].id, due_date=today)
        complaint = create_complaint(
            user,
            customers[1],
            category="billing",
            severity=Severity.MEDIUM,
            intake_channel=IntakeChannel.PHONE,
            description="Charged twice for the data pack.",
        )
        warning = flag_customer(
            user, customers[2], ManualReason.COMPETITOR, "A competitor offered a cheaper plan."
        )
        plan = create_plan(
            user,
            customers[0],
            purpose=Purpose.ROUTINE,
            channel=Channel.VISIT,
            due_from=today,
            due_to=today,
            title="Quarterly visit",
        )
        target = _target(running, customers[1], user, lead, today)
        closed_target = _target(
            closed,
            customers[1],
            user,
            lead,
            today,
            outcome=Outcome.TOOK_PART,
            outcome_at=utcnow(),
            recorded_by_id=user.id,
        )
        # Reached before the campaign closed: its plan is done.
        complete_plan(db.session.get_one(CarePlan, closed_target.plan_id), at=utcnow())
        _month_so_far(user, customers[2], today)
        pool.append(
            {
                "username": user.username,
                "id": str(user.id),
                "customers": [
                    {"id": str(c.id), "name": c.name, "phone": c.phone} for c in customers
                ],
                "task_id": str(task.id),
                "complaint_id": str(complaint.id),
                "warning_id": str(warning.id),
                "plan_id": str(plan.id),
                "campaign_id": str(running.id),
                "target_id": str(target.id),
                "target_plan_id": str(target.plan_id),
                "closed_target_id": str(closed_target.id),
            }
        )
    console = _console_team(admin, today)
    busy_today = _busy_today(team, admin, today)
    history = _churn_history(today)
    db.session.commit()
    return {
        "password": PASSWORD,
        "admin": admin.username,
        "lead": lead.username,
        "team_id": str(team.id),
        "managers": pool,
        "console": console,
        "busy_today": busy_today,
        "history": history,
    }


def main() -> None:
    app = create_app()
    # Cheap hashes (as in TestConfig): two dozen accounts seed in a blink, and the
    # server verifies them with the parameters stored in the hash.
    app.config.update(ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=1024)
    with app.app_context():
        upgrade()
        print(json.dumps(seed(int(sys.argv[1]))))


if __name__ == "__main__":
    main()
