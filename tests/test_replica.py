"""Heavy reads go to the replica, writes to the primary (server/replica.py).

A real second database stands in for the streaming replica: the primary is migrated
and seeded, then copied whole (SQLite's backup API; PostgreSQL's CREATE DATABASE ...
TEMPLATE), and only then does the primary change. So a figure that matches the copy
was read from it, and a row written during the request that is missing from the copy
was written to the primary.
"""

import csv
import io
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from rq import SimpleWorker
from sqlalchemy import event, orm

from config import TestConfig, _normalise_db_url
from server import create_app
from server.audit.models import AuditEvent
from server.auth.models import Role
from server.auth.services import create_user
from server.customers.models import Customer, CustomerKind, Stage, Tier
from server.extensions import db
from server.jobs.services import queue
from server.reviews.models import ReviewExport
from server.team.models import Team
from tests.conftest import PASSWORD

JUNE = {"starts_on": "2026-06-01", "ends_on": "2026-06-30"}


@dataclass
class Pair:
    primary_url: str
    replica_url: str
    tmp: Path

    def app(self, *, replica: bool) -> Flask:
        class Config(TestConfig):
            SQLALCHEMY_DATABASE_URI = _normalise_db_url(self.primary_url)
            SQLALCHEMY_BINDS = {"replica": _normalise_db_url(self.replica_url)} if replica else {}
            JOB_QUEUE = f"fieldbook-replica-test-{os.getpid()}"
            JOB_FILES_DIR = str(self.tmp / "jobs")

        return create_app(Config)


def _pg_admin(url: str) -> str:
    return url.rpartition("/")[0] + "/postgres"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    if test_url.startswith(("postgresql://", "postgres://")):
        base, _, name = test_url.rpartition("/")
        names = (f"{name}_rp", f"{name}_rr")
        with psycopg.connect(_pg_admin(test_url), autocommit=True) as conn:
            for n in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{names[0]}"')
        yield Pair(f"{base}/{names[0]}", f"{base}/{names[1]}", tmp_path)
        with psycopg.connect(_pg_admin(test_url), autocommit=True) as conn:
            for n in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
    else:
        yield Pair(f"sqlite:///{tmp_path / 'p.db'}", f"sqlite:///{tmp_path / 'r.db'}", tmp_path)


def _clone(pair: Pair) -> None:
    """The replica: a copy of the primary as it is now."""
    if pair.primary_url.startswith("sqlite"):
        source = sqlite3.connect(pair.primary_url.removeprefix("sqlite:///"))
        target = sqlite3.connect(pair.replica_url.removeprefix("sqlite:///"))
        source.backup(target)
        source.close()
        target.close()
        return
    primary = pair.primary_url.rpartition("/")[2]
    replica = pair.replica_url.rpartition("/")[2]
    with psycopg.connect(_pg_admin(pair.primary_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{replica}" TEMPLATE "{primary}"')


@pytest.fixture
def session_of(monkeypatch):
    """Point the shared `db.session` at `app`'s own primary (conftest binds it elsewhere)."""

    def use(app: Flask) -> None:
        with app.app_context():
            engine = db.engine
        monkeypatch.setattr(
            db,
            "session",
            orm.scoped_session(
                orm.sessionmaker(bind=engine, expire_on_commit=False), scopefunc=_app_ctx_id
            ),
        )

    return use


def _customer(manager_id: uuid.UUID, tier_id: int, n: int) -> Customer:
    return Customer(
        external_no=f"R{n:06d}",
        name=f"客户{n}",
        phone=f"1390000{n:04d}",
        kind=CustomerKind.INDIVIDUAL,
        stage=Stage.MATURITY,
        tier_id=tier_id,
        manager_id=manager_id,
    )


def _sign_in(client, username: str) -> None:
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.json
    client.environ_base["HTTP_X_CSRF_TOKEN"] = answer.json["csrf_token"]


def _count(url: str, model) -> int:
    engine = sa.create_engine(_normalise_db_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


def test_indicators_dashboards_and_exports_read_the_replica_and_write_the_primary(
    pair: Pair, session_of
):
    app = pair.app(replica=True)
    session_of(app)
    with app.app_context():
        upgrade()
        team = Team(name="Replica team")
        db.session.add(team)
        lead = create_user(
            username="rlead", display_name="Lead", role=Role.LEAD, password=PASSWORD, team=team
        )
        managers = [
            create_user(
                username=f"rmgr{i}",
                display_name=f"Manager {i}",
                role=Role.MANAGER,
                password=PASSWORD,
                team=team,
            )
            for i in (1, 2)
        ]
        tier_id = db.session.scalar(sa.select(Tier.id).where(Tier.code == "gold"))
        db.session.add_all(_customer(managers[0].id, tier_id, n) for n in (1, 2))
        db.session.commit()
        ids = {"team": team.id, "lead": lead.id, "mgr1": managers[0].id}
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    _clone(pair)

    # From here on the primary moves ahead of the copy: a third manager, a third customer.
    with app.app_context():
        team_row = db.session.get_one(Team, ids["team"])
        create_user(
            username="rmgr3",
            display_name="Manager 3",
            role=Role.MANAGER,
            password=PASSWORD,
            team=team_row,
        )
        db.session.add(_customer(ids["mgr1"], tier_id, 3))
        db.session.commit()
        db.session.remove()

    client = app.test_client()
    # Ready means the replica answers too (server/health.py).
    ready = client.get("/api/v1/health/ready")
    assert ready.status_code == 200, ready.json
    assert ready.json["checks"] == {"database": "ok", "replica": "ok", "redis": "ok"}
    _sign_in(client, "rlead")  # a write: the device session is on the primary only

    overview = client.get(f"/api/v1/dashboard/managers/{ids['mgr1']}")
    assert overview.status_code == 200, overview.json
    assert overview.json["portfolio_size"] == 2  # the replica's; the primary has 3

    on_primary: list[str] = []

    def seen(conn, cursor, statement, *args):
        on_primary.append(statement)

    with app.app_context():
        primary = db.engine
    event.listen(primary, "before_cursor_execute", seen)
    try:
        review = client.get("/api/v1/reviews", query_string=JUNE | {"team_id": str(ids["team"])})
    finally:
        event.remove(primary, "before_cursor_execute", seen)
    assert review.status_code == 200, review.json
    # Only the signed-in user's session is read on the primary (before the view runs);
    # the scope of customers (a UNION), the figures and the managers come from the replica.
    read_there = {
        table
        for statement in on_primary
        for table in ("customers", "assignment_history", "visits", "care_plans", "teams")
        if f"FROM {table}" in statement or f"JOIN {table}" in statement
    }
    assert read_there == set(), on_primary
    names = sorted(m["manager"]["display_name"] for m in review.json["managers"])
    assert names == ["Manager 1", "Manager 2"]

    # The export job: the sheet from the replica, its record, progress and audit on the primary.
    with app.app_context():
        queue().empty()
    job = client.post(
        "/api/v1/reviews/exports",
        json=JUNE | {"team_id": str(ids["team"]), "format": "csv", "language": "en"},
    )
    assert job.status_code == 202, job.json
    with app.app_context():
        connection = redis.Redis.from_url(app.config["REDIS_URL"])
        SimpleWorker([queue()], connection=connection).work(burst=True)
        queue().delete(delete_jobs=True)
    done = client.get(f"/api/v1/jobs/{job.json['id']}").json
    assert done["status"] == "done", done
    download = client.get(done["download_url"])
    rows = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    download.close()
    assert [row[0] for row in rows[1:]] == ["Manager 1", "Manager 2"]

    assert _count(pair.primary_url, ReviewExport) == 1
    assert _count(pair.replica_url, ReviewExport) == 0
    exported = sa.select(AuditEvent).where(AuditEvent.action == "reviews.export")
    assert _count(pair.primary_url, exported.subquery()) == 1
    assert _count(pair.replica_url, exported.subquery()) == 0

    # Without a replica configured (the default) the same views read the primary.
    plain = pair.app(replica=False)
    plain_client = plain.test_client()
    session_of(plain)
    _sign_in(plain_client, "rlead")
    overview = plain_client.get(f"/api/v1/dashboard/managers/{ids['mgr1']}")
    assert overview.json["portfolio_size"] == 3
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()
    with plain.app_context():
        db.engine.dispose()
