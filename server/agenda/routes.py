"""The agenda under /api/v1/agenda: a manager's day and week in one call."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.agenda import services
from server.agenda.schemas import AgendaQuerySchema, AgendaSchema
from server.auth.security import signed_in

blp = Blueprint("agenda", __name__, url_prefix="/api/v1/agenda", description="Agenda")


@blp.get("")
@blp.arguments(AgendaQuerySchema, location="query", unknown=RAISE)
@blp.response(200, AgendaSchema)
@signed_in()
def get_agenda(args):
    """Due and overdue plans, tasks, complaints near their deadline, open warnings and
    birthdays: "today" (overdue and due today, most urgent first) and the next 7 days."""
    return services.agenda(current_user, day=args.get("date"), manager_id=args.get("manager_id"))
