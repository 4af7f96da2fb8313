"""Customers, their contacts, assignment to managers, and value tiers.

Visibility comes from `server.scope`: a customer the user may not see answers 404,
exactly like one that does not exist.
"""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles, signed_in
from server.customers import personal_data, services
from server.customers.models import Customer
from server.customers.schemas import (
    AssignmentSchema,
    AssignOneResultSchema,
    AssignResultSchema,
    AssignSchema,
    BulkAssignSchema,
    ContactCreateSchema,
    ContactOutSchema,
    ContactPatchSchema,
    CustomerDetailSchema,
    CustomerListQuerySchema,
    CustomerPageSchema,
    CustomerPatchSchema,
    EraseSchema,
    ReassignSchema,
    TierPatchSchema,
    TierSchema,
)
from server.privacy import access, masking
from server.privacy.models import AccessKind
from server.scope import get_visible

blp = Blueprint(
    "customers", __name__, url_prefix="/api/v1/customers", description="Customers and assignment"
)
tiers_blp = Blueprint("tiers", __name__, url_prefix="/api/v1/tiers", description="Value tiers")


@blp.get("")
# A mistyped filter name would otherwise be ignored and return unfiltered rows.
@blp.arguments(CustomerListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, CustomerPageSchema)
@signed_in()
def list_customers(**filters):
    """Customers the signed-in user may see, filtered, one page at a time."""
    return services.list_customers(current_user, **filters)


@blp.get("/<uuid:customer_id>")
@blp.response(200, CustomerDetailSchema)
@signed_in()
def get_customer(customer_id: uuid.UUID):
    """The profile archive with contacts, 12 months of spend and assignment history.

    Personal fields are masked for leads and admins (docs/security.md); the view is
    recorded in the access log with the fields shown in full."""
    customer = get_visible(current_user, Customer, customer_id)
    full = masking.shown_in_full(customer, current_user)
    fields = personal_data.held_fields(customer) if full else []
    access.record(current_user, AccessKind.VIEW, customer_id=customer.id, fields=fields)
    return services.customer_profile(customer)


@blp.post("/<uuid:customer_id>/reveal")
@blp.response(200, CustomerDetailSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def reveal_customer(customer_id: uuid.UUID):
    """The profile with its personal fields in full, for a lead or an admin who needs
    them once (a call to make); recorded in the access log."""
    customer = get_visible(current_user, Customer, customer_id)
    access.record(
        current_user,
        AccessKind.REVEAL,
        customer_id=customer.id,
        fields=personal_data.held_fields(customer),
    )
    profile = services.customer_profile(customer)
    profile.personal_full = True  # type: ignore[attr-defined]
    return profile


@blp.get("/<uuid:customer_id>/personal-data")
@blp.response(200)
@require_roles(Role.ADMIN)
def export_personal_data(customer_id: uuid.UUID):
    """All that is held about one customer, as JSON (a PIPL access request); logged
    and audited."""
    customer = get_visible(current_user, Customer, customer_id)
    return personal_data.personal_data(current_user, customer)


@blp.post("/<uuid:customer_id>/erase")
@blp.arguments(EraseSchema)
@blp.response(200, CustomerDetailSchema)
@require_roles(Role.ADMIN)
def erase_customer(args, customer_id: uuid.UUID):
    """Erase the customer's personal data (`confirm`: its number, typed); statistics
    stay, every phone holding it pulls the erased row. Audited."""
    customer = get_visible(current_user, Customer, customer_id, for_update=True)
    personal_data.erase_customer(current_user, customer, confirm=args["confirm"])
    return services.customer_profile(customer)


@blp.patch("/<uuid:customer_id>")
@blp.arguments(CustomerPatchSchema)
@blp.response(200, CustomerDetailSchema)
@signed_in()
def update_customer(changes, customer_id: uuid.UUID):
    """Edit the profile. name, tier and kind: leads and admins only. Optional `version`."""
    customer = get_visible(current_user, Customer, customer_id, for_update=True)
    return services.customer_profile(services.update_customer(current_user, customer, changes))


@blp.post("/<uuid:customer_id>/contacts")
@blp.arguments(ContactCreateSchema)
@blp.response(201, ContactOutSchema)
@signed_in()
def add_contact(data, customer_id: uuid.UUID):
    """Add a contact person to an organisation customer."""
    # Locked, so two decision-maker changes on one customer run one after the other.
    customer = get_visible(current_user, Customer, customer_id, for_update=True)
    return services.add_contact(customer, data)


@blp.patch("/<uuid:customer_id>/contacts/<uuid:contact_id>")
@blp.arguments(ContactPatchSchema)
@blp.response(200, ContactOutSchema)
@signed_in()
def update_contact(changes, customer_id: uuid.UUID, contact_id: uuid.UUID):
    """Edit a contact; marking one as decision maker un-marks the previous one."""
    customer = get_visible(current_user, Customer, customer_id, for_update=True)
    contact = services.get_contact(customer, contact_id)
    return services.update_contact(customer, contact, changes)


@blp.delete("/<uuid:customer_id>/contacts/<uuid:contact_id>")
@blp.response(204)
@signed_in()
def delete_contact(customer_id: uuid.UUID, contact_id: uuid.UUID):
    """Remove a contact person."""
    customer = get_visible(current_user, Customer, customer_id, for_update=True)
    services.delete_contact(customer, services.get_contact(customer, contact_id))


@blp.get("/<uuid:customer_id>/assignments")
@blp.response(200, AssignmentSchema(many=True))
@signed_in()
def list_assignments(customer_id: uuid.UUID):
    """Who was responsible for the customer, newest change first."""
    return services.assignment_history(get_visible(current_user, Customer, customer_id).id)


@blp.post("/<uuid:customer_id>/assign")
@blp.arguments(AssignSchema)
@blp.response(200, AssignOneResultSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def assign_customer(args, customer_id: uuid.UUID):
    """Give the customer to a manager (manager_id null: back to the unassigned pool)."""
    customer = get_visible(current_user, Customer, customer_id, for_update=not args["dry_run"])
    return services.assign_customer(
        current_user,
        customer,
        args["manager_id"],
        reason=args["reason"],
        dry_run=args["dry_run"],
    )


@blp.post("/assign")
@blp.arguments(BulkAssignSchema)
@blp.response(200, AssignResultSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def assign_many(args):
    """Give many customers to one manager, all or nothing; dry_run only reports."""
    return services.assign_many(
        current_user,
        args["customer_ids"],
        args["manager_id"],
        reason=args["reason"],
        dry_run=args["dry_run"],
    )


@blp.post("/reassign")
@blp.arguments(ReassignSchema)
@blp.response(200, AssignResultSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def reassign(args):
    """Each customer to its own manager (an edited rebalancing), all or none; dry_run reports."""
    moves = [(m["customer_id"], m["manager_id"]) for m in args["moves"]]
    return services.reassign(current_user, moves, reason=args["reason"], dry_run=args["dry_run"])


@tiers_blp.get("")
@tiers_blp.response(200, TierSchema(many=True))
@signed_in()
def list_tiers():
    """Value tiers, most valuable (rank 1) first."""
    return services.list_tiers()


@tiers_blp.patch("/<uuid:tier_id>")
@tiers_blp.arguments(TierPatchSchema)
@tiers_blp.response(200, TierSchema)
@require_roles(Role.ADMIN)
def update_tier(changes, tier_id: uuid.UUID):
    """Rename a tier or change its service levels. Optional `version`."""
    return services.update_tier(services.get_tier(tier_id, for_update=True), changes)
