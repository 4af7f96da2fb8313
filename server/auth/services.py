"""Users and device sessions: the rules, without request handling."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from server.audit.services import record
from server.auth.models import DeviceSession, Role, SignInFailures, User
from server.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from server.errors import ApiError, invalid, not_found
from server.extensions import db
from server.models_base import UTCDateTime, utcnow
from server.team.models import Team
from server.transaction import keep_on_failure

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
    check_password_rules(password, username, field="password")
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


def check_password_rules(password: str, username: str | None, *, field: str) -> None:
    """422 on `field` if `password` may not be used (too short, common, the username...)."""
    problems = password_problems(password, username)
    if problems:
        raise ApiError(422, problems[0], fields={field: problems})


def authenticate(username: str, password: str) -> User:
    """The active user with these credentials; otherwise a refusal that is counted.

    Every path costs one argon2 verification (an unknown username is checked against
    a dummy hash), and an unknown username is counted and locked like a real one, so
    neither the time nor the answer tells which accounts exist. While locked, even
    the right password is refused (423), and attempts do not extend the lock.
    """
    now = utcnow()
    user = db.session.scalar(sa.select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    state = db.session.get(SignInFailures, username)
    if state is not None and state.locked_until is not None and state.locked_until > now:
        _audit_after_rollback(
            "auth.sign_in_failed", user, {"username": username, "reason": "locked"}
        )
        raise account_locked(state.locked_until)
    if not ok or user is None or not user.active:
        raise _refuse(username, user, state, now, "auth.sign_in_failed")
    if state is not None:
        db.session.delete(state)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record("auth.sign_in", actor=user, target_type="user", target_id=user.id)
    return user


def _audit_after_rollback(action: str, user: User | None, details: dict) -> None:
    """Audit a refusal: the request is rolled back, the event is written after it."""
    keep_on_failure(
        partial(
            record,
            action,
            target_type="user" if user is not None else None,
            target_id=user.id if user is not None else None,
            details=details,
        )
    )


def account_locked(until: datetime) -> ApiError:
    return ApiError(
        423,
        f"Too many wrong passwords: this account is locked until "
        f"{until:%Y-%m-%d %H:%M} UTC. An admin can unlock it sooner.",
        code="account_locked",
        extra={"locked_until": until.isoformat()},
    )


def _refuse(
    username: str, user: User | None, state: SignInFailures | None, now: datetime, action: str
) -> ApiError:
    """Count and audit a refused sign-in (kept although the request is rolled back);
    the answer to give."""
    cfg = current_app.config
    threshold: int = cfg["LOGIN_LOCKOUT_THRESHOLD"]
    lock_for: timedelta = cfg["LOGIN_LOCKOUT_DURATION"]
    keep_on_failure(partial(count_failure, username, now, threshold, lock_for))
    failures = (state.failures if state is not None else 0) + 1
    _audit_after_rollback(action, user, {"username": username, "failures": failures})
    if failures >= threshold:
        until = now + lock_for
        _audit_after_rollback(
            "auth.locked", user, {"username": username, "locked_until": until.isoformat()}
        )
        return account_locked(until)
    return ApiError(
        401,
        "Wrong username or password, or the account is deactivated.",
        code="invalid_credentials",
    )


def count_failure(username: str, at: datetime, threshold: int, lock_for: timedelta) -> None:
    """Add one refused sign-in to `username`'s count, locking it at `threshold`.

    One statement (an upsert), so that concurrent refusals from several workers all
    count. The count is consecutive: only a right password or an unlock clears it, so
    once a lock runs out the next failure locks again.
    """
    on_postgresql = db.session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if on_postgresql else sqlite.insert
    stmt = insert(SignInFailures).values(
        username=username,
        failures=1,
        last_failed_at=at,
        locked_until=at + lock_for if threshold <= 1 else None,
    )
    counted = SignInFailures.failures + 1
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[SignInFailures.username],
            set_={
                "failures": counted,
                "last_failed_at": at,
                "locked_until": sa.case(
                    (counted >= threshold, sa.literal(at + lock_for, UTCDateTime())),
                    else_=SignInFailures.locked_until,
                ),
            },
        )
    )


def locked_until(username: str, now: datetime | None = None) -> datetime | None:
    """When `username`'s lock runs out, if it is locked now."""
    state = db.session.get(SignInFailures, username)
    now = now or utcnow()
    if state is None or state.locked_until is None or state.locked_until <= now:
        return None
    return state.locked_until


def fill_lock_state(users: list[User], now: datetime | None = None) -> list[User]:
    """Set `locked_until` on each of `users` (None unless locked now), in one query."""
    now = now or utcnow()
    names = [u.username for u in users]
    locks = (
        dict(
            db.session.execute(
                sa.select(SignInFailures.username, SignInFailures.locked_until).where(
                    SignInFailures.username.in_(names), SignInFailures.locked_until > now
                )
            ).all()
        )
        if names
        else {}
    )
    for user in users:
        user.locked_until = locks.get(user.username)
    return users


def unlock(user: User) -> bool:
    """Clear `user`'s refused sign-ins and lock (an admin's act); whether it was locked."""
    was_locked = locked_until(user.username) is not None
    db.session.execute(sa.delete(SignInFailures).where(SignInFailures.username == user.username))
    if was_locked:
        record(
            "auth.unlocked",
            target_type="user",
            target_id=user.id,
            details={"username": user.username},
        )
    return was_locked


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
        expires_at=min(now + _idle_timeout(remember), now + _max_age(remember)),
        user_agent=(user_agent or "")[:200] or None,
    )
    db.session.add(ds)
    db.session.flush()
    ds.raw_token = token
    user.device_session = ds
    return ds


def _idle_timeout(remember: bool) -> timedelta:
    cfg = current_app.config
    return cfg["SESSION_REMEMBER_TIMEOUT"] if remember else cfg["SESSION_IDLE_TIMEOUT"]


def _max_age(remember: bool) -> timedelta:
    """The absolute lifetime of a device session, however often it slid."""
    cfg = current_app.config
    return cfg["SESSION_REMEMBER_MAX_AGE"] if remember else cfg["SESSION_MAX_AGE"]


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
    end_of_life = ds.created_at + _max_age(ds.remember)
    if end_of_life <= now:
        return None
    user = db.session.get(User, ds.user_id)
    if user is None or not user.active:
        return None
    if (now - ds.last_seen_at).total_seconds() > LAST_SEEN_RESOLUTION_SECONDS:
        ds.last_seen_at = now
        ds.expires_at = min(now + _idle_timeout(ds.remember), end_of_life)
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
    check_password_rules(password, user.username, field="password")
    user.password_hash = hash_password(password)
    signed_out = revoke_all_sessions(user.id)
    record(
        "auth.password_reset",
        target_type="user",
        target_id=user.id,
        details={"username": user.username, "signed_out_devices": signed_out},
    )
    return signed_out


def change_own_password(user: User, current_password: str, new_password: str) -> int:
    """The user's own change: the current password first, then the rules.

    The other devices are signed out (whoever knew the old password may hold one);
    the device making the change stays signed in. A wrong current password counts as
    a refused sign-in, so this is no way around the lock-out. Returns how many other
    devices were signed out.
    """
    ds = user.device_session
    if ds is None:
        raise RuntimeError("change_own_password() needs the signed-in device session")
    now = utcnow()
    state = db.session.get(SignInFailures, user.username)
    if state is not None and state.locked_until is not None and state.locked_until > now:
        raise account_locked(state.locked_until)
    if not verify_password(user.password_hash, current_password):
        refusal = _refuse(user.username, user, state, now, "auth.password_change_failed")
        if refusal.status == 423:
            raise refusal
        raise invalid("current_password", "This is not your current password.")
    if new_password == current_password:
        raise invalid("new_password", "Choose a password other than the current one.")
    check_password_rules(new_password, user.username, field="new_password")
    if state is not None:
        db.session.delete(state)
    user.password_hash = hash_password(new_password)
    result: sa.CursorResult = db.session.execute(  # type: ignore[assignment]
        sa.update(DeviceSession)
        .where(
            DeviceSession.user_id == user.id,
            DeviceSession.revoked_at.is_(None),
            DeviceSession.id != ds.id,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    signed_out = result.rowcount or 0
    record(
        "auth.password_changed",
        actor=user,
        target_type="user",
        target_id=user.id,
        details={"username": user.username, "signed_out_devices": signed_out},
    )
    return signed_out


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
