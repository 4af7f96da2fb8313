"""How a job is shown while it runs and once it is done."""

from flask import url_for
from marshmallow import Schema, fields

from server.jobs.models import JobStatus


class JobSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    status = fields.Enum(JobStatus, by_value=True)
    progress = fields.Integer()  # 0..100
    stage = fields.String(allow_none=True)
    result = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    # Where to fetch the file a finished job made; null until then (or if it made none).
    download_url = fields.Method("_download_url", allow_none=True)

    def _download_url(self, job) -> str | None:
        if job.status != JobStatus.DONE or not (job.result or {}).get("file"):
            return None
        return url_for("jobs.download", job_id=job.id)
