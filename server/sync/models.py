"""Sync bookkeeping: the SQLite clock, tombstones, devices, applied mutations, conflicts."""

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import Model
from server.models_base import UTCDateTime, UUIDPk, Versioned, enum_type, utcnow
from server.stamps import SyncStamped


class SyncClock(Model):
    """One row. `value` is SQLite's change counter; `epoch` names this database's history.

    Restoring a backup or purging old tombstones makes older cursors unservable:
    `purged_below` and a new `epoch` tell a client to resync from scratch.
    """

    __tablename__ = "sync_clock"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    epoch: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    purged_below: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class SyncTombstone(UUIDPk, SyncStamped, Model):
    """A synced row that was deleted: pulls tell devices to drop it."""

    __tablename__ = "sync_tombstones"

    entity: Mapped[str] = mapped_column(sa.String(40))
    row_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    owner_id: Mapped[uuid.UUID | None]
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncDevice(Model):
    """A phone or browser that syncs; it belongs to one user for its whole life."""

    __tablename__ = "sync_devices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The last mutation sequence number applied (or rejected) for this device;
    # written in the same transaction as the mutation, so a retry applies nothing twice.
    last_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MutationStatus(enum.StrEnum):
    APPLIED = "applied"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class SyncMutation(Model):
    """The result of each mutation a device pushed, kept to answer retries identically."""

    __tablename__ = "sync_mutations"

    device_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sync_devices.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    mutation_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[MutationStatus] = mapped_column(enum_type(MutationStatus))
    code: Mapped[str | None] = mapped_column(sa.String(40))
    message: Mapped[str | None] = mapped_column(sa.String(500))
    # The mutation as received, so nothing a user entered is lost even when rejected.
    args: Mapped[dict] = mapped_column(sa.JSON)
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    client_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # sha256 of the mutation's name, args, base_version and client_time: a mutation id
    # means one change, so a replay with other content is refused (None: older rows).
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_sync_mutations_device_mutation", "device_id", "mutation_id"),)


class SyncFailedMutation(UUIDPk, Model):
    """A mutation that failed unexpectedly (a server bug, not a refusal), kept whole.

    Counted per device and mutation: each retried push tries it again, and after
    `push.MAX_ATTEMPTS` failures `gave_up_at` is set, the mutation is answered
    as failed for good and the device's queue moves on. Admins see them all.
    """

    __tablename__ = "sync_failed_mutations"
    __table_args__ = (sa.UniqueConstraint("device_id", "seq"),)

    device_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sync_devices.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    mutation_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(sa.String(40))
    args: Mapped[dict] = mapped_column(sa.JSON)
    base_version: Mapped[int | None]
    client_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    error: Mapped[str] = mapped_column(sa.String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Set when a later attempt went through (applied, rejected or conflict).
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")

    @property
    def status(self) -> str:
        if self.settled_at is not None:
            return "settled"
        return "failed" if self.gave_up_at is not None else "retrying"


class ConflictStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class SyncConflict(UUIDPk, Versioned, SyncStamped, Model):
    """A value that lost a merge, or a change that lost its access: kept, shown, resolvable.

    kind "field": both sides changed `field` of one record; `kept_value` is the value
    now stored, `lost_value` the one that lost. kind "lost_access": the device's
    user no longer owns the customer; `args` holds the whole change for the lead.
    """

    __tablename__ = "sync_conflicts"

    kind: Mapped[str] = mapped_column(sa.String(20))
    entity: Mapped[str] = mapped_column(sa.String(40))
    row_id: Mapped[uuid.UUID | None]
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # Whose change it was (the device's user) and which mutation.
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    device_id: Mapped[uuid.UUID | None]
    mutation_id: Mapped[uuid.UUID | None]
    mutation_name: Mapped[str | None] = mapped_column(sa.String(40))
    field: Mapped[str | None] = mapped_column(sa.String(60))
    base_value: Mapped[Any | None] = mapped_column(sa.JSON)
    kept_value: Mapped[Any | None] = mapped_column(sa.JSON)
    lost_value: Mapped[Any | None] = mapped_column(sa.JSON)
    args: Mapped[dict | None] = mapped_column(sa.JSON)
    status: Mapped[ConflictStatus] = mapped_column(
        enum_type(ConflictStatus), default=ConflictStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(
        sa.String(20)
    )  # kept, restored, applied, dismissed
