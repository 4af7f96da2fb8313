"""Test fixtures, in the vocabulary of Flask's tutorial: app, client, runner, auth.

The schema is built once per session by running the real Alembic migrations; every
test then runs inside a transaction that is rolled back at its end (each request's
commit only releases a SAVEPOINT). Set TEST_DATABASE_URL to run on PostgreSQL.

Tests hold no app context of their own: a request would reuse it, and with it
`g` (where Flask-Login caches the user) across requests. Factories push a short
context of their own and return loaded, detached objects.
"""

import itertools
import shutil
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from rq import SimpleWorker
from sqlalchemy import orm

from config import TestConfig
from server import create_app
from server.auth.models import Role, User
from server.auth.services import create_user
from server.auth.throttle import limiter_of
from server.customers.models import Customer, CustomerKind, Stage, Tier
from server.extensions import db
from server.jobs.services import queue
from server.team.models import Team

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    app = create_app(TestConfig)
    with app.app_context():
        _drop_everything()
        upgrade()
        queue().empty()
    yield app
    with app.app_context():
        db.engine.dispose()
        queue().delete(delete_jobs=True)
    shutil.rmtree(app.config["JOB_FILES_DIR"], ignore_errors=True)
    shutil.rmtree(app.config["PHOTO_DIR"], ignore_errors=True)


def _drop_everything() -> None:
    """A leftover database from an earlier run starts clean."""
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


# Rows the migrations seed; `committed` tests leave them in place.
REFERENCE_TABLES = {"alembic_version", "tiers", "complaint_categories", "sync_clock"}


@pytest.fixture(autouse=True)
def _transaction(request, app: Flask) -> Iterator[None]:
    if request.node.get_closest_marker("committed"):
        yield from _committed(app)
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain Session: Flask-SQLAlchemy's own picks the engine itself and
        # would ignore the connection it is bound to.
        db.session = orm.scoped_session(
            orm.sessionmaker(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            ),
            scopefunc=_app_ctx_id,
        )
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


def _committed(app: Flask) -> Iterator[None]:
    """For tests that need real commits (sync pulls only serve committed changes).

    Each request commits for real; afterwards every table but the seeded reference
    data is emptied, children first.
    """
    with app.app_context():
        original = db.session
        # Factories hand back detached objects whose attributes must stay readable.
        db.session = orm.scoped_session(
            orm.sessionmaker(bind=db.engine, expire_on_commit=False), scopefunc=_app_ctx_id
        )
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            db.session = original
            _empty_tables()


def _empty_tables() -> None:
    """Delete every row but the reference data, past the append-only triggers.

    audit_events and assignment_history refuse DELETE (migration 0007). Only this
    cleanup may get past that, inside its one transaction: on PostgreSQL with
    `session_replication_role = replica` (no ordinary trigger fires; the test
    database's user is a superuser), on SQLite by dropping the triggers and creating
    them again from their own stored SQL before the commit, so the next test meets
    exactly what the migration made.
    """
    with db.engine.begin() as conn:
        triggers: list[str] = []
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            ).all()
            for name, sql in rows:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
                triggers.append(sql)
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())
        for sql in triggers:
            conn.exec_driver_sql(sql)


@pytest.fixture(autouse=True)
def _fresh_sign_in_throttles(app: Flask) -> None:
    """Each test starts with no refused sign-ins counted (server/auth/throttle.py)."""
    limiter_of(app).reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


class AuthActions:
    """Signs a test client in and sends the CSRF header with every later request."""

    def __init__(self, client: FlaskClient):
        self._client = client
        self.csrf_token: str | None = None

    def login(self, username: str, password: str = PASSWORD, remember: bool = False):
        response = self._client.post(
            "/api/v1/auth/login",
            json={"username": username, "password": password, "remember": remember},
        )
        if response.status_code == 200:
            self.csrf_token = response.json["csrf_token"]
            self._client.environ_base["HTTP_X_CSRF_TOKEN"] = self.csrf_token
        return response

    def logout(self):
        return self._client.post("/api/v1/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def run_jobs(app: Flask):
    """Run the jobs waiting on the real queue (Redis), here, as the worker would."""
    with app.app_context():
        queue().empty()  # what earlier tests queued and never ran is not this test's

    def run() -> None:
        with app.app_context():
            connection = redis.Redis.from_url(app.config["REDIS_URL"])
            SimpleWorker([queue()], connection=connection).work(burst=True)

    return run


@pytest.fixture
def in_app(app: Flask):
    """`with in_app():` gives a test direct database access between requests."""
    return app.app_context


_counter = itertools.count(1)


@pytest.fixture
def make_team(app: Flask):
    def factory(name: str | None = None) -> Team:
        with app.app_context():
            team = Team(name=name or f"Team {next(_counter)}")
            db.session.add(team)
            db.session.commit()
            return team

    return factory


@pytest.fixture
def make_user(app: Flask):
    def factory(
        role: Role | str = Role.MANAGER,
        *,
        username: str | None = None,
        team: Team | None = None,
        password: str = PASSWORD,
        display_name: str | None = None,
    ) -> User:
        role = Role(role)
        username = username or f"{role.value}{next(_counter)}"
        with app.app_context():
            team_row = db.session.get(Team, team.id) if team else None
            user = create_user(
                username=username,
                display_name=display_name or username.title(),
                role=role,
                password=password,
                team=team_row,
            )
            db.session.commit()
            return user

    return factory


@pytest.fixture
def make_customer(app: Flask):
    def factory(
        *,
        manager: User | None = None,
        tier: str = "gold",
        name: str | None = None,
        stage: Stage = Stage.MATURITY,
        kind: CustomerKind = CustomerKind.INDIVIDUAL,
        **fields,
    ) -> Customer:
        n = next(_counter)
        with app.app_context():
            tier_row = db.session.scalar(sa.select(Tier).where(Tier.code == tier))
            customer = Customer(
                external_no=fields.pop("external_no", f"C{n:08d}"),
                name=name or f"客户{n}",
                phone=fields.pop("phone", f"1380000{n:04d}"),
                kind=kind,
                stage=stage,
                tier=tier_row,
                manager_id=manager.id if manager else None,
                activation_date=fields.pop("activation_date", date(2020, 1, 1)),
                **fields,
            )
            db.session.add(customer)
            db.session.commit()
            return customer

    return factory


@pytest.fixture
def churn_config(app: Flask) -> Iterator[None]:
    """Churn training on tests/churn_history.py's few hundred customers: one segment
    (too few rows to split), and five warnings a manager."""
    small = {"CHURN_SEGMENT_MIN_ROWS": 10**9, "CHURN_WARNINGS_PER_MANAGER": 5}
    saved = {key: app.config[key] for key in small}
    app.config.update(small)
    yield
    app.config.update(saved)


@pytest.fixture
def team_setup(make_team, make_user, make_customer):
    """Two teams, each with a lead and two managers, each manager with two customers.

    Returns a dict of the rows by name: lead_a, mgr_a1, mgr_a2, lead_b, mgr_b1,
    mgr_b2, admin, cust_a1 (mgr_a1's first), ... and `unassigned`.
    """
    rows: dict = {}
    for t in ("a", "b"):
        team = make_team(f"Team {t.upper()} {next(_counter)}")
        rows[f"team_{t}"] = team
        rows[f"lead_{t}"] = make_user(Role.LEAD, team=team, username=f"lead_{t}_{next(_counter)}")
        for m in (1, 2):
            mgr = make_user(Role.MANAGER, team=team, username=f"mgr_{t}{m}_{next(_counter)}")
            rows[f"mgr_{t}{m}"] = mgr
            rows[f"cust_{t}{m}"] = make_customer(manager=mgr)
            rows[f"cust_{t}{m}_2"] = make_customer(manager=mgr)
    rows["admin"] = make_user(Role.ADMIN, username=f"admin_{next(_counter)}")
    rows["unassigned"] = make_customer()
    return rows


_phase_counter = itertools.count(1000)


def routine_due_id(day: date, interval_days: int) -> uuid.UUID:
    """A customer id whose first routine contact (never contacted) falls on `day`.

    plans/services.py spreads first contacts by the id modulo the tier's interval;
    tests that want "due today" pick such an id. (Its own test checks the spread with
    hand-computed dates.)
    """
    phase = day.toordinal() % interval_days
    return uuid.UUID(int=next(_phase_counter) * interval_days + phase)
