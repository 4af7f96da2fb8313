"""Reviews: whose figures a user may ask for, for which period, with which scorecard.

A manager sees their own figures; a lead their team's (each manager, the team);
an admin anyone's and the organisation's. Anything else answers 404, as for a team
or a manager that does not exist.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from server.auth.models import Role, User
from server.errors import ApiError, invalid, not_found
from server.extensions import db
from server.models_base import check_version, utcnow
from server.reviews.indicators import Figure, Window, combine, compute
from server.reviews.models import ReviewPeriod
from server.reviews.scoring import Scored, check_scorecard, default_scorecard, ranks, score
from server.team.models import Team
from server.timeutil import local_today

TREND_MONTHS = 6


# --- whose figures ----------------------------------------------------------------


@dataclass
class Scope:
    kind: str  # "organisation", "team" or "manager"
    managers: list[User]
    team: Team | None = None

    @property
    def everyone(self) -> bool:
        return self.kind == "organisation"


def _managers(team_id: uuid.UUID | None = None) -> list[User]:
    stmt = sa.select(User).where(User.role == Role.MANAGER)
    if team_id is not None:
        stmt = stmt.where(User.team_id == team_id)
    return list(db.session.scalars(stmt.order_by(User.display_name, User.username)))


def resolve_scope(
    user: User, *, team_id: uuid.UUID | None = None, manager_id: uuid.UUID | None = None
) -> Scope:
    """The managers `user` asks about: one manager, a team, or (an admin) everyone."""
    if user.role == Role.MANAGER:
        if team_id is not None:
            raise not_found("Team")
        if manager_id is not None and manager_id != user.id:
            raise not_found("Manager")
        return Scope("manager", [user])
    if manager_id is not None:
        manager = db.session.get(User, manager_id)
        if (
            manager is None
            or manager.role != Role.MANAGER
            or (
                user.role == Role.LEAD and (user.team_id is None or manager.team_id != user.team_id)
            )
            or (team_id is not None and manager.team_id != team_id)
        ):
            raise not_found("Manager")
        return Scope("manager", [manager], manager.team)
    if user.role == Role.LEAD:
        if user.team_id is None or (team_id is not None and team_id != user.team_id):
            raise not_found("Team")
        team_id = user.team_id
    if team_id is not None:
        team = db.session.get(Team, team_id)
        if team is None:
            raise not_found("Team")
        return Scope("team", _managers(team.id), team)
    return Scope("organisation", _managers())


# --- which period -----------------------------------------------------------------


@dataclass
class Period:
    starts_on: date
    ends_on: date
    scorecard: list[dict]
    stored: ReviewPeriod | None = None

    @property
    def name(self) -> str:
        if self.stored is not None:
            return self.stored.name
        if self.starts_on.day == 1 and self.ends_on == _month_end(self.starts_on):
            return self.starts_on.strftime("%Y-%m")
        return f"{self.starts_on.isoformat()}..{self.ends_on.isoformat()}"


def _month_end(day: date) -> date:
    return day.replace(day=1) + relativedelta(months=1, days=-1)


def _stored(starts_on: date, ends_on: date) -> ReviewPeriod | None:
    return db.session.scalar(
        sa.select(ReviewPeriod).where(
            ReviewPeriod.starts_on == starts_on, ReviewPeriod.ends_on == ends_on
        )
    )


def period_of(
    *,
    period_id: uuid.UUID | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Period:
    """A stored review period, or any range of days (with its stored scorecard if the
    range is a configured period, else the default one)."""
    if period_id is not None:
        stored = db.session.get(ReviewPeriod, period_id)
        if stored is None:
            raise not_found("Review period")
        return Period(stored.starts_on, stored.ends_on, stored.scorecard, stored)
    if starts_on is None or ends_on is None:
        raise invalid("starts_on", "Give a period_id, or starts_on and ends_on.")
    if starts_on > ends_on:
        raise invalid("ends_on", "Must not be before starts_on.")
    stored = _stored(starts_on, ends_on)
    return Period(starts_on, ends_on, stored.scorecard if stored else default_scorecard(), stored)


def month_period(day: date) -> Period:
    """The review period holding `day`: a configured one, else its calendar month."""
    stored = db.session.scalar(
        sa.select(ReviewPeriod)
        .where(ReviewPeriod.starts_on <= day, ReviewPeriod.ends_on >= day)
        .order_by(ReviewPeriod.ends_on.desc())
        .limit(1)
    )
    if stored is not None:
        return Period(stored.starts_on, stored.ends_on, stored.scorecard, stored)
    first = day.replace(day=1)
    return period_of(starts_on=first, ends_on=_month_end(first))


# --- the review ---------------------------------------------------------------------


@dataclass
class ManagerReview:
    manager: User
    figures: dict[str, Figure]
    scored: Scored
    rank: int | None = None  # within the manager's team


@dataclass
class GroupReview:
    team: Team | None  # None: the organisation
    figures: dict[str, Figure]
    scored: Scored
    managers: int


@dataclass
class Review:
    period: Period
    window: Window
    scope: Scope
    managers: list[ManagerReview]
    teams: list[GroupReview]
    total: GroupReview
    computed_at: datetime = field(default_factory=utcnow)


def review(scope: Scope, period: Period, *, now: datetime | None = None) -> Review:
    """Each manager's figures, points, weighted score and rank in the team; the teams'
    and the whole scope's figures (sums, never averages of rates)."""
    window = Window.of(period.starts_on, period.ends_on, now)
    per_manager = compute(window, [m.id for m in scope.managers], everyone=scope.everyone)
    people = {m.id: m for m in scope.managers}
    missing = [mid for mid in per_manager if mid not in people]
    if missing:
        people |= {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(missing)))}
    reviews = [
        ManagerReview(people[mid], figures, score(period.scorecard, figures))
        for mid, figures in per_manager.items()
    ]
    reviews.sort(key=lambda r: (r.manager.display_name, r.manager.username))
    by_team: dict[uuid.UUID | None, list[ManagerReview]] = {}
    for r in reviews:
        by_team.setdefault(r.manager.team_id, []).append(r)
    teams = {
        t.id: t
        for t in db.session.scalars(sa.select(Team).where(Team.id.in_([k for k in by_team if k])))
    }
    groups = []
    for team_id, members in by_team.items():
        for r, rank in zip(
            members, ranks({r.manager.id: r.scored.total for r in members}).values(), strict=True
        ):
            r.rank = rank
        figures = combine((r.figures for r in members), started=window.started)
        groups.append(
            GroupReview(
                teams.get(team_id) if team_id else None,
                figures,
                score(period.scorecard, figures),
                len(members),
            )
        )
    groups.sort(key=lambda g: g.team.name if g.team else "")
    figures = combine((r.figures for r in reviews), started=window.started)
    total = GroupReview(scope.team, figures, score(period.scorecard, figures), len(reviews))
    return Review(period, window, scope, reviews, groups, total)


def trend(scope: Scope, *, months: int = TREND_MONTHS, until: date | None = None) -> list[dict]:
    """The weighted score of the scope and of each manager, month by month (oldest first)."""
    last = (until or local_today()).replace(day=1)
    points = []
    for back in range(months - 1, -1, -1):
        first = last - relativedelta(months=back)
        r = review(scope, month_period(first))
        points.append(
            {
                "month": first.strftime("%Y-%m"),
                "score": r.total.scored.total,
                "managers": {str(m.manager.id): m.scored.total for m in r.managers},
            }
        )
    return points


def my_numbers(user: User, *, now: datetime | None = None) -> dict:
    """A manager's own figures: this period, the last, the trend, and their rank in the
    team if the lead lets managers see it."""
    today = local_today(now)
    current = month_period(today)
    previous = month_period(current.starts_on - relativedelta(days=1))
    team = db.session.get(Team, user.team_id) if user.team_id else None
    show_rank = bool(team and team.show_rank)
    scope = (
        Scope("team", _managers(team.id), team) if show_rank and team else Scope("manager", [user])
    )

    def mine(period: Period) -> dict:
        r = review(scope, period, now=now)
        me = next((m for m in r.managers if m.manager.id == user.id), None)
        if me is None:  # a lead or admin looking at their own (they have no portfolio)
            figures = compute(r.window, [user.id])[user.id]
            me = ManagerReview(user, figures, score(period.scorecard, figures))
        return {
            "period": period,
            "as_of": r.window.as_of,
            "figures": me.figures,
            "scored": me.scored,
            "rank": me.rank if show_rank else None,
            "team_size": len(r.managers) if show_rank else None,
        }

    own = Scope("manager", [user])
    return {
        "show_rank": show_rank,
        "current": mine(current),
        "previous": mine(previous),
        "trend": [{"month": p["month"], "score": p["score"]} for p in trend(own, until=today)],
    }


# --- configuring periods ------------------------------------------------------------


def list_periods() -> list[ReviewPeriod]:
    return list(db.session.scalars(sa.select(ReviewPeriod).order_by(ReviewPeriod.starts_on.desc())))


def create_period(actor: User, data: dict) -> ReviewPeriod:
    """A review period with its own copy of the scorecard (the default unless given)."""
    if data["starts_on"] > data["ends_on"]:
        raise invalid("ends_on", "Must not be before starts_on.")
    if _stored(data["starts_on"], data["ends_on"]) is not None:
        raise ApiError(
            409,
            "A review period with these dates exists.",
            code="period_exists",
            fields={"starts_on": ["A period with these dates exists."]},
        )
    scorecard = data.get("scorecard")
    period = ReviewPeriod(
        name=data["name"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        scorecard=check_scorecard(scorecard) if scorecard is not None else default_scorecard(),
        created_by_id=actor.id,
    )
    db.session.add(period)
    db.session.flush()
    return period


def update_period(period: ReviewPeriod, changes: dict) -> ReviewPeriod:
    changes = dict(changes)
    check_version(period, changes.pop("version", None), "review period")
    if "scorecard" in changes:
        changes["scorecard"] = check_scorecard(changes["scorecard"])
    starts_on = changes.get("starts_on", period.starts_on)
    ends_on = changes.get("ends_on", period.ends_on)
    if starts_on > ends_on:
        raise invalid("ends_on", "Must not be before starts_on.")
    for name, value in changes.items():
        setattr(period, name, value)
    db.session.flush()
    return period


def get_period(period_id: uuid.UUID) -> ReviewPeriod:
    period = db.session.get(ReviewPeriod, period_id)
    if period is None:
        raise not_found("Review period")
    return period


def set_show_rank(user: User, team: Team, show_rank: bool) -> Team:
    """Whether the team's managers see their rank (the team's lead, or an admin)."""
    if user.role != Role.ADMIN and (user.role != Role.LEAD or user.team_id != team.id):
        raise not_found("Team")
    team.show_rank = show_rank
    db.session.flush()
    return team
