"""Care plans (维系计划): list, create by hand, reschedule, cancel.

A plan is visible, and editable, exactly when its customer is: someone else's
plan answers 404 like one that does not exist.
"""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles, signed_in
from server.customers.models import Customer
from server.jobs.schemas import JobSchema
from server.plans import services
from server.plans.models import CarePlan
from server.plans.schemas import (
    GenerateSchema,
    PlanCreateSchema,
    PlanListQuerySchema,
    PlanPageSchema,
    PlanPatchSchema,
    PlanSchema,
)
from server.scope import get_visible

blp = Blueprint("plans", __name__, url_prefix="/api/v1/plans", description="Care plans")


@blp.get("")
# A mistyped filter name would otherwise be ignored and return unfiltered rows.
@blp.arguments(PlanListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, PlanPageSchema)
@signed_in()
def list_plans(**filters):
    """Plans of the customers the signed-in user may see, soonest due first."""
    return services.list_plans(current_user, **filters)


@blp.post("")
@blp.arguments(PlanCreateSchema)
@blp.response(201, PlanSchema)
@signed_in()
def create_plan(data):
    """Plan a contact with a customer; it belongs to the customer's manager."""
    customer = get_visible(current_user, Customer, data.pop("customer_id"))
    return services.create_plan(current_user, customer, **data)


@blp.post("/generate")
@blp.arguments(GenerateSchema)
@blp.response(202, JobSchema)
@require_roles(Role.ADMIN)
def generate(args):
    """Generate the plans falling due soon for every customer, as a job (also a daily cron)."""
    return services.start_generation(current_user, args.get("date"))


@blp.get("/<uuid:plan_id>")
@blp.response(200, PlanSchema)
@signed_in()
def get_plan(plan_id: uuid.UUID):
    """One plan."""
    return get_visible(current_user, CarePlan, plan_id)


@blp.patch("/<uuid:plan_id>")
@blp.arguments(PlanPatchSchema)
@blp.response(200, PlanSchema)
@signed_in()
def update_plan(changes, plan_id: uuid.UUID):
    """Reschedule, change channel, title or notes, or cancel. Done plans: notes only."""
    plan = get_visible(current_user, CarePlan, plan_id, for_update=True)
    return services.update_plan(current_user, plan, changes)


@blp.post("/<uuid:plan_id>/cancel")
@blp.response(200, PlanSchema)
@signed_in()
def cancel_plan(plan_id: uuid.UUID):
    """Cancel an open plan (a done plan cannot be cancelled: 409)."""
    return services.cancel_plan(get_visible(current_user, CarePlan, plan_id, for_update=True))
