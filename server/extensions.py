"""Extension objects, created once and wired to the app in `create_app`."""

from typing import TYPE_CHECKING

from flask import g, has_request_context, request
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from server.errors import FieldbookApi

# Named constraints make Alembic migrations reproducible on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Models subclass `Model`: at run time Flask-SQLAlchemy's `db.Model`, which mypy
# cannot see through, so the checker is shown the declarative base it derives from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
compress = Compress()
api = FieldbookApi()


# How long a SQLite connection waits for another one's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 60_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # SQLite ignores foreign keys unless asked, and pysqlite's own transaction
    # handling breaks SAVEPOINT (which the test isolation and nested service
    # transactions rely on); let SQLAlchemy emit BEGIN itself instead.
    # WAL lets pulls read while one request writes (the embedded default must hold
    # a team: docs/sync.md); the busy timeout makes a writer queue for the lock.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")  # a no-op answer "memory" in memory
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; fsync at checkpoints
        cursor.close()


_AS_WRITER = "_fieldbook_sqlite_as_writer"


def begin_as_writer() -> None:
    """This request's next transactions begin IMMEDIATE (a read that turned out to write)."""
    g.setdefault(_AS_WRITER, True)


def _writes_expected() -> bool:
    if not has_request_context():
        return False
    return request.method not in ("GET", "HEAD", "OPTIONS") or g.get(_AS_WRITER, False)


def is_sqlite_busy(err: BaseException) -> bool:
    """SQLite refused a lock: busy past the timeout, or a reader that cannot become a
    writer because another writer committed since it began (SQLITE_BUSY_SNAPSHOT)."""
    orig = getattr(err, "orig", None)
    return type(orig).__module__.startswith("sqlite3") and (
        getattr(orig, "sqlite_errorcode", None) in (5, 517) or "locked" in str(orig)
    )


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    # A request that writes takes the write lock when it begins (IMMEDIATE), waiting
    # its turn under the busy timeout. Begun as a reader, it could not upgrade once
    # another writer had committed since its first read: SQLite refuses at once
    # ("database is locked") without waiting. Reads begin deferred and never block.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _writes_expected() else "BEGIN")
