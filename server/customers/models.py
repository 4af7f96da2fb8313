"""Customers, their contacts, value tiers, monthly spend and assignment history."""

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from server.customers.pinyin import name_pinyin
from server.extensions import Model
from server.models_base import Timestamps, UTCDateTime, UUIDPk, Versioned, enum_type, utcnow
from server.stamps import SyncStamped


class CustomerKind(enum.StrEnum):
    INDIVIDUAL = "individual"  # 中高端个人客户
    ORGANISATION = "organisation"  # 集团/政企客户


class Stage(enum.StrEnum):
    """Lifecycle stage (客户生命周期)."""

    ONBOARDING = "onboarding"  # 入网期
    INTRODUCTION = "introduction"  # 导入期
    MATURITY = "maturity"  # 成熟期
    WARNING = "warning"  # 预警期
    CHURNED = "churned"  # 已流失 (still followed for win-back)


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class Tier(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    """A value tier (客户等级) and the service level it buys. Configuration rows."""

    __tablename__ = "tiers"

    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(40))
    # 1 is the most valuable tier.
    rank: Mapped[int] = mapped_column(unique=True)
    contact_interval_days: Mapped[int]
    complaint_response_hours: Mapped[int]

    def __repr__(self) -> str:
        return f"<Tier {self.code}>"


class Customer(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    """A customer's profile archive (客户档案)."""

    __tablename__ = "customers"

    # The operator's customer number: the key imports match on.
    external_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[CustomerKind] = mapped_column(enum_type(CustomerKind))
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    # Derived from `name` whenever it is set (customers/pinyin.py), for the phone's search.
    name_pinyin: Mapped[str | None] = mapped_column(sa.Text)
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    phone2: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(120))
    gender: Mapped[Gender | None] = mapped_column(enum_type(Gender))
    birthday: Mapped[date | None]
    # The customer celebrates the lunar-calendar date (农历生日).
    birthday_lunar: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str | None] = mapped_column(sa.String(200))
    employer: Mapped[str | None] = mapped_column(sa.String(100))
    position: Mapped[str | None] = mapped_column(sa.String(60))
    industry: Mapped[str | None] = mapped_column(sa.String(60))
    interests: Mapped[str | None] = mapped_column(sa.String(300))
    income_band: Mapped[str | None] = mapped_column(sa.String(30))
    consumption_habits: Mapped[str | None] = mapped_column(sa.String(300))
    plan_name: Mapped[str | None] = mapped_column(sa.String(100))
    products: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # [{"label": "...", "date": "YYYY-MM-DD"}]: activation anniversary, moving home...
    special_dates: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    ported_in: Mapped[bool] = mapped_column(default=False)
    activation_date: Mapped[date | None]
    contract_end_date: Mapped[date | None] = mapped_column(index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # Learned from the first verified visit when not known.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    tier_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tiers.id"), index=True)
    stage: Mapped[Stage] = mapped_column(enum_type(Stage), default=Stage.MATURITY, index=True)
    # 分包机制: at most one responsible manager; history in AssignmentHistory.
    manager_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the customer's personal data was erased (a PIPL request): the row stays
    # for the statistics, with a placeholder name (customers/personal_data.py).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tier = relationship(Tier, lazy="joined")
    manager = relationship("User")
    contacts = relationship(
        "Contact",
        back_populates="customer",
        cascade="all, delete-orphan",
        order_by="(Contact.is_decision_maker.desc(), Contact.name)",
    )

    @validates("name")
    def _spell_name(self, _key: str, name: str) -> str:
        # Here, not in a service: every path that names a customer (the API, the sync
        # push, imports, erasure) passes through, and a stale pinyin would keep an
        # erased name findable.
        self.name_pinyin = name_pinyin(name)
        return name

    def __repr__(self) -> str:
        return f"<Customer {self.external_no} {self.name}>"


class Contact(UUIDPk, Versioned, Timestamps, SyncStamped, Model):
    """A person at an organisation customer; one may be the decision maker (决策人)."""

    __tablename__ = "contacts"
    __table_args__ = (
        sa.Index(
            "uq_contacts_decision_maker",
            "customer_id",
            unique=True,
            postgresql_where=sa.text("is_decision_maker"),
            sqlite_where=sa.text("is_decision_maker"),
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(60))
    # Derived from `name` whenever it is set, as the customer's.
    name_pinyin: Mapped[str | None] = mapped_column(sa.Text)
    title: Mapped[str | None] = mapped_column(sa.String(60))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(120))
    is_decision_maker: Mapped[bool] = mapped_column(default=False)
    birthday: Mapped[date | None]

    customer = relationship(Customer, back_populates="contacts")

    @validates("name")
    def _spell_name(self, _key: str, name: str) -> str:
        self.name_pinyin = name_pinyin(name)
        return name


class MonthlySpend(UUIDPk, Versioned, SyncStamped, Model):
    """One service's fee for one month, from the operator's billing export."""

    __tablename__ = "monthly_spend"
    __table_args__ = (sa.UniqueConstraint("customer_id", "month", "service"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    # Always the first day of the month.
    month: Mapped[date]
    # A service code such as mobile, data, broadband, iptv, fixed_line, group_sms.
    service: Mapped[str] = mapped_column(sa.String(30))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentHistory(UUIDPk, SyncStamped, Model):
    """Every change of a customer's responsible manager. Append-only."""

    __tablename__ = "assignment_history"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    from_manager_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    to_manager_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    # None when done by a CLI import rather than a signed-in user.
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(sa.String(20), default="api")  # api, import, demo
    reason: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    # Lets one flush insert a new customer before its history row.
    customer = relationship(Customer)
    from_manager = relationship("User", foreign_keys=[from_manager_id])
    to_manager = relationship("User", foreign_keys=[to_manager_id])
    assigned_by = relationship("User", foreign_keys=[assigned_by_id])
