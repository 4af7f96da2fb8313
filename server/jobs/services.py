"""Background jobs: submit one, run it (in a worker, or in-process for the demo), follow it.

One queue for all long work (exports, campaign launches, and later plan generation,
warning scans and model training): RQ on Redis when `REDIS_URL` is set, which is how
tests and production run. Without it (the demo on one laptop) a job runs in-process
once the request that submitted it has answered, so the two README commands need no
other service.

A job is its own unit of work, or rather a series of them: it commits in chunks
(`Progress.checkpoint`), because one long write transaction would hold back every
phone's sync watermark. Its row says how far it got, for the progress bar.
"""

import logging
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import redis
from flask import Flask, after_this_request, current_app, has_request_context
from rq import Queue

from server.auth.models import Role, User
from server.errors import not_found
from server.extensions import db
from server.jobs.models import Job, JobStatus
from server.jsonvalue import to_json
from server.models_base import utcnow
from server.transaction import on_commit

log = logging.getLogger(__name__)

ERROR_MAX = 500  # jobs.error


class Progress:
    """What a running job reports; each checkpoint commits the work done so far.

    The `Checkpoints` of server/transaction.py: chunked long work takes this from a
    job, `CommitEachChunk` from a command.
    """

    def __init__(self, job: Job):
        self.job = job

    def checkpoint(self, percent: int, stage: str | None = None) -> None:
        self.job.progress = max(0, min(100, percent))
        if stage is not None:
            self.job.stage = stage
        db.session.commit()

    def file(self, name: str) -> Path:
        """Where the job writes a file the user will download (named after the job)."""
        folder = Path(current_app.config["JOB_FILES_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{self.job.id}-{name}"


Handler = Callable[[Job, Progress], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does jobs of `kind` (in its own domain's services)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def submit(kind: str, params: dict[str, Any], user: User | None) -> Job:
    """Record a job and queue it once the current unit of work commits."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for jobs of kind {kind!r}")
    job = Job(
        id=uuid.uuid4(),
        kind=kind,
        params=to_json(params),
        created_by_id=user.id if user else None,
    )
    db.session.add(job)
    db.session.flush()
    on_commit(partial(_dispatch, current_app._get_current_object(), job.id))  # type: ignore[attr-defined]
    return job


def queue() -> Queue:
    config = current_app.config
    connection = redis.Redis.from_url(config["REDIS_URL"])
    return Queue(config["JOB_QUEUE"], connection=connection)


def _dispatch(app: Flask, job_id: uuid.UUID) -> None:
    if app.config.get("REDIS_URL"):
        try:
            queue().enqueue(
                run_job,
                str(job_id),
                job_id=str(job_id),
                job_timeout=app.config["JOB_TIMEOUT_S"],
                result_ttl=3600,
            )
        except redis.RedisError as err:
            log.error("could not queue job %s: %s", job_id, err)
            _fail(job_id, "The job queue is not available; try again later.")
        return
    if has_request_context():
        # In-process (the demo): after the answer has gone, in this same thread.
        @after_this_request
        def _later(response):
            response.call_on_close(partial(_run_in_app, app, job_id))
            return response

        return
    run_job(str(job_id))


def _run_in_app(app: Flask, job_id: uuid.UUID) -> None:
    with app.app_context():
        run_job(str(job_id))
        db.session.remove()


def run_job(job_id: str) -> None:
    """Do one job (the worker calls this, in an app context); its row records the end."""
    job = db.session.get(Job, uuid.UUID(job_id))
    if job is None or job.status != JobStatus.QUEUED:
        return  # gone, or run already (a queue may deliver twice)
    job.status = JobStatus.RUNNING
    job.started_at = utcnow()
    db.session.commit()
    try:
        result = HANDLERS[job.kind](job, Progress(job))
    except Exception as err:
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, job.kind)
        _fail(job.id, str(err) or type(err).__name__)
        if current_app.testing:
            raise
        return
    job.status = JobStatus.DONE
    job.progress = 100
    job.result = to_json(result)
    job.finished_at = utcnow()
    db.session.commit()


def _fail(job_id: uuid.UUID, message: str) -> None:
    job = db.session.get(Job, job_id)
    if job is None:
        return
    job.status = JobStatus.FAILED
    job.error = message[:ERROR_MAX]
    job.finished_at = utcnow()
    db.session.commit()


def get_job(user: User, job_id: uuid.UUID) -> Job:
    """A job its creator (or an admin) may follow; 404 for anyone else."""
    job = db.session.get(Job, job_id)
    if job is None or (user.role != Role.ADMIN and job.created_by_id != user.id):
        raise not_found("Job")
    return job


def result_file(job: Job) -> tuple[Path, str]:
    """The file a finished job made, and the name to download it under; 404 if none."""
    name = (job.result or {}).get("file")
    if job.status != JobStatus.DONE or not name:
        raise not_found("File")
    path = Path(current_app.config["JOB_FILES_DIR"]) / f"{job.id}-{name}"
    if not path.is_file():
        raise not_found("File")
    return path, name
