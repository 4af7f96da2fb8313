"""The access log of customers' personal data under /api/v1/access-log (admins)."""

from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles
from server.privacy import access
from server.privacy.schemas import AccessPageSchema, AccessQuerySchema

blp = Blueprint(
    "access_log",
    __name__,
    url_prefix="/api/v1/access-log",
    description="Who viewed, revealed, exported or erased customers' personal data (admin)",
)


@blp.get("")
@blp.arguments(AccessQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, AccessPageSchema)
@require_roles(Role.ADMIN)
def list_access(**filters):
    """The log, newest first, for one customer (`customer_id`) and/or one user (`user_id`)."""
    return access.list_access(**filters)
