"""Visit logs (拜访记录): every contact, recorded. Edits keep the earlier text."""

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import Model
from server.models_base import Timestamps, UTCDateTime, UUIDPk, Versioned, enum_type, utcnow
from server.plans.models import Channel, Purpose
from server.stamps import SyncStamped


class CustomerResponse(enum.StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class LocationStatus(enum.StrEnum):
    """How far the phone's check-in can be trusted; flagged, never blocked."""

    VERIFIED = "verified"
    OUT_OF_RANGE = "out_of_range"
    UNVERIFIED = "unverified"  # no fix, or too old / too inaccurate
    NOT_APPLICABLE = "not_applicable"  # phone, SMS...: no place to check


class Visit(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    __tablename__ = "visits"
    __table_args__ = (
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="times"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    manager_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("care_plans.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    purpose: Mapped[Purpose] = mapped_column(enum_type(Purpose))
    # When it happened on the phone (client time, clamped and flagged by sync).
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    location_age_s: Mapped[float | None]
    location_status: Mapped[LocationStatus] = mapped_column(
        enum_type(LocationStatus, length=20), default=LocationStatus.NOT_APPLICABLE
    )
    outcome: Mapped[str | None] = mapped_column(sa.String(200))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    products_discussed: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The manager told the customer of their tier's exclusive privileges (专属特权知晓).
    privileges_explained: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    customer_response: Mapped[CustomerResponse | None] = mapped_column(enum_type(CustomerResponse))
    next_step: Mapped[str | None] = mapped_column(sa.String(300))
    # Set when the phone's clock put it in the future or far in the past.
    time_flag: Mapped[str | None] = mapped_column(sa.String(20))

    customer = relationship("Customer")
    revisions = relationship(
        "VisitRevision", back_populates="visit", order_by="VisitRevision.at", cascade="all"
    )


class VisitRevision(UUIDPk, SyncStamped, Model):
    """One edit of a visit log: the fields it changed, with old and new values."""

    __tablename__ = "visit_revisions"

    visit_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    editor_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {"notes": {"old": "...", "new": "..."}, ...}
    changes: Mapped[dict] = mapped_column(sa.JSON)

    visit = relationship(Visit, back_populates="revisions")
