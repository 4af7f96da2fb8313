"""Churn model runs under /api/v1/churn (admins): what each training recorded, and
training and prediction started as jobs."""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles
from server.churn import services
from server.churn.schemas import (
    ChurnRunDetailSchema,
    ChurnRunPageSchema,
    PredictSchema,
    TrainSchema,
)
from server.jobs.schemas import JobSchema
from server.pagination import PageArgsSchema

blp = Blueprint("churn", __name__, url_prefix="/api/v1/churn", description="Churn model (admin)")


@blp.get("/runs")
@blp.arguments(PageArgsSchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, ChurnRunPageSchema)
@require_roles(Role.ADMIN)
def list_runs(**page):
    """Training runs, newest first, with their headline figures beside the rules'."""
    return services.list_runs(**page)


@blp.get("/runs/<uuid:run_id>")
@blp.response(200, ChurnRunDetailSchema)
@require_roles(Role.ADMIN)
def get_run(run_id: uuid.UUID):
    """One run as recorded: months, settings, metrics, importances, the tree's rules."""
    return services.get_run(run_id)


@blp.post("/train")
@blp.arguments(TrainSchema)
@blp.response(202, JobSchema)
@require_roles(Role.ADMIN)
def train(args):
    """Train, test and record a run per segment, as a job; a run better than the spend
    rules alone is activated. Follow the job; its result names the runs."""
    return services.start_training(current_user, args["settings"], args["window"])


@blp.post("/predict")
@blp.arguments(PredictSchema)
@blp.response(202, JobSchema)
@require_roles(Role.ADMIN)
def predict(args):
    """Open or join model warnings for each manager's riskiest customers, as a job."""
    month = args.get("month")
    return services.start_prediction(current_user, month.replace(day=1) if month else None)
