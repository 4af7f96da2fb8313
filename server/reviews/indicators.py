"""The indicators managers are judged on, computed from the data (docs/indicators.md).

One computation covers a set of managers (one, a team, everyone) and a period of
local days. Each piece of work counts for the manager who had the customer when it
was done (the assignment history), at the time the phone says it was done. What a
manager had no data for is "no data" (a value of None), never 0 or 100%.

The cost follows the managers asked about: every query is limited to the customers
they had at some point (by assignment history), never the whole organisation's.
"""

import bisect
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from server.campaigns.models import Campaign, CampaignKind, CampaignTarget, Outcome
from server.complaints.models import Complaint
from server.customers.models import AssignmentHistory, Customer, MonthlySpend, Stage, Tier
from server.extensions import db
from server.models_base import equals_any_uuid, utcnow
from server.plans.models import CarePlan, PlanStatus, Purpose
from server.tasks.models import Task, TaskStatus
from server.timeutil import local_today, start_of_local_day
from server.visits.models import Visit
from server.warnings.models import ChurnWarning, WarningStatus

# The indicator codes, in the order a review shows them.
ROUTINE_CARE = "routine_care"
GREETINGS_ON_TIME = "greetings_on_time"
PRIVILEGE_AWARENESS = "privilege_awareness"
OFFER_PARTICIPATION = "offer_participation"
RETENTION_CONTRACT_RATE = "retention_contract_rate"
VALUE_RETAINED = "value_retained"
CUSTOMERS_RETAINED = "customers_retained"
SATISFACTION = "satisfaction"
CONTACT_COVERAGE = "contact_coverage"
COMPLAINTS_ON_TIME = "complaints_on_time"
OVERDUE_TASKS = "overdue_tasks"
OPEN_WARNINGS = "open_warnings"
WARNINGS_KEPT = "warnings_kept"

# unit: "ratio" (0..1, shown as %), "score" (1..5), "count".
UNITS: dict[str, str] = {
    ROUTINE_CARE: "ratio",
    GREETINGS_ON_TIME: "ratio",
    PRIVILEGE_AWARENESS: "ratio",
    OFFER_PARTICIPATION: "ratio",
    RETENTION_CONTRACT_RATE: "ratio",
    VALUE_RETAINED: "ratio",
    CUSTOMERS_RETAINED: "ratio",
    SATISFACTION: "score",
    CONTACT_COVERAGE: "ratio",
    COMPLAINTS_ON_TIME: "ratio",
    OVERDUE_TASKS: "count",
    OPEN_WARNINGS: "count",
    WARNINGS_KEPT: "ratio",
}
CODES = tuple(UNITS)

AWARENESS_DAYS = 365
GREETING_PURPOSES = (Purpose.BIRTHDAY, Purpose.HOLIDAY)
OFFER_KINDS = (CampaignKind.PRIVILEGE, CampaignKind.MARKETING)
# An outcome that settles a target; "offered" still waits for the customer's answer.
SETTLED = (Outcome.TOOK_PART, Outcome.CONTRACTED, Outcome.DECLINED, Outcome.NOT_REACHED)


@dataclass(frozen=True)
class Window:
    """A period of local days [starts_on, ends_on], seen as of `as_of`.

    A period still running is judged on what is known now: work not yet due is not
    missing yet. `start` and `end` are the instants the local days begin and end.
    """

    starts_on: date
    ends_on: date
    as_of: datetime

    @classmethod
    def of(cls, starts_on: date, ends_on: date, now: datetime | None = None) -> "Window":
        now = now or utcnow()
        end = start_of_local_day(ends_on + timedelta(days=1))
        return cls(starts_on, ends_on, min(end, now))

    @property
    def start(self) -> datetime:
        return start_of_local_day(self.starts_on)

    @property
    def as_of_day(self) -> date:
        return local_today(self.as_of - timedelta(microseconds=1))

    @property
    def started(self) -> bool:
        return self.as_of > self.start


@dataclass
class Tally:
    """What one indicator counted for one manager (or a team, or everyone)."""

    numerator: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, numerator: Any = 0, denominator: Any = 1) -> None:
        self.numerator += Decimal(numerator)
        self.denominator += Decimal(denominator)

    def merge(self, other: "Tally") -> None:
        self.numerator += other.numerator
        self.denominator += other.denominator
        for key, value in other.details.items():
            if isinstance(value, dict):
                mine = self.details.setdefault(key, {})
                for k, v in value.items():
                    if isinstance(v, dict):
                        inner = mine.setdefault(k, {})
                        for kk, vv in v.items():
                            inner[kk] = inner.get(kk, 0) + vv
                    else:
                        mine[k] = mine.get(k, 0) + v
            else:
                self.details[key] = self.details.get(key, 0) + value


@dataclass
class Figure:
    code: str
    unit: str
    value: float | None  # None: no data
    numerator: float
    denominator: float
    details: dict[str, Any]


def figure(code: str, tally: Tally | None, *, started: bool = True) -> Figure:
    """The figure of a tally; a ratio or score with nothing to count is no data (None)."""
    tally = tally or Tally()
    unit = UNITS[code]
    num, den = tally.numerator, tally.denominator
    details = dict(tally.details)
    value: float | None
    if not started:
        value = None  # a period that has not begun has no figures at all
    elif unit == "count":
        # A count is known whenever the period has begun: zero overdue tasks is a fact.
        value = float(num)
        if code == OPEN_WARNINGS:
            age = float(details.get("age_days", 0))
            details["mean_age_days"] = round(age / float(num), 1) if num else None
    else:
        value = float(num / den) if den else None
    return Figure(code, unit, value, float(num), float(den), details)


# --- who had which customer when --------------------------------------------------


class Ownership:
    """Which manager had each customer at any moment, from the assignment history."""

    def __init__(self, scope: "Customers"):
        self._times: dict[uuid.UUID, list[datetime]] = defaultdict(list)
        self._owners: dict[uuid.UUID, list[uuid.UUID | None]] = defaultdict(list)
        self._before: dict[uuid.UUID, uuid.UUID | None] = {}
        rows = db.session.execute(
            sa.select(
                AssignmentHistory.customer_id,
                AssignmentHistory.at,
                AssignmentHistory.from_manager_id,
                AssignmentHistory.to_manager_id,
            )
            .where(scope.has(AssignmentHistory.customer_id))
            .order_by(AssignmentHistory.customer_id, AssignmentHistory.at, AssignmentHistory.id)
        )
        for customer_id, at, from_id, to_id in rows:
            if customer_id not in self._before:
                self._before[customer_id] = from_id
            self._times[customer_id].append(at)
            self._owners[customer_id].append(to_id)
        for customer_id, manager_id in db.session.execute(
            sa.select(Customer.id, Customer.manager_id).where(scope.has(Customer.id))
        ):
            # No history: the customer has had its manager all along.
            self._before.setdefault(customer_id, manager_id)

    def at(self, customer_id: uuid.UUID, moment: datetime) -> uuid.UUID | None:
        times = self._times.get(customer_id)
        if not times:
            return self._before.get(customer_id)
        i = bisect.bisect_right(times, moment)
        return self._owners[customer_id][i - 1] if i else self._before.get(customer_id)


class Customers:
    """Every customer these managers have had (every customer at all for `everyone`).

    Read once (`customer_ids`); then each source keeps its rows to them in one
    statement however many customers and managers: on PostgreSQL with the ids as one
    array parameter (`= ANY`, the source's customer_id index), elsewhere with the
    set as a subquery. (IN lists would need splitting: a statement per 2,000 ids.)
    """

    def __init__(self, manager_ids: list[uuid.UUID], *, everyone: bool = False):
        self._ids: list[uuid.UUID] = []
        self._query: sa.CompoundSelect | None = None
        if not everyone:
            self._query = sa.union(
                sa.select(Customer.id).where(Customer.manager_id.in_(manager_ids)),
                sa.select(AssignmentHistory.customer_id).where(
                    sa.or_(
                        AssignmentHistory.to_manager_id.in_(manager_ids),
                        AssignmentHistory.from_manager_id.in_(manager_ids),
                    )
                ),
            )

    def customer_ids(self) -> list[uuid.UUID]:
        stmt = sa.select(Customer.id) if self._query is None else self._query
        self._ids = sorted(db.session.scalars(stmt))
        return self._ids

    def has(self, customer_id: Any) -> sa.ColumnElement[bool]:
        """The WHERE clause keeping a customer id column to these customers."""
        if self._query is None:
            return sa.true()
        if db.session.get_bind().dialect.name == "postgresql":
            return equals_any_uuid(customer_id, self._ids)
        return customer_id.in_(self._query)


# --- the computation ---------------------------------------------------------------


class _Counter:
    def __init__(self, managers: set[uuid.UUID] | None):
        self.managers = managers
        self.tallies: dict[tuple[uuid.UUID, str], Tally] = {}

    def tally(self, manager_id: uuid.UUID | None, code: str) -> Tally | None:
        if manager_id is None or (self.managers is not None and manager_id not in self.managers):
            return None
        return self.tallies.setdefault((manager_id, code), Tally())


def compute(
    window: Window, manager_ids: list[uuid.UUID], *, everyone: bool = False
) -> dict[uuid.UUID, dict[str, Figure]]:
    """{manager id: {code: Figure}} for these managers.

    `everyone`: the whole organisation; anyone else who did counted work in the
    period (a manager since deactivated) gets figures too.
    """
    scope = Customers(manager_ids, everyone=everyone)
    customer_ids = scope.customer_ids() if window.started else []
    counter = _Counter(None if everyone else set(manager_ids))
    if customer_ids:
        owners = Ownership(scope)
        churned_at = _churned_at(scope)
        _care_plans(window, scope, owners, counter)
        _campaigns(window, scope, owners, counter)
        _complaints(window, scope, owners, counter)
        _warnings(window, scope, owners, counter)
        _portfolio(window, scope, owners, churned_at, counter)
        _retention(window, scope, customer_ids, owners, churned_at, counter)
    if window.started:
        _tasks(window, None if everyone else manager_ids, counter)
    managers = set(manager_ids) | ({m for m, _ in counter.tallies} if everyone else set())
    return {
        m: {
            code: figure(code, counter.tallies.get((m, code)), started=window.started)
            for code in CODES
        }
        for m in managers
    }


def combine(per_manager: Iterable[dict[str, Figure]], *, started: bool) -> dict[str, Figure]:
    """The figures of a team (or everyone): numerators and denominators added up,
    never an average of rates."""
    totals: dict[str, Tally] = {}
    for figures in per_manager:
        for code, fig in figures.items():
            totals.setdefault(code, Tally()).merge(
                Tally(Decimal(str(fig.numerator)), Decimal(str(fig.denominator)), _raw_details(fig))
            )
    return {code: figure(code, totals.get(code), started=started) for code in CODES}


def _raw_details(fig: Figure) -> dict[str, Any]:
    return {k: v for k, v in fig.details.items() if k != "mean_age_days" and v is not None}


def _end_of(day: date) -> datetime:
    return start_of_local_day(day + timedelta(days=1))


def _care_plans(window: Window, scope: Customers, owners: Ownership, counter: _Counter) -> None:
    """Routine care completion and greetings on time, from the plans due in the period."""
    rows = db.session.execute(
        sa.select(
            CarePlan.customer_id,
            CarePlan.purpose,
            CarePlan.status,
            CarePlan.due_to,
            CarePlan.completed_at,
        ).where(
            scope.has(CarePlan.customer_id),
            CarePlan.purpose.in_((Purpose.ROUTINE, *GREETING_PURPOSES)),
            CarePlan.status != PlanStatus.CANCELLED,
            CarePlan.due_to >= window.starts_on,
            CarePlan.due_to <= window.ends_on,
        )
    )
    for customer_id, purpose, status, due_to, completed_at in rows:
        done_at: datetime | None = None
        if status == PlanStatus.DONE and completed_at is not None and completed_at < window.as_of:
            done_at = completed_at
        if done_at is None and due_to > window.as_of_day:
            continue  # not due yet, and not done early: not judged yet
        # Done: whoever had the customer when it was done; not done: whoever had it
        # when the window closed.
        closed = min(_end_of(due_to), window.as_of) - timedelta(microseconds=1)
        manager = owners.at(customer_id, done_at or closed)
        if purpose == Purpose.ROUTINE:
            tally = counter.tally(manager, ROUTINE_CARE)
            if tally is not None:
                tally.add(1 if done_at else 0)
        else:
            on_time = done_at is not None and done_at < _end_of(due_to)
            tally = counter.tally(manager, GREETINGS_ON_TIME)
            if tally is not None:
                tally.add(1 if on_time else 0)


def _campaigns(window: Window, scope: Customers, owners: Ownership, counter: _Counter) -> None:
    """Offer participation and retention contract rate, from the targets settled in the period.

    A target settles when its outcome is recorded (took part, contracted, declined,
    not reached), or, still open or only offered, when its campaign ends.
    """
    rows = db.session.execute(
        sa.select(
            CampaignTarget.customer_id,
            CampaignTarget.outcome,
            CampaignTarget.outcome_at,
            Campaign.kind,
            Campaign.ends_on,
        )
        .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
        .where(scope.has(CampaignTarget.customer_id), Campaign.starts_on <= window.ends_on)
    )
    for customer_id, outcome, outcome_at, kind, ends_on in rows:
        if outcome in SETTLED and outcome_at is not None:
            settled = outcome_at
        else:
            settled = _end_of(ends_on) - timedelta(microseconds=1)
        if not (window.start <= settled < window.as_of):
            continue
        manager = owners.at(customer_id, settled)
        if kind == CampaignKind.RETENTION:
            tally = counter.tally(manager, RETENTION_CONTRACT_RATE)
            if tally is not None:
                tally.add(1 if outcome == Outcome.CONTRACTED else 0)
        else:
            tally = counter.tally(manager, OFFER_PARTICIPATION)
            if tally is not None:
                tally.add(1 if outcome in (Outcome.TOOK_PART, Outcome.CONTRACTED) else 0)


def _complaints(window: Window, scope: Customers, owners: Ownership, counter: _Counter) -> None:
    """Satisfaction (complaints closed in the period) and complaints answered on time
    (complaints whose deadline fell in the period)."""
    closed = db.session.execute(
        sa.select(Complaint.customer_id, Complaint.closed_at, Complaint.satisfaction).where(
            scope.has(Complaint.customer_id),
            Complaint.satisfaction.is_not(None),
            Complaint.closed_at >= window.start,
            Complaint.closed_at < window.as_of,
        )
    )
    for customer_id, closed_at, satisfaction in closed:
        assert closed_at is not None  # the WHERE says so
        tally = counter.tally(owners.at(customer_id, closed_at), SATISFACTION)
        if tally is not None:
            tally.add(satisfaction, 1)
            answers = tally.details.setdefault("answers", {})
            answers[str(satisfaction)] = answers.get(str(satisfaction), 0) + 1
    due = db.session.execute(
        sa.select(Complaint.customer_id, Complaint.deadline_at, Complaint.resolved_at).where(
            scope.has(Complaint.customer_id),
            Complaint.deadline_at >= window.start,
            Complaint.deadline_at < window.as_of,
        )
    )
    for customer_id, deadline_at, resolved_at in due:
        tally = counter.tally(owners.at(customer_id, deadline_at), COMPLAINTS_ON_TIME)
        if tally is not None:
            tally.add(1 if resolved_at is not None and resolved_at <= deadline_at else 0)


def _warnings(window: Window, scope: Customers, owners: Ownership, counter: _Counter) -> None:
    """Open warnings at the end of the period (and their age), warned customers kept."""
    rows = db.session.execute(
        sa.select(
            ChurnWarning.customer_id,
            ChurnWarning.status,
            ChurnWarning.opened_at,
            ChurnWarning.resolved_at,
        ).where(scope.has(ChurnWarning.customer_id), ChurnWarning.opened_at < window.as_of)
    )
    for customer_id, status, opened_at, resolved_at in rows:
        if resolved_at is None or resolved_at >= window.as_of:
            tally = counter.tally(owners.at(customer_id, window.as_of), OPEN_WARNINGS)
            if tally is not None:
                tally.add(1, 0)
                age = (window.as_of - opened_at).total_seconds() / 86400
                tally.details["age_days"] = tally.details.get("age_days", 0) + round(age, 1)
        elif resolved_at >= window.start and status in (
            WarningStatus.RETAINED,
            WarningStatus.CHURNED,
        ):
            tally = counter.tally(owners.at(customer_id, resolved_at), WARNINGS_KEPT)
            if tally is not None:
                tally.add(1 if status == WarningStatus.RETAINED else 0)


def _churned_at(scope: Customers) -> dict[uuid.UUID, datetime | None]:
    """When each customer who left did (None: churned at a time nobody recorded)."""
    found: dict[uuid.UUID, datetime | None] = {}
    for customer_id, resolved_at in db.session.execute(
        sa.select(ChurnWarning.customer_id, sa.func.max(ChurnWarning.resolved_at))
        .where(scope.has(ChurnWarning.customer_id), ChurnWarning.status == WarningStatus.CHURNED)
        .group_by(ChurnWarning.customer_id)
    ):
        found[customer_id] = resolved_at
    for customer_id in db.session.scalars(
        sa.select(Customer.id).where(scope.has(Customer.id), Customer.stage == Stage.CHURNED)
    ):
        found.setdefault(customer_id, None)
    return found


def _gone(churned_at: dict[uuid.UUID, datetime | None], customer_id, moment: datetime) -> bool:
    if customer_id not in churned_at:
        return False
    at = churned_at[customer_id]
    return at is None or at <= moment


def _portfolio(window, scope: Customers, owners: Ownership, churned_at, counter: _Counter) -> None:
    """Privilege awareness and contact coverage by tier: the portfolio at the period's end."""
    moment = window.as_of - timedelta(microseconds=1)
    since = window.as_of - timedelta(days=AWARENESS_DAYS)
    # One pass over the visits: the last contact, and whether the privileges were
    # explained within AWARENESS_DAYS.
    explained = sa.case(
        (sa.and_(Visit.privileges_explained.is_(True), Visit.started_at >= since), 1), else_=0
    )
    told: set[uuid.UUID] = set()
    last_contact: dict[uuid.UUID, datetime] = {}
    for customer_id, last, aware in db.session.execute(
        sa.select(Visit.customer_id, sa.func.max(Visit.started_at), sa.func.max(explained))
        .where(scope.has(Visit.customer_id), Visit.started_at < window.as_of)
        .group_by(Visit.customer_id)
    ):
        last_contact[customer_id] = last
        if aware:
            told.add(customer_id)
    tiers = db.session.execute(
        sa.select(Customer.id, Tier.code, Tier.contact_interval_days)
        .join(Tier, Tier.id == Customer.tier_id)
        .where(scope.has(Customer.id))
    )
    for customer_id, tier_code, interval_days in tiers:
        if _gone(churned_at, customer_id, moment):
            continue
        manager = owners.at(customer_id, moment)
        aware = counter.tally(manager, PRIVILEGE_AWARENESS)
        if aware is None:
            continue
        aware.add(1 if customer_id in told else 0)
        last = last_contact.get(customer_id)
        covered = last is not None and last >= window.as_of - timedelta(days=interval_days)
        coverage = counter.tally(manager, CONTACT_COVERAGE)
        assert coverage is not None
        coverage.add(1 if covered else 0)
        by_tier = coverage.details.setdefault("by_tier", {})
        tier = by_tier.setdefault(tier_code, {"covered": 0, "customers": 0})
        tier["covered"] += 1 if covered else 0
        tier["customers"] += 1


def _retention(
    window, scope: Customers, customer_ids, owners: Ownership, churned_at, counter: _Counter
) -> None:
    """Customers and value retained: the portfolio at the period's start, at its end.

    Value compares the total fee of the period's last month with that of the month
    before the period; a month without any bills yet (billing is imported after the
    month closes) means no data.
    """
    start = window.start
    base = [
        c
        for c in customer_ids
        if owners.at(c, start) is not None and not _gone(churned_at, c, start)
    ]
    if not base:
        return
    for customer_id in base:
        tally = counter.tally(owners.at(customer_id, start), CUSTOMERS_RETAINED)
        if tally is not None:
            tally.add(0 if _gone(churned_at, customer_id, window.as_of) else 1)
    reference_month = window.starts_on.replace(day=1) - relativedelta(months=1)
    measured_month = window.as_of_day.replace(day=1)
    if measured_month > window.ends_on.replace(day=1):
        measured_month = window.ends_on.replace(day=1)
    bills: dict[date, dict[uuid.UUID, Decimal]] = {reference_month: {}, measured_month: {}}
    in_base = set(base)
    for customer_id, month, amount in db.session.execute(
        sa.select(MonthlySpend.customer_id, MonthlySpend.month, sa.func.sum(MonthlySpend.amount))
        .where(
            scope.has(MonthlySpend.customer_id),
            MonthlySpend.month.in_((reference_month, measured_month)),
        )
        .group_by(MonthlySpend.customer_id, MonthlySpend.month)
    ):
        if customer_id in in_base:
            bills[month.replace(day=1)][customer_id] = Decimal(amount)
    if not bills[measured_month]:
        return  # the period's last month is not billed yet
    for customer_id in base:
        reference = bills[reference_month].get(customer_id)
        if reference is None:
            continue  # no reference to keep
        tally = counter.tally(owners.at(customer_id, start), VALUE_RETAINED)
        if tally is not None:
            tally.add(bills[measured_month].get(customer_id, Decimal(0)), reference)


def _tasks(window: Window, manager_ids: list[uuid.UUID] | None, counter: _Counter) -> None:
    """Tasks open at the period's end past their due date, by their owner."""
    stmt = sa.select(Task.owner_id, sa.func.count()).where(
        Task.created_at < window.as_of,
        Task.due_date < window.as_of_day,
        sa.or_(
            Task.status == TaskStatus.OPEN,
            sa.and_(Task.status == TaskStatus.DONE, Task.completed_at >= window.as_of),
        ),
    )
    if manager_ids is not None:
        stmt = stmt.where(Task.owner_id.in_(manager_ids))
    for owner_id, count in db.session.execute(stmt.group_by(Task.owner_id)):
        tally = counter.tally(owner_id, OVERDUE_TASKS)
        if tally is not None:
            tally.add(count, 0)
