"""Complaints (投诉) under /api/v1/complaints, and their categories.

A complaint is visible iff its customer is: anyone else gets 404.
"""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles, signed_in
from server.complaints import services
from server.complaints.models import Complaint
from server.complaints.schemas import (
    CategoryCreateSchema,
    CategoryListSchema,
    CategoryPatchSchema,
    CategoryQuerySchema,
    CategorySchema,
    ComplaintCreateSchema,
    ComplaintDetailSchema,
    ComplaintListSchema,
    ComplaintPageSchema,
    ComplaintQuerySchema,
    NoteSchema,
    TransitionSchema,
)
from server.customers.models import Customer
from server.scope import get_visible

blp = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints", description="Complaints")
categories_blp = Blueprint(
    "complaint_categories",
    __name__,
    url_prefix="/api/v1/complaint-categories",
    description="Complaint categories",
)


@categories_blp.get("")
@categories_blp.arguments(CategoryQuerySchema, location="query", unknown=RAISE)
@categories_blp.response(200, CategoryListSchema)
@signed_in()
def list_categories(args):
    """Active complaint categories (`all=true`: the retired ones too, for admins)."""
    everything = args["all"] and current_user.role == Role.ADMIN
    return {"items": services.list_categories(include_inactive=everything)}


@categories_blp.post("")
@categories_blp.arguments(CategoryCreateSchema)
@categories_blp.response(201, CategorySchema)
@require_roles(Role.ADMIN)
def create_category(data):
    """A new complaint category (admin)."""
    return services.create_category(data)


@categories_blp.patch("/<uuid:category_id>")
@categories_blp.arguments(CategoryPatchSchema)
@categories_blp.response(200, CategorySchema)
@require_roles(Role.ADMIN)
def update_category(changes, category_id: uuid.UUID):
    """Rename or retire a category (admin); complaints keep theirs. Optional `version`."""
    return services.update_category(services.get_category(category_id), changes)


@blp.get("")
@blp.arguments(ComplaintQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, ComplaintPageSchema)
@signed_in()
def list_complaints(**filters):
    """Visible complaints, nearest deadline first; overdue = unresolved past the deadline."""
    return services.list_complaints(current_user, **filters)


@blp.get("/overdue")
@blp.response(200, ComplaintListSchema)
@signed_in()
def overdue_complaints():
    """A manager's overdue complaints; a lead's team's; all for an admin. Oldest deadline first."""
    return services.overdue_complaints(current_user)


@blp.post("")
@blp.arguments(ComplaintCreateSchema)
@blp.response(201, ComplaintDetailSchema)
@signed_in()
def create_complaint(data):
    """Log a complaint; the deadline follows from the customer's tier and the severity.

    Sending an `id` already used for this customer returns that complaint unchanged.
    """
    customer = get_visible(current_user, Customer, data.pop("customer_id"))
    return services.complaint_detail(services.create_complaint(current_user, customer, **data))


@blp.get("/<uuid:complaint_id>")
@blp.response(200, ComplaintDetailSchema)
@signed_in()
def get_complaint(complaint_id: uuid.UUID):
    """The complaint with every step and note, oldest first."""
    return services.complaint_detail(get_visible(current_user, Complaint, complaint_id))


@blp.post("/<uuid:complaint_id>/transition")
@blp.arguments(TransitionSchema)
@blp.response(200, ComplaintDetailSchema)
@signed_in()
def transition_complaint(args, complaint_id: uuid.UUID):
    """Move the complaint along the loop; a step the loop does not allow is a 409.

    received -> in_progress -> resolved (needs `resolution`) -> informed -> closed (needs
    `satisfaction` 1-5); resolved, informed and closed may reopen to in_progress.
    """
    # Locked: two phones moving the same complaint at once must not both pass the check.
    complaint = get_visible(current_user, Complaint, complaint_id, for_update=True)
    services.transition_complaint(current_user, complaint, args.pop("to"), **args)
    return services.complaint_detail(complaint)


@blp.post("/<uuid:complaint_id>/notes")
@blp.arguments(NoteSchema)
@blp.response(201, ComplaintDetailSchema)
@signed_in()
def add_note(args, complaint_id: uuid.UUID):
    """Append a note to the complaint's history (notes are never edited)."""
    complaint = get_visible(current_user, Complaint, complaint_id)
    services.add_note(current_user, complaint, args["note"])
    return services.complaint_detail(complaint)
