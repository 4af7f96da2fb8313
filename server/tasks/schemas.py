"""Request and response shapes of the follow-up task API."""

from marshmallow import Schema, fields

from server.pagination import PageArgsSchema, PageSchema
from server.schemas import CommaList, Day, VersionedSchema, optional_text, required_text
from server.tasks.models import TaskStatus
from server.timeutil import local_today

# --- output ---------------------------------------------------------------------


class TaskCustomerSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class TaskSchema(Schema):
    id = fields.UUID()
    owner_id = fields.UUID()
    customer = fields.Nested(TaskCustomerSchema, allow_none=True)
    title = fields.String()
    notes = fields.String(allow_none=True)
    due_date = Day(allow_none=True)
    status = fields.Enum(TaskStatus, by_value=True)
    # Open and due before today (the operator's local date).
    overdue = fields.Method("_overdue")
    completed_at = fields.DateTime(allow_none=True)
    source_visit_id = fields.UUID(allow_none=True)
    source_complaint_id = fields.UUID(allow_none=True)
    created_by_id = fields.UUID()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _overdue(self, task) -> bool:
        return (
            task.status == TaskStatus.OPEN
            and task.due_date is not None
            and task.due_date < local_today()
        )


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema))


# --- input ----------------------------------------------------------------------


class TaskCreateSchema(Schema):
    # Made by the phone so a retried upload cannot create the task twice.
    id = fields.UUID()
    customer_id = fields.UUID(allow_none=True)
    title = required_text(200, required=True)
    notes = optional_text(4000)
    due_date = Day(allow_none=True)
    # Default: the signed-in user. A lead or an admin may give it to a team's manager.
    owner_id = fields.UUID(allow_none=True)
    source_complaint_id = fields.UUID(allow_none=True)


class TaskPatchSchema(VersionedSchema):
    title = required_text(200)
    notes = optional_text(4000)
    due_date = Day(allow_none=True)
    status = fields.Enum(TaskStatus, by_value=True)


class TaskListQuerySchema(PageArgsSchema):
    status = CommaList(fields.Enum(TaskStatus, by_value=True))
    customer_id = fields.UUID()
    owner_id = fields.UUID()
    # true: open tasks due before today; false: everything else.
    overdue = fields.Boolean()
    # Tasks due strictly before this date.
    due_before = Day()
