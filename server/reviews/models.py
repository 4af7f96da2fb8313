"""Review periods with their scorecard (考核表), and the record of every review export."""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import Model
from server.models_base import Timestamps, UTCDateTime, UUIDPk, Versioned, utcnow


class ReviewPeriod(UUIDPk, Versioned, Timestamps, Model):
    """A period managers are judged on, with the scorecard in force for it.

    The scorecard is stored with the period (a copy, not a reference to settings),
    so a past review never changes when a later period's weights do.
    """

    __tablename__ = "review_periods"
    __table_args__ = (
        sa.UniqueConstraint("starts_on", "ends_on", name="uq_review_periods_dates"),
        sa.CheckConstraint("starts_on <= ends_on", name="period"),
    )

    name: Mapped[str] = mapped_column(sa.String(60))
    starts_on: Mapped[date]
    ends_on: Mapped[date] = mapped_column(index=True)
    # [{"indicator", "weight", "target", "floor", "cap"}, ...]; see reviews/scoring.py.
    scorecard: Mapped[list] = mapped_column(sa.JSON)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))


class ReviewExport(UUIDPk, Model):
    """Who exported which review, when, how many rows, and whether unmasked. Never edited."""

    __tablename__ = "review_exports"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    format: Mapped[str] = mapped_column(sa.String(10))
    # {"team_id": ..., "starts_on": ..., "ends_on": ...}: what was exported.
    scope: Mapped[dict] = mapped_column(sa.JSON)
    rows: Mapped[int]
    unmasked: Mapped[bool] = mapped_column(default=False)
    job_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("jobs.id"))
