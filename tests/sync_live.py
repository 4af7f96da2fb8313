"""A real server process on a database of its own, for the sync's fault and load tests.

`LiveSync` migrates and seeds the database (this file run as a script, in a child
process, so the server is a separate process exactly as deployed), serves it with
werkzeug's threaded server, and can be stopped and started again on the same
database (a restart). SQLite in a temporary folder; on the PostgreSQL pass,
`sqlite=False` gives a fresh `<test database>_sync` database.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "live-sync-password-7"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith(("postgresql://", "postgres://")) else None


class LiveSync:
    """A seeded database and a server process on it that can be killed and restarted."""

    def __init__(self, tmp: Path, *, managers: int, customers: int, sqlite: bool = True):
        self.tmp = tmp
        self.log = tmp / "server.log"
        self._admin_url: str | None = None
        self._pg_name: str | None = None
        pg = None if sqlite else _postgres_url()
        if pg is None:
            self.db_url = f"sqlite:///{tmp / 'sync.db'}"
        else:
            base, _, name = pg.rpartition("/")
            self._pg_name = f"{name.split('?')[0]}_sync"
            self._admin_url = f"{base}/postgres"
            self._pg(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
            self._pg(f'CREATE DATABASE "{self._pg_name}"')
            self.db_url = f"{base}/{self._pg_name}"
        self.env = {
            **os.environ,
            "FIELDBOOK_ENV": "development",
            "DATABASE_URL": self.db_url,
            "FIELDBOOK_JOB_FILES": str(tmp / "jobs"),
            "PYTHONPATH": str(ROOT),
        }
        for name in ("TEST_DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI"):
            self.env.pop(name, None)
        seeded = subprocess.run(
            [sys.executable, __file__, str(managers), str(customers)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{seeded.stderr[-3000:]}")
        self.seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def _pg(self, sql: str) -> None:
        import psycopg

        assert self._admin_url is not None
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def start(self) -> None:
        serve = (
            "from werkzeug.serving import run_simple; from server import create_app; "
            f"run_simple('127.0.0.1', {self.port}, create_app(), threaded=True)"
        )
        with self.log.open("a") as out:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(
                [sys.executable, "-c", serve],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v1/tiers", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # 401: up and refusing strangers
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """Stop the server at once, as a crash would (no clean shutdown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def close(self) -> None:
        self.kill()
        if self._pg_name is not None:
            self._pg(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')


def _seed(managers: int, customers: int) -> dict:
    """Migrate, then a team with `managers` managers of `customers` customers each."""
    from datetime import date

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from server import create_app
    from server.auth.models import Role
    from server.auth.services import create_user
    from server.customers.models import Customer, CustomerKind, Stage, Tier
    from server.extensions import db
    from server.team.models import Team

    app = create_app()
    with app.app_context():
        upgrade()
        team = Team(name="Live team")
        db.session.add(team)
        tier = db.session.scalar(sa.select(Tier).where(Tier.code == "gold"))
        made: list[dict] = []
        for m in range(managers):
            user = create_user(
                username=f"live{m}",
                display_name=f"Live {m}",
                role=Role.MANAGER,
                password=PASSWORD,
                team=team,
            )
            ids = []
            for c in range(customers):
                customer = Customer(
                    external_no=f"L{m:03d}{c:04d}",
                    name=f"客户 {m}-{c}",
                    phone=f"139{m:04d}{c:04d}",
                    kind=CustomerKind.INDIVIDUAL,
                    stage=Stage.MATURITY,
                    tier=tier,
                    manager_id=user.id,
                    activation_date=date(2020, 1, 1),
                )
                db.session.add(customer)
                db.session.flush()
                ids.append(str(customer.id))
            made.append({"username": user.username, "customers": ids})
        db.session.commit()
        db.engine.dispose()
    return {"managers": made, "password": PASSWORD}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(_seed(int(sys.argv[1]), int(sys.argv[2]))))


def signed_in(live: LiveSync, username: str):
    """A requests session signed in as `username`, sending its CSRF token."""
    import requests

    session = requests.Session()
    answer = session.post(
        f"{live.url}/api/v1/auth/login",
        json={"username": username, "password": live.seed["password"]},
        timeout=30,
    )
    answer.raise_for_status()
    session.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return session
