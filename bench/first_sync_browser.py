"""A phone's first sync of a 500-customer portfolio in headless Chromium: sign-in to usable Today.

    .venv/bin/python bench/first_sync_browser.py [--runs 5] [--reseed] [--profile]
        [--dist other/build/dist] [--server-commit REV]

Not a test (not in pytest or CI): it needs PostgreSQL, Redis, Chromium and the built
web client (`cd webclient && npm run build`), and takes a few minutes. On this
machine only (loopback):

1. seeds, once, a PostgreSQL database of its own (`fb_client_firstsync`, kept between
   runs; `--reseed` drops it): --managers managers in one team, each with a portfolio
   shaped like the issue's (500 customers and 12 months of history, 30,855 rows:
   spend on 3 services, visits, care plans, tasks, complaints and their events,
   warnings, contacts, assignment history), written with Core inserts through the
   app's models so every row carries the sync stamp the server writes;
2. exports the server of `--server-commit` (HEAD) with `git archive` and starts it
   there, with gunicorn and the production configuration (bench/load_sync.py's set-up,
   2 workers x 4 threads as in the issue's figures), serving the client of `--dist`
   (webclient/dist): other engineers' half-made edits in the checkout are not run,
   and each figure names the server commit it was taken on;
3. for each run, opens the phone app in a fresh browser context (its own IndexedDB,
   cookies and service worker) at a 390x844 phone viewport, signs the first manager
   in, and times from the click on "Sign in" to a usable Today: the agenda rendered
   with the portfolio's items and the sync bar showing the time of a finished sync;
   before each, the floor: the same sign-in and pulls (and "my numbers") by a plain
   HTTP client, sequential pages, JSON parsed, nothing stored. The machine is shared:
   the ratio and the phone's own share (time minus floor) mean more than the seconds.

It prints, per run and as medians: that time, the floor and when the first agenda
items showed; the requests the page made (all, and sync pulls), their bytes as
transferred (gzip) and as decoded (JSON); the IndexedDB transactions the page opened
(read-write and all) and the write requests (put/add/delete/clear) it issued; and the
client's own timing marks (webclient/src/sync/pull.ts: waiting for a page, storing
it). `--profile` also takes a JavaScript CPU profile of the last run and prints the
functions with the most self time (build with `npx vite build --sourcemap` to map
them to sources). Exit 1 when the median misses the budget (5 s) or a run fails.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import load_sync  # noqa: E402  (bench/ is scripts, not a package)

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DB_NAME = "fb_client_firstsync"
PASSWORD = "first-sync-password-2026"
USERNAME = "fs001"
BUDGET_S = 5.0
TIMEZONE = "Asia/Shanghai"
SERVICES = ("mobile", "broadband", "tv")

# Per customer, as a province's averages (issue 12): 12 visits, 2.5 tasks, 0.5
# complaints; the care plans a year of generation leaves.
VISITS_EACH = 12
PLANS_EACH = 6.5
TASKS_EACH = 2.5
COMPLAINTS_EACH = 0.5


# --- the database ------------------------------------------------------------------


def _app(db_url: str):
    os.environ["DATABASE_URL"] = db_url
    from config import DevelopmentConfig, _normalise_db_url
    from server import create_app

    class SeedConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = _normalise_db_url(db_url)

    return create_app(SeedConfig)


def database_ready(db_url: str) -> bool:
    """Seeded before (the bench's first manager exists)."""
    import psycopg

    try:
        with psycopg.connect(db_url) as conn:
            found = conn.execute("SELECT 1 FROM users WHERE username = %s", (USERNAME,))
            return found.fetchone() is not None
    except psycopg.Error:
        return False


def seed(db_url: str, managers: int, customers_each: int) -> dict[str, int]:
    """Migrate and seed one team of `managers`, each with a whole portfolio; row counts."""
    from flask_migrate import upgrade

    from server.auth.passwords import hash_password
    from server.extensions import db

    app = _app(db_url)
    counts: Counter[str] = Counter()
    with app.app_context():
        upgrade(revision="heads")
        meta = db.metadata.tables
        tier_ids = db.session.scalars(sa.text("SELECT id FROM tiers ORDER BY rank")).all()
        category_ids = db.session.scalars(sa.text("SELECT id FROM complaint_categories")).all()
        team_id = uuid.uuid4()
        db.session.execute(sa.insert(meta["teams"]), [{"id": team_id, "name": "首次同步班组"}])
        password_hash = hash_password(PASSWORD)
        users = [
            {
                "id": uuid.uuid4(),
                "username": f"fs{m + 1:03d}",
                "display_name": f"首同经理{m + 1:03d}",
                "role": "manager",
                "team_id": team_id,
                "password_hash": password_hash,
            }
            for m in range(managers)
        ]
        db.session.execute(sa.insert(meta["users"]), users)
        rng = random.Random(20261203)
        today = date.today()
        for m, user in enumerate(users):
            rows = _portfolio(rng, today, m, user["id"], customers_each, tier_ids, category_ids)
            for table, table_rows in rows.items():
                # Batches: one executemany of 18,000 rows holds every parameter at once.
                for start in range(0, len(table_rows), 5000):
                    db.session.execute(sa.insert(meta[table]), table_rows[start : start + 5000])
                if m == 0:
                    counts[table] = len(table_rows)
            db.session.commit()
        db.engine.dispose()
    return dict(counts)


def _portfolio(
    rng: random.Random,
    today: date,
    m: int,
    manager_id: uuid.UUID,
    n: int,
    tier_ids: list,
    category_ids: list,
) -> dict[str, list[dict]]:
    now = datetime.now(UTC)
    first_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    months = []
    month = first_month
    for _ in range(12):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    rows: dict[str, list[dict]] = defaultdict(list)

    def at(days_ago: float) -> datetime:
        return now - timedelta(days=days_ago)

    for c in range(n):
        cid = uuid.uuid4()
        org = c % 5 == 0
        rows["customers"].append(
            {
                "id": cid,
                "external_no": f"FS{m + 1:03d}{c + 1:05d}",
                "kind": "organisation" if org else "individual",
                "name": f"首同客户{m + 1:03d}-{c + 1:03d}",
                "phone": f"138{m + 1:04d}{c + 1:04d}",
                "gender": None if org else rng.choice(["female", "male"]),
                "birthday": None if org else date(1960 + c % 40, 1 + c % 12, 1 + c % 28),
                "address": f"杭州市西湖区文三路{c + 1}号",
                "plan_name": "畅享套餐",
                "products": ["5G畅享", "宽带"],
                "special_dates": [],
                "activation_date": date(2018 + c % 6, 1 + c % 12, 1),
                "contract_end_date": today + timedelta(days=(c * 7) % 400),
                "notes": "客户资料备注" * 3,
                "latitude": 30.2 + rng.random() / 10,
                "longitude": 120.1 + rng.random() / 10,
                "tier_id": tier_ids[c % len(tier_ids)],
                "stage": "maturity",
                "manager_id": manager_id,
                "assigned_at": at(400),
            }
        )
        rows["assignment_history"].append(
            {
                "id": uuid.uuid4(),
                "customer_id": cid,
                "to_manager_id": manager_id,
                "source": "import",
                "reason": "首次同步基准初始分配",
                "at": at(400),
            }
        )
        if org:
            rows["contacts"].append(
                {"id": uuid.uuid4(), "customer_id": cid, "name": "联系人", "phone": "13900000000"}
            )
        for k, month in enumerate(months):
            for s, service in enumerate(SERVICES):
                amount = Decimal(50 + (c % 17) * 10 + s * 30 + k % 3).quantize(Decimal("0.01"))
                rows["monthly_spend"].append(
                    {
                        "id": uuid.uuid4(),
                        "customer_id": cid,
                        "month": month,
                        "service": service,
                        "amount": amount,
                        "imported_at": at(30 * k),
                    }
                )
        for v in range(VISITS_EACH):
            started = at(365 * (v + rng.random()) / VISITS_EACH)
            rows["visits"].append(
                {
                    "id": uuid.uuid4(),
                    "customer_id": cid,
                    "manager_id": manager_id,
                    "channel": rng.choice(["visit", "phone", "im"]),
                    "purpose": "routine",
                    "started_at": started,
                    "ended_at": started + timedelta(minutes=30),
                    "location_status": "not_applicable",
                    "outcome": "客户满意",
                    "notes": "例行回访。客户对网络质量满意。",
                    "products_discussed": [],
                    "customer_response": "positive",
                }
            )
    customers = rows["customers"]
    for p in range(int(n * PLANS_EACH)):
        customer = customers[p % n]
        # Most plans of a year are done; the open ones fall due from last week to next.
        open_plan = p % 13 == 0
        due = (
            today + timedelta(days=(p % 15) - 7)
            if open_plan
            else today - timedelta(days=1 + p % 360)
        )
        rows["care_plans"].append(
            {
                "id": uuid.uuid4(),
                "customer_id": customer["id"],
                "owner_id": manager_id,
                "purpose": "routine",
                "channel": "phone",
                "title": "例行维系",
                "due_from": due - timedelta(days=3),
                "due_to": due,
                "status": "planned" if open_plan else "done",
                "completed_at": None if open_plan else at((today - due).days),
                "generation_key": f"bench:{customer['id']}:{p}",
            }
        )
    for t in range(int(n * TASKS_EACH)):
        customer = customers[t % n]
        open_task = t % 10 == 0
        rows["tasks"].append(
            {
                "id": uuid.uuid4(),
                "owner_id": manager_id,
                "customer_id": customer["id"],
                "title": "回访跟进",
                "due_date": today + timedelta(days=(t % 9) - 4),
                "status": "open" if open_task else "done",
                "completed_at": None if open_task else at(t % 300),
                "created_by_id": manager_id,
            }
        )
    for k in range(int(n * COMPLAINTS_EACH)):
        customer = customers[(k * 2) % n]
        received = at(1 + (k * 37) % 360)
        resolved = k % 25 != 0
        complaint_id = uuid.uuid4()
        rows["complaints"].append(
            {
                "id": complaint_id,
                "customer_id": customer["id"],
                "owner_id": manager_id,
                "category_id": category_ids[k % len(category_ids)],
                "severity": "medium",
                "intake_channel": "phone",
                "description": "网络信号不稳定。影响日常使用。",
                "received_at": received,
                "deadline_at": received + timedelta(hours=48),
                "status": "closed" if resolved else "in_progress",
                "resolution": "已优化基站参数" if resolved else None,
                "resolved_at": received + timedelta(hours=20) if resolved else None,
                "closed_at": received + timedelta(hours=30) if resolved else None,
                "logged_by_id": manager_id,
            }
        )
        steps = [(None, "received"), ("received", "in_progress")]
        if resolved:
            steps += [("in_progress", "resolved"), ("resolved", "closed")]
        for h, (from_status, to_status) in enumerate(steps):
            rows["complaint_events"].append(
                {
                    "id": uuid.uuid4(),
                    "complaint_id": complaint_id,
                    "actor_id": manager_id,
                    "at": received + timedelta(hours=h * 10),
                    "from_status": from_status,
                    "to_status": to_status,
                }
            )
    for w in range(n // 20):
        rows["churn_warnings"].append(
            {
                "id": uuid.uuid4(),
                "customer_id": customers[w * 20]["id"],
                "status": "open",
                "source": "spend_rule",
                "reasons": [
                    {
                        "code": "service_drop",
                        "text_zh": "宽带消费下降",
                        "text_en": "Broadband spend fell",
                    }
                ],
                "finding_keys": [f"bench:{w}"],
                "opened_at": at(w % 20),
            }
        )
    return rows


# --- the browser ---------------------------------------------------------------------

# Counts every IndexedDB transaction and write request the page makes (before any of
# the app's scripts run).
COUNT_IDB = """
(() => {
  const counts = { transactions: 0, readwrite: 0, writes: 0 };
  window.__fbIdb = counts;
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
    counts.transactions += 1;
    if (mode === "readwrite") counts.readwrite += 1;
    return transaction.call(this, stores, mode, ...rest);
  };
  for (const name of ["put", "add", "delete", "clear"]) {
    const original = IDBObjectStore.prototype[name];
    IDBObjectStore.prototype[name] = function (...args) {
      counts.writes += 1;
      return original.apply(this, args);
    };
  }
})();
"""

# Usable Today: agenda items shown and the sync bar showing a finished sync's time.
# Checked every 50 ms (a check each frame would itself take the page's main thread).
USABLE = """
() => {
  const last = document.querySelector('[data-testid="sync-last"]');
  const shown = document.querySelector('[data-testid="agenda-item"]') !== null;
  if (shown) window.__fbShown ??= performance.now();
  if (shown && last && /\\d/.test(last.textContent)) {
    const items = document.querySelectorAll('[data-testid="agenda-item"]').length;
    window.__fbUsable ??= { at: performance.now(), items };
    return true;
  }
  return false;
}
"""


class Network:
    """Requests of one page and their bytes, from the DevTools protocol."""

    def __init__(self, cdp) -> None:
        self.urls: dict[str, str] = {}
        self.encoded: dict[str, int] = {}
        self.decoded: dict[str, int] = defaultdict(int)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def _sent(self, event) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _data(self, event) -> None:
        self.decoded[event["requestId"]] += event["dataLength"]

    def _finished(self, event) -> None:
        self.encoded[event["requestId"]] = event["encodedDataLength"]

    def summary(self) -> dict[str, int]:
        pulls = [r for r, url in self.urls.items() if "/api/v1/sync/pull" in url]
        return {
            "requests": len(self.urls),
            "api_requests": sum("/api/" in url for url in self.urls.values()),
            "pulls": len(pulls),
            "bytes": sum(self.encoded.values()),
            "pull_bytes": sum(self.encoded.get(r, 0) for r in pulls),
            "pull_json_bytes": sum(self.decoded.get(r, 0) for r in pulls),
        }


def one_run(browser, base: str, profile: bool) -> dict:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id=TIMEZONE,
        base_url=base,
    )
    context.add_init_script(COUNT_IDB)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "response",
            lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        cdp = context.new_cdp_session(page)
        page.goto("/")
        form = page.get_by_test_id("login-form")
        form.locator('[name="username"]').fill(USERNAME)
        form.locator('[name="password"]').fill(PASSWORD)
        network = Network(cdp)
        if profile:
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            cdp.send("Profiler.start")
        page.evaluate("() => { window.__fbStart = performance.now() }")
        form.locator('[type="submit"]').click()
        try:
            page.wait_for_function(USABLE, polling=50, timeout=120_000)
        except Exception as err:
            bar = page.get_by_test_id("sync-bar").all_inner_texts()
            raise SystemExit(
                f"no usable Today after 2 minutes; sync bar {bar}; errors {errors}"
            ) from err
        cpu = cdp.send("Profiler.stop")["profile"] if profile else None
        found = page.evaluate(
            """() => ({
              ms: window.__fbUsable.at - window.__fbStart,
              shownMs: window.__fbShown - window.__fbStart,
              items: window.__fbUsable.items,
              idb: window.__fbIdb,
              marks: performance.getEntriesByType("measure")
                .filter((m) => m.name.startsWith("fieldbook:"))
                .map((m) => ({ name: m.name, ms: m.duration })),
            })"""
        )
        marks: dict[str, float] = defaultdict(float)
        for mark in found["marks"]:
            marks[mark["name"].removeprefix("fieldbook:")] += mark["ms"]
        return {
            "seconds": found["ms"] / 1000,
            "shown_seconds": found["shownMs"] / 1000,
            "items": found["items"],
            **network.summary(),
            "idb_transactions": found["idb"]["transactions"],
            "idb_readwrite": found["idb"]["readwrite"],
            "idb_writes": found["idb"]["writes"],
            "marks": dict(marks),
            "cpu": cpu,
        }
    finally:
        context.close()


def floor_run(base: str) -> float:
    """The same sign-in and pulls by a plain HTTP client: what the server and network take.

    Sequential pages (the next cursor needs the page before), gzip as the browser asks
    for it, the JSON parsed; nothing stored, nothing rendered.
    """
    import httpx

    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=120) as client:
        login = client.post(
            "/api/v1/auth/login",
            json={"username": USERNAME, "password": PASSWORD, "remember": True},
        )
        login.raise_for_status()
        # The production cookies are Secure: httpx would keep them off plain http.
        cookie = "; ".join(f"{name}={value}" for name, value in login.cookies.items())
        headers = {"Cookie": cookie, "Accept-Encoding": "gzip"}
        params = {"device_id": str(uuid.uuid4()), "limit": "2000", "schema_version": "2"}
        for _ in range(100):
            page = client.get("/api/v1/sync/pull", params=params, headers=headers)
            page.raise_for_status()
            answer = page.json()
            if not answer["has_more"]:
                break
            params["cursor"] = answer["cursor"]
        client.get("/api/v1/reviews/me", headers=headers).raise_for_status()
    return time.perf_counter() - started


def top_functions(profile: dict, n: int = 15) -> list[tuple[float, str]]:
    """Self time per function (ms) of a CPU profile, the largest first."""
    interval: dict[int, float] = defaultdict(float)
    deltas = profile.get("timeDeltas", [])
    for node_id, delta in zip(profile.get("samples", []), deltas, strict=False):
        interval[node_id] += delta / 1000
    by_name: dict[str, float] = defaultdict(float)
    for node in profile["nodes"]:
        frame = node["callFrame"]
        url = frame["url"].rsplit("/", 1)[-1]
        where = f"{url}:{frame['lineNumber'] + 1}:{frame['columnNumber'] + 1}"
        name = f"{frame['functionName'] or '(anonymous)'} {where}"
        by_name[name] += interval.get(node["id"], 0.0)
    return sorted(((ms, name) for name, ms in by_name.items()), reverse=True)[:n]


def _git(*args: str) -> str:
    found = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return found.stdout.strip()


def server_tree(rev: str) -> tuple[str, Path]:
    """The server as committed at `rev`, exported to a folder of its own.

    Other engineers edit the shared checkout while this runs: a server started from it
    would run whatever half-made edit is on disk, and a figure could not name its commit.
    """
    commit = _git("rev-parse", "--short", rev)
    tree = Path(tempfile.gettempdir()) / f"fieldbook-firstsync-{commit}"
    if not (tree / "server").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", commit, "server", "migrations", "config.py"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return commit, tree


def server_env(db_url: str, tree: Path, dist: Path = ROOT / "webclient" / "dist") -> dict[str, str]:
    env = dict(os.environ)
    # The client measured: as built in this checkout, unless --dist names another build.
    env.update(PYTHONPATH=str(tree), DATABASE_URL=db_url, FIELDBOOK_WEBCLIENT_DIST=str(dist))
    return env


def migrate(db_url: str, tree: Path) -> None:
    """Bring the database to the server commit's migrations (an index added meanwhile)."""
    script = (
        "from flask_migrate import upgrade; from server import create_app; "
        "app = create_app(); app.app_context().push(); upgrade(revision='heads')"
    )
    env = server_env(db_url, tree) | {"FIELDBOOK_ENV": "development"}
    subprocess.run(
        [sys.executable, "-c", script], cwd=tree, env=env, check=True, capture_output=True
    )


def start_gunicorn(db_url: str, tree: Path, dist: Path, port: int, workers: int, threads: int):
    """gunicorn as bench/load_sync.py starts it (production config), on the exported tree."""
    env = server_env(db_url, tree, dist)
    env.update(
        FIELDBOOK_ENV="production",
        SECRET_KEY=uuid.uuid4().hex,
        REDIS_URL=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/0"),
        FIELDBOOK_JOB_QUEUE=f"fieldbook-firstsync-{os.getpid()}",
    )
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--worker-class", "gthread", "--threads", str(threads), "--timeout", "60"),
        *("--log-level", "warning", "server:create_app()"),
    ]
    return subprocess.Popen(command, cwd=tree, env=env, start_new_session=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--managers", type=int, default=5, help="managers in the database (seeding only)"
    )
    parser.add_argument(
        "--customers", type=int, default=500, help="customers per manager (seeding only)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed it again")
    parser.add_argument("--profile", action="store_true", help="CPU-profile the last run")
    parser.add_argument("--json", action="store_true", help="print the runs as JSON too")
    parser.add_argument(
        "--dist",
        type=Path,
        default=ROOT / "webclient" / "dist",
        help="the built web client to measure (default: webclient/dist)",
    )
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--server-commit", default="HEAD", help="the commit whose server is measured (HEAD)"
    )
    opts = parser.parse_args()

    if not (opts.dist / "index.html").exists():
        print(f"{opts.dist} is not a built client: npm run build", file=sys.stderr)
        return 1
    db_url = load_sync.pg_url(DB_NAME)
    if opts.reseed:
        load_sync.dropdb(DB_NAME)
    commit, tree = server_tree(opts.server_commit)
    if opts.seed_only:
        counts = seed(db_url, opts.managers, opts.customers)
        print("  one portfolio: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
        print(f"  {sum(counts.values()):,} rows")
        return 0
    if not database_ready(db_url):
        load_sync.dropdb(DB_NAME)
        load_sync.createdb(DB_NAME)
        started = time.monotonic()
        # With the exported server: the checkout's may be half-edited by someone else.
        subprocess.run(
            [
                *(sys.executable, __file__, "--seed-only", "--server-commit", commit),
                *("--managers", str(opts.managers), "--customers", str(opts.customers)),
            ],
            cwd=tree,
            env=server_env(db_url, tree) | {"FIELDBOOK_ENV": "development"},
            check=True,
        )
        print(f"seeded {DB_NAME} in {time.monotonic() - started:.0f} s")

    from playwright.sync_api import sync_playwright

    port = load_sync.free_port()
    # localhost, not 127.0.0.1: the production config's Secure cookies are kept there.
    base = f"http://localhost:{port}"
    migrate(db_url, tree)
    server = start_gunicorn(db_url, tree, opts.dist, port, opts.workers, opts.threads)
    runs: list[dict] = []
    floors: list[float] = []
    try:
        import asyncio

        asyncio.run(load_sync.wait_until_up(f"http://127.0.0.1:{port}", server))
        print(
            f"gunicorn: {opts.workers} workers x {opts.threads} threads; server at commit {commit}"
            f" (server/sync/pull.py last changed in"
            f" {_git('log', '-1', '--format=%h', commit, '--', 'server/sync/pull.py')});"
            f" client: {opts.dist}"
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                # One run to warm the server (connections, imports) and the disk cache.
                one_run(browser, base, profile=False)
                for k in range(opts.runs):
                    # Interleaved with the browser's runs: both see the same load.
                    floors.append(floor_run(base))
                    run = one_run(browser, base, profile=opts.profile and k == opts.runs - 1)
                    runs.append(run)
                    print(
                        f"run {k + 1}: {run['seconds']:.2f} s (floor {floors[-1]:.2f} s;"
                        f" first agenda items at {run['shown_seconds']:.2f} s),"
                        f" {run['items']} agenda items,"
                        f" {run['requests']} requests ({run['pulls']} pulls),"
                        f" {run['bytes'] / 1e6:.2f} MB transferred"
                        f" (pulls {run['pull_bytes'] / 1e6:.2f} MB,"
                        f" {run['pull_json_bytes'] / 1e6:.2f} MB JSON),"
                        f" IndexedDB {run['idb_transactions']} transactions"
                        f" ({run['idb_readwrite']} read-write),"
                        f" {run['idb_writes']:,} write requests;"
                        + "".join(
                            f" {name} {ms / 1000:.2f} s"
                            for name, ms in sorted(run["marks"].items())
                        )
                    )
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    median = statistics.median(run["seconds"] for run in runs)
    floor = statistics.median(floors)
    print(
        f"median: {median:.2f} s from sign-in to a usable Today (budget {BUDGET_S:.0f} s);"
        f" floor {floor:.2f} s (the same sign-in and pulls by a plain HTTP client),"
        f" ratio {median / floor:.2f}, the phone's own share {median - floor:.2f} s;"
        f" requests {statistics.median(r['requests'] for r in runs):.0f},"
        f" pulls {statistics.median(r['pulls'] for r in runs):.0f},"
        f" {statistics.median(r['bytes'] for r in runs) / 1e6:.2f} MB transferred,"
        f" IndexedDB transactions {statistics.median(r['idb_transactions'] for r in runs):.0f}"
        f" ({statistics.median(r['idb_readwrite'] for r in runs):.0f} read-write),"
        f" write requests {statistics.median(r['idb_writes'] for r in runs):,.0f}"
    )
    cpu = runs[-1]["cpu"] if runs else None
    if cpu:
        print("CPU profile of the last run, self time:")
        for ms, name in top_functions(cpu):
            print(f"  {ms:8.1f} ms  {name}")
    if opts.json:
        print(json.dumps([{k: v for k, v in run.items() if k != "cpu"} for run in runs]))
    return 0 if median <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
