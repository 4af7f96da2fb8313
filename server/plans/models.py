"""Care plans (维系计划): planned contacts with a customer, made by hand or generated."""

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import Model
from server.models_base import Timestamps, UTCDateTime, UUIDPk, Versioned, enum_type
from server.stamps import SyncStamped


class Purpose(enum.StrEnum):
    ROUTINE = "routine"  # 日常维系
    BIRTHDAY = "birthday"  # 生日关怀
    HOLIDAY = "holiday"  # 节日关怀
    CONTRACT_EXPIRY = "contract_expiry"  # 合约到期
    WELCOME = "welcome"  # 入网欢迎
    INTRODUCTION_CHECK = "introduction_check"  # 导入期回访
    RETENTION = "retention"  # 挽留
    COMPLAINT_FOLLOWUP = "complaint_followup"  # 投诉回访
    MARKETING = "marketing"  # 产品营销
    WIN_BACK = "win_back"  # 流失回流


class Channel(enum.StrEnum):
    VISIT = "visit"  # 上门拜访
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    IM = "im"


class PlanStatus(enum.StrEnum):
    PLANNED = "planned"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class SkipReason(enum.StrEnum):
    """Why a manager skipped a plan (the phone words each code)."""

    UNREACHABLE = "unreachable"  # 联系不上
    DECLINED = "declined"  # 客户谢绝
    CONTACTED_OTHERWISE = "contacted_otherwise"  # 已用其他方式联系
    NOT_APPLICABLE = "not_applicable"  # 不再适用 (moved away, changed plan...)
    DUPLICATE = "duplicate"  # 重复计划
    OTHER = "other"  # 其他: the note says what


class CarePlan(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    __tablename__ = "care_plans"
    __table_args__ = (
        sa.Index("ix_care_plans_customer_due", "customer_id", "due_to"),
        sa.CheckConstraint("due_from <= due_to", name="due_window"),
        sa.UniqueConstraint("customer_id", "generation_key", name="uq_care_plans_generation"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    # Who should make the contact: the responsible manager when it was planned;
    # moves with the customer on reassignment while the plan is open.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    purpose: Mapped[Purpose] = mapped_column(enum_type(Purpose))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    title: Mapped[str] = mapped_column(sa.String(120))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # The contact is due within [due_from, due_to] (dates in the operator's local time).
    due_from: Mapped[date]
    due_to: Mapped[date] = mapped_column(index=True)
    status: Mapped[PlanStatus] = mapped_column(
        enum_type(PlanStatus), default=PlanStatus.PLANNED, index=True
    )
    # A generated plan carries a key naming its occasion ("birthday:2027",
    # "routine:2026-11-25", ...): generation skips keys that exist, which makes it
    # idempotent; manual plans have none.
    generation_key: Mapped[str | None] = mapped_column(sa.String(80))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A plan the manager skipped is cancelled with a reason (and perhaps a note): it
    # counts nowhere, as a cancelled plan, but says why it was dropped.
    skip_reason: Mapped[SkipReason | None] = mapped_column(enum_type(SkipReason, length=30))
    skip_note: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))

    customer = relationship("Customer")
