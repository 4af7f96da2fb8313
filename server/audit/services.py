"""Recording audited actions, and reading them back for admins.

`record` is called by the domain that owns the action, inside its unit of work: the
event commits with the change it describes, or not at all. An event that must
survive a refused request (a failed sign-in, a lock-out) is registered by its caller
with `keep_on_failure(partial(record, ...))`.

This module sits below every domain (pyproject.toml, "domains"), so any service may
call it; it knows users only through `server.auth.models`.
"""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination

from server.audit.models import AuditEvent
from server.auth.models import User
from server.extensions import db
from server.jsonvalue import to_json
from server.pagination import paginate


def record(
    action: str,
    *,
    actor: User | None = None,
    target_type: str | None = None,
    target_id: Any = None,
    details: dict | None = None,
) -> None:
    """Add an audit event to the current unit of work.

    `actor` None means the signed-in user if there is one, else the system.
    `target_id` may be a UUID or any value with a string form. `details` must be
    small and JSON-able (UUIDs, dates and enums are converted); no personal fields.
    """
    signed_in = _signed_in_user()
    if actor is None:
        actor = signed_in
    ip = device_id = None
    if has_request_context():
        # Audit is cross-cutting: where a request came from is part of the record.
        ip = request.remote_addr
        if signed_in is not None and actor is not None and actor.id == signed_in.id:
            session = signed_in.device_session
            device_id = session.id if session is not None else None
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor is not None else None,
            actor_username=actor.username if actor is not None else None,
            action=action,
            target_type=target_type,
            target_id=str(target_id) if target_id is not None else None,
            details=to_json(details or {}),
            ip=ip,
            device_id=device_id,
        )
    )


def _signed_in_user() -> User | None:
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user._get_current_object()


def list_events(
    *,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Pagination:
    """One page of audit events, newest first.

    `action` matches the code itself or every code under it ("auth" finds
    "auth.sign_in"); `since` is inclusive, `until` exclusive.
    """
    stmt = sa.select(AuditEvent)
    if action:
        stmt = stmt.where(
            sa.or_(AuditEvent.action == action, AuditEvent.action.startswith(action + "."))
        )
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if target_type:
        stmt = stmt.where(AuditEvent.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEvent.target_id == target_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return paginate(stmt, page=page, per_page=per_page)
