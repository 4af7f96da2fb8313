"""Users, their roles, and one server-side record per signed-in device."""

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import Model
from server.models_base import Timestamps, UTCDateTime, UUIDPk, Versioned, enum_type, utcnow
from server.stamps import SyncStamped


class Role(enum.StrEnum):
    MANAGER = "manager"
    LEAD = "lead"
    ADMIN = "admin"


class User(UUIDPk, Versioned, Timestamps, UserMixin, SyncStamped, Model):
    __tablename__ = "users"
    __table_args__ = (
        # A team has at most one lead.
        sa.Index(
            "uq_users_team_lead",
            "team_id",
            unique=True,
            postgresql_where=sa.text("role = 'lead'"),
            sqlite_where=sa.text("role = 'lead'"),
        ),
    )

    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    # A manager's team, or the team a lead leads; admins have none.
    team_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))

    team = relationship("Team", back_populates="members")

    # Plain (unmapped) attributes below: per-request state, never stored.
    __allow_unmapped__ = True
    # Set by the user loader to the DeviceSession this request came in on.
    device_session: "DeviceSession | None" = None
    # Set for admins' user lists (auth.services.fill_lock_state): until when sign-in is locked.
    locked_until: datetime | None = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users.
        return self.active

    def get_id(self) -> str:
        # Flask-Login stores this in the session and remember cookies. It is the
        # device session's token, not the user id, so that revoking the record
        # on the server ends the cookie everywhere it was copied.
        if self.device_session is None or self.device_session.raw_token is None:
            raise RuntimeError("get_id() called without a device session")
        return self.device_session.raw_token

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class DeviceSession(UUIDPk, Model):
    """One signed-in browser or phone. The cookie holds a token; we keep its hash."""

    __tablename__ = "device_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an admin signed this device out (a lost phone): at its next contact it is
    # told to wipe its local copy (`wipe_required`), not merely to sign in again.
    wipe_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    user = relationship(User)

    __allow_unmapped__ = True
    # The clear token exists only in memory, for the request that holds it.
    raw_token: str | None = None
    # True when this request moved the idle expiry forward.
    slid: bool = False


class SignInFailures(Model):
    """Consecutive refused sign-ins for one submitted username, and the lock they caused.

    Keyed by the username as typed, not by user: an unknown username is counted and
    locked exactly like a real one, so a lock-out does not tell which accounts exist.
    Kept apart from `users` so that counting failures never bumps a user's version or
    sync stamp. A right password (or an admin's unlock) deletes the row.
    """

    __tablename__ = "sign_in_failures"

    username: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
