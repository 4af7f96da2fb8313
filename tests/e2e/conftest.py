"""End-to-end fixtures: a live server, Debian's Chromium driven by Playwright, phones.

The server runs in a subprocess on a database of its own (a temporary SQLite file;
on the PostgreSQL pass, a `<test database>_e2e` database next to TEST_DATABASE_URL),
migrated and seeded by `seed.py` before it starts. These tests are outside the
per-test rollback of tests/conftest.py (the server is another process): each test
takes a manager of its own from the seeded pool instead, and a fresh browser context.

Chromium is Debian's (`apt-get install chromium`; FIELDBOOK_E2E_CHROMIUM names another
binary); Playwright downloads nothing. Without it the tests are skipped, and say why.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.pages import Api, Phone

ROOT = Path(__file__).resolve().parents[2]
WEBCLIENT = ROOT / "webclient"
# One manager per test, plus spares for the accessibility scan and reassignments.
POOL_SIZE = 40
# The server's TIMEZONE: "today" on the phone must be the server's today.
TIMEZONE = "Asia/Shanghai"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    missing = _missing_requirement()
    for item in items:
        if HERE not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if missing:
            item.add_marker(pytest.mark.skip(reason=missing))


def _missing_requirement() -> str | None:
    if not CHROMIUM.exists():
        return f"e2e tests need Chromium: apt-get install chromium (no {CHROMIUM})"
    if shutil.which("npm") is None and not (WEBCLIENT / "dist" / "index.html").exists():
        return "e2e tests need npm to build the web client (webclient/dist is missing)"
    return None


# --- the web client build ------------------------------------------------------------


def _build_webclient() -> None:
    """Build webclient/dist when it is missing or older than the client's sources."""
    built = WEBCLIENT / "dist" / "index.html"
    sources = [
        WEBCLIENT / "index.html",
        WEBCLIENT / "package-lock.json",
        WEBCLIENT / "vite.config.ts",
        *(p for p in (WEBCLIENT / "src").rglob("*") if p.is_file()),
        *(p for p in (WEBCLIENT / "public").rglob("*") if p.is_file()),
    ]
    if built.exists() and built.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return
    if not (WEBCLIENT / "node_modules").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WEBCLIENT, check=True
        )
    result = subprocess.run(
        ["npm", "run", "--silent", "build"], cwd=WEBCLIENT, capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.fail(f"npm run build failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


# --- the server's database -----------------------------------------------------------


@dataclass
class Database:
    url: str
    drop: Callable[[], None] = field(default=lambda: None)


def _database(tmp: Path) -> Database:
    """SQLite in a temporary folder, or a fresh PostgreSQL database on the PG pass."""
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    if not test_url.startswith(("postgresql://", "postgres://")):
        return Database(f"sqlite:///{tmp / 'e2e.db'}")

    import psycopg

    base, _, name = test_url.rpartition("/")
    e2e_name = f"{name.split('?')[0]}_e2e"
    admin_url = f"{base}/postgres"

    def execute(sql: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{e2e_name}" WITH (FORCE)')
    execute(f'CREATE DATABASE "{e2e_name}"')
    return Database(
        f"{base}/{e2e_name}", drop=lambda: execute(f'DROP DATABASE IF EXISTS "{e2e_name}"')
    )


# --- the live server -------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    password: str
    admin: str
    lead: str
    team_id: str
    pool: list[dict]
    console: dict
    log: Path
    # A manager with a week like the demo's manager1 (seed.py `_busy_today`).
    busy_today: dict = field(default_factory=dict)
    _next: int = 0

    def take_manager(self) -> dict:
        """A manager nobody else used in this run (each test its own portfolio)."""
        if self._next >= len(self.pool):
            raise RuntimeError(f"the e2e pool of {len(self.pool)} managers is used up")
        manager = self.pool[self._next]
        self._next += 1
        return manager


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the e2e server exited:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            urllib.request.urlopen(f"{url}/api/v1/tiers", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # 401: up and refusing strangers
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the e2e server did not start:\n{log.read_text()[-3000:]}", pytrace=False)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    _build_webclient()
    tmp = Path(tempfile.mkdtemp(prefix="fieldbook-e2e-"))
    database = _database(tmp)
    env = {
        **os.environ,
        "FIELDBOOK_ENV": "development",
        "DATABASE_URL": database.url,
        "PYTHONPATH": str(ROOT),
        # Photos of visits in the run's own folder, not the checkout's instance/.
        "PHOTO_DIR": str(tmp / "photos"),
    }
    env.pop("TEST_DATABASE_URL", None)
    seeded = subprocess.run(
        [sys.executable, str(HERE / "seed.py"), str(POOL_SIZE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if seeded.returncode != 0:
        database.drop()
        pytest.fail(f"seeding the e2e database failed:\n{seeded.stderr[-3000:]}", pytrace=False)
    data = json.loads(seeded.stdout.strip().splitlines()[-1])

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    serve = (
        "from werkzeug.serving import run_simple; from server import create_app; "
        f"run_simple('127.0.0.1', {port}, create_app(), threaded=True)"
    )
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", serve], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(url, proc, log)
        yield LiveServer(
            url=url,
            password=data["password"],
            admin=data["admin"],
            lead=data["lead"],
            team_id=data["team_id"],
            pool=data["managers"],
            console=data["console"],
            log=log,
            busy_today=data["busy_today"],
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        database.drop()
        shutil.rmtree(tmp, ignore_errors=True)


# --- the browser ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


# What the Content-Security-Policy (server/http.py) refused in any page of any test.
CSP_VIOLATIONS: list[str] = []


def _watch_csp(context) -> None:
    def seen(message) -> None:
        if "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{message.location.get('url')}: {message.text}")

    context.on("console", seen)


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    new_context = browser.new_context

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        _watch_csp(context)
        return context

    # Every test's contexts, the console's included, are watched.
    browser.new_context = watched_context
    yield browser
    browser.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """What the policy refused so far in this test; a test expecting one clears it."""
    return CSP_VIOLATIONS


@pytest.fixture(autouse=True)
def _nothing_refused_by_the_csp(csp_violations):
    """The headers must break nothing: a script, style, worker or image the policy
    refused fails the test that loaded it."""
    csp_violations.clear()
    yield
    assert csp_violations == []


# A phone: its screen, touch and zone (also tests/e2e/test_photos.py's persistent one).
PHONE_SCREEN: dict = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "timezone_id": TIMEZONE,
}


@pytest.fixture
def phone(browser, live_server: LiveServer) -> Iterator[Callable[..., Phone]]:
    """`phone()` opens a fresh phone (browser context: its own IndexedDB, cookies and
    service worker) on a 360x640 screen; closed after the test."""
    opened = []

    def open_phone(locale: str = "en-US") -> Phone:
        context = browser.new_context(
            **PHONE_SCREEN,
            locale=locale,
            base_url=live_server.url,
            geolocation={"latitude": 30.26, "longitude": 120.17, "accuracy": 20},
            permissions=["geolocation"],
        )
        context.set_default_timeout(10_000)
        opened.append(context)
        return Phone(context, live_server)

    yield open_phone
    for context in opened:
        context.close()


@pytest.fixture
def manager(live_server: LiveServer) -> dict:
    """A seeded manager of this test's own (see seed.py for what they hold)."""
    return live_server.take_manager()


@pytest.fixture
def api(playwright, live_server: LiveServer) -> Iterator[Callable[[str], Api]]:
    """`api("e2e_admin")`: a signed-in API client, to check what reached the server."""
    clients = []

    def sign_in(username: str) -> Api:
        client = Api(playwright, live_server.url)
        client.login(username, live_server.password)
        clients.append(client)
        return client

    yield sign_in
    for client in clients:
        client.close()


def pytest_runtest_makereport(item, call):  # pragma: no cover - failure reporting only
    """On a failing e2e test, attach the tail of the server's log to the report."""
    if call.when != "call" or call.excinfo is None or "live_server" not in item.fixturenames:
        return
    server = item.funcargs.get("live_server")
    if server and server.log.exists():
        tail = re.sub(r"\n{3,}", "\n\n", server.log.read_text()[-4000:])
        item.add_report_section("call", "e2e server log", tail)
