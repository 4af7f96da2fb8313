"""Users and device sessions: the rules, without request handling."""

import hashlib
import secrets
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from server.auth.models import DeviceSession, Role, User
from server.auth.passwords import hash_password, needs_rehash, verify_password
from server.errors import ApiError, not_found
from server.extensions import db
from server.models_base import utcnow
from server.team.models import Team

# Writing last_seen_at on every request would turn every read into a write.
LAST_SEEN_RESOLUTION_SECONDS = 300


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    team: Team | None = None,
    phone: str | None = None,
) -> User:
    if role == Role.ADMIN and team is not None:
        raise ApiError(
            422, "An admin belongs to no team.", fields={"team_id": ["Must be empty for admins."]}
        )
    taken = db.session.scalar(sa.select(User.id).where(User.username == username))
    if taken:
        raise ApiError(
            409, f"Username {username!r} is taken.", fields={"username": ["Already taken."]}
        )
    if role == Role.LEAD and team is not None:
        _check_team_has_no_other_lead(team, None)
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        team=team,
        phone=phone,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def _check_team_has_no_other_lead(team: Team, user: User | None) -> None:
    stmt = sa.select(User).where(User.team_id == team.id, User.role == Role.LEAD)
    if user is not None:
        stmt = stmt.where(User.id != user.id)
    other = db.session.scalar(stmt)
    if other is not None:
        raise ApiError(
            409,
            f"Team {team.name!r} already has a lead ({other.username}).",
            fields={"team_id": ["This team already has a lead."]},
        )


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None. Same cost either way."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_device_session(user: User, *, remember: bool, user_agent: str | None) -> DeviceSession:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    ds = DeviceSession(
        user_id=user.id,
        token_hash=_hash_token(token),
        csrf_token=secrets.token_urlsafe(32),
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _idle_timeout(remember),
        user_agent=(user_agent or "")[:200] or None,
    )
    db.session.add(ds)
    db.session.flush()
    ds.raw_token = token
    user.device_session = ds
    return ds


def _idle_timeout(remember: bool):
    cfg = current_app.config
    return cfg["SESSION_REMEMBER_TIMEOUT"] if remember else cfg["SESSION_IDLE_TIMEOUT"]


def load_device_session(token: str, now: datetime | None = None) -> User | None:
    """The user behind a cookie token, if its device session is still alive."""
    if not token:
        return None
    now = now or utcnow()
    ds = db.session.scalar(
        sa.select(DeviceSession).where(DeviceSession.token_hash == _hash_token(token))
    )
    if ds is None or ds.revoked_at is not None or ds.expires_at <= now:
        return None
    user = db.session.get(User, ds.user_id)
    if user is None or not user.active:
        return None
    if (now - ds.last_seen_at).total_seconds() > LAST_SEEN_RESOLUTION_SECONDS:
        ds.last_seen_at = now
        ds.expires_at = now + _idle_timeout(ds.remember)
        ds.slid = True
    ds.raw_token = token
    user.device_session = ds
    return user


def slide(session_id: uuid.UUID, last_seen_at: datetime, expires_at: datetime) -> None:
    """Write a slid expiry again (after the request that slid it was rolled back)."""
    db.session.execute(
        sa.update(DeviceSession)
        .where(
            DeviceSession.id == session_id,
            DeviceSession.revoked_at.is_(None),
            DeviceSession.expires_at < expires_at,
        )
        .values(last_seen_at=last_seen_at, expires_at=expires_at)
    )


def signed_in_devices(user: User, now: datetime | None = None) -> list[DeviceSession]:
    """The devices `user` is signed in on now, the most recently seen first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(DeviceSession)
            .where(
                DeviceSession.user_id == user.id,
                DeviceSession.revoked_at.is_(None),
                DeviceSession.expires_at > now,
            )
            .order_by(DeviceSession.last_seen_at.desc(), DeviceSession.id)
        )
    )


def sign_out_device(user: User, session_id: uuid.UUID) -> None:
    """End one of `user`'s signed-in devices (an admin's act); 404 if it is not theirs."""
    ds = db.session.get(DeviceSession, session_id)
    if ds is None or ds.user_id != user.id:
        raise not_found("Device")
    end_device_session(ds)
    # Signed out by someone else (a lost phone): told to wipe, unlike a user's logout.
    ds.wipe_requested_at = ds.wipe_requested_at or utcnow()


def end_device_session(ds: DeviceSession) -> None:
    if ds.revoked_at is None:
        ds.revoked_at = utcnow()


def revoke_all_sessions(user_id: uuid.UUID) -> int:
    """End every signed-in device of a user (deactivation, role change, password reset)."""
    result: sa.CursorResult = db.session.execute(  # type: ignore[assignment]
        sa.update(DeviceSession)
        .where(DeviceSession.user_id == user_id, DeviceSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def ensure_no_other_lead(team: Team, user: User | None) -> None:
    """409 if `team` already has a lead other than `user` (a team has at most one lead)."""
    _check_team_has_no_other_lead(team, user)


def set_password(user: User, password: str) -> int:
    """Give `user` a new password; every device signed in with the old one is signed out."""
    user.password_hash = hash_password(password)
    return revoke_all_sessions(user.id)


def wipe_required(token: str) -> bool:
    """Whether the device behind a refused cookie must erase its local copy: an admin
    signed it out, or its user was deactivated. An expired session or the user's own
    logout only asks to sign in again."""
    if not token:
        return False
    ds = db.session.scalar(
        sa.select(DeviceSession).where(DeviceSession.token_hash == _hash_token(token))
    )
    if ds is None:
        return False
    if ds.wipe_requested_at is not None:
        return True
    user = db.session.get(User, ds.user_id)
    return user is None or not user.active
