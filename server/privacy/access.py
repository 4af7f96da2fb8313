"""Recording and reading the access log of customers' personal data.

A row is added inside the unit of work of the request that showed the data, so it
commits with the answer. Reads that show personal fields call `record`; the admin
API reads the log per customer and per user.
"""

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from server.auth.models import User
from server.extensions import db
from server.pagination import paginate
from server.privacy.models import AccessKind, PersonalDataAccess


def record(
    user: User,
    kind: AccessKind,
    *,
    customer_id: uuid.UUID | None = None,
    fields: Iterable[str] = (),
    count: int = 1,
    device_id: uuid.UUID | None = None,
    ref: str | None = None,
) -> PersonalDataAccess:
    """Log that `user` saw (or exported, or erased) these personal fields."""
    session = getattr(user, "device_session", None)
    row = PersonalDataAccess(
        user_id=user.id,
        customer_id=customer_id,
        kind=kind,
        fields=list(fields),
        count=count,
        session_id=session.id if session is not None else None,
        device_id=device_id,
        ref=ref,
    )
    db.session.add(row)
    return row


def list_access(
    *,
    customer_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    kind: AccessKind | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Pagination:
    """One page of the log, newest first, for one customer and/or one user.

    A pull or an export carries many customers in one row (customer_id None): asked
    about one customer, the log shows the rows naming it; asked about a user, all.
    """
    stmt = sa.select(PersonalDataAccess)
    if customer_id is not None:
        stmt = stmt.where(PersonalDataAccess.customer_id == customer_id)
    if user_id is not None:
        stmt = stmt.where(PersonalDataAccess.user_id == user_id)
    if kind is not None:
        stmt = stmt.where(PersonalDataAccess.kind == kind)
    stmt = stmt.order_by(PersonalDataAccess.at.desc(), PersonalDataAccess.id.desc())
    return paginate(stmt, page=page, per_page=per_page)


def for_customer(customer_id: uuid.UUID) -> list[PersonalDataAccess]:
    """Every row naming one customer, oldest first (for its personal-data export)."""
    return list(
        db.session.scalars(
            sa.select(PersonalDataAccess)
            .where(PersonalDataAccess.customer_id == customer_id)
            .order_by(PersonalDataAccess.at, PersonalDataAccess.id)
        )
    )
