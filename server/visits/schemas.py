"""Request and response shapes of the visit log API.

Input schemas reject unknown fields and cap every string at its column's length,
so a bad request fails as a 422 naming the field instead of a database error.
Times must carry a zone: a phone's local wall-clock time alone is ambiguous.
"""

from marshmallow import Schema, fields, validate, validates_schema

from server.pagination import PageArgsSchema, PageSchema
from server.plans.models import Channel, Purpose
from server.schemas import (
    AwareDateTime,
    CommaList,
    DateOrDateTime,
    Day,
    StrictBoolean,
    UserRefSchema,
    VersionedSchema,
    check_position_pair,
    latitude_field,
    longitude_field,
    optional_text,
)
from server.visits.models import CustomerResponse, LocationStatus

MAX_PRODUCTS = 20
PRODUCT_MAX_LEN = 60


def _products() -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=PRODUCT_MAX_LEN)),
        validate=validate.Length(max=MAX_PRODUCTS),
    )


# --- output ---------------------------------------------------------------------


class VisitCustomerSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class FollowUpTaskSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    due_date = Day(allow_none=True)
    status = fields.String()


class VisitRevisionSchema(Schema):
    """One edit: `changes` maps each changed field to {"old": ..., "new": ...}."""

    id = fields.UUID()
    at = fields.DateTime()
    editor = fields.Nested(UserRefSchema)
    changes = fields.Dict()


class VisitSchema(Schema):
    id = fields.UUID()
    customer = fields.Nested(VisitCustomerSchema)
    manager = fields.Nested(UserRefSchema)
    plan_id = fields.UUID(allow_none=True)
    channel = fields.Enum(Channel, by_value=True)
    purpose = fields.Enum(Purpose, by_value=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    # "clamped" (the phone's clock was ahead) or "late" (reported long after); else null.
    time_flag = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    location_age_s = fields.Float(allow_none=True)
    location_status = fields.Enum(LocationStatus, by_value=True)
    outcome = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    products_discussed = fields.List(fields.String())
    customer_response = fields.Enum(CustomerResponse, by_value=True, allow_none=True)
    privileges_explained = fields.Boolean()
    next_step = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class VisitDetailSchema(VisitSchema):
    """A visit with its edit history (oldest first) and the follow-up tasks it made."""

    revisions = fields.List(fields.Nested(VisitRevisionSchema))
    follow_up_tasks = fields.List(fields.Nested(FollowUpTaskSchema))


class VisitPageSchema(PageSchema):
    items = fields.List(fields.Nested(VisitSchema))


# --- input ----------------------------------------------------------------------


class VisitCreateSchema(Schema):
    # Made by the phone so a retried upload cannot log the same visit twice.
    id = fields.UUID()
    customer_id = fields.UUID(required=True)
    # The plan this contact fulfils. Left out: the open plan of the same purpose whose
    # window has opened, the first due (docs/indicators.md); null: none.
    plan_id = fields.UUID(allow_none=True)
    channel = fields.Enum(Channel, by_value=True, required=True)
    # Required unless a plan is given: then the plan's purpose is the default.
    purpose = fields.Enum(Purpose, by_value=True)
    started_at = AwareDateTime(required=True)
    ended_at = AwareDateTime(allow_none=True)
    latitude = latitude_field(allow_none=True)
    longitude = longitude_field(allow_none=True)
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(min=0))
    location_age_s = fields.Float(allow_none=True, validate=validate.Range(min=0))
    outcome = optional_text(200)
    notes = optional_text(4000)
    products_discussed = _products()
    customer_response = fields.Enum(CustomerResponse, by_value=True, allow_none=True)
    # The manager told the customer of their tier's exclusive privileges (专属特权).
    privileges_explained = StrictBoolean(load_default=False)
    next_step = optional_text(300)
    # Due date of the follow-up task; without one the task is due in a week.
    next_step_due = Day(allow_none=True)

    @validates_schema
    def _position_is_a_pair(self, data, **kwargs):
        # (Rules about times, purpose and the next step live in the service, where
        # the sync push meets them too.)
        check_position_pair(data.get("latitude") is not None, data.get("longitude") is not None)


class VisitPatchSchema(VersionedSchema):
    """What may be corrected after the fact; every change is kept as a revision."""

    outcome = optional_text(200)
    notes = optional_text(4000)
    next_step = optional_text(300)
    customer_response = fields.Enum(CustomerResponse, by_value=True, allow_none=True)
    products_discussed = _products()
    privileges_explained = StrictBoolean()
    ended_at = AwareDateTime(allow_none=True)


class VisitListQuerySchema(PageArgsSchema):
    customer_id = fields.UUID()
    manager_id = fields.UUID()
    # since: from the start of that day (inclusive); until: to the end of that day.
    since = DateOrDateTime()
    until = DateOrDateTime()
    purpose = CommaList(fields.Enum(Purpose, by_value=True))
    channel = CommaList(fields.Enum(Channel, by_value=True))
