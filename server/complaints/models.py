"""Complaints (投诉): a closed loop from receipt to the customer's satisfaction."""

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import Model
from server.models_base import Timestamps, UTCDateTime, UUIDPk, Versioned, enum_type, utcnow
from server.stamps import SyncStamped


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ComplaintStatus(enum.StrEnum):
    RECEIVED = "received"  # 受理
    IN_PROGRESS = "in_progress"  # 处理中
    RESOLVED = "resolved"  # 已解决
    INFORMED = "informed"  # 已告知客户
    CLOSED = "closed"  # 已关闭 (with satisfaction)


S = ComplaintStatus

# The closed loop: received -> in progress -> resolved -> customer informed ->
# closed, plus reopening (back to in progress) from any of the last three.
TRANSITIONS: dict[ComplaintStatus, tuple[ComplaintStatus, ...]] = {
    S.RECEIVED: (S.IN_PROGRESS,),
    S.IN_PROGRESS: (S.RESOLVED,),
    S.RESOLVED: (S.INFORMED, S.IN_PROGRESS),
    S.INFORMED: (S.CLOSED, S.IN_PROGRESS),
    S.CLOSED: (S.IN_PROGRESS,),
}
REOPENABLE = frozenset({S.RESOLVED, S.INFORMED, S.CLOSED})
# The deadline is for resolving: a complaint resolved late is no longer overdue.
UNRESOLVED = (S.RECEIVED, S.IN_PROGRESS)


class IntakeChannel(enum.StrEnum):
    IN_PERSON = "in_person"  # told the manager face to face
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    IM = "im"
    HOTLINE = "hotline"  # the operator's service hotline
    STORE = "store"  # 营业厅


class ComplaintCategory(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    """Configuration rows: what complaints are about."""

    __tablename__ = "complaint_categories"

    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(60))
    active: Mapped[bool] = mapped_column(default=True)


class Complaint(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    __tablename__ = "complaints"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    # The manager who owns the loop (the customer's manager when it was logged).
    owner_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    category_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("complaint_categories.id"))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity))
    intake_channel: Mapped[IntakeChannel] = mapped_column(enum_type(IntakeChannel))
    description: Mapped[str] = mapped_column(sa.Text)
    # When the customer raised it (phone time, clamped); the deadline runs from here.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[ComplaintStatus] = mapped_column(
        enum_type(ComplaintStatus), default=ComplaintStatus.RECEIVED, index=True
    )
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    satisfaction: Mapped[int | None] = mapped_column(
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(default=0)
    time_flag: Mapped[str | None] = mapped_column(sa.String(20))
    logged_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="SET NULL")
    )

    customer = relationship("Customer")
    category = relationship(ComplaintCategory, lazy="joined")
    events = relationship(
        "ComplaintEvent", back_populates="complaint", order_by="ComplaintEvent.at", cascade="all"
    )


class ComplaintEvent(UUIDPk, SyncStamped, Model):
    """One step of the loop, or a note: who, when, from which status to which. Append-only."""

    __tablename__ = "complaint_events"

    complaint_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[ComplaintStatus | None] = mapped_column(
        enum_type(ComplaintStatus, name="from_status")
    )
    # None for a note that changes no status.
    to_status: Mapped[ComplaintStatus | None] = mapped_column(
        enum_type(ComplaintStatus, name="to_status")
    )
    # What the user wrote with the step; the step's own facts are in the columns below
    # (codes and values: the clients word them in the user's language).
    note: Mapped[str | None] = mapped_column(sa.Text)
    # The resolution given by a step to "resolved" (a reopen clears it from the complaint).
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    # The satisfaction a reopen cleared (1-5), if the complaint had been closed.
    prior_satisfaction: Mapped[int | None] = mapped_column(sa.SmallInteger)

    complaint = relationship(Complaint, back_populates="events")


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    """Unresolved past its deadline (services.overdue_clause is the same in SQL)."""
    return complaint.status in UNRESOLVED and complaint.deadline_at < now
