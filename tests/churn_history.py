"""A year and more of made-up history in which some customers leave, for the churn tests.

Each month about 3% of the customers still billed leave (no bill from then on). Most
leavers show it in their bills first (broadband halved the month before: the spend
rule sees it); the others only in complaints and silence (no visit for months), which
the rule cannot see and a model can. Some stayers' broadband falls too (the rule's
false alarms). `rule_perfect=True` makes the spend drop the one and only sign.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from server.auth.models import User
from server.complaints.models import Complaint, ComplaintCategory, IntakeChannel, Severity
from server.customers.models import Customer, CustomerKind, MonthlySpend, Tier
from server.extensions import db
from server.plans.models import Channel, Purpose
from server.visits.models import LocationStatus, Visit

FIRST = date(2025, 1, 1)
MONTHS = 15  # 2025-01 .. 2026-03


def month(i: int) -> date:
    return FIRST + relativedelta(months=i)


def mid(i: int) -> datetime:
    return datetime.combine(month(i) + timedelta(days=14), datetime.min.time(), tzinfo=UTC)


def make_history(
    managers: list[User],
    customers: int = 400,
    seed: int = 7,
    rule_perfect: bool = False,
    first: date = FIRST,
) -> dict[uuid.UUID, int | None]:
    """Insert customers, bills, complaints and visits from the month `first` on; flushes.
    Returns each customer's leaving month index (None: stays)."""

    def billed(i: int) -> date:
        return first + relativedelta(months=i)

    def middle(i: int) -> datetime:
        return datetime.combine(billed(i) + timedelta(days=14), datetime.min.time(), tzinfo=UTC)

    rng = np.random.default_rng(seed)
    tiers = list(db.session.scalars(sa.select(Tier).order_by(Tier.rank)))
    category = db.session.scalar(sa.select(ComplaintCategory).limit(1))
    left_at: dict[uuid.UUID, int | None] = {}
    rows: list[MonthlySpend] = []
    events: list = []
    for n in range(customers):
        manager = managers[n % len(managers)]
        customer = Customer(
            id=uuid.uuid4(),
            external_no=f"H{seed:02d}{n:06d}",
            name=f"历史客户{n}",
            kind=CustomerKind.ORGANISATION if n % 5 == 0 else CustomerKind.INDIVIDUAL,
            tier=tiers[n % len(tiers)],
            manager_id=manager.id,
            activation_date=date(2018, 1, 1) + timedelta(days=int(rng.integers(0, 2000))),
        )
        db.session.add(customer)
        db.session.flush()  # before its bills: they name it by id, not by relationship
        leaves = None
        for i in range(4, MONTHS):
            if rng.random() < 0.03:
                leaves = i
                break
        loud = leaves is not None and (rule_perfect or rng.random() < 0.6)
        false_alarm = leaves is None and not rule_perfect and rng.random() < 0.08
        alarm_month = int(rng.integers(4, MONTHS)) if false_alarm else None
        quiet = leaves is not None and not loud
        mobile, broadband = float(rng.normal(80, 10)), float(rng.normal(120, 20))
        for i in range(MONTHS if leaves is None else leaves):
            fee = broadband
            if loud and i == leaves - 1:
                fee *= 0.5
            if alarm_month is not None and i == alarm_month:
                fee *= 0.6
            for service, amount in (("mobile", mobile), ("broadband", fee)):
                rows.append(
                    MonthlySpend(
                        customer_id=customer.id,
                        month=billed(i),
                        service=service,
                        amount=Decimal(f"{max(amount, 1):.2f}"),
                    )
                )
            silent = quiet and i >= leaves - 4
            if not silent and not rule_perfect and rng.random() < 0.7:
                events.append(_visit(customer, manager, middle(i)))
            if quiet and i == leaves - 1:
                for day in (3, 9):
                    events.append(
                        _complaint(
                            customer, manager, category, middle(i) + timedelta(days=day - 14)
                        )
                    )
        left_at[customer.id] = leaves
    db.session.add_all(rows)
    db.session.add_all(events)
    db.session.flush()
    return left_at


def _visit(customer, manager, at):
    return Visit(
        customer_id=customer.id,
        manager_id=manager.id,
        channel=Channel.PHONE,
        purpose=Purpose.ROUTINE,
        started_at=at,
        location_status=LocationStatus.UNVERIFIED,
    )


def _complaint(customer, manager, category, at):
    return Complaint(
        customer_id=customer.id,
        owner_id=manager.id,
        category_id=category.id,
        severity=Severity.HIGH,
        intake_channel=IntakeChannel.PHONE,
        description="网速慢，多次报修无果",  # noqa: RUF001
        received_at=at,
        deadline_at=at + timedelta(hours=48),
        logged_by_id=manager.id,
    )
