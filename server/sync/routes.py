"""Sync API: a device pulls its scope and pushes the changes it made offline."""

from flask_login import current_user
from flask_smorest import Blueprint

from server.auth.security import signed_in
from server.extensions import db
from server.sync import pull, push
from server.sync.schemas import PullArgsSchema, PushSchema

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Offline sync")


@blp.get("/pull")
@blp.arguments(PullArgsSchema, location="query")
@signed_in()
def pull_changes(args):
    """Changed rows and tombstones of the device's scope since `cursor` (docs/sync.md)."""
    result = pull.pull(current_user, **args)
    db.session.commit()  # device bookkeeping only
    return result


@blp.post("/push")
@blp.arguments(PushSchema)
@signed_in()
def push_mutations(args):
    """Apply a device's queued mutations exactly once, in order (docs/sync.md)."""
    result = push.push(current_user, **args)
    db.session.commit()
    return result
