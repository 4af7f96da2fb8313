"""Who may see what: the one definition of every user's scope.

A manager sees the customers assigned to them; a lead sees their team's managers'
customers and the unassigned pool they hand out from; an admin sees everything.
Plans, visits (and their photos), complaints and warnings are visible with their customer; tasks and
sync conflicts belong to a person and are visible to that person, their team's lead
and admins; a team to its lead and admins. A campaign is visible to admins, to the
leads it concerns (their team's, or everyone's) and to the managers it targets
customers of. Whatever is out of scope answers 404,
exactly as if it did not exist, so existence does not leak.
"""

import uuid
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from server.auth.models import Role, User
from server.campaigns.models import Campaign, CampaignTarget
from server.complaints.models import Complaint
from server.customers.models import AssignmentHistory, Customer
from server.errors import not_found
from server.extensions import db
from server.photos.models import VisitPhoto
from server.plans.models import CarePlan
from server.sync.models import SyncConflict
from server.tasks.models import Task
from server.team.models import Team
from server.visits.models import Visit
from server.warnings.models import ChurnWarning

M = TypeVar("M")

# Scoped by their customer.
_BY_CUSTOMER: tuple[type, ...] = (
    CarePlan,
    Visit,
    VisitPhoto,
    Complaint,
    ChurnWarning,
    CampaignTarget,
)
# Scoped by the person they belong to.
_OWNER_COLUMNS: dict[type, Any] = {Task: Task.owner_id, SyncConflict: SyncConflict.user_id}
# How a 404 names each kind of row.
NAMES: dict[type, str] = {
    Customer: "Customer",
    CarePlan: "Plan",
    Visit: "Visit",
    VisitPhoto: "Photo",
    Complaint: "Complaint",
    ChurnWarning: "Warning",
    Task: "Task",
    SyncConflict: "Conflict",
    Team: "Team",
    Campaign: "Campaign",
    CampaignTarget: "Campaign target",
}


def visible_customers(user: User) -> sa.Select[Customer]:
    """SELECT of the customers `user` may see."""
    return sa.select(Customer).where(_customer_rule(user))


def visible_customer_ids(user: User) -> sa.Select[uuid.UUID]:
    """SELECT of the ids of the customers `user` may see (for IN subqueries)."""
    return sa.select(Customer.id).where(_customer_rule(user))


def field_customer_ids(user: User) -> sa.Select[uuid.UUID]:
    """SELECT of the ids of the customers `user` works in the field: those assigned to them.

    What a phone holds (docs/sync.md, Scope), whatever the role: a lead or an admin
    sees the rest of the organisation online, in the console, not on a phone.
    """
    return sa.select(Customer.id).where(Customer.manager_id == user.id)


def visible(user: User, model: type[M]) -> sa.Select[M]:
    """SELECT of the rows of `model` that `user` may see."""
    return sa.select(model).where(rule(user, model))


def rule(user: User, model: type) -> ColumnElement[bool]:
    """The WHERE clause that keeps `model`'s rows to those `user` may see."""
    if model is Customer:
        return _customer_rule(user)
    if model is Team:
        if user.role == Role.ADMIN:
            return sa.true()
        if user.role == Role.LEAD and user.team_id is not None:
            return Team.id == user.team_id
        return sa.false()
    if model is Campaign:
        if user.role == Role.ADMIN:
            return sa.true()
        if user.role == Role.LEAD:
            return sa.or_(Campaign.team_id.is_(None), Campaign.team_id == user.team_id)
        targeted = sa.select(CampaignTarget.campaign_id).where(
            CampaignTarget.customer_id.in_(visible_customer_ids(user))
        )
        return Campaign.id.in_(targeted)
    if model in _OWNER_COLUMNS:
        return _owned_by(user, _OWNER_COLUMNS[model])
    if model in _BY_CUSTOMER:
        if user.role == Role.ADMIN:
            return sa.true()
        return model.customer_id.in_(visible_customer_ids(user))  # type: ignore[attr-defined]
    raise TypeError(f"no visibility rule for {model.__name__}")


def get_visible(user: User, model: type[M], row_id: uuid.UUID, *, for_update: bool = False) -> M:
    """The row of `model` with this id if `user` may see it; 404 otherwise.

    `for_update` locks it (OF the row's own table: a joined-eager relationship is an
    outer join, and PostgreSQL refuses to lock the nullable side of one).
    """
    stmt = visible(user, model).where(model.id == row_id)  # type: ignore[attr-defined]
    if for_update:
        stmt = stmt.with_for_update(of=model)
    row = db.session.scalar(stmt)
    if row is None:
        raise not_found(NAMES[model])
    return row


def can_see(user: User, row: Any) -> bool:
    """Whether `user` may see this loaded row (one query)."""
    model = type(row)
    stmt = sa.select(model.id).where(model.id == row.id, rule(user, model))
    return db.session.scalar(stmt) is not None


def was_manager_of(user: User, customer_id: uuid.UUID) -> bool:
    """Whether the customer's assignment history names `user` as its manager at some point."""
    stmt = (
        sa.select(AssignmentHistory.id)
        .where(
            AssignmentHistory.customer_id == customer_id,
            sa.or_(
                AssignmentHistory.from_manager_id == user.id,
                AssignmentHistory.to_manager_id == user.id,
            ),
        )
        .limit(1)
    )
    return db.session.scalar(stmt) is not None


def left_manager_at(user: User, customer_id: uuid.UUID) -> datetime | None:
    """When the customer last moved away from `user` (None: it never did)."""
    return db.session.scalar(
        sa.select(sa.func.max(AssignmentHistory.at)).where(
            AssignmentHistory.customer_id == customer_id,
            AssignmentHistory.from_manager_id == user.id,
        )
    )


def get_former_managers_customer(
    user: User, customer_id: uuid.UUID, *, for_update: bool = False
) -> Customer:
    """A customer `user` managed once, whoever has it now; 404 for anyone else.

    For what a phone recorded offline before its user learned the customer had moved
    (docs/sync.md, Reassignment): the visit happened, the complaint was heard.
    """
    stmt = sa.select(Customer).where(Customer.id == customer_id)
    if for_update:
        stmt = stmt.with_for_update(of=Customer)
    customer = db.session.scalar(stmt)
    if customer is None or not was_manager_of(user, customer_id):
        raise not_found("Customer")
    return customer


def team_member_ids(user: User) -> sa.Select[uuid.UUID]:
    """SELECT of the ids of the members of `user`'s team."""
    return sa.select(User.id).where(User.team_id == user.team_id)


def _customer_rule(user: User) -> ColumnElement[bool]:
    if user.role == Role.ADMIN:
        return sa.true()
    if user.role == Role.LEAD:
        if user.team_id is None:
            return Customer.manager_id.is_(None)
        team_managers = sa.select(User.id).where(
            User.team_id == user.team_id, User.role == Role.MANAGER
        )
        return sa.or_(Customer.manager_id.in_(team_managers), Customer.manager_id.is_(None))
    return Customer.manager_id == user.id


def _owned_by(user: User, owner_column: Any) -> ColumnElement[bool]:
    if user.role == Role.ADMIN:
        return sa.true()
    if user.role == Role.LEAD and user.team_id is not None:
        return sa.or_(owner_column == user.id, owner_column.in_(team_member_ids(user)))
    return owner_column == user.id
