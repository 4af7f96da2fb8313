"""Campaigns (营销活动) and exclusive offers (专属优惠), and each targeted customer's outcome."""

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import Model
from server.models_base import Timestamps, UTCDateTime, UUIDPk, Versioned, enum_type
from server.stamps import SyncStamped


class CampaignKind(enum.StrEnum):
    RETENTION = "retention"  # 挽留/保有: contracts that keep the customer (合约率)
    PRIVILEGE = "privilege"  # 专属特权/专属优惠: the tier's exclusive offers (参与率)
    MARKETING = "marketing"  # 产品营销: products and upgrades (参与率)


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"  # being defined; no plans yet
    LAUNCHED = "launched"  # targets chosen, a care plan for each
    CLOSED = "closed"  # over: outcomes can no longer change


class Outcome(enum.StrEnum):
    """What happened with one targeted customer, as the manager records it."""

    OFFERED = "offered"  # told of the offer, no answer yet
    TOOK_PART = "took_part"  # joined the offer (参与)
    CONTRACTED = "contracted"  # signed a contract (合约), with its months
    DECLINED = "declined"  # said no, with a reason
    NOT_REACHED = "not_reached"  # could not be reached


# Outcomes that mean the customer was reached (and the campaign's plan is done).
REACHED = frozenset({Outcome.OFFERED, Outcome.TOOK_PART, Outcome.CONTRACTED, Outcome.DECLINED})


class Campaign(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    __tablename__ = "campaigns"
    __table_args__ = (sa.CheckConstraint("starts_on <= ends_on", name="period"),)

    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[CampaignKind] = mapped_column(enum_type(CampaignKind))
    # What the customer is offered, in the words the manager will use.
    offer: Mapped[str] = mapped_column(sa.String(1000))
    # Who is targeted: {"tiers": [...], "stages": [...], "open_warning": bool,
    # "spend_min": "100.00", "spend_max": "...", "customer_ids": [...]}; see services.
    segment: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # A lead's campaign reaches their team's customers only; an admin's, everyone's.
    team_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[CampaignStatus] = mapped_column(
        enum_type(CampaignStatus), default=CampaignStatus.DRAFT, index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    launched_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignTarget(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    """One targeted customer of a launched campaign, and its outcome."""

    __tablename__ = "campaign_targets"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_targets_customer"),
        sa.CheckConstraint(
            "contract_months IS NULL OR contract_months BETWEEN 1 AND 120", name="contract_months"
        ),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    # The care plan made for it at launch (it follows the customer on reassignment).
    plan_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("care_plans.id", ondelete="SET NULL")
    )
    outcome: Mapped[Outcome | None] = mapped_column(enum_type(Outcome), index=True)
    contract_months: Mapped[int | None]
    decline_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # When it happened, as the phone reported it (offline work counts when done).
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_flag: Mapped[str | None] = mapped_column(sa.String(20))
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))

    campaign = relationship(Campaign)
    customer = relationship("Customer")
