"""Churn early warnings (流失预警): explainable reasons, a manager's answer, an outcome."""

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.customers.models import Stage
from server.extensions import Model
from server.models_base import Timestamps, UTCDateTime, UUIDPk, Versioned, enum_type
from server.stamps import SyncStamped


class WarningStatus(enum.StrEnum):
    OPEN = "open"  # raised, waiting for or holding the manager's analysis
    RETAINED = "retained"  # 挽留成功
    CHURNED = "churned"  # 已流失: followed for win-back


class WarningSource(enum.StrEnum):
    SPEND_RULE = "spend_rule"
    COMPLAINT_PRESSURE = "complaint_pressure"
    MANUAL = "manual"  # reported by the manager: competitor, wavering...
    MODEL = "model"  # predicted by the churn model (server/churn), with the tree's path


class ManualReason(enum.StrEnum):
    """What a manager may report before the bills show anything."""

    COMPETITOR = "competitor"  # 竞争对手接触
    INTENT_TO_LEAVE = "intent_to_leave"  # 客户表示有离网意向
    OTHER = "other"


class Outcome(enum.StrEnum):
    """How an open warning ends."""

    RETAINED = "retained"
    CHURNED = "churned"


class ChurnWarning(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    __tablename__ = "churn_warnings"
    __table_args__ = (
        # A customer has at most one open warning; new reasons join it.
        sa.Index(
            "uq_churn_warnings_open",
            "customer_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[WarningStatus] = mapped_column(
        enum_type(WarningStatus), default=WarningStatus.OPEN, index=True
    )
    source: Mapped[WarningSource] = mapped_column(enum_type(WarningSource))
    # [{"code": "service_drop", "service": "broadband", "drop_pct": 25.0,
    #   "reference": "200.00", "current": "150.00", "month": "2026-10",
    #   "text_zh": "...", "text_en": "..."}, ...]: each warning says why.
    reasons: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    # Keys of the rule findings already recorded, so a re-scan adds nothing.
    finding_keys: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    # The stage before the warning, restored when the customer is retained.
    previous_stage: Mapped[Stage | None] = mapped_column(enum_type(Stage))
    cause_analysis: Mapped[str | None] = mapped_column(sa.Text)
    retention_plan: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)
    # Why the customer left (when churned): the archive of exit reasons.
    exit_reason: Mapped[str | None] = mapped_column(sa.String(300))

    customer = relationship("Customer")
