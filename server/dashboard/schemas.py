"""Shapes of the console's dashboard views."""

from marshmallow import Schema, fields

from server.complaints.models import ComplaintStatus, Severity
from server.plans.models import Channel, Purpose
from server.schemas import UserRefSchema
from server.visits.models import LocationStatus
from server.warnings.models import WarningStatus


class CustomerRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    tier = fields.Function(lambda c: c.tier.code)


class ManagerRefSchema(UserRefSchema):
    team_id = fields.UUID(allow_none=True)


class RecentVisitSchema(Schema):
    id = fields.UUID()
    started_at = fields.DateTime()
    customer = fields.Nested(CustomerRefSchema)
    channel = fields.Enum(Channel, by_value=True)
    purpose = fields.Enum(Purpose, by_value=True)
    outcome = fields.String(allow_none=True)
    location_status = fields.Enum(LocationStatus, by_value=True)


class OverdueSchema(Schema):
    plans = fields.Integer()
    tasks = fields.Integer()
    complaints = fields.Integer()


class ManagerOverviewSchema(Schema):
    manager = fields.Nested(ManagerRefSchema)
    portfolio_size = fields.Integer()
    capacity = fields.Integer()
    by_tier = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_stage = fields.Dict(keys=fields.String(), values=fields.Integer())
    overdue = fields.Nested(OverdueSchema)
    open_warnings = fields.Integer()
    recent_visits = fields.List(fields.Nested(RecentVisitSchema))


class AtRiskWarningSchema(Schema):
    id = fields.Function(lambda r: str(r["warning"].id))
    customer = fields.Function(lambda r: CustomerRefSchema().dump(r["warning"].customer))
    manager = fields.Function(
        lambda r: (
            UserRefSchema().dump(r["warning"].customer.manager)
            if r["warning"].customer.manager
            else None
        )
    )
    reasons = fields.Function(lambda r: r["warning"].reasons)
    opened_at = fields.Function(lambda r: r["warning"].opened_at.isoformat())
    age_days = fields.Float()
    answered_at = fields.Function(
        lambda r: r["warning"].answered_at.isoformat() if r["warning"].answered_at else None
    )
    cause_analysis = fields.Function(lambda r: r["warning"].cause_analysis)
    retention_plan = fields.Function(lambda r: r["warning"].retention_plan)
    status = fields.Function(lambda r: WarningStatus(r["warning"].status).value)


class AtRiskComplaintSchema(Schema):
    id = fields.Function(lambda r: str(r["complaint"].id))
    customer = fields.Function(lambda r: CustomerRefSchema().dump(r["complaint"].customer))
    owner = fields.Nested(UserRefSchema, allow_none=True)
    category = fields.Function(lambda r: r["complaint"].category.code)
    severity = fields.Function(lambda r: Severity(r["complaint"].severity).value)
    status = fields.Function(lambda r: ComplaintStatus(r["complaint"].status).value)
    received_at = fields.Function(lambda r: r["complaint"].received_at.isoformat())
    deadline_at = fields.Function(lambda r: r["complaint"].deadline_at.isoformat())
    overdue = fields.Boolean()


class AtRiskSchema(Schema):
    warnings = fields.List(fields.Nested(AtRiskWarningSchema))
    complaints = fields.List(fields.Nested(AtRiskComplaintSchema))


class AtRiskQuerySchema(Schema):
    team_id = fields.UUID()
