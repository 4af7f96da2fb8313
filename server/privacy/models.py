"""The access log: who viewed, revealed or exported which customer's personal fields.

Append-only (migration 0008 installs triggers refusing UPDATE and DELETE), and it
holds no personal value itself: names of fields, ids and counts.
"""

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import Model
from server.models_base import UTCDateTime, UUIDPk, enum_type, utcnow


class AccessKind(enum.StrEnum):
    VIEW = "view"  # a customer's detail page, with the fields shown in full
    REVEAL = "reveal"  # a lead or an admin asked for one customer's full values
    EXPORT = "export"  # a review export with customers' phones and birthdays in full
    SYNC_PULL = "sync_pull"  # a pull that carried customers (one row per pull)
    PERSONAL_DATA_EXPORT = "personal_data_export"  # all that is held about one customer
    ERASURE = "erasure"  # the customer's personal fields were erased


class PersonalDataAccess(UUIDPk, Model):
    __tablename__ = "personal_data_access"
    __table_args__ = (sa.Index("ix_personal_data_access_user_at", "user_id", "at"),)

    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    # No foreign key: the record outlives whatever happens to the customer's row.
    # None for a row about many customers (a sync pull, a review export).
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    kind: Mapped[AccessKind] = mapped_column(enum_type(AccessKind))
    # The personal fields shown in full (names only, never values).
    fields: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # How many customers the access carried (a pull, an export); 1 otherwise.
    count: Mapped[int] = mapped_column(default=1)
    # The device session (no foreign key: sessions are deleted) and, for a pull, the
    # sync device.
    session_id: Mapped[uuid.UUID | None]
    device_id: Mapped[uuid.UUID | None]
    # A job's or an export's id when the access was one.
    ref: Mapped[str | None] = mapped_column(sa.String(64))
