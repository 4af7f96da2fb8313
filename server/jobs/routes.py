"""Following a background job, and fetching what it made."""

import uuid

from flask import send_file
from flask_login import current_user
from flask_smorest import Blueprint

from server.auth.security import signed_in
from server.jobs import services
from server.jobs.schemas import JobSchema

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Background jobs")


@blp.get("/<uuid:job_id>")
@blp.response(200, JobSchema)
@signed_in()
def get_job(job_id: uuid.UUID):
    """A job you started (an admin: any): status, progress, and its download when done."""
    return services.get_job(current_user, job_id)


@blp.get("/<uuid:job_id>/download")
@blp.response(200, description="The file the job made.")
@signed_in()
def download(job_id: uuid.UUID):
    """The file a finished job made (an export)."""
    path, name = services.result_file(services.get_job(current_user, job_id))
    response = send_file(path, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response
