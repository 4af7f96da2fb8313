"""Health checks for the proxy, the load balancer and the operator (docs/deploy.md).

`GET /api/v1/health`: the app server answers (liveness; touches nothing else).
`GET /api/v1/health/ready`: it can serve: PostgreSQL (and the replica, when one is
configured) answers a query and Redis a ping (when the app has one). Otherwise 503
`not_ready`, the checks beside it; the reason goes to the log, not to the caller.
Neither needs a session: a balancer cannot sign in.
"""

import logging
from collections.abc import Callable

import redis
import sqlalchemy as sa
from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from server.errors import ApiError
from server.extensions import db
from server.replica import REPLICA_BIND, configured

blp = Blueprint("health", __name__, url_prefix="/api/v1/health", description="Health checks")

log = logging.getLogger(__name__)

OK, FAILED = "ok", "failed"


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ok"})
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "each dependency: ok or failed"},
    )


@blp.get("")
@blp.response(200, HealthSchema)
def live():
    """The app server is up (it touches neither the database nor Redis)."""
    return {"status": OK, "checks": {}}


def _database(bind: str | None) -> Callable[[], None]:
    def check() -> None:
        # The primary as the session reaches it; the replica through its own engine.
        where = {"bind": db.engines[bind]} if bind else None
        try:
            db.session.execute(sa.text("SELECT 1"), bind_arguments=where)
        except sa.exc.SQLAlchemyError:
            db.session.rollback()  # the request's commit must not meet a failed transaction
            raise

    return check


def _redis() -> None:
    client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


@blp.get("/ready")
@blp.response(200, HealthSchema)
@blp.alt_response(503, description="A dependency is down: `not_ready`, with `checks`")
def ready():
    """Whether this app server can serve: its database (and replica) and Redis answer."""
    checks: dict[str, Callable[[], None]] = {"database": _database(None)}
    if configured():
        checks["replica"] = _database(REPLICA_BIND)
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = OK
        except (sa.exc.SQLAlchemyError, redis.RedisError, OSError) as err:
            log.error("readiness: %s failed: %s", name, err)
            results[name] = FAILED
    if failed := [name for name, result in results.items() if result == FAILED]:
        # The API's one error shape, the checks as a detail beside it.
        raise ApiError(
            503,
            f"Not ready: {', '.join(failed)} did not answer.",
            code="not_ready",
            extra={"checks": results},
        )
    return {"status": OK, "checks": results}
