"""The audit trail under /api/v1/audit (admins)."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.audit import services
from server.audit.schemas import AuditPageSchema, AuditQuerySchema
from server.auth.models import Role
from server.errors import ApiError

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit trail (admin)")


@blp.get("")
# A mistyped filter name would otherwise be ignored and return unfiltered rows.
@blp.arguments(AuditQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, AuditPageSchema)
def list_events(**filters):
    """Audit events, newest first, filtered by action, actor, target and period (admin)."""
    # Signing in is checked for every /api/ route (auth.security); the role here,
    # without auth.security's decorator, which sits in a layer above this module.
    if current_user.role != Role.ADMIN:
        raise ApiError(403, "Your role may not do this.", code="forbidden")
    return services.list_events(**filters)
