"""A background job's record: what it does, how far it got, and where its result is."""

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import Model
from server.models_base import UTCDateTime, UUIDPk, enum_type, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(UUIDPk, Model):
    __tablename__ = "jobs"

    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    status: Mapped[JobStatus] = mapped_column(
        enum_type(JobStatus), default=JobStatus.QUEUED, index=True
    )
    # 0..100, and what is being done, for the progress bar.
    progress: Mapped[int] = mapped_column(default=0)
    stage: Mapped[str | None] = mapped_column(sa.String(80))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # What the job made: counts, and the name of a file to download.
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
