"""The console's dashboard views under /api/v1/dashboard (leads and admins)."""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles
from server.dashboard import services
from server.dashboard.schemas import AtRiskQuerySchema, AtRiskSchema, ManagerOverviewSchema
from server.replica import reads_from_replica
from server.reviews.services import resolve_scope

blp = Blueprint("dashboard", __name__, url_prefix="/api/v1/dashboard", description="Team dashboard")


@blp.get("/managers/<uuid:manager_id>")
@blp.response(200, ManagerOverviewSchema)
@require_roles(Role.LEAD, Role.ADMIN)
@reads_from_replica
def manager_overview(manager_id: uuid.UUID):
    """One manager at a glance: portfolio by tier and stage, overdue work, warnings, visits."""
    [manager] = resolve_scope(current_user, manager_id=manager_id).managers
    return services.manager_overview(manager)


@blp.get("/at-risk")
@blp.arguments(AtRiskQuerySchema, location="query", unknown=RAISE)
@blp.response(200, AtRiskSchema)
@require_roles(Role.LEAD, Role.ADMIN)
@reads_from_replica
def at_risk(args):
    """Open churn warnings with their reasons, age and answer; complaints near or past deadline."""
    return services.at_risk(resolve_scope(current_user, team_id=args.get("team_id")))
