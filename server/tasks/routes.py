"""Follow-up tasks under /api/v1/tasks."""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.security import signed_in
from server.scope import get_visible
from server.tasks import services
from server.tasks.models import Task
from server.tasks.schemas import (
    TaskCreateSchema,
    TaskListQuerySchema,
    TaskPageSchema,
    TaskPatchSchema,
    TaskSchema,
)

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Follow-up tasks")


@blp.get("")
@blp.arguments(TaskListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, TaskPageSchema)
@signed_in()
def list_tasks(**filters):
    """A manager's own tasks; a lead's team's; an admin's all. Soonest due first."""
    return services.list_tasks(current_user, **filters)


@blp.post("")
@blp.arguments(TaskCreateSchema)
@blp.response(201, TaskSchema)
@signed_in()
def create_task(data):
    """Create a task; a lead or an admin may give it to a manager of the team."""
    return services.create_task(current_user, **data)


@blp.get("/<uuid:task_id>")
@blp.response(200, TaskSchema)
@signed_in()
def get_task(task_id: uuid.UUID):
    return get_visible(current_user, Task, task_id)


@blp.patch("/<uuid:task_id>")
@blp.arguments(TaskPatchSchema)
@blp.response(200, TaskSchema)
@signed_in()
def update_task(changes, task_id: uuid.UUID):
    """Edit title, notes, due date or status. Optional `version`: a stale one is a 409."""
    task = get_visible(current_user, Task, task_id, for_update=True)
    return services.update_task(current_user, task, changes)


@blp.post("/<uuid:task_id>/complete")
@blp.response(200, TaskSchema)
@signed_in()
def complete_task(task_id: uuid.UUID):
    """Mark the task done."""
    task = get_visible(current_user, Task, task_id, for_update=True)
    return services.complete_task(current_user, task)
