"""Request and response shapes of the complaints API."""

from marshmallow import Schema, fields, validate

from server.complaints.models import (
    TRANSITIONS,
    ComplaintStatus,
    IntakeChannel,
    Severity,
    is_overdue,
)
from server.models_base import utcnow
from server.pagination import PageArgsSchema, PageSchema
from server.schemas import (
    INT32_MAX,
    AwareDateTime,
    BoundedInteger,
    CommaList,
    StrictBoolean,
    UserRefSchema,
    VersionedSchema,
    optional_text,
    required_text,
)

MAX_TEXT = 4000

# --- output ---------------------------------------------------------------------


class CategorySchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    active = fields.Boolean()
    version = fields.Integer()


class CategoryQuerySchema(Schema):
    # Retired categories too (admins).
    all = fields.Boolean(load_default=False)


class CategoryCreateSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,29}$", error="Lowercase letters, digits, _."),
    )
    name_zh = required_text(40, required=True)
    name_en = required_text(60, required=True)
    active = StrictBoolean(load_default=True)


class CategoryPatchSchema(VersionedSchema):
    name_zh = required_text(40)
    name_en = required_text(60)
    active = StrictBoolean()


class CategoryListSchema(Schema):
    items = fields.List(fields.Nested(CategorySchema))


class ComplaintCustomerSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    phone = fields.String(allow_none=True)
    tier = fields.Function(lambda customer: customer.tier.code)


class ComplaintEventSchema(Schema):
    id = fields.UUID()
    at = fields.DateTime()
    actor = fields.Nested(UserRefSchema, allow_none=True)
    from_status = fields.Enum(ComplaintStatus, by_value=True, allow_none=True)
    # null for a note that changes no status.
    to_status = fields.Enum(ComplaintStatus, by_value=True, allow_none=True)
    note = fields.String(allow_none=True)
    # The resolution a step to "resolved" gave, the satisfaction a reopen cleared.
    resolution = fields.String(allow_none=True)
    prior_satisfaction = fields.Integer(allow_none=True)


class ComplaintSchema(Schema):
    id = fields.UUID()
    customer = fields.Nested(ComplaintCustomerSchema)
    owner = fields.Nested(UserRefSchema, allow_none=True)
    category = fields.Nested(CategorySchema)
    severity = fields.Enum(Severity, by_value=True)
    intake_channel = fields.Enum(IntakeChannel, by_value=True)
    description = fields.String()
    received_at = fields.DateTime()
    deadline_at = fields.DateTime()
    status = fields.Enum(ComplaintStatus, by_value=True)
    resolution = fields.String(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    reopen_count = fields.Integer()
    # "clamped" (the phone's clock was ahead) or "late" (logged long after).
    time_flag = fields.String(allow_none=True)
    logged_by_id = fields.UUID()
    visit_id = fields.UUID(allow_none=True)
    overdue = fields.Method("_overdue")
    allowed_next = fields.Method("_allowed_next")
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _overdue(self, complaint) -> bool:
        return is_overdue(complaint, utcnow())

    def _allowed_next(self, complaint) -> list[str]:
        return [status.value for status in TRANSITIONS[complaint.status]]


class ComplaintDetailSchema(ComplaintSchema):
    events = fields.List(fields.Nested(ComplaintEventSchema))


class ComplaintPageSchema(PageSchema):
    items = fields.List(fields.Nested(ComplaintSchema))


class ComplaintListSchema(Schema):
    items = fields.List(fields.Nested(ComplaintSchema))
    total = fields.Integer()


# --- input ----------------------------------------------------------------------


class ComplaintCreateSchema(Schema):
    # A phone makes the id offline; sending the same id twice creates one complaint.
    id = fields.UUID()
    customer_id = fields.UUID(required=True)
    category = fields.String(required=True, validate=validate.Length(min=1, max=30))
    severity = fields.Enum(Severity, by_value=True, required=True)
    intake_channel = fields.Enum(IntakeChannel, by_value=True, required=True)
    description = required_text(MAX_TEXT, required=True)
    # When the customer raised it, by the phone's clock; defaults to now.
    received_at = AwareDateTime(allow_none=True)
    visit_id = fields.UUID(allow_none=True)


class TransitionSchema(Schema):
    to = fields.Enum(ComplaintStatus, by_value=True, required=True)
    note = optional_text(MAX_TEXT)
    # Required when to=resolved; satisfaction (1-5) when to=closed: checked by the
    # service, which the sync push calls too.
    resolution = optional_text(MAX_TEXT)
    satisfaction = BoundedInteger(strict=True, allow_none=True, maximum=INT32_MAX)


class NoteSchema(Schema):
    note = required_text(MAX_TEXT, required=True)


class ComplaintQuerySchema(PageArgsSchema):
    status = CommaList(fields.Enum(ComplaintStatus, by_value=True))
    customer_id = fields.UUID()
    owner_id = fields.UUID()
    # Unresolved and past the deadline.
    overdue = fields.Boolean()
    # Not closed.
    open = fields.Boolean()
