"""Complaint rules: intake with a deadline, the closed loop, notes, and who sees what.

A complaint is visible (and may be logged, moved along the loop or annotated) iff
its customer is visible: the customer's manager, the lead of that team, admins.
Anyone else gets 404, exactly as for a complaint that does not exist.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from server import events
from server.auth.models import User
from server.complaints.models import (
    REOPENABLE,
    TRANSITIONS,
    UNRESOLVED,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    IntakeChannel,
    Severity,
)
from server.customers.models import Customer, Tier
from server.errors import ApiError, invalid, invalid_fields, not_found
from server.extensions import db
from server.models_base import bulk_update, check_version, replayed, utcnow
from server.pagination import paginate
from server.scope import visible
from server.timeutil import accept_client_time
from server.visits.models import Visit

S = ComplaintStatus


@events.customer_reassigned.connect
def _follow_the_customer(
    customer: Customer,
    *,
    previous_manager_id: uuid.UUID | None,
    new_manager_id: uuid.UUID | None,
    at: datetime,
    **_,
) -> None:
    """Unresolved complaints go with the customer to its new manager.

    A complaint needs an owner: when the customer goes back to the pool, its
    complaints stay with the previous manager until it is handed out again.
    """
    if previous_manager_id is None or new_manager_id is None:
        return
    bulk_update(
        Complaint,
        Complaint.customer_id == customer.id,
        Complaint.owner_id == previous_manager_id,
        Complaint.status.in_(UNRESOLVED),
        values={"owner_id": new_manager_id},
        at=at,
    )


def complaint_deadline(received_at: datetime, tier: Tier, severity: Severity) -> datetime:
    """received_at + the tier's response hours x the severity's factor.

    Gold (24 h) at medium (x2.0) => 48 hours; diamond (2 h) at critical (x0.5) => 1 hour.
    """
    factor = current_app.config["COMPLAINT_SEVERITY_FACTORS"][severity.value]
    return received_at + timedelta(hours=tier.complaint_response_hours * factor)


def overdue_clause(now: datetime):
    """SQL for `is_overdue`."""
    return sa.and_(Complaint.status.in_(UNRESOLVED), Complaint.deadline_at < now)


def list_categories(*, include_inactive: bool = False) -> list[ComplaintCategory]:
    """Active categories (or all, for the admin) by English name, "other" last."""
    stmt = sa.select(ComplaintCategory).order_by(
        ComplaintCategory.code == "other", ComplaintCategory.name_en
    )
    if not include_inactive:
        stmt = stmt.where(ComplaintCategory.active)
    return list(db.session.scalars(stmt))


def create_category(data: dict) -> ComplaintCategory:
    """A new category (admin); codes are unique and never change."""
    taken = db.session.scalar(
        sa.select(ComplaintCategory.id).where(ComplaintCategory.code == data["code"])
    )
    if taken is not None:
        raise ApiError(
            409, "This code is taken.", code="conflict", fields={"code": ["Already taken."]}
        )
    category = ComplaintCategory(**data)
    db.session.add(category)
    db.session.flush()
    return category


def update_category(category: ComplaintCategory, changes: dict) -> ComplaintCategory:
    """Rename a category or retire it (active false): complaints keep theirs."""
    changes = dict(changes)
    check_version(category, changes.pop("version", None), "category")
    for name, value in changes.items():
        setattr(category, name, value)
    db.session.flush()
    return category


def get_category(category_id: uuid.UUID) -> ComplaintCategory:
    category = db.session.get(ComplaintCategory, category_id)
    if category is None:
        raise not_found("Category")
    return category


# --- reading --------------------------------------------------------------------


@dataclass
class EventView:
    event: ComplaintEvent
    actor: User | None

    def __getattr__(self, name: str):
        return getattr(self.event, name)


@dataclass
class ComplaintView:
    """A complaint with its owner (and events) loaded, dumped by the complaint schemas."""

    complaint: Complaint
    owner: User | None
    events: list[EventView] = field(default_factory=list)

    def __getattr__(self, name: str):
        # Reads like the complaint it wraps, so one schema dumps both.
        return getattr(self.complaint, name)


def _users(ids) -> dict[uuid.UUID, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))}


def complaint_detail(complaint: Complaint) -> ComplaintView:
    """The complaint with its events (oldest first) and who did each."""
    events = list(
        db.session.scalars(
            sa.select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.at, ComplaintEvent.id)
        )
    )
    users = _users([complaint.owner_id, *(e.actor_id for e in events)])
    return ComplaintView(
        complaint,
        users.get(complaint.owner_id) if complaint.owner_id else None,
        [EventView(e, users.get(e.actor_id)) for e in events],
    )


def list_complaints(
    user: User,
    *,
    status: list[ComplaintStatus] | None = None,
    customer_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    open: bool | None = None,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> Pagination:
    """One page of visible complaints, the nearest deadline first."""
    now = now or utcnow()
    stmt = visible(user, Complaint)
    if status:
        stmt = stmt.where(Complaint.status.in_(status))
    if customer_id is not None:
        stmt = stmt.where(Complaint.customer_id == customer_id)
    if owner_id is not None:
        stmt = stmt.where(Complaint.owner_id == owner_id)
    if overdue is not None:
        clause = overdue_clause(now)
        stmt = stmt.where(clause if overdue else sa.not_(clause))
    if open is not None:
        stmt = stmt.where(Complaint.status != S.CLOSED if open else Complaint.status == S.CLOSED)
    result = paginate(
        stmt.options(joinedload(Complaint.customer)).order_by(Complaint.deadline_at, Complaint.id),
        page=page,
        per_page=per_page,
    )
    complaints: list[Complaint] = result.items
    owners = _users(c.owner_id for c in complaints)
    result.items = [
        ComplaintView(c, owners.get(c.owner_id) if c.owner_id else None) for c in complaints
    ]
    return result


def overdue_complaints(user: User, *, now: datetime | None = None) -> dict:
    """Unresolved complaints past their deadline, the oldest deadline first.

    A manager gets their customers', a lead their team's, an admin everyone's;
    each names its owner.
    """
    now = now or utcnow()
    rows = db.session.execute(
        visible(user, Complaint)
        .where(overdue_clause(now))
        .add_columns(User)
        .outerjoin(User, User.id == Complaint.owner_id)
        .options(joinedload(Complaint.customer))
        .order_by(Complaint.deadline_at, Complaint.id)
    ).all()
    items = [ComplaintView(complaint, owner) for complaint, owner in rows]
    return {"items": items, "total": len(items)}


# --- writing --------------------------------------------------------------------


def _category(code: str) -> ComplaintCategory:
    category = db.session.scalar(
        sa.select(ComplaintCategory).where(ComplaintCategory.code == code, ComplaintCategory.active)
    )
    if category is None:
        raise invalid("category", f"Unknown complaint category: {code}.")
    return category


def create_complaint(
    actor: User,
    customer: Customer,
    *,
    category: str,
    severity: Severity,
    intake_channel: IntakeChannel,
    description: str,
    received_at: datetime | None = None,
    visit_id: uuid.UUID | None = None,
    id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Complaint:
    """Log a complaint for a customer the actor may serve, with its deadline and first event.

    The owner is the customer's manager (the actor when the customer has none), also
    when the actor is a former manager whose phone heard it before the customer moved
    (the sync push). `received_at` is the phone's time: a future one is clamped to now,
    a very old one kept and flagged. Sending an `id` that already names a complaint of
    this customer returns that complaint unchanged.
    """
    now = now or utcnow()
    if id is not None:
        existing = replayed(Complaint, id)
        if existing is not None:
            if existing.customer_id != customer.id:
                raise ApiError(409, "This id is taken by another complaint.", code="id_conflict")
            return existing
    row_category = _category(category)
    if visit_id is not None:
        visit = db.session.get(Visit, visit_id)
        if visit is None or visit.customer_id != customer.id:
            raise invalid("visit_id", "Not a visit of this customer.")
    received_at, time_flag = accept_client_time(received_at, now)
    complaint = Complaint(
        id=id or uuid.uuid4(),
        customer_id=customer.id,
        owner_id=customer.manager_id or actor.id,
        category=row_category,
        severity=severity,
        intake_channel=intake_channel,
        description=description,
        received_at=received_at,
        deadline_at=complaint_deadline(received_at, customer.tier, severity),
        status=S.RECEIVED,
        reopen_count=0,
        time_flag=time_flag,
        logged_by_id=actor.id,
        visit_id=visit_id,
    )
    db.session.add(complaint)
    db.session.add(
        ComplaintEvent(complaint=complaint, actor_id=actor.id, at=received_at, to_status=S.RECEIVED)
    )
    db.session.flush()
    return complaint


def _illegal(current: ComplaintStatus, to: ComplaintStatus) -> ApiError:
    allowed = TRANSITIONS[current]
    return ApiError(
        409,
        f"A complaint cannot go from {current.value} to {to.value}; "
        f"from {current.value} it may go to: {', '.join(s.value for s in allowed)}.",
        code="illegal_transition",
        extra={
            "from_status": current.value,
            "to_status": to.value,
            "allowed": [s.value for s in allowed],
        },
    )


def _check_inputs(
    to: ComplaintStatus, resolution: str | None, satisfaction: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if to == S.RESOLVED:
        if not (resolution or "").strip():
            errors["resolution"] = ["Say how it was resolved."]
    elif resolution is not None:
        errors["resolution"] = ["Only when the complaint is resolved."]
    if to == S.CLOSED:
        if satisfaction is None:
            errors["satisfaction"] = ["The customer's satisfaction (1-5) is required to close."]
        elif (
            isinstance(satisfaction, bool)
            or not isinstance(satisfaction, int)
            or not 1 <= satisfaction <= 5
        ):
            errors["satisfaction"] = ["Must be between 1 and 5."]
    elif satisfaction is not None:
        errors["satisfaction"] = ["Only when the complaint is closed."]
    return errors


def transition_complaint(
    actor: User,
    complaint: Complaint,
    to: ComplaintStatus,
    *,
    note: str | None = None,
    resolution: str | None = None,
    satisfaction: int | None = None,
    at: datetime | None = None,
) -> ComplaintEvent:
    """Move a complaint one step along the loop and record who did it, when.

    The caller has checked that `actor` may (it loaded the complaint in scope). Bad input is
    a 422, a step the loop does not allow a 409 "illegal_transition"; both change
    nothing. Reopening (back to in progress from resolved, informed or closed)
    counts the reopen and clears the outcome; the event keeps what was cleared.
    """
    at = at or utcnow()
    to = ComplaintStatus(to)
    errors = _check_inputs(to, resolution, satisfaction)
    if errors:
        raise invalid_fields(errors)
    current = complaint.status
    if to not in TRANSITIONS[current]:
        raise _illegal(current, to)

    prior_satisfaction = None
    if to == S.RESOLVED:
        complaint.resolution = resolution
        complaint.resolved_at = at
    elif to == S.CLOSED:
        complaint.satisfaction = satisfaction
        complaint.closed_at = at
    elif to == S.IN_PROGRESS and current in REOPENABLE:
        # Kept in the event: the reopen clears it from the complaint.
        prior_satisfaction = complaint.satisfaction
        complaint.reopen_count += 1
        complaint.resolution = None
        complaint.resolved_at = None
        complaint.satisfaction = None
        complaint.closed_at = None
    complaint.status = to
    event = ComplaintEvent(
        complaint_id=complaint.id,
        actor_id=actor.id,
        at=at,
        from_status=current,
        to_status=to,
        note=note or None,
        # Facts as values (the clients word them); a reopen clears them from the complaint.
        resolution=resolution if to == S.RESOLVED else None,
        prior_satisfaction=prior_satisfaction,
    )
    db.session.add(event)
    db.session.flush()
    return event


def add_note(
    actor: User, complaint: Complaint, note: str, *, at: datetime | None = None
) -> ComplaintEvent:
    """Append a note to the complaint's history; it changes no status. Notes are never edited."""
    event = ComplaintEvent(
        complaint_id=complaint.id,
        actor_id=actor.id,
        at=at or utcnow(),
        from_status=complaint.status,
        to_status=None,
        note=note,
    )
    db.session.add(event)
    db.session.flush()
    return event


ERASED_TEXT = "-"


@events.customer_erased.connect
def _erase_complaint_texts(customer: Customer, *, at: datetime, **_) -> int:
    """An erased customer's complaints keep category, severity, times and steps (the
    review counts them); their description, resolution and notes are cleared."""
    complaints = sa.select(Complaint.id).where(Complaint.customer_id == customer.id)
    db.session.execute(
        sa.update(ComplaintEvent)
        .where(
            ComplaintEvent.complaint_id.in_(complaints),
            sa.or_(ComplaintEvent.note.is_not(None), ComplaintEvent.resolution.is_not(None)),
        )
        .values(note=None, resolution=None)
        .execution_options(synchronize_session="fetch")
    )
    return bulk_update(
        Complaint,
        Complaint.customer_id == customer.id,
        values={"description": ERASED_TEXT, "resolution": None},
        at=at,
    )
