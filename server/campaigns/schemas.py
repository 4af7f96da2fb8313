"""Request and response shapes of the campaigns API."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.campaigns.models import CampaignKind, CampaignStatus, Outcome
from server.customers.models import Stage
from server.pagination import PageArgsSchema, PageSchema
from server.schemas import (
    AwareDateTime,
    CommaList,
    Day,
    StrictBoolean,
    UserRefSchema,
    VersionedSchema,
    optional_text,
    required_text,
)

MAX_SEGMENT_CUSTOMERS = 5000
OUTCOME_FILTERS = [o.value for o in Outcome] + ["pending"]


def _money() -> fields.Decimal:
    return fields.Decimal(
        as_string=True, allow_none=True, places=2, validate=validate.Range(min=0, max=10**9)
    )


class SegmentSchema(Schema):
    """Who a campaign targets; every criterion given must hold (none: every customer)."""

    tiers = fields.List(
        fields.String(validate=validate.Length(min=1, max=20)), validate=validate.Length(max=10)
    )
    stages = fields.List(fields.Enum(Stage, by_value=True), validate=validate.Length(max=10))
    # true: only customers with an open churn warning; false: only those without.
    open_warning = StrictBoolean(allow_none=True)
    # The total fee of the latest billed month, inclusive bounds (decimal strings).
    spend_min = _money()
    spend_max = _money()
    customer_ids = fields.List(fields.UUID(), validate=validate.Length(max=MAX_SEGMENT_CUSTOMERS))

    @validates_schema
    def _band_in_order(self, data, **kwargs):
        low, high = data.get("spend_min"), data.get("spend_max")
        if low is not None and high is not None and low > high:
            raise ValidationError("Must not be below spend_min.", "spend_max")


class CampaignSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.Enum(CampaignKind, by_value=True)
    offer = fields.String()
    segment = fields.Dict()  # as SegmentSchema takes it
    team_id = fields.UUID(allow_none=True)
    starts_on = Day()
    ends_on = Day()
    status = fields.Enum(CampaignStatus, by_value=True)
    launched_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    version = fields.Integer()


class CampaignPageSchema(PageSchema):
    items = fields.List(fields.Nested(CampaignSchema))


class CampaignCreateSchema(Schema):
    name = required_text(120, required=True)
    kind = fields.Enum(CampaignKind, by_value=True, required=True)
    offer = required_text(1000, required=True)
    segment = fields.Nested(SegmentSchema, load_default=dict)
    # An admin may limit it to one team; a lead's is always their own team's.
    team_id = fields.UUID(allow_none=True)
    starts_on = Day(required=True)
    ends_on = Day(required=True)


class CampaignPatchSchema(VersionedSchema):
    name = required_text(120)
    kind = fields.Enum(CampaignKind, by_value=True)
    offer = required_text(1000)
    segment = fields.Nested(SegmentSchema)
    team_id = fields.UUID(allow_none=True)
    starts_on = Day()
    ends_on = Day()


class CampaignListQuerySchema(PageArgsSchema):
    status = CommaList(fields.Enum(CampaignStatus, by_value=True))


class PreviewManagerSchema(Schema):
    manager = fields.Nested(UserRefSchema)
    targets = fields.Integer()


class PreviewSchema(Schema):
    targets = fields.Integer()
    managers = fields.List(fields.Nested(PreviewManagerSchema))


class TargetCustomerSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    manager = fields.Nested(UserRefSchema, allow_none=True)


class TargetSchema(Schema):
    id = fields.UUID()
    campaign_id = fields.UUID()
    customer = fields.Nested(TargetCustomerSchema)
    plan_id = fields.UUID(allow_none=True)
    outcome = fields.Enum(Outcome, by_value=True, allow_none=True)
    contract_months = fields.Integer(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    outcome_at = fields.DateTime(allow_none=True)
    time_flag = fields.String(allow_none=True)
    recorded_by_id = fields.UUID(allow_none=True)
    version = fields.Integer()


class TargetPageSchema(PageSchema):
    items = fields.List(fields.Nested(TargetSchema))


class TargetListQuerySchema(PageArgsSchema):
    manager_id = fields.UUID()
    outcome = CommaList(fields.String(validate=validate.OneOf(OUTCOME_FILTERS)))


class OutcomeSchema(VersionedSchema):
    outcome = fields.Enum(Outcome, by_value=True, required=True)
    contract_months = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=120)
    )
    decline_reason = optional_text(300)
    # When it happened on the phone; default: now.
    outcome_at = AwareDateTime(allow_none=True)


class FunnelRowSchema(Schema):
    key = fields.String()
    label = fields.String()
    targets = fields.Integer()
    reached = fields.Integer()
    offered = fields.Integer()
    took_part = fields.Integer()
    contracted = fields.Integer()
    declined = fields.Integer()
    not_reached = fields.Integer()
    pending = fields.Integer()


class FunnelSchema(Schema):
    total = fields.Nested(FunnelRowSchema)
    teams = fields.List(fields.Nested(FunnelRowSchema))
    managers = fields.List(fields.Nested(FunnelRowSchema))
