"""Follow-up task rules: who owns which task, creation, edits, completion.

A task is visible to its owner, to the lead of the owner's team and to admins
(server/scope.py); anyone else gets 404. These functions take the acting user and
never read the request: the REST API and the sync push run the same rules.
"""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from server import events
from server.auth.models import Role, User
from server.complaints.models import Complaint
from server.customers.models import Customer
from server.errors import ApiError, invalid
from server.extensions import db
from server.models_base import bulk_update, check_version, flush_new, replayed, utcnow
from server.pagination import paginate
from server.scope import get_visible, visible, visible_customer_ids
from server.tasks.models import Task, TaskStatus
from server.tasks.schemas import TaskSchema
from server.timeutil import local_today


@events.customer_reassigned.connect
def _follow_the_customer(
    customer: Customer,
    *,
    previous_manager_id: uuid.UUID | None,
    new_manager_id: uuid.UUID | None,
    at: datetime,
    **_,
) -> None:
    """Open tasks about the customer go with it to its new manager.

    A task needs an owner: when the customer goes back to the pool, its tasks stay
    with the previous manager until it is handed out again.
    """
    if previous_manager_id is None or new_manager_id is None:
        return
    bulk_update(
        Task,
        Task.customer_id == customer.id,
        Task.owner_id == previous_manager_id,
        Task.status == TaskStatus.OPEN,
        values={"owner_id": new_manager_id},
        at=at,
    )


# --- reading --------------------------------------------------------------------


def list_tasks(
    user: User,
    *,
    status: list[TaskStatus] | None = None,
    customer_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> Pagination:
    """One page of the tasks `user` may see, soonest due first, undated ones last."""
    stmt = visible(user, Task)
    if status:
        stmt = stmt.where(Task.status.in_(status))
    if customer_id is not None:
        stmt = stmt.where(Task.customer_id == customer_id)
    if owner_id is not None:
        stmt = stmt.where(Task.owner_id == owner_id)
    if overdue is not None:
        today = today or local_today()
        if overdue:
            stmt = stmt.where(Task.status == TaskStatus.OPEN, Task.due_date < today)
        else:
            stmt = stmt.where(
                sa.or_(
                    Task.status != TaskStatus.OPEN,
                    Task.due_date.is_(None),
                    Task.due_date >= today,
                )
            )
    if due_before is not None:
        stmt = stmt.where(Task.due_date < due_before)
    return paginate(
        stmt.options(selectinload(Task.customer))
        # NULLS LAST spelled portably: SQLite puts NULLs first on ascending order.
        .order_by(Task.due_date.is_(None), Task.due_date, Task.created_at, Task.id),
        page=page,
        per_page=per_page,
    )


# --- writing --------------------------------------------------------------------


def _owner(actor: User, owner_id: uuid.UUID | None) -> User:
    """Who will own the new task: the actor, or someone the actor may hand work to."""
    if owner_id is None or owner_id == actor.id:
        return actor
    if actor.role == Role.MANAGER:
        raise invalid("owner_id", "A manager may create tasks only for themself.")
    target = db.session.get(User, owner_id)
    if actor.role == Role.LEAD:
        # The same answer for a stranger as for a missing user: nothing leaks.
        if (
            target is None
            or not target.active
            or target.role != Role.MANAGER
            or actor.team_id is None
            or target.team_id != actor.team_id
        ):
            raise invalid("owner_id", "Not an active manager of your team.")
    elif target is None or not target.active or target.role not in (Role.MANAGER, Role.LEAD):
        raise invalid("owner_id", "Not an active manager or lead.")
    return target


def _complaint(actor: User, complaint_id: uuid.UUID) -> Complaint:
    complaint = db.session.scalar(
        sa.select(Complaint).where(
            Complaint.id == complaint_id,
            Complaint.customer_id.in_(visible_customer_ids(actor)),
        )
    )
    if complaint is None:
        raise invalid("source_complaint_id", "No complaint you can see has this id.")
    return complaint


def create_task(
    actor: User,
    *,
    title: str,
    customer_id: uuid.UUID | None = None,
    notes: str | None = None,
    due_date: date | None = None,
    owner_id: uuid.UUID | None = None,
    source_complaint_id: uuid.UUID | None = None,
    source_visit_id: uuid.UUID | None = None,
    id: uuid.UUID | None = None,
    loaded: Customer | None = None,
    today: date | None = None,
) -> Task:
    """Create a task, or return the one with this client-made `id` if it already exists.

    A due date before `today` (default: the server's local today; a phone's change
    is judged on the day the phone recorded it) is refused: work is not planned late.

    The customer (if any) must be visible to the actor (404) and to the owner (422).
    A task made from a complaint concerns that complaint's customer. `loaded`: the
    customer as the caller read it in the actor's scope (a sync push reads its batch's
    at once), not read again.
    """
    if id is not None:
        existing = replayed(Task, id)
        if existing is not None:
            # A replayed upload: the first one went through. The same id for something
            # else is a client bug, not a retry.
            if existing.created_by_id == actor.id and (
                customer_id is None or existing.customer_id == customer_id
            ):
                return existing
            raise ApiError(409, "Another task already has this id.", code="id_taken")

    if due_date is not None and due_date < (today or local_today()):
        raise invalid("due_date", "Must not be in the past.")
    owner = _owner(actor, owner_id)
    if source_complaint_id is not None:
        complaint = _complaint(actor, source_complaint_id)
        if customer_id is None:
            customer_id = complaint.customer_id
        elif customer_id != complaint.customer_id:
            raise invalid("source_complaint_id", "This complaint is about another customer.")
    if customer_id is not None:
        customer = loaded if loaded is not None and loaded.id == customer_id else None
        customer = customer or get_visible(actor, Customer, customer_id)
        if owner is not actor and not can_serve(owner, customer):
            raise invalid("owner_id", "This manager is not responsible for the customer.")

    return add_task(
        id=id,
        owner_id=owner.id,
        customer_id=customer_id,
        title=title,
        notes=notes,
        due_date=due_date,
        source_visit_id=source_visit_id,
        source_complaint_id=source_complaint_id,
        created_by=actor,
    )


def can_serve(user: User, customer: Customer) -> bool:
    return (
        db.session.scalar(visible_customer_ids(user).where(Customer.id == customer.id)) is not None
    )


def add_task(
    *,
    owner_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    title: str,
    created_by: User,
    notes: str | None = None,
    due_date: date | None = None,
    source_visit_id: uuid.UUID | None = None,
    source_complaint_id: uuid.UUID | None = None,
    id: uuid.UUID | None = None,
) -> Task:
    """Insert an open task; the caller has checked who may own it (a visit's follow-up)."""
    task = Task(
        id=id or uuid.uuid4(),
        owner_id=owner_id,
        customer_id=customer_id,
        title=title,
        notes=notes,
        due_date=due_date,
        status=TaskStatus.OPEN,
        source_visit_id=source_visit_id,
        source_complaint_id=source_complaint_id,
        created_by_id=created_by.id,
    )
    db.session.add(task)
    flush_new()
    return task


EDITABLE = ("title", "notes", "due_date", "status")


def update_task(actor: User, task: Task, changes: dict, *, now: datetime | None = None) -> Task:
    """Apply changes of title, notes, due_date and status to a task `actor` may see.

    An optional `version` in `changes` is the version the client last saw: if someone
    changed the task since, nothing is applied and the 409 carries the current record.
    Marking it done stamps completed_at; reopening or cancelling clears it.
    """
    changes = dict(changes)
    check_version(task, changes.pop("version", None), "task", lambda: TaskSchema().dump(task))
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise invalid(unknown[0], "Not editable.")
    for name, value in changes.items():
        if getattr(task, name) != value:
            setattr(task, name, value)
    if "status" in changes:
        if task.status == TaskStatus.DONE:
            if task.completed_at is None:
                task.completed_at = now or utcnow()
        elif task.completed_at is not None:
            task.completed_at = None
    db.session.flush()
    return task


def complete_task(actor: User, task: Task, *, now: datetime | None = None) -> Task:
    """Mark a task done; completing a done task again changes nothing."""
    return update_task(actor, task, {"status": TaskStatus.DONE}, now=now)


@events.customer_erased.connect
def _erase_task_notes(customer: Customer, *, at: datetime, **_) -> int:
    """An erased customer's tasks keep their title and status; their notes go."""
    return bulk_update(
        Task,
        Task.customer_id == customer.id,
        Task.notes.is_not(None),
        values={"notes": None},
        at=at,
    )
