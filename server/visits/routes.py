"""Visit logs under /api/v1/visits: log, read, correct. There is no DELETE: the log is history."""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.security import signed_in
from server.customers.models import Customer
from server.scope import get_visible
from server.visits import services
from server.visits.models import Visit
from server.visits.schemas import (
    VisitCreateSchema,
    VisitDetailSchema,
    VisitListQuerySchema,
    VisitPageSchema,
    VisitPatchSchema,
)

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="Visit logs")


@blp.get("")
# A mistyped filter name would otherwise be ignored and return unfiltered rows.
@blp.arguments(VisitListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, VisitPageSchema)
@signed_in()
def list_visits(**filters):
    """Visits of the customers the signed-in user may see, newest first."""
    return services.list_visits(current_user, **filters)


@blp.post("")
@blp.arguments(VisitCreateSchema)
@blp.response(201, VisitDetailSchema)
@signed_in()
def log_visit(data):
    """Log a contact. The customer's manager, the team's lead and admins may log.

    Sending an `id` that was already logged (a retried upload) returns that visit.
    """
    # Locked: a first check-in may learn the customer's location.
    customer = get_visible(current_user, Customer, data.pop("customer_id"), for_update=True)
    return services.visit_detail(services.create_visit(current_user, customer, **data))


@blp.get("/<uuid:visit_id>")
@blp.response(200, VisitDetailSchema)
@signed_in()
def get_visit(visit_id: uuid.UUID):
    """A visit with its correction history and follow-up tasks."""
    return services.visit_detail(get_visible(current_user, Visit, visit_id))


@blp.patch("/<uuid:visit_id>")
@blp.arguments(VisitPatchSchema)
@blp.response(200, VisitDetailSchema)
@signed_in()
def correct_visit(changes, visit_id: uuid.UUID):
    """Correct a visit (its author or an admin); the earlier values are kept. Optional `version`."""
    visit = get_visible(current_user, Visit, visit_id, for_update=True)
    return services.visit_detail(services.update_visit(current_user, visit, changes))
