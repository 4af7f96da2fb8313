"""Visit log rules: who may log, phone times, the location check, edits as revisions.

A visit is visible iff its customer is visible to the user. The customer's manager,
the lead of the team and admins may log one; only its author or an admin may
correct it later, and every correction is kept as a VisitRevision (no deletes).
These functions take the acting user and `now` and never read the request: the
REST API and the sync push replay a phone's log through the same rules.
"""

import enum
import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from server import events
from server.auth.models import Role, User
from server.customers.models import Customer
from server.errors import ApiError, invalid
from server.extensions import db
from server.jsonvalue import to_json
from server.models_base import bulk_update, check_version, flush_new, replayed, utcnow
from server.pagination import paginate
from server.plans.models import CarePlan, Channel, Purpose
from server.plans.services import complete_plan, matching_plan
from server.scope import visible
from server.tasks.models import Task
from server.tasks.services import add_task
from server.timeutil import accept_client_time, local_today, start_of_local_day
from server.visits.models import CustomerResponse, LocationStatus, Visit, VisitRevision
from server.visits.schemas import VisitDetailSchema

NEXT_STEP_DEFAULT_DAYS = 7


class _Match(enum.Enum):
    MATCH = "match"


# `plan_id` not given: the visit completes the open plan it fulfils, if any
# (plans.services.matching_plan); `plan_id=None` says it fulfils none.
MATCH = _Match.MATCH
EARTH_RADIUS_M = 6_371_000
TASK_TITLE_MAX = 200


def _setting(name: str) -> float:
    """A location threshold from config.py (VISIT_MAX_ACCURACY_M, ...)."""
    return current_app.config[name]


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def check_location(
    channel: Channel,
    customer: Customer,
    latitude: float | None,
    longitude: float | None,
    accuracy_m: float | None,
    location_age_s: float | None,
) -> tuple[LocationStatus, bool]:
    """How far an in-person check-in can be trusted: `(status, learn)`.

    `learn` is true when the customer's location is unknown and this fix is sharp
    and fresh enough to become it. A fix that does not say how accurate or how old
    it is proves nothing. With the customer's location unknown and a fix too coarse
    to learn from, there is nothing to compare with: unverified, not verified.
    """
    if channel != Channel.VISIT:
        return LocationStatus.NOT_APPLICABLE, False
    if latitude is None or longitude is None or accuracy_m is None or location_age_s is None:
        return LocationStatus.UNVERIFIED, False
    if accuracy_m > _setting("VISIT_MAX_ACCURACY_M") or location_age_s > _setting(
        "VISIT_MAX_LOCATION_AGE_S"
    ):
        return LocationStatus.UNVERIFIED, False
    if customer.latitude is not None and customer.longitude is not None:
        away = distance_m(latitude, longitude, customer.latitude, customer.longitude)
        if away > _setting("VISIT_MAX_DISTANCE_M"):
            return LocationStatus.OUT_OF_RANGE, False
        return LocationStatus.VERIFIED, False
    if accuracy_m <= _setting("VISIT_LEARN_MAX_ACCURACY_M") and location_age_s <= _setting(
        "VISIT_LEARN_MAX_LOCATION_AGE_S"
    ):
        return LocationStatus.VERIFIED, True
    return LocationStatus.UNVERIFIED, False


# --- reading --------------------------------------------------------------------


@dataclass
class VisitView:
    """A visit with the people it names; reads like the visit it wraps."""

    visit: Visit
    manager: User | None
    revisions: list[dict] = field(default_factory=list)
    follow_up_tasks: list[Task] = field(default_factory=list)

    def __getattr__(self, name: str):
        return getattr(self.visit, name)


def _users(ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def visit_detail(visit: Visit) -> VisitView:
    """The visit with its revisions (oldest first, editor named) and follow-up tasks."""
    revisions = list(
        db.session.scalars(
            sa.select(VisitRevision)
            .where(VisitRevision.visit_id == visit.id)
            .order_by(VisitRevision.at, VisitRevision.id)
        )
    )
    users = _users({visit.manager_id} | {r.editor_id for r in revisions})
    tasks = list(
        db.session.scalars(
            sa.select(Task).where(Task.source_visit_id == visit.id).order_by(Task.created_at)
        )
    )
    return VisitView(
        visit=visit,
        manager=users.get(visit.manager_id),
        revisions=[
            {"id": r.id, "at": r.at, "editor": users.get(r.editor_id), "changes": r.changes}
            for r in revisions
        ],
        follow_up_tasks=tasks,
    )


def _bound(value: date | datetime, *, end: bool) -> datetime:
    """A list filter bound; a date means a whole local day."""
    if isinstance(value, datetime):
        return value
    return start_of_local_day(value + timedelta(days=1) if end else value)


def list_visits(
    user: User,
    *,
    customer_id: uuid.UUID | None = None,
    manager_id: uuid.UUID | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    purpose: list[Purpose] | None = None,
    channel: list[Channel] | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Pagination:
    """One page of the visits `user` may see, newest first."""
    stmt = visible(user, Visit)
    if customer_id is not None:
        stmt = stmt.where(Visit.customer_id == customer_id)
    if manager_id is not None:
        stmt = stmt.where(Visit.manager_id == manager_id)
    if since is not None:
        stmt = stmt.where(Visit.started_at >= _bound(since, end=False))
    if until is not None:
        if isinstance(until, datetime):
            stmt = stmt.where(Visit.started_at <= until)
        else:
            stmt = stmt.where(Visit.started_at < _bound(until, end=True))
    if purpose:
        stmt = stmt.where(Visit.purpose.in_(purpose))
    if channel:
        stmt = stmt.where(Visit.channel.in_(channel))
    result = paginate(
        stmt.options(selectinload(Visit.customer)).order_by(
            Visit.started_at.desc(), Visit.id.desc()
        ),
        page=page,
        per_page=per_page,
    )
    visits: list[Visit] = result.items
    users = _users({v.manager_id for v in visits})
    result.items = [VisitView(visit=v, manager=users.get(v.manager_id)) for v in visits]
    return result


# --- logging --------------------------------------------------------------------


def _task_text(next_step: str) -> tuple[str, str | None]:
    """The follow-up task's title, and notes holding the whole step when it is cut."""
    if len(next_step) <= TASK_TITLE_MAX:
        return next_step, None
    return next_step[: TASK_TITLE_MAX - 1] + "…", next_step


def create_visit(
    actor: User,
    customer: Customer,
    *,
    channel: Channel,
    started_at: datetime,
    purpose: Purpose | None = None,
    plan_id: uuid.UUID | _Match | None = MATCH,
    ended_at: datetime | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    accuracy_m: float | None = None,
    location_age_s: float | None = None,
    outcome: str | None = None,
    notes: str | None = None,
    products_discussed: list[str] | None = None,
    customer_response: CustomerResponse | None = None,
    privileges_explained: bool = False,
    next_step: str | None = None,
    next_step_due: date | None = None,
    id: uuid.UUID | None = None,
    now: datetime | None = None,
    former_manager: bool = False,
) -> Visit:
    """Log a contact with a customer the actor may serve, in one unit of work.

    The caller loads the customer in the actor's scope, locked: a first check-in may
    write the customer's location, and two of them at once must not both think it
    is unknown. Completes the plan it answers, learns the customer's location from
    a sharp first check-in, and turns a next step into a follow-up task (due in a
    week unless `next_step_due` says otherwise). With a client-made `id` that exists
    already (a retried upload), returns that visit unchanged.

    `former_manager` (the sync push): the actor managed the customer once and the
    phone logged the visit offline before the move; its follow-up task goes to the
    customer's current manager.
    """
    now = now or utcnow()
    if id is not None:
        existing = replayed(Visit, id)
        if existing is not None:
            if existing.manager_id == actor.id and existing.customer_id == customer.id:
                return existing
            raise ApiError(409, "Another visit already has this id.", code="id_taken")

    plan = None
    if isinstance(plan_id, uuid.UUID):
        plan = db.session.scalar(
            sa.select(CarePlan)
            .where(CarePlan.id == plan_id, CarePlan.customer_id == customer.id)
            .with_for_update()
        )
        if plan is None:
            # The same answer for another customer's plan as for a missing one.
            raise invalid("plan_id", "This customer has no plan with this id.")
        purpose = purpose or plan.purpose
    if purpose is None:
        raise invalid("purpose", "Missing data for required field (no plan to take it from).")
    if ended_at is not None and ended_at < started_at:
        raise invalid("ended_at", "Must not be before started_at.")

    started, time_flag = accept_client_time(started_at, now)
    if ended_at is not None:
        # A phone clock running ahead moves the whole visit, keeping its length.
        ended_at -= started_at - started
    if plan_id is MATCH:
        # Done when the phone says it was done (offline work counts when it happened).
        plan = matching_plan(customer.id, purpose, local_today(started))

    if next_step_due is not None:
        if not next_step:
            raise invalid("next_step_due", "Give the next step too.")
        if next_step_due < local_today(started):
            raise invalid("next_step_due", "Must not be before the day of the visit.")

    status, learn = check_location(
        channel, customer, latitude, longitude, accuracy_m, location_age_s
    )
    if learn:
        customer.latitude, customer.longitude = latitude, longitude

    visit = Visit(
        id=id or uuid.uuid4(),
        customer_id=customer.id,
        manager_id=actor.id,
        plan_id=plan.id if plan else None,
        channel=channel,
        purpose=purpose,
        started_at=started,
        ended_at=ended_at,
        time_flag=time_flag,
        latitude=latitude,
        longitude=longitude,
        accuracy_m=accuracy_m,
        location_age_s=location_age_s,
        location_status=status,
        outcome=outcome,
        notes=notes,
        products_discussed=list(products_discussed or []),
        customer_response=customer_response,
        privileges_explained=privileges_explained,
        next_step=next_step,
    )
    db.session.add(visit)
    if plan is not None or next_step:
        # The task and the plan refer to the visit: it must exist first (the ORM
        # orders the INSERTs of one flush by relationships, and these have none).
        db.session.flush()
    if plan is not None:
        complete_plan(plan, at=started, visit_id=visit.id)
    if next_step:
        title, task_notes = _task_text(next_step)
        # Open work follows the customer (events.customer_reassigned): a former
        # manager's follow-up goes to the current one (back in the pool, it stays
        # with the actor until the customer is handed out).
        owner_id = (customer.manager_id or actor.id) if former_manager else actor.id
        add_task(
            owner_id=owner_id,
            customer_id=customer.id,
            title=title,
            notes=task_notes,
            due_date=next_step_due or local_today(now) + timedelta(days=NEXT_STEP_DEFAULT_DAYS),
            source_visit_id=visit.id,
            created_by=actor,
        )
    flush_new()
    return visit


# --- corrections ----------------------------------------------------------------

EDITABLE = (
    "outcome",
    "notes",
    "next_step",
    "customer_response",
    "products_discussed",
    "privileges_explained",
    "ended_at",
)


def update_visit(actor: User, visit: Visit, changes: dict, *, now: datetime | None = None) -> Visit:
    """Correct a visit `actor` may see (author or admin only), keeping the old values.

    Only fields whose value really changes are recorded; a correction that changes
    nothing writes no revision and leaves the version alone. An optional `version`
    in `changes` locks it.
    """
    now = now or utcnow()
    changes = dict(changes)
    base_version = changes.pop("version", None)
    if actor.role != Role.ADMIN and visit.manager_id != actor.id:
        raise ApiError(
            403, "Only the author of a visit log or an admin may correct it.", code="not_author"
        )
    check_version(
        visit, base_version, "visit", lambda: VisitDetailSchema().dump(visit_detail(visit))
    )
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise invalid(unknown[0], "Not editable.")

    if changes.get("ended_at") is not None and changes["ended_at"] < visit.started_at:
        raise invalid("ended_at", "Must not be before started_at.")
    if "products_discussed" in changes and changes["products_discussed"] is None:
        changes["products_discussed"] = []

    diff = {}
    for name, new in changes.items():
        old = getattr(visit, name)
        if old != new:
            diff[name] = {"old": to_json(old), "new": to_json(new)}
    if not diff:
        return visit
    for name in diff:
        setattr(visit, name, changes[name])
    db.session.add(VisitRevision(visit_id=visit.id, editor_id=actor.id, at=now, changes=diff))
    db.session.flush()
    return visit


@events.customer_erased.connect
def _erase_visit_texts(customer: Customer, *, at: datetime, **_) -> int:
    """An erased customer's visits keep their channel, purpose and times (the review
    counts them) and lose what was written and where: notes, outcome, next step, the
    position, and the old and new values of every edit."""
    visits = sa.select(Visit.id).where(Visit.customer_id == customer.id)
    db.session.execute(
        sa.update(VisitRevision)
        .where(VisitRevision.visit_id.in_(visits))
        .values(changes={})
        .execution_options(synchronize_session="fetch")
    )
    return bulk_update(
        Visit,
        Visit.customer_id == customer.id,
        values={
            "notes": None,
            "outcome": None,
            "next_step": None,
            "latitude": None,
            "longitude": None,
            "accuracy_m": None,
        },
        at=at,
    )
