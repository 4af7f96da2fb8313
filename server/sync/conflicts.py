"""Sync conflicts: who sees them and how they are resolved (docs/sync.md).

A conflict is visible to the user whose change caused it, to the lead of that
user's team and to admins; anyone else gets 404, as for one that does not exist.
"""

from datetime import datetime

from server.audit.services import record
from server.auth.models import Role, User
from server.errors import ApiError, invalid
from server.extensions import db
from server.models_base import utcnow
from server.scope import visible
from server.sync.merge import restore_lost_value
from server.sync.models import ConflictStatus, SyncConflict
from server.sync.mutations import apply_kept_mutation

FIELD_CHOICES = ("kept", "restored")
LOST_ACCESS_CHOICES = ("applied", "dismissed")


def list_conflicts(user: User, *, status: ConflictStatus = ConflictStatus.OPEN) -> list:
    """The conflicts `user` may see with this status, oldest first."""
    return list(
        db.session.scalars(
            visible(user, SyncConflict)
            .where(SyncConflict.status == status)
            .order_by(SyncConflict.created_at, SyncConflict.id)
        )
    )


def resolve_conflict(
    actor: User, conflict: SyncConflict, choice: str, *, now: datetime | None = None
) -> SyncConflict:
    """Settle a conflict the actor may see (loaded locked by the caller).

    A field conflict: "kept" leaves the stored value, "restored" puts the lost value
    back through the record's own update service (a new version, so every device
    hears of it). A lost-access conflict, for a lead or an admin: "applied" re-runs
    the kept change as the actor, "dismissed" drops it. Resolving again with the
    same choice changes nothing; with another choice it is a 409.
    """
    now = now or utcnow()
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
        apply_kept_mutation(actor, conflict, now)
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolution = choice
    conflict.resolved_at = now
    conflict.resolved_by_id = actor.id
    db.session.flush()
    # What was decided about whose change; not the values (they may be personal data).
    record(
        "sync.conflict_resolved",
        actor=actor,
        target_type="sync_conflict",
        target_id=conflict.id,
        details={
            "choice": choice,
            "kind": conflict.kind,
            "entity": conflict.entity,
            "row_id": conflict.row_id,
            "customer_id": conflict.customer_id,
            "field": conflict.field,
            "mutation": conflict.mutation_name,
            "author_id": conflict.user_id,
        },
    )
    return conflict
