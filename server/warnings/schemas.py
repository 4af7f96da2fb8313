"""Request and response shapes of the churn warnings API."""

from marshmallow import Schema, ValidationError, fields, validates_schema

from server.customers.models import Stage
from server.customers.schemas import CustomerSummarySchema
from server.pagination import PageArgsSchema, PageSchema
from server.schemas import CommaList, Day, VersionedSchema, optional_text, required_text
from server.warnings.models import ManualReason, Outcome, WarningSource, WarningStatus

# --- output ---------------------------------------------------------------------


class ReasonSchema(Schema):
    """Why a warning was raised, in words; the other keys depend on `code`.

    service_drop / total_drop: service (service_drop only), drop_pct, reference and
    current (decimal strings), month (YYYY-MM). complaint_pressure: count, days,
    month. competitor / intent_to_leave / other (manual): note, by (user id), at.
    """

    code = fields.String()
    service = fields.String()
    drop_pct = fields.Float()
    reference = fields.String()
    current = fields.String()
    month = fields.String()
    count = fields.Integer()
    days = fields.Integer()
    note = fields.String()
    by = fields.String()
    at = fields.String()
    text_zh = fields.String()
    text_en = fields.String()


class ChurnWarningBriefSchema(Schema):
    """A warning without its customer (listed under the customer)."""

    id = fields.UUID()
    status = fields.Enum(WarningStatus, by_value=True)
    source = fields.Enum(WarningSource, by_value=True)
    reasons = fields.List(fields.Nested(ReasonSchema))
    opened_at = fields.DateTime()
    raised_by_id = fields.UUID(allow_none=True)
    previous_stage = fields.Enum(Stage, by_value=True, allow_none=True)
    cause_analysis = fields.String(allow_none=True)
    retention_plan = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    answered_by_id = fields.UUID(allow_none=True)
    resolved_by_id = fields.UUID(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    resolution_note = fields.String(allow_none=True)
    exit_reason = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ChurnWarningSchema(ChurnWarningBriefSchema):
    customer = fields.Nested(CustomerSummarySchema)


class ChurnWarningPageSchema(PageSchema):
    items = fields.List(fields.Nested(ChurnWarningSchema))


class ChurnedCustomerSchema(Schema):
    customer = fields.Nested(CustomerSummarySchema)
    exit_reason = fields.String(allow_none=True)
    churned_at = fields.DateTime(allow_none=True)
    last_warning = fields.Nested(ChurnWarningBriefSchema, allow_none=True)


class ChurnedPageSchema(PageSchema):
    items = fields.List(fields.Nested(ChurnedCustomerSchema))


# --- input ----------------------------------------------------------------------


class WarningListQuerySchema(PageArgsSchema):
    status = CommaList(fields.Enum(WarningStatus, by_value=True))
    customer_id = fields.UUID()
    manager_id = fields.UUID()


class ChurnedListQuerySchema(PageArgsSchema):
    manager_id = fields.UUID()


class ScanSchema(Schema):
    # The billing month to judge (any day of it); default: the latest month with bills.
    month = Day()


class FlagSchema(Schema):
    # A client-made UUID makes the report idempotent (offline phones resend).
    id = fields.UUID()
    customer_id = fields.UUID(required=True)
    reason = fields.Enum(ManualReason, by_value=True, required=True)
    note = required_text(1000, required=True)


class AnswerSchema(VersionedSchema):
    cause_analysis = required_text(4000, required=True)
    retention_plan = required_text(4000, required=True)


class ResolveSchema(VersionedSchema):
    outcome = fields.Enum(Outcome, by_value=True, required=True)
    note = optional_text(4000)
    exit_reason = optional_text(300)

    @validates_schema
    def _churned_needs_exit_reason(self, data, **kwargs):
        if data.get("outcome") == Outcome.CHURNED and not data.get("exit_reason"):
            raise ValidationError("Say why the customer left.", "exit_reason")
