"""Sync conflicts: who sees them and how they are resolved (docs/sync.md).

A conflict is visible to the user whose change caused it, to the lead of that
user's team and to admins; anyone else gets 404, as for one that does not exist.
"""

import uuid
from datetime import datetime

import sqlalchemy as sa

from server.auth.models import Role, User
from server.customers.services import invalid
from server.errors import ApiError, not_found
from server.extensions import db
from server.models_base import utcnow
from server.sync.merge import restore_lost_value
from server.sync.models import ConflictStatus, SyncConflict

FIELD_CHOICES = ("kept", "restored")
LOST_ACCESS_CHOICES = ("applied", "dismissed")


def visible_conflicts(user: User) -> sa.Select[SyncConflict]:
    """SELECT of the conflicts `user` may see: their own, a lead's team's, an admin's all."""
    stmt = sa.select(SyncConflict)
    if user.role == Role.ADMIN:
        return stmt
    if user.role == Role.LEAD and user.team_id is not None:
        members = sa.select(User.id).where(User.team_id == user.team_id)
        return stmt.where(
            sa.or_(SyncConflict.user_id == user.id, SyncConflict.user_id.in_(members))
        )
    return stmt.where(SyncConflict.user_id == user.id)


def list_conflicts(user: User, *, status: ConflictStatus = ConflictStatus.OPEN) -> list:
    """The conflicts `user` may see with this status, oldest first."""
    return list(
        db.session.scalars(
            visible_conflicts(user)
            .where(SyncConflict.status == status)
            .order_by(SyncConflict.created_at, SyncConflict.id)
        )
    )


def get_visible_conflict(
    user: User, conflict_id: uuid.UUID, *, for_update: bool = False
) -> SyncConflict:
    """The conflict if `user` may see it; 404 otherwise."""
    stmt = visible_conflicts(user).where(SyncConflict.id == conflict_id)
    if for_update:
        stmt = stmt.with_for_update(of=SyncConflict)
    conflict = db.session.scalar(stmt)
    if conflict is None:
        raise not_found("Conflict")
    return conflict


def resolve_conflict(
    actor: User, conflict_id: uuid.UUID, choice: str, *, now: datetime | None = None
) -> SyncConflict:
    """Settle a conflict the actor may see.

    A field conflict: "kept" leaves the stored value, "restored" puts the lost value
    back through the record's own update service (a new version, so every device
    hears of it). A lost-access conflict, for a lead or an admin: "applied" re-runs
    the kept change as the actor, "dismissed" drops it. Resolving again with the
    same choice changes nothing; with another choice it is a 409.
    """
    now = now or utcnow()
    conflict = get_visible_conflict(actor, conflict_id, for_update=True)
    choices = FIELD_CHOICES if conflict.kind == "field" else LOST_ACCESS_CHOICES
    if choice not in choices:
        raise invalid("choice", f"For this conflict: one of {', '.join(choices)}.")
    if conflict.status == ConflictStatus.RESOLVED:
        if conflict.resolution == choice:
            return conflict
        raise ApiError(
            409,
            f"This conflict was already resolved ({conflict.resolution}).",
            code="conflict_resolved",
        )
    if conflict.kind == "lost_access" and actor.role not in (Role.LEAD, Role.ADMIN):
        raise ApiError(
            403,
            "The customer has moved on: a lead decides what happens to this change.",
            code="lead_only",
        )
    if choice == "restored":
        restore_lost_value(actor, conflict, now)
    elif choice == "applied":
        # Imported here: the push module dispatches mutations and itself resolves
        # conflicts pushed as mutations.
        from server.sync.push import apply_kept_mutation

        apply_kept_mutation(actor, conflict, now)
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolution = choice
    conflict.resolved_at = now
    conflict.resolved_by_id = actor.id
    db.session.flush()
    return conflict
