"""The agenda under /api/v1/agenda: a manager's day and week in one call."""

import orjson
from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.agenda import services
from server.agenda.schemas import AgendaQuerySchema, AgendaSchema
from server.auth.security import signed_in
from server.schemas import UserRefSchema

blp = Blueprint("agenda", __name__, url_prefix="/api/v1/agenda", description="Agenda")


@blp.get("")
@blp.arguments(AgendaQuerySchema, location="query", unknown=RAISE)
# Documented by AgendaSchema, written by orjson: a portfolio's agenda is a thousand
# items and more, and marshmallow's dump and Flask's encoder took longer over them than
# reading them. The items hold UUIDs, dates, datetimes in UTC and JSON's own values,
# which orjson writes as the schema's fields do; keys sorted, as Flask sorts them (the
# one difference in bytes: Chinese text as UTF-8, not as Flask's \u escapes).
@blp.response(200, AgendaSchema)
@signed_in()
def get_agenda(args):
    """Due and overdue plans, tasks, complaints near their deadline, open warnings and
    birthdays: "today" (overdue and due today, most urgent first) and the next 7 days."""
    result = services.agenda(current_user, day=args.get("date"), manager_id=args.get("manager_id"))
    result["manager"] = UserRefSchema().dump(result["manager"])
    return current_app.response_class(
        orjson.dumps(result, option=orjson.OPT_SORT_KEYS), mimetype="application/json"
    )
