"""Request and response shapes of the agenda API."""

from marshmallow import Schema, fields

from server.schemas import DateOrDateTime, Day, UserRefSchema


class AgendaCustomerSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    tier = fields.String()
    phone = fields.String(allow_none=True)


class AgendaItemSchema(Schema):
    """One entry; the fields after `urgency` appear only for the types named."""

    type = fields.String()  # plan, task, complaint, warning, birthday
    # The plan's, task's, complaint's or warning's id; the customer's for a birthday.
    id = fields.UUID()
    customer = fields.Nested(AgendaCustomerSchema, allow_none=True)
    title = fields.String()
    # plan: last day of the window; task: due date; complaint: deadline;
    # warning: when it was raised; birthday: the day celebrated.
    due = DateOrDateTime()
    overdue = fields.Boolean()
    # The band of "today" (7 = overdue complaint ... 1 = answered warning); 0 in "week".
    urgency = fields.Integer()
    # plan
    purpose = fields.String()
    channel = fields.String()
    due_from = Day()
    due_to = Day()
    # plan, task, complaint
    status = fields.String()
    # task
    notes = fields.String(allow_none=True)
    source_complaint_id = fields.UUID(allow_none=True)
    source_visit_id = fields.UUID(allow_none=True)
    # complaint
    severity = fields.String()
    category = fields.String()
    received_at = fields.DateTime()
    deadline_at = fields.DateTime()
    # warning
    source = fields.String()
    reasons = fields.List(fields.Dict())
    answered = fields.Boolean()
    opened_at = fields.DateTime()
    # birthday
    lunar = fields.Boolean()


class AgendaCountsSchema(Schema):
    today = fields.Integer()
    week = fields.Integer()
    overdue = fields.Integer()
    plans = fields.Integer()
    tasks = fields.Integer()
    complaints = fields.Integer()
    warnings = fields.Integer()
    birthdays = fields.Integer()


class AgendaSchema(Schema):
    date = Day()
    manager = fields.Nested(UserRefSchema)
    today = fields.List(fields.Nested(AgendaItemSchema))
    week = fields.List(fields.Nested(AgendaItemSchema))
    counts = fields.Nested(AgendaCountsSchema)


class AgendaQuerySchema(Schema):
    # Default: today in the operator's time zone.
    date = Day()
    # A lead: a manager of their team; an admin: any manager.
    manager_id = fields.UUID()
