"""Follow-up task rules: who sees and owns which task, creation, edits, completion.

A task is visible to its owner, to the lead of the owner's team and to admins;
anyone else gets 404. These functions take the acting user and never read the
request, so the sync push of a later issue can replay a phone's changes through them.
"""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from server.auth.models import Role, User
from server.complaints.models import Complaint
from server.customers.models import Customer
from server.customers.services import get_visible_customer, invalid, visible_customers
from server.errors import ApiError, not_found
from server.extensions import db
from server.models_base import check_version, utcnow
from server.pagination import Page, count_rows
from server.tasks.models import Task, TaskStatus
from server.tasks.schemas import TaskSchema
from server.timeutil import local_today


def visible_tasks(user: User) -> sa.Select[Task]:
    """SELECT of the tasks `user` may see (and so change)."""
    stmt = sa.select(Task)
    if user.role == Role.ADMIN:
        return stmt
    if user.role == Role.LEAD and user.team_id is not None:
        members = sa.select(User.id).where(User.team_id == user.team_id)
        return stmt.where(sa.or_(Task.owner_id == user.id, Task.owner_id.in_(members)))
    return stmt.where(Task.owner_id == user.id)


def get_visible_task(user: User, task_id: uuid.UUID, *, for_update: bool = False) -> Task:
    """The task if `user` may see it; 404 otherwise, so existence does not leak."""
    stmt = visible_tasks(user).where(Task.id == task_id)
    if for_update:
        stmt = stmt.with_for_update()
    task = db.session.scalar(stmt)
    if task is None:
        raise not_found("Task")
    return task


def _can_see(user: User, task: Task) -> bool:
    if user.role == Role.ADMIN or task.owner_id == user.id:
        return True
    if user.role == Role.LEAD and user.team_id is not None:
        owner = db.session.get(User, task.owner_id)
        return owner is not None and owner.team_id == user.team_id
    return False


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
) -> Page:
    """One page of the tasks `user` may see, soonest due first, undated ones last."""
    stmt = visible_tasks(user)
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
    total = count_rows(stmt)
    items = db.session.scalars(
        stmt.options(selectinload(Task.customer))
        # NULLS LAST spelled portably: SQLite puts NULLs first on ascending order.
        .order_by(Task.due_date.is_(None), Task.due_date, Task.created_at, Task.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)


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
            Complaint.customer_id.in_(visible_customers(actor).with_only_columns(Customer.id)),
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
) -> Task:
    """Create a task, or return the one with this client-made `id` if it already exists.

    The customer (if any) must be visible to the actor (404) and to the owner (422).
    A task made from a complaint concerns that complaint's customer.
    """
    if id is not None:
        existing = db.session.get(Task, id)
        if existing is not None:
            # A replayed upload: the first one went through. The same id for something
            # else is a client bug, not a retry.
            if existing.created_by_id == actor.id and (
                customer_id is None or existing.customer_id == customer_id
            ):
                return existing
            raise ApiError(409, "Another task already has this id.", code="id_taken")

    owner = _owner(actor, owner_id)
    if source_complaint_id is not None:
        complaint = _complaint(actor, source_complaint_id)
        if customer_id is None:
            customer_id = complaint.customer_id
        elif customer_id != complaint.customer_id:
            raise invalid("source_complaint_id", "This complaint is about another customer.")
    if customer_id is not None:
        get_visible_customer(actor, customer_id)
        if owner is not actor and (
            db.session.scalar(
                visible_customers(owner)
                .where(Customer.id == customer_id)
                .with_only_columns(Customer.id)
            )
            is None
        ):
            raise invalid("owner_id", "This manager is not responsible for the customer.")

    task = Task(
        id=id or uuid.uuid4(),
        owner_id=owner.id,
        customer_id=customer_id,
        title=title,
        notes=notes,
        due_date=due_date,
        status=TaskStatus.OPEN,
        source_visit_id=source_visit_id,
        source_complaint_id=source_complaint_id,
        created_by_id=actor.id,
    )
    db.session.add(task)
    db.session.flush()
    return task


EDITABLE = ("title", "notes", "due_date", "status")


def update_task(
    actor: User,
    task: Task,
    changes: dict,
    base_version: int | None = None,
    *,
    now: datetime | None = None,
) -> Task:
    """Apply changes of title, notes, due_date and status.

    `base_version` is the version the client last saw: if someone changed the task
    since, nothing is applied and the 409 carries the current record. Marking it
    done stamps completed_at; reopening or cancelling clears it.
    """
    if not _can_see(actor, task):
        raise not_found("Task")
    check_version(task, base_version, "task", lambda: TaskSchema().dump(task))
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


def edit_task(actor: User, task_id: uuid.UUID, changes: dict) -> Task:
    """PATCH a task the actor may see; `changes` may carry the optional `version`."""
    changes = dict(changes)
    base_version = changes.pop("version", None)
    task = get_visible_task(actor, task_id, for_update=True)
    return update_task(actor, task, changes, base_version)


def complete_task(actor: User, task_id: uuid.UUID) -> Task:
    """Mark a task done; completing a done task again changes nothing."""
    task = get_visible_task(actor, task_id, for_update=True)
    return update_task(actor, task, {"status": TaskStatus.DONE})
