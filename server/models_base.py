"""Column types and mixins shared by every domain's models."""

import enum
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from server.errors import ApiError
from server.extensions import db

M = TypeVar("M")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend.

    PostgreSQL keeps the zone; SQLite stores naive text, so values are normalised
    to UTC on the way in and made aware again on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def equals_any_uuid(column: Any, ids: list[uuid.UUID]) -> sa.ColumnElement[bool]:
    """`column = ANY(:ids)` with the ids as one PostgreSQL array parameter (PostgreSQL only).

    One statement whatever the number of ids (an IN list would be one parameter each),
    and a btree index starting with `column` is used, returning rows in its order.
    """
    return column == sa.any_(sa.bindparam(None, list(ids), type_=postgresql.ARRAY(sa.Uuid())))


# session.info key: the client-made ids a caller has checked are free (server/sync/push.py).
_KNOWN_NEW = "fieldbook.known_new_ids"


@contextmanager
def ids_known_new(ids: Iterable[tuple[type, uuid.UUID]]) -> Iterator[None]:
    """Within the block, `replayed` takes these (model, id) pairs as free without a query.

    For a caller that read, in one statement, which of many client-made ids exist (a
    sync push's batch): each create would otherwise ask again, one SELECT a row.
    """
    info = db.session.info
    before = info.get(_KNOWN_NEW)
    info[_KNOWN_NEW] = frozenset(ids)
    try:
        yield
    finally:
        if before is None:
            info.pop(_KNOWN_NEW, None)
        else:
            info[_KNOWN_NEW] = before


def replayed(model: type[M], row_id: uuid.UUID) -> M | None:
    """The row a create's client-made id already names, if any: a retried upload."""
    if (model, row_id) in db.session.info.get(_KNOWN_NEW, ()):
        return None
    return db.session.get(model, row_id)


# session.info key: new rows are left pending for the caller to flush at once.
_DEFERRED = "fieldbook.flush_deferred"


@contextmanager
def flushes_deferred() -> Iterator[None]:
    """Within the block, `flush_new` leaves new rows pending: the caller flushes them.

    For a caller that applies many changes as one unit and undoes all of them if any
    of them fails (a sync push's first pass): the ORM then writes a table's new rows
    in one INSERT rather than one a row. A constraint fails at the caller's flush, not
    at the change that broke it; that caller has no use for knowing which.
    """
    info = db.session.info
    before = info.get(_DEFERRED, False)
    info[_DEFERRED] = True
    try:
        yield
    finally:
        info[_DEFERRED] = before


def flush_new() -> None:
    """Write the rows a service added (a constraint fails here), unless deferred."""
    if not db.session.info.get(_DEFERRED, False):
        db.session.flush()


def enum_type(enum_cls: type[enum.Enum], length: int = 20, name: str | None = None) -> sa.Enum:
    """A portable enum stored as its string value, with a CHECK constraint.

    `name` names the constraint; give one when a table has two columns of one enum.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=name or enum_cls.__name__.lower(),
    )


class UUIDPk:
    """UUID primary key: rows created offline on a phone keep their client-made ids."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Versioned:
    """A `version` counter that SQLAlchemy bumps on every UPDATE.

    Used as optimistic lock and as the `base_version` the sync protocol merges against.
    """

    version: Mapped[int] = mapped_column(nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


def check_version(
    row: Versioned, sent: int | None, what: str, current: Callable[[], dict] | None = None
) -> None:
    """409 when a client edited an older version than the row's (optimistic lock).

    `sent` None means the client did not ask for the check. `current` dumps the row
    for the error, so the client can show what changed.
    """
    if sent is not None and sent != row.version:
        raise ApiError(
            409,
            f"This {what} was changed by someone else; reload it and apply your change again.",
            code="version_conflict",
            extra={"current": current()} if current else None,
        )


def bulk_update(
    model: Any,
    *where: Any,
    values: dict[str, Any],
    at: datetime | None = None,
    synchronize: str = "fetch",
) -> int:
    """UPDATE the versioned rows of `model` matching `where` in one statement; how many.

    A bulk UPDATE bypasses the ORM's version counter: it is bumped here, with
    `updated_at`, so a phone holding one of the rows sees that it changed.
    """
    stmt = (
        sa.update(model)
        .where(*where)
        .values(**values, version=model.version + 1, updated_at=at or utcnow())
        .execution_options(synchronize_session=synchronize)
    )
    return cast(sa.CursorResult, db.session.execute(stmt)).rowcount or 0


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )
