"""Churn early warnings: manual flags, the manager's answer, the outcome, and the lists.

Visibility follows the customer: a warning on a customer the user may not see
answers 404, exactly like one that does not exist.
"""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles, signed_in
from server.customers.models import Customer
from server.jobs.schemas import JobSchema
from server.scope import get_visible
from server.warnings import services
from server.warnings.models import ChurnWarning
from server.warnings.schemas import (
    AnswerSchema,
    ChurnedListQuerySchema,
    ChurnedPageSchema,
    ChurnWarningPageSchema,
    ChurnWarningSchema,
    FlagSchema,
    ResolveSchema,
    ScanSchema,
    WarningListQuerySchema,
)

blp = Blueprint(
    "warnings", __name__, url_prefix="/api/v1/warnings", description="Churn early warnings"
)


@blp.get("")
@blp.arguments(WarningListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, ChurnWarningPageSchema)
@signed_in()
def list_warnings(**filters):
    """Warnings on customers the user may see: open first, then newest."""
    return services.list_warnings(current_user, **filters)


@blp.get("/churned")
@blp.arguments(ChurnedListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, ChurnedPageSchema)
@signed_in()
def list_churned(**filters):
    """Customers who left, with why and their last warning, for win-back follow-up."""
    return services.list_churned(current_user, **filters)


@blp.post("/scan")
@blp.arguments(ScanSchema)
@blp.response(202, JobSchema)
@require_roles(Role.ADMIN)
def scan(args):
    """Judge every assigned customer's bills and complaints, as a job (also after imports)."""
    month = args.get("month")
    return services.start_scan(current_user, month.replace(day=1) if month else None)


@blp.get("/<uuid:warning_id>")
@blp.response(200, ChurnWarningSchema)
@signed_in()
def get_warning(warning_id: uuid.UUID):
    """One warning with its reasons, the manager's answer and the outcome."""
    return get_visible(current_user, ChurnWarning, warning_id)


@blp.post("")
@blp.arguments(FlagSchema)
@blp.response(201, ChurnWarningSchema)
@signed_in()
def flag_customer(data):
    """Report a competitor's approach, an intent to leave, or another sign of leaving.

    Opens a warning, or adds the reason to the customer's open one. Optional client `id`.
    """
    customer = get_visible(current_user, Customer, data["customer_id"], for_update=True)
    return services.flag_customer(
        current_user, customer, data["reason"], data["note"], id=data.get("id")
    )


@blp.post("/<uuid:warning_id>/answer")
@blp.arguments(AnswerSchema)
@blp.response(200, ChurnWarningSchema)
@signed_in()
def answer_warning(data, warning_id: uuid.UUID):
    """The cause analysis and retention plan; rewritable while open. Optional `version`."""
    warning = get_visible(current_user, ChurnWarning, warning_id, for_update=True)
    return services.answer_warning(current_user, warning, data)


@blp.post("/<uuid:warning_id>/resolve")
@blp.arguments(ResolveSchema)
@blp.response(200, ChurnWarningSchema)
@signed_in()
def resolve_warning(data, warning_id: uuid.UUID):
    """Retained (needs the answer first) or churned (needs exit_reason; plans a win-back)."""
    warning = get_visible(current_user, ChurnWarning, warning_id, for_update=True)
    return services.resolve_warning(
        current_user,
        warning,
        data["outcome"],
        note=data.get("note"),
        exit_reason=data.get("exit_reason"),
        base_version=data.get("version"),
    )
