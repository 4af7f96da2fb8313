"""Two app servers, one PostgreSQL, one Redis: nothing lives in one server's memory.

Two gunicorn processes with the production configuration and deploy/gunicorn.conf.py
(as deploy/compose.yaml and deploy/systemd run them) on two ports, against a fresh
PostgreSQL database and the machine's Redis, and a real job worker process
(`fieldbook jobs worker`, as systemd runs it). A session signed in on one server
works on the other and ends on both; refused sign-ins counted on one are throttled on
the other; a job asked for through one is run by the worker and followed and
downloaded through the other. Most of its time is starting the processes and
migrating the database.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
import requests
from rq import Queue

from tests.sync_live import _free_port, _postgres_url

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "two-servers-password-9"

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        _postgres_url() is None,
        reason="two app servers share one PostgreSQL database (TEST_DATABASE_URL)",
    ),
]

SEED = f"""
from flask_migrate import upgrade
from server import create_app
from server.auth.models import Role
from server.auth.services import create_user
from server.extensions import db
from server.team.models import Team

app = create_app()
with app.app_context():
    upgrade()
    team = Team(name="Two servers")
    db.session.add(team)
    users = (("twolead", Role.LEAD), ("twomgr", Role.MANAGER), ("twoguessed", Role.MANAGER))
    for name, role in users:
        create_user(username=name, display_name=name, role=role, password={PASSWORD!r}, team=team)
    db.session.commit()
"""


class Phone:
    """A browser: production cookies are Secure (__Host-), so they are kept by hand
    over the loopback's plain HTTP, as bench/load_sync.py does."""

    def __init__(self, address: str):
        self.http = requests.Session()
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.address = address

    def call(self, method: str, url: str, **kwargs) -> requests.Response:
        headers = {"X-Forwarded-For": self.address, "X-CSRF-Token": self.csrf}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer = self.http.request(method, url, headers=headers, timeout=30, **kwargs)
        for header in answer.raw.headers.getlist("Set-Cookie"):
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if value and "max-age=0" not in attributes.lower():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return answer

    def login(self, url: str, username: str, password: str = PASSWORD) -> requests.Response:
        answer = self.call(
            "POST", f"{url}/api/v1/auth/login", json={"username": username, "password": password}
        )
        if answer.status_code == 200:
            self.csrf = answer.json()["csrf_token"]
        return answer


@dataclass
class Deployment:
    urls: tuple[str, str]
    env: dict[str, str]
    redis_url: str
    queue: str


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            requests.get(f"{url}/api/v1/openapi.json", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Started once for the three tests: each uses users and addresses of its own."""
    tmp_path = tmp_path_factory.mktemp("two-servers")
    pg = _postgres_url()
    assert pg is not None
    base, _, name = pg.rpartition("/")
    db_name = f"{name.split('?')[0]}_two"
    admin = f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    queue = f"fieldbook-two-servers-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "FIELDBOOK_ENV": "production",
        "SECRET_KEY": uuid.uuid4().hex,  # one secret for every server, as deployed
        "DATABASE_URL": f"{base}/{db_name}",
        "REDIS_URL": redis_url,
        "FIELDBOOK_JOB_QUEUE": queue,
        "FIELDBOOK_JOB_FILES": str(tmp_path / "jobs"),  # shared by servers and worker
        "FIELDBOOK_PROXY_HOPS": "1",  # behind nginx (deploy/nginx/fieldbook.conf)
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "PYTHONPATH": str(ROOT),
    }
    for unset in ("TEST_DATABASE_URL", "RATELIMIT_STORAGE_URI", "DATABASE_REPLICA_URL"):
        env.pop(unset, None)
    # Everything starts at once (the servers and the worker need the database only for
    # requests and jobs, which come after the seeding): start-up is most of the time.
    seeding = subprocess.Popen(
        [sys.executable, "-c", SEED],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    procs: list[subprocess.Popen] = []
    urls = []
    bin_dir = Path(sys.executable).parent
    try:
        for i in range(2):
            port = _free_port()
            with (tmp_path / f"gunicorn{i}.log").open("w") as out:
                procs.append(
                    subprocess.Popen(
                        [
                            str(bin_dir / "gunicorn"),
                            *("-c", str(ROOT / "deploy" / "gunicorn.conf.py")),
                            "server:create_app()",
                        ],
                        cwd=ROOT,
                        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        with (tmp_path / "worker.log").open("w") as out:
            # The job worker, as deploy/systemd/fieldbook-worker.service runs it.
            procs.append(
                subprocess.Popen(
                    [str(bin_dir / "fieldbook"), "jobs", "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        _, errors = seeding.communicate(timeout=120)
        assert seeding.returncode == 0, errors[-3000:]
        for i, url in enumerate(urls):
            _wait_until_up(url, procs[i], tmp_path / f"gunicorn{i}.log")
        yield Deployment((urls[0], urls[1]), env, redis_url, queue)
    finally:
        for proc in procs[:2]:
            proc.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        for proc in procs[2:]:
            proc.send_signal(signal.SIGTERM)  # RQ's warm shutdown: idle, it stops at once
        for proc in [seeding, *procs]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        Queue(queue, connection=redis.Redis.from_url(redis_url)).delete(delete_jobs=True)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _address() -> str:
    """An address of this test's own, so other runs' counts on the shared Redis differ."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def test_a_session_signed_in_on_one_server_works_on_the_other_and_ends_on_both(deployment):
    a, b = deployment.urls
    phone = Phone(_address())
    assert phone.login(a, "twomgr").status_code == 200
    me = phone.call("GET", f"{b}/api/v1/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["user"]["username"] == "twomgr"
    # The CSRF token handed out by one server is good on the other.
    assert phone.call("POST", f"{b}/api/v1/auth/logout").status_code in (200, 204)
    phone.cookies.clear()
    # A copy of the cookie taken before the logout no longer works on either server.
    thief = Phone(_address())
    assert thief.login(a, "twomgr").status_code == 200
    stolen = dict(thief.cookies)
    assert thief.call("POST", f"{a}/api/v1/auth/logout").status_code in (200, 204)
    thief.cookies = stolen
    assert thief.call("GET", f"{b}/api/v1/auth/me").status_code == 401
    assert thief.call("GET", f"{a}/api/v1/auth/me").status_code == 401


def test_refused_sign_ins_counted_on_one_server_are_throttled_on_the_other(deployment):
    a, b = deployment.urls
    phone = Phone(_address())
    # LOGIN_LIMIT_PER_ACCOUNT is 5 a minute: five refusals on server A ...
    for _ in range(5):
        assert phone.login(a, "twoguessed", "wrong-password-1").status_code == 401
    # ... and the sixth, on server B, from another address, is throttled for the account.
    other = Phone(_address())
    refused = other.login(b, "twoguessed", "wrong-password-1")
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert int(refused.headers["Retry-After"]) > 0


def test_a_job_asked_for_on_one_server_is_run_by_the_worker_and_seen_on_the_other(deployment):
    a, b = deployment.urls
    lead = Phone(_address())
    assert lead.login(a, "twolead").status_code == 200
    asked = lead.call(
        "POST",
        f"{a}/api/v1/reviews/exports",
        json={"starts_on": "2026-06-01", "ends_on": "2026-06-30", "format": "csv"},
    )
    assert asked.status_code == 202, asked.text
    job_id = asked.json()["id"]

    # The worker (started with the servers) picks it up; followed on the other server.
    deadline = time.monotonic() + 120
    done = lead.call("GET", f"{b}/api/v1/jobs/{job_id}").json()
    while done["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        done = lead.call("GET", f"{b}/api/v1/jobs/{job_id}").json()
    assert done["status"] == "done", done
    download = lead.call("GET", f"{b}{done['download_url']}")
    assert download.status_code == 200
    header = download.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("客户经理,团队")
