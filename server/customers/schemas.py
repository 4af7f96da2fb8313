"""Request and response shapes of the customers and tiers API.

Input schemas reject unknown fields (marshmallow's default) and cap every string at
its column's length, so a bad request fails as a 422 naming the field instead of a
database error. Strings are trimmed; a blank optional string clears the field.
"""

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_dump,
    pre_load,
    validate,
    validates_schema,
)

from server.customers.models import CustomerKind, Gender, Stage
from server.pagination import PageArgsSchema, PageSchema
from server.privacy import masking
from server.schemas import (
    BIRTHDAY,
    PHONE,
    CommaList,
    Day,
    StrictBoolean,
    TierRefSchema,
    UserRefSchema,
    VersionedSchema,
    blank_to_none,
    check_position_pair,
    latitude_field,
    longitude_field,
    optional_text,
    required_text,
)

MAX_BULK_ASSIGN = 1000
SORTS = ("name", "tier", "contract_end_date", "last_contact")


# --- output ---------------------------------------------------------------------


class TierSchema(TierRefSchema):
    id = fields.UUID()
    contact_interval_days = fields.Integer()
    complaint_response_hours = fields.Integer()
    version = fields.Integer()


MASKED_DATE = {"description": "YYYY-MM-DD; --MM-DD (no year) when masked"}


class MaskedSchema(Schema):
    """Personal fields masked unless the viewer may see them in full (privacy/masking.py).

    The object dumped decides with `personal_full` (a reveal sets it); without it, the
    signed-in user's role and the customer's manager do.
    """

    _mask = staticmethod(masking.mask_customer)
    # True when personal fields were masked for this viewer.
    masked = fields.Boolean(dump_default=False)

    @post_dump(pass_original=True)
    def _masked(self, data, original, **kwargs):
        if masking.shown_in_full(original):
            return data
        return self._mask(data)


class CustomerSummarySchema(MaskedSchema):
    """One row of the customer list."""

    id = fields.UUID()
    external_no = fields.String()
    name = fields.String()
    kind = fields.Enum(CustomerKind, by_value=True)
    phone = fields.String(allow_none=True)
    tier = fields.Nested(TierRefSchema)
    stage = fields.Enum(Stage, by_value=True)
    manager = fields.Nested(UserRefSchema, allow_none=True)
    contract_end_date = Day(allow_none=True)
    address = fields.String(allow_none=True)
    version = fields.Integer()
    erased_at = fields.DateTime(allow_none=True)


class CustomerRowSchema(CustomerSummarySchema):
    """A row of the customer list: the summary, the last contact, an open warning."""

    last_contact_at = fields.DateTime(allow_none=True)
    open_warning = fields.Boolean()


class CustomerPageSchema(PageSchema):
    items = fields.List(fields.Nested(CustomerRowSchema))


class ContactSchema(Schema):
    """A contact person as its customer's profile shows it (masked with the customer)."""

    id = fields.UUID()
    name = fields.String()
    title = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    is_decision_maker = fields.Boolean()
    birthday = fields.String(allow_none=True, metadata=MASKED_DATE)
    version = fields.Integer()


class ContactOutSchema(ContactSchema, MaskedSchema):
    """A contact person on its own (the answer to adding or editing one)."""

    _mask = staticmethod(masking.mask_contact)


class AssignmentSchema(Schema):
    """One change of responsible manager; a null manager is the unassigned pool."""

    id = fields.UUID()
    at = fields.DateTime()
    reason = fields.String()
    source = fields.String()
    from_manager = fields.Nested(UserRefSchema, allow_none=True)
    to_manager = fields.Nested(UserRefSchema, allow_none=True)
    assigned_by = fields.Nested(UserRefSchema, allow_none=True)


class SpendSchema(Schema):
    """Monthly fees, oldest month first; every list lines up with `months`.

    Amounts are decimal strings; null where billing has no row for that month.
    """

    months = fields.List(fields.String())
    services = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Decimal(as_string=True, allow_none=True)),
    )
    total = fields.List(fields.Decimal(as_string=True, allow_none=True))


class CustomerDetailSchema(CustomerSummarySchema):
    """The whole profile archive (客户档案) with contacts, spend and assignment history."""

    phone2 = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    gender = fields.Enum(Gender, by_value=True, allow_none=True)
    birthday = fields.String(allow_none=True, metadata=MASKED_DATE)
    birthday_lunar = fields.Boolean()
    address = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    interests = fields.String(allow_none=True)
    income_band = fields.String(allow_none=True)
    consumption_habits = fields.String(allow_none=True)
    plan_name = fields.String(allow_none=True)
    products = fields.List(fields.String())
    special_dates = fields.List(fields.Dict())
    ported_in = fields.Boolean()
    activation_date = Day(allow_none=True)
    notes = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    assigned_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    contacts = fields.List(fields.Nested(ContactSchema))
    spend = fields.Nested(SpendSchema)
    assignments = fields.List(fields.Nested(AssignmentSchema))


class AssignResultSchema(Schema):
    assigned = fields.Integer()
    unchanged = fields.Integer()
    dry_run = fields.Boolean()
    warnings = fields.List(fields.Dict())
    # The open work that moves with the customers: plans, tasks, complaints.
    moves = fields.Dict(keys=fields.String(), values=fields.Integer())


class MoveSchema(Schema):
    customer_id = fields.UUID(required=True)
    manager_id = fields.UUID(required=True, allow_none=True)


class ReassignSchema(Schema):
    """Customers to managers each its own (a reviewed rebalancing), all or none."""

    moves = fields.List(
        fields.Nested(MoveSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK_ASSIGN),
    )
    reason = required_text(200, required=True)
    dry_run = StrictBoolean(load_default=False)


class HandoverSchema(Schema):
    manager_id = fields.UUID(required=True)
    reason = required_text(200, required=True)
    dry_run = StrictBoolean(load_default=False)


class ShareSchema(Schema):
    manager = fields.Nested(UserRefSchema)
    customers = fields.Integer()
    value = fields.Decimal(as_string=True)


class HandoverResultSchema(AssignResultSchema):
    shares = fields.List(fields.Nested(ShareSchema))


class ProposedMoveSchema(Schema):
    customer = fields.Dict()
    from_manager_id = fields.UUID()
    to_manager_id = fields.UUID()
    value = fields.Decimal(as_string=True)
    workload = fields.Float()


class LoadSchema(Schema):
    manager = fields.Nested(UserRefSchema)
    customers = fields.Integer()
    value = fields.Decimal(as_string=True)
    # Routine contacts a year the tiers ask for.
    workload = fields.Float()


class RebalanceSchema(Schema):
    moves = fields.List(fields.Nested(ProposedMoveSchema))
    before = fields.List(fields.Nested(LoadSchema))
    after = fields.List(fields.Nested(LoadSchema))


class AssignOneResultSchema(AssignResultSchema):
    customer = fields.Nested(CustomerSummarySchema)


# --- input ----------------------------------------------------------------------


class CustomerListQuerySchema(PageArgsSchema):
    tier = CommaList(fields.String(validate=validate.Length(min=1, max=20)))
    stage = CommaList(fields.Enum(Stage, by_value=True))
    kind = CommaList(fields.Enum(CustomerKind, by_value=True))
    manager_id = fields.UUID()
    unassigned = fields.Boolean()
    q = fields.String(pre_load=[blank_to_none], allow_none=True, validate=validate.Length(max=100))
    # Text contained in the address (a district, a street).
    area = fields.String(
        pre_load=[blank_to_none], allow_none=True, validate=validate.Length(max=60)
    )
    # Not contacted (no visit, call, message) for at least this many days, or never.
    no_contact_days = fields.Integer(validate=validate.Range(min=0, max=3650))
    open_warning = fields.Boolean()
    sort = fields.String(load_default="name", validate=validate.OneOf(SORTS))


class SpecialDateSchema(Schema):
    label = required_text(40, required=True)
    date = Day(required=True)


# Fields no PATCH may set, with where they do change; an explicit message beats "Unknown field".
_NOT_EDITABLE = {
    "external_no": "Set by the billing import.",
    "stage": "Set by the lifecycle rules.",
    "manager_id": "Use POST /api/v1/customers/<id>/assign.",
    "manager": "Use POST /api/v1/customers/<id>/assign.",
}


class CustomerPatchSchema(VersionedSchema):
    """Profile fields. name, tier and kind are for leads and admins (checked in the service)."""

    phone = optional_text(20, PHONE)
    phone2 = optional_text(20, PHONE)
    email = fields.Email(
        allow_none=True, pre_load=[blank_to_none], validate=validate.Length(max=120)
    )
    address = optional_text(200)
    employer = optional_text(100)
    position = optional_text(60)
    industry = optional_text(60)
    interests = optional_text(300)
    income_band = optional_text(30)
    consumption_habits = optional_text(300)
    birthday = Day(allow_none=True, validate=BIRTHDAY)
    birthday_lunar = StrictBoolean()
    gender = fields.Enum(Gender, by_value=True, allow_none=True)
    special_dates = fields.List(fields.Nested(SpecialDateSchema), validate=validate.Length(max=20))
    notes = optional_text(4000)
    latitude = latitude_field(allow_none=True)
    longitude = longitude_field(allow_none=True)
    name = required_text(100)
    tier = fields.String(validate=validate.Length(min=1, max=20))
    kind = fields.Enum(CustomerKind, by_value=True)

    @pre_load
    def _reject_not_editable(self, data, **kwargs):
        if isinstance(data, dict):
            errors = {key: [msg] for key, msg in _NOT_EDITABLE.items() if key in data}
            if errors:
                raise ValidationError(errors)
        return data

    @validates_schema
    def _position_is_a_pair(self, data, **kwargs):
        check_position_pair("latitude" in data, "longitude" in data)


class ContactCreateSchema(Schema):
    name = required_text(60, required=True)
    title = optional_text(60)
    phone = optional_text(20, PHONE)
    email = fields.Email(
        allow_none=True, pre_load=[blank_to_none], validate=validate.Length(max=120)
    )
    is_decision_maker = StrictBoolean(load_default=False)
    birthday = Day(allow_none=True, validate=BIRTHDAY)


class ContactPatchSchema(VersionedSchema, ContactCreateSchema):
    name = required_text(60)
    is_decision_maker = StrictBoolean()


class AssignSchema(Schema):
    # Required but nullable: null hands the customer back to the unassigned pool.
    manager_id = fields.UUID(required=True, allow_none=True)
    reason = required_text(200, required=True)
    dry_run = StrictBoolean(load_default=False)


class BulkAssignSchema(AssignSchema):
    customer_ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK_ASSIGN),
    )


class EraseSchema(Schema):
    # The customer's number, typed by the admin: an erasure cannot be undone.
    confirm = fields.String(required=True, validate=validate.Length(min=1, max=32))


class TierPatchSchema(VersionedSchema):
    name_zh = required_text(40)
    name_en = required_text(40)
    contact_interval_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=365))
    complaint_response_hours = fields.Integer(strict=True, validate=validate.Range(min=1, max=720))
