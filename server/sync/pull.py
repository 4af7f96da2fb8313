"""Pull: what changed in a device's scope since its cursor (docs/sync.md).

A pull works in rounds. A round serves the changes with stamps in [lo, hi): `lo` is
where the previous round ended (0 for a first, full sync) and `hi` the watermark
taken once when the round starts, so every page of a round reads the same window
(a row changed meanwhile gets a stamp >= hi and is served by the next round). Within
a round the streams below are read in a fixed order, each keyset-paginated; the
cursor says which stream and which key a page stopped at.

The cost follows the device's portfolio, not the organisation: a page reads the ids of
the user's customers once, and each stream walks an index that starts with the
customer id, (customer_id, sync_stamp, id), for those ids only, in that order, so a
page reads about as many rows as it serves (a stream ordered by the table's id with
the scope as a filter would walk the whole table's primary key). A round with nothing
to serve is noticed by one statement of index probes before any stream is read.
"""

import base64
import binascii
import hashlib
import json
import uuid
from bisect import bisect_left
from collections.abc import Callable, Sequence
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
from server.models_base import equals_any_uuid, utcnow
from server.plans.models import CarePlan
from server.privacy import access, masking
from server.privacy.models import AccessKind
from server.scope import field_customer_ids
from server.stamps import watermark_column
from server.sync.devices import check_schema_version, device_for
from server.sync.models import SyncClock, SyncConflict, SyncDevice, SyncTombstone
from server.sync.rows import EXCLUDED_COLUMNS, shape
from server.tasks.models import Task
from server.timeutil import local_today
from server.visits.models import Visit, VisitRevision
from server.warnings.models import ChurnWarning

# 2: a position is a key of several parts (customer id, stamp, id), not one id.
CURSOR_VERSION = 2
# How stale `sync_devices.last_pull_at` may be (admins read it as "last seen").
LAST_PULL_RESOLUTION = timedelta(minutes=10)

# Tombstones whose scope cannot be judged once the row is gone (a deleted customer
# has no manager left to compare): sent to every device; an unknown id is a no-op.
UNSCOPED_TOMBSTONES = ("customers", "users", "tiers", "complaint_categories")

# A stream's position: the sort key of the last row served (uuids and ints).
Key = tuple[Any, ...]


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
    after: Key | None = None  # the key of the last row served from that stream
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
            data["k"] = [part.hex if isinstance(part, uuid.UUID) else part for part in self.after]
        if self.expired_from is not None:
            data["x"] = self.expired_from.isoformat()
        raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        """The cursor a device sent; anything malformed asks for a reset (it can always resync).

        A version 1 cursor (a position was one id) is still served: between rounds it
        is the same; inside a round its stream is read again from its start, which
        resends rows the device already applied (harmless) rather than resetting it.
        """
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("v") not in (1, CURSOR_VERSION):
                raise ValueError("version")
            stream = _str(data["s"]) if "s" in data else None
            after = None
            if "k" in data and data["v"] == CURSOR_VERSION:
                after = _key(data["k"], KEY_KINDS.get(stream or "", ""))
            elif "k" in data:
                _str(data["k"])
            cursor = cls(
                epoch=_str(data["e"]),
                scope=_str(data["f"]),
                lo=_int(data["lo"]),
                spend_from=_date(data.get("m")),
                hi=_int(data["hi"]) if "hi" in data else None,
                stream=stream,
                after=after,
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


def _key(value: Any, kinds: str) -> Key:
    """A stream position as sent: ids (`kinds` says "u") as hex strings, stamps ("s") as
    integers; a position of another shape than its stream's is malformed."""
    if not isinstance(value, list) or len(value) != len(kinds) or not kinds:
        raise TypeError
    return tuple(
        uuid.UUID(hex=_str(part)) if kind == "u" else _int(part)
        for kind, part in zip(kinds, value, strict=True)
    )


# --- a round ----------------------------------------------------------------------


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
    postgres: bool
    visible: list[uuid.UUID]  # the customers on the user's phone now, sorted
    # Customers that entered / left the scope in the window (after a first sync), sorted.
    entering: list[uuid.UUID]
    leaving: list[uuid.UUID]

    def among(self, column: Any, ids: Sequence[uuid.UUID]) -> ColumnElement[bool]:
        """`column IN ids`. On PostgreSQL one array parameter: a btree index starting
        with `column` then returns rows in index order, so LIMIT stops early."""
        if not ids:
            return sa.false()
        if self.postgres:
            return equals_any_uuid(column, list(ids))
        return column.in_(ids)

    def window(self, table: sa.Table) -> ColumnElement[bool]:
        if self.lo == 0:
            return table.c.sync_stamp < self.hi
        return sa.and_(table.c.sync_stamp >= self.lo, table.c.sync_stamp < self.hi)

    def customers_window(
        self, table: sa.Table, column: Any, after: Key | None
    ) -> ColumnElement[bool]:
        """Rows of customers in scope stamped in the window, and (after a first sync)
        every row of the customers that entered the scope, whatever its stamp.

        Only customers from the position on: the rows before it were served."""
        visible, entering = self.visible, self.entering
        if after is not None:
            visible = visible[bisect_left(visible, after[0]) :]
            entering = entering[bisect_left(entering, after[0]) :]
        where = sa.and_(self.among(column, visible), self.window(table))
        if entering:
            # Disjoint from the first branch: those stamped before the window.
            where = sa.or_(
                where, sa.and_(self.among(column, entering), table.c.sync_stamp < self.lo)
            )
        return where


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


def _make_round(user: User, lo: int, hi: int, spend_from: date, expired_from: date | None) -> Round:
    visible = sorted(db.session.scalars(field_customer_ids(user)))
    entering: set[uuid.UUID] = set()
    leaving: set[uuid.UUID] = set()
    if lo > 0:
        ah = _table(AssignmentHistory)
        moves = db.session.execute(
            sa.select(ah.c.customer_id, ah.c.from_manager_id, ah.c.to_manager_id).where(
                ah.c.sync_stamp >= lo,
                ah.c.sync_stamp < hi,
                sa.or_(ah.c.from_manager_id == user.id, ah.c.to_manager_id == user.id),
            )
        )
        now_visible = set(visible)
        for customer_id, from_id, to_id in moves:
            if from_id == user.id and customer_id not in now_visible:
                leaving.add(customer_id)
            # Came from someone else to the user: the device lacks it. (Moved away and
            # back within the window also counts: resending is harmless.)
            if to_id == user.id and from_id != user.id and customer_id in now_visible:
                entering.add(customer_id)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    return Round(
        user, lo, hi, spend_from, expired_from, postgres, visible, sorted(entering), sorted(leaving)
    )


# --- streams ----------------------------------------------------------------------

# A stream reads at most `n` changes after key `after`: [(key, change), ...] in key order.
Read = Callable[[Round, Key | None, int], list[tuple[Key, dict]]]
# Whether the stream has anything in [lo, hi) for this user (the scope as a subquery).
Changed = Callable[[User, sa.Select, int, int], ColumnElement[bool]]
# What a first round serves from the stream: its table and the rows' condition.
Serves = Callable[[Round], tuple[sa.Table, ColumnElement[bool]]]


@dataclass(frozen=True)
class Stream:
    name: str
    key: str  # the kinds of its key's parts: "u" an id, "s" a stamp
    read: Read
    changed: Changed | None  # None: nothing in a window without a new spend month
    # None: nothing in a first round (deletes: a first sync has nothing to delete)
    serves: Serves | None = None


def _after(key: Sequence[Any], after: Key | None) -> ColumnElement[bool]:
    if after is None:
        return sa.true()
    if len(key) == 1:
        return key[0] > after[0]
    return sa.tuple_(*key) > sa.tuple_(
        *(sa.literal(part, column.type) for column, part in zip(key, after, strict=True))
    )


def _upserts(
    table: sa.Table, key: Sequence[Any], where: ColumnElement[bool], after: Key | None, n: int
) -> list[tuple[Key, dict]]:
    rows = shape(table)
    selected = (*rows.columns, table.c.sync_stamp)
    at = [next(i for i, c in enumerate(selected) if c is column) for column in key]
    stmt = sa.select(*selected).where(where, _after(key, after)).order_by(*key).limit(n)
    name = table.name
    changes = []
    for values in db.session.execute(stmt).all():
        row = rows.to_wire(values)
        change = {"entity": name, "op": "upsert", "id": row["id"], "row": row}
        changes.append((tuple(values[i] for i in at), change))
    return changes


def _stamped(table: sa.Table, lo: int, hi: int) -> ColumnElement[bool]:
    return sa.and_(table.c.sync_stamp >= lo, table.c.sync_stamp < hi)


def _exists(table: sa.Table, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    return sa.exists(sa.select(sa.literal(1)).select_from(table).where(*where))


def _reference(model) -> Stream:
    table = _table(model)
    return Stream(
        table.name,
        "u",
        lambda r, after, n: _upserts(table, [table.c.id], r.window(table), after, n),
        lambda user, scope, lo, hi: _exists(table, _stamped(table, lo, hi)),
        lambda r: (table, r.window(table)),
    )


def _team(user: User) -> ColumnElement[bool]:
    table = _table(User)
    mine = table.c.id == user.id
    if user.team_id is not None:
        mine = sa.or_(mine, table.c.team_id == user.team_id)
    return mine


def _read_users(r: Round, after, n):
    """Upserts of the user and their team; after a first sync, deletes of users changed
    out of it (a teammate who moved to another team), which cost a device nothing."""
    table = _table(User)
    if r.lo == 0:
        return _upserts(table, [table.c.id], sa.and_(r.window(table), _team(r.user)), after, n)
    rows = shape(table)
    stmt = sa.select(*rows.columns, sa.case((_team(r.user), 1), else_=0)).where(
        r.window(table), _after([table.c.id], after)
    )
    id_at = rows.names.index("id")
    changes = []
    for values in db.session.execute(stmt.order_by(table.c.id).limit(n)).all():
        row = rows.to_wire(values)
        change: dict[str, Any] = {"entity": "users", "op": "delete", "id": row["id"]}
        if values[-1]:
            change.update(op="upsert", row=row)
        changes.append(((values[id_at],), change))
    return changes


def _read_leaving(r: Round, after, n):
    """Customers reassigned out of the scope: the device drops them and all under them."""
    ids = r.leaving if after is None else [i for i in r.leaving if i > after[0]]
    return [
        ((cid,), {"entity": "customers", "op": "delete", "id": str(cid), "cascade": True})
        for cid in ids[:n]
    ]


def _leaving_changed(user: User, scope, lo: int, hi: int) -> ColumnElement[bool]:
    """Any assignment in the window from or to the user (entering or leaving)."""
    ah = _table(AssignmentHistory)
    return _exists(
        ah,
        _stamped(ah, lo, hi),
        sa.or_(ah.c.from_manager_id == user.id, ah.c.to_manager_id == user.id),
    )


def _by_customer(
    model,
    column: str = "customer_id",
    *,
    extra: Callable[[Round, sa.Table], ColumnElement[bool]] | None = None,
    not_mine: str | None = None,
) -> Stream:
    """Rows of customers in scope, in (customer, stamp, id) order: the index
    (customer_id, sync_stamp, id) serves both the full walk and a window's probes.

    `not_mine` names an owner column whose user's own rows the `my_<table>` stream
    serves instead (they are in scope whatever their customer)."""
    table = _table(model)
    customer = table.c[column]
    key = [customer, table.c.sync_stamp, table.c.id]

    def where(r: Round, after) -> ColumnElement[bool]:
        where = r.customers_window(table, customer, after)
        if extra is not None:
            where = sa.and_(where, extra(r, table))
        if not_mine is not None:
            where = sa.and_(where, table.c[not_mine] != r.user.id)
        return where

    def read(r: Round, after, n):
        return _upserts(table, key, where(r, after), after, n)

    def changed(user, scope, lo, hi):
        return _exists(table, customer.in_(scope), _stamped(table, lo, hi))

    return Stream(table.name, "usu", read, changed, lambda r: (table, where(r, None)))


def _customers() -> Stream:
    """The user's customers, in (stamp, id) order on the index (manager_id, sync_stamp,
    id): the scope's own condition, so the walk starts from the user's customers."""
    table = _table(Customer)
    key = [table.c.sync_stamp, table.c.id]

    def mine(user: User) -> ColumnElement[bool]:
        rule = field_customer_ids(user).whereclause
        assert rule is not None
        return rule

    def where(r: Round) -> ColumnElement[bool]:
        where = r.window(table)
        if r.entering:
            where = sa.and_(
                table.c.sync_stamp < r.hi,
                sa.or_(table.c.sync_stamp >= r.lo, r.among(table.c.id, r.entering)),
            )
        return sa.and_(mine(r.user), where)

    def read(r: Round, after, n):
        return _upserts(table, key, where(r), after, n)

    def changed(user, scope, lo, hi):
        return _exists(table, mine(user), _stamped(table, lo, hi))

    return Stream(table.name, "su", read, changed, lambda r: (table, where(r)))


def _by_parent(model, column: str, parent_model) -> Stream:
    """Rows linked to customers through a parent row (a visit's revisions, ...), in
    (parent, stamp, id) order on the index (parent_id, sync_stamp, id)."""
    table, parent = _table(model), _table(parent_model)
    link = table.c[column]
    key = [link, table.c.sync_stamp, table.c.id]

    def parents(r: Round, ids) -> sa.Select:
        return sa.select(parent.c.id).where(r.among(parent.c.customer_id, ids))

    def where(r: Round) -> ColumnElement[bool]:
        where = sa.and_(link.in_(parents(r, r.visible)), r.window(table))
        if r.entering:
            where = sa.or_(
                where,
                sa.and_(link.in_(parents(r, r.entering)), table.c.sync_stamp < r.lo),
            )
        return where

    def read(r: Round, after, n):
        return _upserts(table, key, where(r), after, n)

    def changed(user, scope, lo, hi):
        linked = sa.select(parent.c.id).where(parent.c.customer_id.in_(scope))
        return _exists(table, link.in_(linked), _stamped(table, lo, hi))

    return Stream(table.name, "usu", read, changed, lambda r: (table, where(r)))


def _my_tasks() -> Stream:
    """The user's own tasks, whatever their customer, in (stamp, id) order on the index
    (owner_id, sync_stamp, id). Those of the customers that left the scope are resent
    after the cascading delete dropped them."""
    table = _table(Task)
    key = [table.c.sync_stamp, table.c.id]

    def where(r: Round) -> ColumnElement[bool]:
        where = r.window(table)
        if r.leaving:
            where = sa.and_(
                table.c.sync_stamp < r.hi,
                sa.or_(table.c.sync_stamp >= r.lo, r.among(table.c.customer_id, r.leaving)),
            )
        return sa.and_(table.c.owner_id == r.user.id, where)

    def read(r: Round, after, n):
        return _upserts(table, key, where(r), after, n)

    def changed(user, scope, lo, hi):
        return _exists(table, table.c.owner_id == user.id, _stamped(table, lo, hi))

    return Stream("my_tasks", "su", read, changed, lambda r: (table, where(r)))


def _campaigns() -> Stream:
    """Campaigns that target customers in scope (a manager sees no one else's); few."""
    table, targets = _table(Campaign), _table(CampaignTarget)

    def targeted(r: Round, ids) -> ColumnElement[bool]:
        return table.c.id.in_(
            sa.select(targets.c.campaign_id).where(r.among(targets.c.customer_id, ids))
        )

    def where(r: Round) -> ColumnElement[bool]:
        where = sa.and_(targeted(r, r.visible), r.window(table))
        if r.entering:
            where = sa.or_(where, sa.and_(targeted(r, r.entering), table.c.sync_stamp < r.lo))
        return where

    def read(r: Round, after, n):
        return _upserts(table, [table.c.id], where(r), after, n)

    def changed(user, scope, lo, hi):
        linked = sa.select(targets.c.campaign_id).where(targets.c.customer_id.in_(scope))
        return _exists(table, table.c.id.in_(linked), _stamped(table, lo, hi))

    return Stream(table.name, "u", read, changed, lambda r: (table, where(r)))


def _conflicts() -> Stream:
    """The user's own conflicts (a lead settles the team's in the console)."""
    table = _table(SyncConflict)

    def where(r: Round) -> ColumnElement[bool]:
        return sa.and_(r.window(table), table.c.user_id == r.user.id)

    def read(r: Round, after, n):
        return _upserts(table, [table.c.id], where(r), after, n)

    def changed(user, scope, lo, hi):
        return _exists(table, table.c.user_id == user.id, _stamped(table, lo, hi))

    return Stream(table.name, "u", read, changed, lambda r: (table, where(r)))


def _spend_months(r: Round, table: sa.Table) -> ColumnElement[bool]:
    return table.c.month >= r.spend_from


def _read_expired_spend(r: Round, after, n):
    """Months that slid out of the spend window since the last round: dropped."""
    if r.expired_from is None:
        return []
    table = _table(MonthlySpend)
    stmt = sa.select(table.c.id).where(
        r.among(table.c.customer_id, r.visible),
        table.c.month >= r.expired_from,
        table.c.month < r.spend_from,
        _after([table.c.id], after),
    )
    ids = db.session.scalars(stmt.order_by(table.c.id).limit(n))
    return [((i,), {"entity": "monthly_spend", "op": "delete", "id": str(i)}) for i in ids]


def _tombstones() -> Stream:
    table = _table(SyncTombstone)

    def in_scope(user: User, customers) -> ColumnElement[bool]:
        return sa.or_(
            table.c.entity.in_(UNSCOPED_TOMBSTONES), customers, table.c.owner_id == user.id
        )

    def read(r: Round, after, n):
        if r.lo == 0:
            return []  # a first sync has nothing to delete
        where = sa.and_(r.window(table), in_scope(r.user, r.among(table.c.customer_id, r.visible)))
        stmt = sa.select(table.c.id, table.c.entity, table.c.row_id).where(
            where, _after([table.c.id], after)
        )
        changes = []
        for row in db.session.execute(stmt.order_by(table.c.id).limit(n)):
            change: dict[str, Any] = {"entity": row.entity, "op": "delete", "id": str(row.row_id)}
            if row.entity == "customers":
                change["cascade"] = True
            changes.append(((row.id,), change))
        return changes

    def changed(user, scope, lo, hi):
        return _exists(
            table, _stamped(table, lo, hi), in_scope(user, table.c.customer_id.in_(scope))
        )

    return Stream("tombstones", "u", read, changed)


# The order of a round. Cascading deletes of customers that left come before the
# rows that are resent after them (the user's own tasks), tombstones come last.
STREAMS: list[Stream] = [
    _reference(Tier),
    _reference(ComplaintCategory),
    Stream(
        "users",
        "u",
        _read_users,
        _reference(User).changed,
        lambda r: (_table(User), sa.and_(r.window(_table(User)), _team(r.user))),
    ),
    Stream("leaving", "u", _read_leaving, _leaving_changed),
    _customers(),
    _by_customer(Contact),
    _by_customer(MonthlySpend, extra=_spend_months),
    _by_customer(AssignmentHistory),
    _by_customer(CarePlan),
    _by_customer(Visit),
    _by_parent(VisitRevision, "visit_id", Visit),
    _by_customer(Complaint),
    _by_parent(ComplaintEvent, "complaint_id", Complaint),
    _by_customer(Task, not_mine="owner_id"),
    _my_tasks(),
    _by_customer(ChurnWarning),
    _campaigns(),
    _by_customer(CampaignTarget),
    _conflicts(),
    Stream("expired_spend", "u", _read_expired_spend, None),
    _tombstones(),
]
STREAM_NAMES = [stream.name for stream in STREAMS]
KEY_KINDS = {stream.name: stream.key for stream in STREAMS}


def _anything_in(user: User, lo: int, hi: int) -> bool:
    """Whether a round over [lo, hi) could serve this user anything: one statement of
    index probes, each stream's own test (a superset of what it would read)."""
    scope = field_customer_ids(user)
    tests = [stream.changed(user, scope, lo, hi) for stream in STREAMS if stream.changed]
    return bool(db.session.scalar(sa.select(sa.or_(*tests))))


def _estimate(r: Round) -> int:
    """How many changes a first round serves, in one statement of counts (asked on
    its first page, so the phone can show how far it got): each stream's own
    condition counted on the index it walks, so the cost follows the user's rows."""
    counts = []
    for stream in STREAMS:
        if stream.serves is not None:
            table, where = stream.serves(r)
            counts.append(sa.select(sa.func.count()).select_from(table).where(where))
    total: sa.ColumnElement[int] = sa.literal(0)
    for count in counts:
        total = total + count.scalar_subquery()
    return int(db.session.scalar(sa.select(total)) or 0)


# --- the pull ---------------------------------------------------------------------


def _spend_window_start(today: date) -> date:
    """The first month of spend a device keeps: SYNC_SPEND_MONTHS, this month included."""
    months = current_app.config["SYNC_SPEND_MONTHS"]
    return today.replace(day=1) - relativedelta(months=months - 1)


@dataclass(frozen=True)
class _Device:
    """What an answer needs of the device row (read with the clock, one statement)."""

    last_seq: int


def _clock_and_device(user: User, device_id: uuid.UUID):
    """The watermark, the clock and the device, in one statement.

    The watermark is taken before this transaction writes anything (the device row
    below): on PostgreSQL our own transaction id would otherwise hold it back. The
    ORM registers the device (and refuses another user's) only when the row is
    missing, another user's, or its `last_pull_at` is due: a pull that changes
    nothing writes nothing (on SQLite a write takes the one lock every writer waits for).
    """
    device = _table(SyncDevice)
    row = db.session.execute(
        sa.select(
            watermark_column(db.session.get_bind().dialect.name),
            SyncClock.epoch,
            SyncClock.purged_below,
            device.c.user_id,
            device.c.last_seq,
            device.c.last_pull_at,
        )
        .select_from(_table(SyncClock))
        .outerjoin(device, device.c.id == device_id)
    ).one()
    mark, epoch, purged_below, owner, last_seq, last_pull_at = row
    now = utcnow()
    due = last_pull_at is None or now - last_pull_at >= LAST_PULL_RESOLUTION
    if owner != user.id or due:
        registered = device_for(user, device_id)
        if due:
            # Coarse: admins read it as "last seen".
            registered.last_pull_at = now
        last_seq = registered.last_seq
    return mark, epoch.hex, purged_below, _Device(last_seq)


def pull(
    user: User, *, device_id: uuid.UUID, cursor: str | None, limit: int, schema_version: int
) -> dict:
    """One page of the changes in the user's scope after `cursor` (docs/sync.md, Pull).

    For `orjson.dumps` (the route): rows may hold uuids, dates and UTC datetimes."""
    check_schema_version(schema_version)
    mark, epoch, purged_below, device = _clock_and_device(user, device_id)
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
        if 0 < at.lo < purged_below:
            raise reset_required("the deletions since then were purged")
        if (at.hi if at.hi is not None else at.lo) > mark:
            raise reset_required("it is ahead of the server")

    if at.hi is None:
        # A new round: its window ends at the watermark taken now.
        # PostgreSQL's watermark moves with every transaction in the cluster: whether
        # anything of this user's moved is asked of the indexes instead.
        if at.spend_from == spend_from and (
            at.lo == mark or (at.lo > 0 and not _anything_in(user, at.lo, mark))
        ):
            return _answer(device, [], replace(at, lo=mark), has_more=False)
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
    # The first page of a full sync tells how many changes the whole round holds.
    estimate = _estimate(r) if cursor is None else None
    start = STREAM_NAMES.index(at.stream)
    for stream in STREAMS[start:]:
        room = limit - len(changes)
        if room == 0:
            stopped = replace(at, stream=stream.name, after=None)
            return _answer(device, changes, stopped, True, estimate)
        after = at.after if stream.name == at.stream else None
        page = stream.read(r, after, room + 1)
        if len(page) > room:
            page = page[:room]
            changes.extend(change for _, change in page)
            stopped = replace(at, stream=stream.name, after=page[-1][0])
            return _answer(device, changes, stopped, True, estimate)
        changes.extend(change for _, change in page)
    finished = Cursor(epoch=epoch, scope=scope, lo=at.hi, spend_from=at.spend_from)
    return _answer(device, changes, finished, False, estimate)


def _answer(
    device: _Device, changes: list[dict], at: Cursor, has_more: bool, estimate: int | None = None
) -> dict:
    answer = {
        "changes": changes,
        "cursor": at.encode(),
        "has_more": has_more,
        "last_acknowledged_seq": device.last_seq,
        "server_time": utcnow().isoformat(),
    }
    if estimate is not None:
        answer["estimate"] = estimate
    return answer


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
