"""Pull: what changed in a device's scope since its cursor (docs/sync.md).

A pull works in rounds. A round serves the changes with stamps in [lo, hi): `lo` is
where the previous round ended (0 for a first, full sync) and `hi` the watermark
taken once when the round starts, so every page of a round reads the same window
(a row changed meanwhile gets a stamp >= hi and is served by the next round). Within
a round the streams below are read in a fixed order, each keyset-paginated by id;
the cursor says which stream and which id a page stopped at.

Every stream is one statement whose scope is a subquery (`field_customer_ids`), never
a query per customer: a page costs a handful of statements whatever the portfolio.
"""

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, cast

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy.sql.elements import ColumnElement

from server.auth.models import Role, User
from server.campaigns.models import Campaign, CampaignTarget
from server.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from server.customers.models import (
    AssignmentHistory,
    Contact,
    Customer,
    MonthlySpend,
    Tier,
)
from server.errors import ApiError
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan
from server.privacy import access, masking
from server.privacy.models import AccessKind
from server.scope import field_customer_ids
from server.stamps import watermark
from server.sync.devices import check_schema_version, device_for
from server.sync.models import SyncClock, SyncConflict, SyncTombstone
from server.sync.rows import EXCLUDED_COLUMNS, serialise_row, synced_columns
from server.tasks.models import Task
from server.timeutil import local_today
from server.visits.models import Visit, VisitRevision
from server.warnings.models import ChurnWarning

CURSOR_VERSION = 1
# How stale `sync_devices.last_pull_at` may be (admins read it as "last seen").
LAST_PULL_RESOLUTION = timedelta(minutes=10)

# Tombstones whose scope cannot be judged once the row is gone (a deleted customer
# has no manager left to compare): sent to every device; an unknown id is a no-op.
UNSCOPED_TOMBSTONES = ("customers", "users", "tiers", "complaint_categories")


def reset_required(why: str) -> ApiError:
    return ApiError(
        410,
        f"This sync cursor cannot be served any more ({why}). Keep the unsent changes, "
        "clear the local copy and pull again from scratch.",
        code="reset_required",
    )


# --- the cursor -------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a device stands. Opaque to the client: base64url of compact JSON."""

    epoch: str  # SyncClock.epoch (hex) when the cursor was made
    scope: str  # fingerprint of what the user may see (see `_scope_key`)
    lo: int  # start of the window: where the previous round ended
    spend_from: date | None  # first month of spend the device holds
    hi: int | None = None  # the round's watermark; None between rounds
    stream: str | None = None  # the stream the round stopped in
    after: uuid.UUID | None = None  # the last id served from that stream
    # While a round drops months that slid out of the spend window: the old first month.
    expired_from: date | None = None

    def encode(self) -> str:
        data: dict[str, Any] = {"v": CURSOR_VERSION, "e": self.epoch, "f": self.scope}
        data["lo"] = self.lo
        if self.spend_from is not None:
            data["m"] = self.spend_from.isoformat()
        if self.hi is not None:
            data["hi"] = self.hi
        if self.stream is not None:
            data["s"] = self.stream
        if self.after is not None:
            data["k"] = self.after.hex
        if self.expired_from is not None:
            data["x"] = self.expired_from.isoformat()
        raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        """The cursor a device sent; anything malformed asks for a reset (it can always resync)."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
                raise ValueError("version")
            cursor = cls(
                epoch=_str(data["e"]),
                scope=_str(data["f"]),
                lo=_int(data["lo"]),
                spend_from=_date(data.get("m")),
                hi=_int(data["hi"]) if "hi" in data else None,
                stream=_str(data["s"]) if "s" in data else None,
                after=uuid.UUID(hex=_str(data["k"])) if "k" in data else None,
                expired_from=_date(data.get("x")),
            )
        except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise reset_required("malformed cursor") from None
        if cursor.hi is None:
            # Between rounds: no position, and the month the device's spend starts at.
            sound = cursor.stream is None and cursor.after is None and cursor.spend_from is not None
        else:
            sound = (
                cursor.stream in STREAM_NAMES
                and cursor.lo <= cursor.hi
                and cursor.spend_from is not None
            )
        if not sound:
            raise reset_required("malformed cursor")
        return cursor


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError
    return value


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(_str(value))


# --- scope ------------------------------------------------------------------------


def _table(model) -> sa.Table:
    return cast(sa.Table, model.__table__)


@dataclass
class Round:
    """What one page reads: the user's scope and the round's window."""

    user: User
    lo: int
    hi: int
    spend_from: date
    expired_from: date | None
    visible_ids: sa.Select  # ids of the customers on the user's phone now (their own)
    # Ids of customers that entered / left the scope in the window (incremental only).
    entering_ids: sa.Select | None
    leaving_ids: sa.Select | None

    def window(self, table: sa.Table) -> ColumnElement[bool]:
        return sa.and_(table.c.sync_stamp >= self.lo, table.c.sync_stamp < self.hi)

    def before_hi(self, table: sa.Table) -> ColumnElement[bool]:
        return table.c.sync_stamp < self.hi


def _manager_in_scope(user: User) -> Callable[[Any], ColumnElement[bool]]:
    """Whether a manager id column names the user: a phone holds its user's own
    customers (scope.field_customer_ids). Never NULL, so it can be negated."""
    return lambda col: sa.and_(col.is_not(None), col == user.id)


def _scope_key(user: User) -> str:
    """A fingerprint of what decides the device's scope besides assignments.

    A change of role or team changes the teammates a device lists and what its user
    may do, so the cursor is refused and the device resyncs. Leads' and admins'
    phones once held their team's (or everyone's) customers; since they hold their
    own only, their fingerprint says so, and their old cursors are refused once.
    """
    parts = [str(user.id), str(user.role), str(user.team_id)]
    if user.role != Role.MANAGER:
        parts.append("own-customers")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _make_round(user: User, lo: int, hi: int, spend_from: date, expired_from: date | None):
    visible_ids = field_customer_ids(user)
    in_scope = _manager_in_scope(user)
    entering_ids = leaving_ids = None
    if lo > 0:
        ah = _table(AssignmentHistory)
        moved = sa.and_(ah.c.sync_stamp >= lo, ah.c.sync_stamp < hi)
        # Came from a manager outside the scope to one inside: the device lacks it.
        # (Moved away and back within the window also counts: resending is harmless.)
        entering_ids = sa.select(ah.c.customer_id).where(
            moved,
            in_scope(ah.c.to_manager_id),
            sa.not_(in_scope(ah.c.from_manager_id)),
            ah.c.customer_id.in_(visible_ids),
        )
        leaving_ids = sa.select(ah.c.customer_id).where(
            moved, in_scope(ah.c.from_manager_id), ah.c.customer_id.not_in(visible_ids)
        )
    return Round(user, lo, hi, spend_from, expired_from, visible_ids, entering_ids, leaving_ids)


# --- streams ----------------------------------------------------------------------


# A stream reads at most `n` changes after key `after`: [(key, change), ...] in key order.
Stream = Callable[[Round, uuid.UUID | None, int], list[tuple[uuid.UUID, dict]]]


def _upserts(table: sa.Table, where: ColumnElement[bool], after, n) -> list:
    stmt = sa.select(*synced_columns(table)).where(where)
    if after is not None:
        stmt = stmt.where(table.c.id > after)
    rows = db.session.execute(stmt.order_by(table.c.id).limit(n)).mappings()
    return [
        (
            row["id"],
            {
                "entity": table.name,
                "op": "upsert",
                "id": str(row["id"]),
                "row": serialise_row(table, row),
            },
        )
        for row in rows
    ]


def _any_of(table: sa.Table, branches: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """Rows matching any branch. A union of ids rather than OR, so each branch keeps its index."""
    if len(branches) == 1:
        return branches[0]
    return table.c.id.in_(sa.union(*(sa.select(table.c.id).where(b) for b in branches)))


def _reference(model) -> Stream:
    table = _table(model)
    return lambda r, after, n: _upserts(table, r.window(table), after, n)


def _users(r: Round, after, n):
    """Upserts of the user and their team; after a first sync, deletes of users changed
    out of it (a teammate who moved to another team), which cost a device nothing."""
    table = _table(User)
    user = r.user
    mine = table.c.id == user.id
    if user.team_id is not None:
        mine = sa.or_(mine, table.c.team_id == user.team_id)
    if r.lo == 0:
        return _upserts(table, sa.and_(r.window(table), mine), after, n)
    stmt = sa.select(*synced_columns(table), sa.case((mine, 1), else_=0).label("in_scope")).where(
        r.window(table)
    )
    if after is not None:
        stmt = stmt.where(table.c.id > after)
    rows = db.session.execute(stmt.order_by(table.c.id).limit(n)).mappings()
    changes = []
    for row in rows:
        change: dict[str, Any] = {"entity": "users", "op": "delete", "id": str(row["id"])}
        if row["in_scope"]:
            change.update(op="upsert", row=serialise_row(table, row))
        changes.append((row["id"], change))
    return changes


def _leaving(r: Round, after, n):
    """Customers reassigned out of the scope: the device drops them and all under them."""
    if r.leaving_ids is None:
        return []
    ids = r.leaving_ids.subquery()
    stmt = sa.select(ids.c.customer_id).distinct()
    if after is not None:
        stmt = stmt.where(ids.c.customer_id > after)
    stmt = stmt.order_by(ids.c.customer_id).limit(n)
    return [
        (cid, {"entity": "customers", "op": "delete", "id": str(cid), "cascade": True})
        for cid in db.session.scalars(stmt)
    ]


def _direct(table: sa.Table) -> Callable[[sa.Select], ColumnElement[bool]]:
    return lambda ids: table.c.customer_id.in_(ids)


def _targeting(table: sa.Table) -> Callable[[sa.Select], ColumnElement[bool]]:
    """Campaigns that target customers in scope (a manager sees no one else's)."""
    targets = _table(CampaignTarget)
    return lambda ids: table.c.id.in_(
        sa.select(targets.c.campaign_id).where(targets.c.customer_id.in_(ids))
    )


def _via(table: sa.Table, fk: str, parent: sa.Table) -> Callable[[sa.Select], ColumnElement[bool]]:
    """Rows linked to customers through a parent row (a visit's revisions, ...)."""
    return lambda ids: table.c[fk].in_(sa.select(parent.c.id).where(parent.c.customer_id.in_(ids)))


def _scoped(
    model,
    link: Callable[[sa.Select], ColumnElement[bool]],
    *,
    extra: Callable[[Round, sa.Table], ColumnElement[bool]] | None = None,
    also_mine: str | None = None,
) -> Stream:
    """A stream of rows belonging to customers in scope.

    Rows changed in the window, plus (after a first sync) every row of the customers
    that entered the scope in the window, whatever their stamps. `also_mine` names an
    owner column: the user's own rows are in scope whatever their customer, and those
    of customers that left the scope are resent after the cascading delete dropped them.
    """
    table = _table(model)

    def stream(r: Round, after, n):
        mine = table.c[also_mine] == r.user.id if also_mine else None
        in_scope = link(r.visible_ids)
        if mine is not None:
            in_scope = sa.or_(in_scope, mine)
        branches = [sa.and_(r.window(table), in_scope)]
        if r.entering_ids is not None:
            branches.append(sa.and_(r.before_hi(table), link(r.entering_ids)))
        if mine is not None and r.leaving_ids is not None:
            branches.append(sa.and_(r.before_hi(table), mine, link(r.leaving_ids)))
        where = _any_of(table, branches)
        if extra is not None:
            where = sa.and_(where, extra(r, table))
        return _upserts(table, where, after, n)

    return stream


def _spend_months(r: Round, table: sa.Table) -> ColumnElement[bool]:
    return table.c.month >= r.spend_from


def _conflicts(r: Round, after, n):
    """The user's own conflicts (a lead settles the team's in the console)."""
    table = _table(SyncConflict)
    where = sa.and_(r.window(table), table.c.user_id == r.user.id)
    return _upserts(table, where, after, n)


def _expired_spend(r: Round, after, n):
    """Months that slid out of the spend window since the last round: dropped."""
    if r.expired_from is None:
        return []
    table = _table(MonthlySpend)
    stmt = sa.select(table.c.id).where(
        table.c.customer_id.in_(r.visible_ids),
        table.c.month >= r.expired_from,
        table.c.month < r.spend_from,
    )
    if after is not None:
        stmt = stmt.where(table.c.id > after)
    ids = db.session.scalars(stmt.order_by(table.c.id).limit(n))
    return [(i, {"entity": "monthly_spend", "op": "delete", "id": str(i)}) for i in ids]


def _tombstones(r: Round, after, n):
    table = _table(SyncTombstone)
    where = r.window(table)
    where = sa.and_(
        where,
        sa.or_(
            table.c.entity.in_(UNSCOPED_TOMBSTONES),
            table.c.customer_id.in_(r.visible_ids),
            table.c.owner_id == r.user.id,
        ),
    )
    stmt = sa.select(table.c.id, table.c.entity, table.c.row_id).where(where)
    if after is not None:
        stmt = stmt.where(table.c.id > after)
    changes = []
    for row in db.session.execute(stmt.order_by(table.c.id).limit(n)):
        change: dict[str, Any] = {"entity": row.entity, "op": "delete", "id": str(row.row_id)}
        if row.entity == "customers":
            change["cascade"] = True
        changes.append((row.id, change))
    return changes


_visits = _table(Visit)
_complaints = _table(Complaint)

# The order of a round. Cascading deletes of customers that left come before the
# rows that are resent after them (the user's own tasks), tombstones come last.
STREAMS: list[tuple[str, Stream]] = [
    ("tiers", _reference(Tier)),
    ("complaint_categories", _reference(ComplaintCategory)),
    ("users", _users),
    ("leaving", _leaving),
    ("customers", _scoped(Customer, lambda ids: _table(Customer).c.id.in_(ids))),
    ("contacts", _scoped(Contact, _direct(_table(Contact)))),
    (
        "monthly_spend",
        _scoped(MonthlySpend, _direct(_table(MonthlySpend)), extra=_spend_months),
    ),
    ("assignment_history", _scoped(AssignmentHistory, _direct(_table(AssignmentHistory)))),
    ("care_plans", _scoped(CarePlan, _direct(_table(CarePlan)))),
    ("visits", _scoped(Visit, _direct(_visits))),
    ("visit_revisions", _scoped(VisitRevision, _via(_table(VisitRevision), "visit_id", _visits))),
    ("complaints", _scoped(Complaint, _direct(_complaints))),
    (
        "complaint_events",
        _scoped(ComplaintEvent, _via(_table(ComplaintEvent), "complaint_id", _complaints)),
    ),
    ("tasks", _scoped(Task, _direct(_table(Task)), also_mine="owner_id")),
    ("churn_warnings", _scoped(ChurnWarning, _direct(_table(ChurnWarning)))),
    ("campaigns", _scoped(Campaign, _targeting(_table(Campaign)))),
    ("campaign_targets", _scoped(CampaignTarget, _direct(_table(CampaignTarget)))),
    ("sync_conflicts", _conflicts),
    ("expired_spend", _expired_spend),
    ("tombstones", _tombstones),
]
STREAM_NAMES = [name for name, _ in STREAMS]


# --- the pull ---------------------------------------------------------------------


def _spend_window_start(today: date) -> date:
    """The first month of spend a device keeps: SYNC_SPEND_MONTHS, this month included."""
    months = current_app.config["SYNC_SPEND_MONTHS"]
    return today.replace(day=1) - relativedelta(months=months - 1)


def pull(
    user: User, *, device_id: uuid.UUID, cursor: str | None, limit: int, schema_version: int
) -> dict:
    """One page of the changes in the user's scope after `cursor` (docs/sync.md, Pull)."""
    check_schema_version(schema_version)
    # Taken before this transaction writes anything (the device row below): on
    # PostgreSQL our own transaction id would otherwise hold the watermark back.
    mark = watermark(db.session.connection())
    clock = db.session.execute(sa.select(SyncClock.epoch, SyncClock.purged_below)).one()
    epoch = clock.epoch.hex
    device = device_for(user, device_id)
    now = utcnow()
    if device.last_pull_at is None or now - device.last_pull_at >= LAST_PULL_RESOLUTION:
        # Coarse, so a pull that changes nothing writes nothing: on SQLite a write
        # takes the one database lock every writer waits for.
        device.last_pull_at = now
    scope = _scope_key(user)
    spend_from = _spend_window_start(local_today())

    if cursor is None:
        at = Cursor(epoch=epoch, scope=scope, lo=0, spend_from=None)
    else:
        at = Cursor.decode(cursor)
        if at.epoch != epoch:
            raise reset_required("the server's database was restored or reset")
        if at.scope != scope:
            raise reset_required("your role or team changed")
        if 0 < at.lo < clock.purged_below:
            raise reset_required("the deletions since then were purged")
        if (at.hi if at.hi is not None else at.lo) > mark:
            raise reset_required("it is ahead of the server")

    if at.hi is None:
        # A new round: its window ends at the watermark taken now.
        if at.lo == mark and at.spend_from == spend_from:
            return _answer(device, [], at, has_more=False)
        moved = at.lo > 0 and at.spend_from is not None and at.spend_from < spend_from
        at = replace(
            at,
            hi=mark,
            spend_from=spend_from,
            stream=STREAM_NAMES[0],
            after=None,
            expired_from=at.spend_from if moved else None,
        )
    assert at.hi is not None and at.spend_from is not None and at.stream is not None
    r = _make_round(user, at.lo, at.hi, at.spend_from, at.expired_from)

    changes: list[dict] = []
    start = STREAM_NAMES.index(at.stream)
    for name, stream in STREAMS[start:]:
        room = limit - len(changes)
        if room == 0:
            return _answer(device, changes, replace(at, stream=name, after=None), has_more=True)
        page = stream(r, at.after if name == at.stream else None, room + 1)
        if len(page) > room:
            page = page[:room]
            changes.extend(change for _, change in page)
            return _answer(device, changes, replace(at, stream=name, after=page[-1][0]), True)
        changes.extend(change for _, change in page)
    finished = Cursor(epoch=epoch, scope=scope, lo=at.hi, spend_from=at.spend_from)
    return _answer(device, changes, finished, has_more=False)


def _answer(device, changes: list[dict], at: Cursor, has_more: bool) -> dict:
    return {
        "changes": changes,
        "cursor": at.encode(),
        "has_more": has_more,
        "last_acknowledged_seq": device.last_seq,
        "server_time": utcnow().isoformat(),
    }


def record_access(user: User, device_id: uuid.UUID, changes: list[dict]) -> None:
    """One access-log row for a page that carried customers' profiles (their count),
    none for a page without: a pull that changes nothing still writes nothing."""
    carried = sum(1 for c in changes if c["entity"] == "customers" and c["op"] == "upsert")
    if carried:
        access.record(
            user,
            AccessKind.SYNC_PULL,
            count=carried,
            fields=[name for name in masking.CUSTOMER_FIELDS if name not in _NOT_SYNCED],
            device_id=device_id,
        )


_NOT_SYNCED = EXCLUDED_COLUMNS["customers"]
