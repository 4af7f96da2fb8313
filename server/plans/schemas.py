"""Request and response shapes of the care plans API."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.customers.models import Stage
from server.pagination import PageArgsSchema, PageSchema
from server.plans.models import Channel, PlanStatus, Purpose, SkipReason
from server.schemas import (
    CommaList,
    Day,
    TierRefSchema,
    VersionedSchema,
    optional_text,
    required_text,
)
from server.timeutil import local_today

# --- output ---------------------------------------------------------------------


class PlanCustomerSchema(Schema):
    id = fields.UUID()
    external_no = fields.String()
    name = fields.String()
    tier = fields.Nested(TierRefSchema)
    stage = fields.Enum(Stage, by_value=True)


class PlanSchema(Schema):
    id = fields.UUID()
    customer = fields.Nested(PlanCustomerSchema)
    owner_id = fields.UUID(allow_none=True)
    purpose = fields.Enum(Purpose, by_value=True)
    channel = fields.Enum(Channel, by_value=True)
    title = fields.String()
    notes = fields.String(allow_none=True)
    due_from = Day()
    due_to = Day()
    status = fields.Enum(PlanStatus, by_value=True)
    # Open (planned or missed) and its window closed before today (local date).
    overdue = fields.Method("_overdue")
    # Set on generated plans ("birthday:2027", "routine:2026-11-25"); null for manual ones.
    generation_key = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    # Set on a plan the manager skipped (cancelled with a reason).
    skip_reason = fields.Enum(SkipReason, by_value=True, allow_none=True)
    skip_note = fields.String(allow_none=True)
    created_by_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()

    def _overdue(self, plan) -> bool:
        return plan.status in (PlanStatus.PLANNED, PlanStatus.MISSED) and (
            plan.due_to < local_today()
        )


class PlanPageSchema(PageSchema):
    items = fields.List(fields.Nested(PlanSchema))


# --- input ----------------------------------------------------------------------


class PlanListQuerySchema(PageArgsSchema):
    customer_id = fields.UUID()
    status = CommaList(fields.Enum(PlanStatus, by_value=True))
    purpose = CommaList(fields.Enum(Purpose, by_value=True))
    # Bounds on the end of the due window, both inclusive.
    due_before = Day()
    due_after = Day()
    overdue = fields.Boolean()
    owner_id = fields.UUID()


def _window_in_order(data: dict) -> None:
    if "due_from" in data and "due_to" in data and data["due_from"] > data["due_to"]:
        raise ValidationError("Must not be before due_from.", "due_to")


class PlanCreateSchema(Schema):
    # Client-made id (offline phones): sending the same create twice makes one plan.
    id = fields.UUID()
    customer_id = fields.UUID(required=True)
    purpose = fields.Enum(Purpose, by_value=True, required=True)
    channel = fields.Enum(Channel, by_value=True, required=True)
    # Defaults to the purpose's name (生日关怀, 日常维系, ...).
    title = optional_text(120)
    due_from = Day(required=True)
    due_to = Day(required=True)
    notes = optional_text(4000)

    @validates_schema
    def _window(self, data, **kwargs):
        _window_in_order(data)


class GenerateSchema(Schema):
    # As of this day; default: today in the operator's time zone.
    date = Day()


class PlanPatchSchema(VersionedSchema):
    due_from = Day()
    due_to = Day()
    channel = fields.Enum(Channel, by_value=True)
    title = required_text(120)
    notes = optional_text(4000)
    # Only cancelling goes through PATCH; done comes from logging the visit.
    status = fields.Enum(
        PlanStatus,
        by_value=True,
        validate=validate.OneOf(
            [PlanStatus.CANCELLED], error="Only cancelled; a plan is done by logging its visit."
        ),
    )
    # Skipping: cancels the plan with a reason; "other" needs the note (services.py).
    skip_reason = fields.Enum(SkipReason, by_value=True)
    skip_note = optional_text(500)

    @validates_schema
    def _window(self, data, **kwargs):
        _window_in_order(data)
