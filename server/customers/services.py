"""Customer rules: who may see which customer, and assignment to managers."""

import uuid

import sqlalchemy as sa

from server.auth.models import Role, User
from server.customers.models import AssignmentHistory, Customer
from server.errors import not_found
from server.extensions import db
from server.models_base import utcnow


def visible_customers(user: User) -> sa.Select[tuple[Customer]]:
    """SELECT of the customers `user` may see.

    A manager: those currently assigned to them. A lead: those of their team's
    managers, plus the unassigned pool they hand out from. An admin: all.
    """
    stmt = sa.select(Customer)
    if user.role == Role.ADMIN:
        return stmt
    if user.role == Role.LEAD:
        team_managers = sa.select(User.id).where(
            User.team_id == user.team_id, User.role == Role.MANAGER
        )
        if user.team_id is None:
            return stmt.where(Customer.manager_id.is_(None))
        return stmt.where(
            sa.or_(Customer.manager_id.in_(team_managers), Customer.manager_id.is_(None))
        )
    return stmt.where(Customer.manager_id == user.id)


def get_visible_customer(user: User, customer_id: uuid.UUID, *, for_update: bool = False) -> Customer:
    """The customer if `user` may see it; 404 otherwise, so existence does not leak."""
    stmt = visible_customers(user).where(Customer.id == customer_id)
    if for_update:
        stmt = stmt.with_for_update()
    customer = db.session.scalar(stmt)
    if customer is None:
        raise not_found("Customer")
    return customer


def assign(
    customer: Customer,
    to_manager: User | None,
    *,
    reason: str,
    actor: User | None,
    source: str = "api",
) -> AssignmentHistory | None:
    """Make `to_manager` the customer's responsible manager and keep the history.

    Returns the history row, or None when the customer already had that manager
    (so re-running an import or a bulk reassign records nothing new).
    Permission checks are the caller's: this is the one place the rule
    "a customer has at most one manager, and every change is kept" lives.
    """
    new_id = to_manager.id if to_manager else None
    if customer.manager_id == new_id:
        return None
    entry = AssignmentHistory(
        customer_id=customer.id,
        from_manager_id=customer.manager_id,
        to_manager_id=new_id,
        assigned_by_id=actor.id if actor else None,
        source=source,
        reason=reason,
        at=utcnow(),
    )
    customer.manager_id = new_id
    customer.assigned_at = entry.at
    db.session.add(entry)
    return entry


def portfolio_sizes(manager_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Number of customers currently assigned to each of these managers (one query)."""
    if not manager_ids:
        return {}
    rows = db.session.execute(
        sa.select(Customer.manager_id, sa.func.count())
        .where(Customer.manager_id.in_(manager_ids))
        .group_by(Customer.manager_id)
    )
    sizes = dict.fromkeys(manager_ids, 0)
    sizes.update({manager_id: count for manager_id, count in rows})
    return sizes
