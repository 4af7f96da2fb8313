"""Performance reviews under /api/v1/reviews: figures, scores, trend, periods, exports.

A manager may ask for their own figures only; a lead for their team's; an admin
for anyone's. Another team or manager answers 404, as one that does not exist.
"""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles, signed_in
from server.jobs.schemas import JobSchema
from server.replica import reads_from_replica
from server.reviews import exports, services
from server.reviews.schemas import (
    ExportRecordSchema,
    ExportRequestSchema,
    MyNumbersSchema,
    ReviewPeriodCreateSchema,
    ReviewPeriodPatchSchema,
    ReviewPeriodSchema,
    ReviewQuerySchema,
    ReviewSchema,
    TeamSettingsOutSchema,
    TeamSettingsSchema,
    TrendQuerySchema,
    TrendSchema,
)
from server.scope import get_visible
from server.team.models import Team

blp = Blueprint(
    "reviews", __name__, url_prefix="/api/v1/reviews", description="Performance reviews"
)


@blp.get("")
@blp.arguments(ReviewQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ReviewSchema)
@signed_in()
@reads_from_replica
def get_review(args):
    """Each manager's figures, points, weighted score and rank; the team's and the total.

    The period: a configured review period (`period_id`) or any range of local days.
    """
    scope = services.resolve_scope(
        current_user, team_id=args.get("team_id"), manager_id=args.get("manager_id")
    )
    period = services.period_of(
        period_id=args.get("period_id"),
        starts_on=args.get("starts_on"),
        ends_on=args.get("ends_on"),
    )
    return services.review(scope, period)


@blp.get("/trend")
@blp.arguments(TrendQuerySchema, location="query", unknown=RAISE)
@blp.response(200, TrendSchema)
@signed_in()
@reads_from_replica
def get_trend(args):
    """The weighted score month by month, of the scope and of each manager in it."""
    scope = services.resolve_scope(
        current_user, team_id=args.get("team_id"), manager_id=args.get("manager_id")
    )
    return {"points": services.trend(scope, months=args["months"], until=args.get("until"))}


@blp.get("/me")
@blp.response(200, MyNumbersSchema)
@signed_in()
@reads_from_replica
def my_numbers():
    """The signed-in manager's own numbers: this period, the last, the trend, the rank."""
    return services.my_numbers(current_user)


@blp.get("/periods")
@blp.response(200, ReviewPeriodSchema(many=True))
@require_roles(Role.LEAD, Role.ADMIN)
def list_periods():
    """Configured review periods, the latest first."""
    return services.list_periods()


@blp.post("/periods")
@blp.arguments(ReviewPeriodCreateSchema)
@blp.response(201, ReviewPeriodSchema)
@require_roles(Role.ADMIN)
def create_period(data):
    """Configure a period: its scorecard is stored with it (default: the default one)."""
    return services.create_period(current_user, data)


@blp.get("/periods/<uuid:period_id>")
@blp.response(200, ReviewPeriodSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def get_period(period_id: uuid.UUID):
    return services.get_period(period_id)


@blp.patch("/periods/<uuid:period_id>")
@blp.arguments(ReviewPeriodPatchSchema)
@blp.response(200, ReviewPeriodSchema)
@require_roles(Role.ADMIN)
def update_period(changes, period_id: uuid.UUID):
    """Change a period's name, dates or scorecard (weights, targets, rules). Optional `version`."""
    return services.update_period(services.get_period(period_id), changes)


@blp.patch("/teams/<uuid:team_id>")
@blp.arguments(TeamSettingsSchema)
@blp.response(200, TeamSettingsOutSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def team_settings(args, team_id: uuid.UUID):
    """Let the team's managers see their rank in "My numbers" (the team's lead, or an admin)."""
    team = get_visible(current_user, Team, team_id)
    return services.set_show_rank(current_user, team, args["show_rank"])


@blp.get("/exports")
@blp.response(200, ExportRecordSchema(many=True))
@require_roles(Role.LEAD, Role.ADMIN)
def list_exports():
    """Earlier review exports, newest first: your own (an admin: everyone's)."""
    return exports.list_exports(current_user)


@blp.post("/exports")
@blp.arguments(ExportRequestSchema)
@blp.response(202, JobSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def export_review(args):
    """The review sheet (考核表) as XLSX or CSV, made by a job: follow it, then download."""
    return exports.request_export(current_user, args)
