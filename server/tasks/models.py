"""Follow-up tasks (待办): what must happen next, from a visit, a complaint or by hand."""

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import Model
from server.models_base import Timestamps, UTCDateTime, UUIDPk, Versioned, enum_type
from server.stamps import SyncStamped


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Task(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    __tablename__ = "tasks"

    owner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Most tasks concern a customer; a standalone one may not.
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    due_date: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[TaskStatus] = mapped_column(
        enum_type(TaskStatus), default=TaskStatus.OPEN, index=True
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_visit_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="SET NULL")
    )
    source_complaint_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("complaints.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))

    customer = relationship("Customer")
