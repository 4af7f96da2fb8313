"""One row per audited action. Append-only: the database refuses UPDATE and DELETE."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import Model
from server.models_base import UTCDateTime, UUIDPk, utcnow


class AuditEvent(UUIDPk, Model):
    """Who (a snapshot of the username too) did which action, to what, from where.

    Migration 0007 installs triggers that refuse UPDATE and DELETE of these rows on
    PostgreSQL and SQLite alike (docs/security.md, "Audit trail").
    """

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_target", "target_type", "target_id"),)

    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None: the system (a CLI command, a job without a user, the demo seed).
    actor_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # As it was then: usernames do not change today, but the record must not depend on it.
    actor_username: Mapped[str | None] = mapped_column(sa.String(40))
    # A dotted code, domain first: "auth.sign_in", "customers.reassign", ...
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Small facts about the action (counts, reason, file name); never personal fields.
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    # The device session the request came in on (no foreign key: sessions are deleted).
    device_id: Mapped[uuid.UUID | None]
