"""Sync API: a device pulls its scope and pushes the changes it made offline."""

import uuid

import orjson
from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles, signed_in
from server.http import checks_nul_per_item
from server.scope import get_visible
from server.sync import conflicts, failures, pull, push
from server.sync.models import ConflictStatus, SyncConflict
from server.sync.schemas import (
    ConflictListSchema,
    ConflictQuerySchema,
    ConflictSchema,
    FailedMutationListSchema,
    FailedQuerySchema,
    PullAnswerSchema,
    PullArgsSchema,
    PushAnswerSchema,
    PushSchema,
    ResolveConflictSchema,
)

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Offline sync")


@blp.get("/pull")
@blp.arguments(PullArgsSchema, location="query")
# Documented, not dumped: a first pull is thousands of rows already in their JSON form.
@blp.alt_response(200, schema=PullAnswerSchema, success=True)
@signed_in()
def pull_changes(args):
    """Changed rows and tombstones of the device's scope since `cursor` (docs/sync.md)."""
    answer = pull.pull(current_user, **args)
    pull.record_access(current_user, args["device_id"], answer["changes"])
    # orjson writes a first pull's megabytes of rows several times faster than Flask's
    # encoder, unsorted and unescaped; the rows come ready for it (server/sync/rows.py).
    return current_app.response_class(orjson.dumps(answer), mimetype="application/json")


@blp.post("/push")
@blp.arguments(PushSchema)
@blp.alt_response(200, schema=PushAnswerSchema, success=True)
@checks_nul_per_item
@signed_in()
def push_mutations(args):
    """Apply a device's queued mutations exactly once, in order (docs/sync.md)."""
    return push.push(current_user, **args)


@blp.get("/conflicts")
@blp.arguments(ConflictQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ConflictListSchema)
@signed_in()
def list_conflicts(args):
    """The user's conflicts (a lead: also the team's; an admin: all), oldest first."""
    return {"items": conflicts.list_conflicts(current_user, status=ConflictStatus(args["status"]))}


@blp.post("/conflicts/<uuid:conflict_id>/resolve")
@blp.arguments(ResolveConflictSchema)
@blp.response(200, ConflictSchema)
@signed_in()
def resolve_conflict(args, conflict_id: uuid.UUID):
    """kept / restored (a field conflict); applied / dismissed (lost_access: lead or admin)."""
    conflict = get_visible(current_user, SyncConflict, conflict_id, for_update=True)
    return conflicts.resolve_conflict(current_user, conflict, args["choice"])


@blp.get("/failed")
@blp.arguments(FailedQuerySchema, location="query", unknown=RAISE)
@blp.response(200, FailedMutationListSchema)
@require_roles(Role.ADMIN)
def list_failed(args):
    """Mutations that failed unexpectedly (a server bug), newest first: admins only."""
    return {"items": failures.list_failed(**args)}


@blp.get("/failed/mine")
@blp.arguments(FailedQuerySchema, location="query", unknown=RAISE)
@blp.response(200, FailedMutationListSchema)
@signed_in()
def list_my_failed(args):
    """The signed-in user's own failed mutations (the phone's sync centre)."""
    return {"items": failures.list_failed(user=current_user, **args)}
