"""A manager's agenda: one call for the day and the week ahead, most urgent first.

Whose: the customers currently assigned to the manager (plans, complaints,
warnings, birthdays follow the customer, not the record's owner column, so a
reassigned customer's open work moves with it) plus the tasks the manager owns.
Each source is one query, however large the portfolio.
"""

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from server.auth.models import Role, User
from server.birthdays import celebrations
from server.complaints.models import UNRESOLVED, Complaint, ComplaintCategory
from server.customers.models import Customer, Tier
from server.errors import not_found
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan
from server.plans.services import OPEN_STATUSES as OPEN_PLAN_STATUSES
from server.privacy import masking
from server.tasks.models import Task, TaskStatus
from server.timeutil import local_today, local_zone, start_of_local_day
from server.warnings.models import ChurnWarning, WarningStatus

WEEK_DAYS = 7
# Tasks without a customer sort after every tier.
NO_TIER_RANK = 1_000


class Urgency(enum.IntEnum):
    """The bands of "today", most urgent first; "week" items are all UPCOMING."""

    OVERDUE_COMPLAINT = 7  # unresolved past the deadline, oldest deadline first
    OVERDUE_WORK = 6  # plans whose window closed, tasks past their due date; oldest first
    COMPLAINT_DUE_SOON = 5  # deadline within COMPLAINT_DUE_SOON_HOURS or today
    WARNING_UNANSWERED = 4  # open churn warnings still waiting for the cause analysis
    DUE_TODAY = 3  # plans whose window is open today, tasks due today; by tier rank
    BIRTHDAY = 2  # birthdays today, by tier rank
    WARNING_ANSWERED = 1  # open warnings already answered, waiting for the outcome
    UPCOMING = 0


# In the week list, on one day: complaints, then plans and tasks, then birthdays.
_WEEK_TYPE_ORDER = {"complaint": 0, "plan": 1, "task": 1, "birthday": 2}


@dataclass
class _Entry:
    item: dict[str, Any]
    urgency: Urgency
    sort: tuple  # within its band (today) or its day (week)


def _target_manager(actor: User, manager_id: uuid.UUID | None) -> User:
    """Whose agenda: one's own; a lead may ask for a team member's, an admin for anyone's."""
    if manager_id is None or manager_id == actor.id:
        return actor
    target = db.session.get(User, manager_id)
    if target is None or target.role != Role.MANAGER:
        raise not_found("Manager")
    if actor.role == Role.LEAD:
        ok = actor.team_id is not None and target.team_id == actor.team_id
    else:
        ok = actor.role == Role.ADMIN
    if not ok:
        raise not_found("Manager")
    return target


def agenda(
    actor: User,
    *,
    day: date | None = None,
    manager_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> dict:
    """The manager's agenda for `day` (default: local today).

    "today" holds what is overdue and what is due on `day`, sorted by band (see
    `Urgency`): overdue complaints (oldest deadline first), overdue plans and tasks
    (oldest due first), complaints due soon (nearest deadline first), open warnings
    not yet answered, plans and tasks due today (most valuable tier first), birthdays
    today, then open warnings already answered. "week" holds what falls due in the
    7 days after `day`, by day, then complaints before plans and tasks before
    birthdays, then tier. Plans and tasks are overdue against `day`; complaints
    against `now`.
    """
    now = now or utcnow()
    day = day or local_today(now)
    manager = _target_manager(actor, manager_id)
    week_end = day + timedelta(days=WEEK_DAYS)

    entries: list[_Entry] = []
    entries += _complaints(manager, day, week_end, now)
    entries += _plans(manager, day, week_end)
    entries += _tasks(manager, day, week_end)
    entries += _warnings(manager)
    entries += _birthdays(manager, day, week_end)

    # Ties go by id, as a number: UUIDs order as their text does.
    today = sorted(
        (e for e in entries if e.urgency != Urgency.UPCOMING),
        key=lambda e: (-e.urgency, *e.sort, e.item["type"], e.item["id"].int),
    )
    week = sorted(
        (e for e in entries if e.urgency == Urgency.UPCOMING),
        key=lambda e: (*e.sort, e.item["id"].int),
    )
    # A lead looking at a manager's day: the customers' phones masked.
    masked = not masking.sees_full(actor, manager.id)
    counts: dict[str, int] = {"today": len(today), "week": len(week), "overdue": 0}
    counts.update((kind + "s", 0) for kind in ("plan", "task", "complaint", "warning", "birthday"))
    for entry in entries:
        item = entry.item
        item["urgency"] = int(entry.urgency)
        if masked and item["customer"]:
            item["customer"]["phone"] = masking.mask_phone(item["customer"]["phone"])
        counts["overdue"] += item["overdue"]
        counts[item["type"] + "s"] += 1
    return {
        "date": day,
        "manager": manager,
        "today": [e.item for e in today],
        "week": [e.item for e in week],
        "counts": counts,
    }


# --- sources: one query each ------------------------------------------------------
#
# Each reads just the columns its items show, as plain rows: a portfolio's agenda is a
# thousand or more items (a year of missed plans stays overdue), and an ORM object per
# row, with its identity map and state, cost more than the query itself.

_CUSTOMER_COLUMNS = (Customer.id, Customer.name, Customer.phone, Tier.code, Tier.rank)


def _value(enum_column) -> sa.ColumnElement[str]:
    """An enum column read as the text it holds, its member's value (`enum_type`)."""
    return sa.type_coerce(enum_column, sa.String)


def _with_customer(stmt: sa.Select, customer_id_column, *, outer: bool = False) -> sa.Select:
    stmt = stmt.add_columns(*_CUSTOMER_COLUMNS)
    if outer:
        return stmt.outerjoin(Customer, Customer.id == customer_id_column).outerjoin(
            Tier, Tier.id == Customer.tier_id
        )
    return stmt.join(Customer, Customer.id == customer_id_column).join(
        Tier, Tier.id == Customer.tier_id
    )


def _customer(
    customer_id: uuid.UUID | None, name: str, phone: str | None, tier_code: str, tier_rank: int
) -> tuple[dict | None, int]:
    """The item's customer reference and tier rank, from the row's trailing columns."""
    if customer_id is None:
        return None, NO_TIER_RANK
    return {"id": customer_id, "name": name, "tier": tier_code, "phone": phone}, tier_rank


def _local_date(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def _complaints(manager: User, day: date, week_end: date, now: datetime) -> list[_Entry]:
    soon = max(
        now + timedelta(hours=current_app.config["COMPLAINT_DUE_SOON_HOURS"]),
        start_of_local_day(day + timedelta(days=1)),
    )
    rows = db.session.execute(
        _with_customer(
            sa.select(
                Complaint.id,
                Complaint.description,
                Complaint.deadline_at,
                Complaint.received_at,
                _value(Complaint.severity),
                _value(Complaint.status),
                ComplaintCategory.code,
            ).join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id),
            Complaint.customer_id,
        ).where(
            Customer.manager_id == manager.id,
            Complaint.status.in_(UNRESOLVED),
            Complaint.deadline_at < start_of_local_day(week_end + timedelta(days=1)),
        )
    )
    entries = []
    for complaint_id, description, deadline_at, received_at, severity, status, category, *c in rows:
        urgency: Urgency
        sort: tuple
        customer, rank = _customer(*c)
        overdue = deadline_at < now
        if overdue:
            urgency, sort = Urgency.OVERDUE_COMPLAINT, (deadline_at,)
        elif deadline_at < soon:
            urgency, sort = Urgency.COMPLAINT_DUE_SOON, (deadline_at,)
        else:
            urgency = Urgency.UPCOMING
            sort = (_local_date(deadline_at), _WEEK_TYPE_ORDER["complaint"], rank)
        item = {
            "type": "complaint",
            "id": complaint_id,
            "customer": customer,
            "title": description[:80],
            "due": deadline_at,
            "overdue": overdue,
            "severity": severity,
            "status": status,
            "category": category,
            "received_at": received_at,
            "deadline_at": deadline_at,
        }
        entries.append(_Entry(item, urgency, sort))
    return entries


def _plans(manager: User, day: date, week_end: date) -> list[_Entry]:
    # A missed plan is late, not gone (plans.services.OPEN_STATUSES): it stays overdue.
    rows = db.session.execute(
        _with_customer(
            sa.select(
                CarePlan.id,
                CarePlan.title,
                _value(CarePlan.purpose),
                _value(CarePlan.channel),
                _value(CarePlan.status),
                CarePlan.due_from,
                CarePlan.due_to,
            ),
            CarePlan.customer_id,
        ).where(
            Customer.manager_id == manager.id,
            CarePlan.status.in_(OPEN_PLAN_STATUSES),
            CarePlan.due_from <= week_end,
        )
    )
    entries = []
    for plan_id, title, purpose, channel, status, due_from, due_to, *c in rows:
        urgency: Urgency
        sort: tuple
        customer, rank = _customer(*c)
        overdue = due_to < day
        if overdue:
            urgency, sort = Urgency.OVERDUE_WORK, (due_to, rank)
        elif due_from <= day:
            urgency, sort = Urgency.DUE_TODAY, (rank, due_to)
        else:
            urgency, sort = Urgency.UPCOMING, (due_from, _WEEK_TYPE_ORDER["plan"], rank)
        item = {
            "type": "plan",
            "id": plan_id,
            "customer": customer,
            "title": title,
            "due": due_to,
            "overdue": overdue,
            "purpose": purpose,
            "channel": channel,
            "status": status,
            "due_from": due_from,
            "due_to": due_to,
        }
        entries.append(_Entry(item, urgency, sort))
    return entries


def _tasks(manager: User, day: date, week_end: date) -> list[_Entry]:
    rows = db.session.execute(
        _with_customer(
            sa.select(
                Task.id,
                Task.title,
                Task.due_date,
                _value(Task.status),
                Task.notes,
                Task.source_complaint_id,
                Task.source_visit_id,
            ),
            Task.customer_id,
            outer=True,
        ).where(
            Task.owner_id == manager.id,
            Task.status == TaskStatus.OPEN,
            Task.due_date <= week_end,
        )
    )
    entries = []
    for task_id, title, due, status, notes, source_complaint_id, source_visit_id, *c in rows:
        urgency: Urgency
        sort: tuple
        customer, rank = _customer(*c)
        assert due is not None  # NULL fails the <= in the query
        overdue = due < day
        if overdue:
            urgency, sort = Urgency.OVERDUE_WORK, (due, rank)
        elif due == day:
            urgency, sort = Urgency.DUE_TODAY, (rank, due)
        else:
            urgency, sort = Urgency.UPCOMING, (due, _WEEK_TYPE_ORDER["task"], rank)
        item = {
            "type": "task",
            "id": task_id,
            "customer": customer,
            "title": title,
            "due": due,
            "overdue": overdue,
            "status": status,
            "notes": notes,
            "source_complaint_id": source_complaint_id,
            "source_visit_id": source_visit_id,
        }
        entries.append(_Entry(item, urgency, sort))
    return entries


def _warnings(manager: User) -> list[_Entry]:
    rows = db.session.execute(
        _with_customer(
            sa.select(
                ChurnWarning.id,
                ChurnWarning.reasons,
                _value(ChurnWarning.source),
                ChurnWarning.opened_at,
                ChurnWarning.answered_at,
            ),
            ChurnWarning.customer_id,
        ).where(
            Customer.manager_id == manager.id,
            ChurnWarning.status == WarningStatus.OPEN,
        )
    )
    entries = []
    for warning_id, reasons, source, opened_at, answered_at, *c in rows:
        customer, rank = _customer(*c)
        answered = answered_at is not None
        reasons = reasons or []
        item = {
            "type": "warning",
            "id": warning_id,
            "customer": customer,
            "title": "; ".join(r.get("text_en", r.get("code", "")) for r in reasons)
            or "Churn warning",
            "due": opened_at,
            "overdue": False,
            "source": source,
            "reasons": reasons,
            "answered": answered,
            "opened_at": opened_at,
        }
        urgency = Urgency.WARNING_ANSWERED if answered else Urgency.WARNING_UNANSWERED
        entries.append(_Entry(item, urgency, (rank, opened_at)))
    return entries


def _birthdays(manager: User, day: date, week_end: date) -> list[_Entry]:
    # Which birthdays fall in the window is calendar arithmetic (lunar ones too), done
    # here over the portfolio's few hundred rows rather than in SQL.
    rows = db.session.execute(
        sa.select(Customer.birthday, Customer.birthday_lunar, *_CUSTOMER_COLUMNS)
        .join(Tier, Tier.id == Customer.tier_id)
        .where(Customer.manager_id == manager.id, Customer.birthday.is_not(None))
    )
    entries = []
    for birthday, lunar, customer_id, name, phone, tier_code, rank in rows:
        assert birthday is not None  # NULL excluded by the query
        found = celebrations(birthday, lunar, day, week_end)
        if not found:
            continue
        _, celebrated = found[0]
        customer = {"id": customer_id, "name": name, "tier": tier_code, "phone": phone}
        item = {
            "type": "birthday",
            "id": customer_id,
            "customer": customer,
            "title": f"Birthday: {name}",
            "due": celebrated,
            "overdue": False,
            "lunar": lunar,
        }
        if celebrated == day:
            entries.append(_Entry(item, Urgency.BIRTHDAY, (rank,)))
        else:
            entries.append(
                _Entry(item, Urgency.UPCOMING, (celebrated, _WEEK_TYPE_ORDER["birthday"], rank))
            )
    return entries
