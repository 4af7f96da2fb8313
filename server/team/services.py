"""Users and teams administration: who may see whom, and the rules of a change."""

import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from server.audit.services import record
from server.auth.models import Role, User
from server.auth.services import (
    create_user,
    ensure_no_other_lead,
    fill_lock_state,
    revoke_all_sessions,
    set_password,
    unlock,
)
from server.customers.services import portfolio_sizes
from server.errors import ApiError, not_found
from server.extensions import db
from server.scope import visible
from server.team.models import Team

# --- users -----------------------------------------------------------------------------------


def list_users(
    viewer: User,
    *,
    role: Role | None = None,
    team_id: uuid.UUID | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> list[User]:
    """Users matching the filters, by username. A lead sees only their own team's members
    (to pick managers when assigning); an admin sees everyone."""
    stmt = sa.select(User).options(orm.selectinload(User.team)).order_by(User.username)
    if viewer.role == Role.LEAD:
        if viewer.team_id is None:
            return []
        stmt = stmt.where(User.team_id == viewer.team_id)
    elif viewer.role != Role.ADMIN:
        raise ApiError(403, "Your role may not do this.", code="forbidden")
    if role is not None:
        stmt = stmt.where(User.role == role)
    if team_id is not None:
        stmt = stmt.where(User.team_id == team_id)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    if q:
        pattern = "%" + _escape_like(q) + "%"
        stmt = stmt.where(
            sa.or_(
                User.username.ilike(pattern, escape="\\"),
                User.display_name.ilike(pattern, escape="\\"),
            )
        )
    return fill_lock_state(list(db.session.scalars(stmt)))


def list_all_users() -> list[User]:
    """Every account by username, for the shell (which has no signed-in viewer)."""
    stmt = sa.select(User).options(orm.selectinload(User.team)).order_by(User.username)
    return list(db.session.scalars(stmt))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_user(user_id: uuid.UUID) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found("User")
    fill_lock_state([user])
    return user


def find_user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise not_found(f"User {username!r}")
    return user


def _team_by_id(team_id: uuid.UUID) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise ApiError(422, "No such team.", fields={"team_id": ["No such team."]})
    return team


def add_user(
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    team: Team | None = None,
    team_id: uuid.UUID | None = None,
    phone: str | None = None,
) -> User:
    """Create an account, in the team given as row or id (the API sends ids, the CLI names)."""
    if team is None and team_id is not None:
        team = _team_by_id(team_id)
    user = create_user(
        username=username,
        display_name=display_name,
        role=role,
        password=password,
        team=team,
        phone=phone,
    )
    db.session.flush()
    record(
        "team.user_created",
        target_type="user",
        target_id=user.id,
        details={"username": username, "role": role, "team": team.name if team else None},
    )
    return user


def update_user(actor: User | None, user: User, changes: dict[str, Any]) -> list[dict]:
    """Apply an admin's changes to `user`; returns warnings the admin should act on.

    A new role, a new team or a deactivation changes what the user may see, so every
    device they are signed in on is signed out at once. `actor` is None from the CLI.
    """
    new_role = changes.get("role", user.role)
    new_active = changes.get("active", user.active)
    team = user.team
    if "team_id" in changes:
        team = _team_by_id(changes["team_id"]) if changes["team_id"] is not None else None

    if actor is not None and actor.id == user.id:
        # The acting admin stays an active admin, so the system always keeps one.
        if new_role != user.role:
            raise ApiError(
                422,
                "You cannot change your own role; ask another admin.",
                fields={"role": ["You cannot change your own role."]},
            )
        if not new_active:
            raise ApiError(
                422,
                "You cannot deactivate yourself; ask another admin.",
                fields={"active": ["You cannot deactivate yourself."]},
            )
    if new_role == Role.ADMIN and team is not None:
        raise ApiError(
            422, "An admin belongs to no team.", fields={"team_id": ["Must be empty for admins."]}
        )
    if new_role == Role.LEAD and team is not None:
        ensure_no_other_lead(team, user)

    _record_user_changes(actor, user, new_role, new_active, team)
    was_serving = user.active and user.role == Role.MANAGER
    ends_sessions = (
        new_role != user.role
        or (user.active and not new_active)
        or (team.id if team else None) != user.team_id
    )
    for name in ("display_name", "phone"):
        if name in changes:
            setattr(user, name, changes[name])
    user.role = new_role
    user.active = new_active
    user.team = team
    db.session.flush()
    if ends_sessions:
        revoke_all_sessions(user.id)

    warnings = []
    if was_serving and not (user.active and user.role == Role.MANAGER):
        # Customers are never unassigned automatically: who takes them over is the
        # admin's or the lead's decision, made with `assign` so the history is kept.
        count = portfolio_sizes([user.id])[user.id]
        if count:
            warnings.append({"code": "has_customers", "count": count})
    return warnings


def _record_user_changes(
    actor: User | None, user: User, role: Role, active: bool, team: Team | None
) -> None:
    """One audit event for each change of what the user may do: role, team, active."""

    def about(action: str, **details: Any) -> None:
        details = {"username": user.username} | details
        record(action, actor=actor, target_type="user", target_id=user.id, details=details)

    if role != user.role:
        about("team.user_role", **{"from": user.role, "to": role})
    if (team.id if team else None) != user.team_id:
        before = user.team.name if user.team else None
        about("team.user_team", **{"from": before, "to": team.name if team else None})
    if active != user.active:
        about("team.user_reactivated" if active else "team.user_deactivated")


def deactivate_user(user: User) -> list[dict]:
    """Deactivate and sign out everywhere (the CLI's path; the API uses `update_user`)."""
    return update_user(None, user, {"active": False})


def reset_password(user: User, password: str) -> None:
    """An admin sets a new password; the user is signed out on every device. A lock
    from wrong passwords ends too: the admin has just handed over the right one."""
    set_password(user, password)
    unlock(user)
    db.session.flush()


def unlock_user(user: User) -> User:
    """An admin lifts a lock-out (too many wrong passwords) before it runs out."""
    unlock(user)
    return fill_lock_state([user])[0]


# --- teams -----------------------------------------------------------------------------------


def get_team(team_id: uuid.UUID) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise not_found("Team")
    return team


def find_team(name: str) -> Team | None:
    return db.session.scalar(sa.select(Team).where(Team.name == name))


def list_teams(viewer: User) -> list[dict]:
    """Team summaries (lead, member count), by name."""
    teams = list(db.session.scalars(visible(viewer, Team).order_by(Team.name)))
    ids = [t.id for t in teams]
    counts: dict[uuid.UUID, int] = {}
    leads: dict[uuid.UUID, User] = {}
    if ids:
        rows = db.session.execute(
            sa.select(User.team_id, sa.func.count())
            .where(User.team_id.in_(ids))
            .group_by(User.team_id)
        )
        counts = {team_id: count for team_id, count in rows if team_id is not None}
        leads = {
            u.team_id: u
            for u in db.session.scalars(
                sa.select(User).where(User.team_id.in_(ids), User.role == Role.LEAD)
            )
            if u.team_id is not None
        }
    return [_summary(team, leads.get(team.id), counts.get(team.id, 0)) for team in teams]


def _summary(team: Team, lead: User | None, member_count: int) -> dict:
    return {
        "id": team.id,
        "name": team.name,
        "version": team.version,
        "lead": lead,
        "member_count": member_count,
        "show_rank": team.show_rank,
    }


def team_detail(team: Team) -> dict:
    """The team with every member, and each manager's portfolio size against capacity."""
    members = list(
        db.session.scalars(sa.select(User).where(User.team_id == team.id).order_by(User.username))
    )
    managers = [m.id for m in members if m.role == Role.MANAGER]
    sizes = portfolio_sizes(managers)
    capacity = current_app.config["PORTFOLIO_CAPACITY"]
    lead = next((m for m in members if m.role == Role.LEAD), None)
    detail = _summary(team, lead, len(members))
    detail["members"] = [
        {
            "id": m.id,
            "username": m.username,
            "display_name": m.display_name,
            "role": m.role,
            "active": m.active,
            "phone": m.phone,
            "portfolio_size": sizes.get(m.id),
            "capacity": capacity if m.id in sizes else None,
        }
        for m in members
    ]
    return detail


def create_team(name: str) -> Team:
    _check_name_free(name, None)
    team = Team(name=name)
    db.session.add(team)
    db.session.flush()
    record("team.team_created", target_type="team", target_id=team.id, details={"name": name})
    return team


def rename_team(team: Team, name: str) -> Team:
    _check_name_free(name, team)
    if name != team.name:
        record(
            "team.team_renamed",
            target_type="team",
            target_id=team.id,
            details={"from": team.name, "to": name},
        )
    team.name = name
    db.session.flush()
    return team


def _check_name_free(name: str, team: Team | None) -> None:
    stmt = sa.select(Team.id).where(Team.name == name)
    if team is not None:
        stmt = stmt.where(Team.id != team.id)
    if db.session.scalar(stmt) is not None:
        raise ApiError(
            409, f"A team named {name!r} already exists.", fields={"name": ["Already taken."]}
        )


def delete_team(team: Team) -> None:
    """Delete an empty team; members (active or not) must be moved out first."""
    members = db.session.scalar(sa.select(sa.func.count()).where(User.team_id == team.id))
    if members:
        raise ApiError(
            409,
            f"Team {team.name!r} still has {members} member(s); move them to another team first.",
            code="team_not_empty",
        )
    record("team.team_deleted", target_type="team", target_id=team.id, details={"name": team.name})
    db.session.delete(team)
    db.session.flush()
