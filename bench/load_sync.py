"""Load: 200 simulated managers syncing and logging visits against gunicorn and PostgreSQL.

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python bench/load_sync.py [--managers 200] [--duration 120] [--workers 3]

Not a test (not in pytest or CI): it takes a few minutes and the whole machine.
What it does, all on this machine (loopback only):

1. creates a PostgreSQL database of its own (`createdb`, dropped at the end unless
   --keep), migrates it and seeds one branch: --managers managers in teams of 10,
   each with --customers customers;
2. starts gunicorn on 127.0.0.1 with the production configuration on that database;
3. signs every manager in (a phone of their own each), then for --duration seconds
   each phone does what the web client's sync does (webclient/src/sync/syncOnce.ts):
   push its outbox, pull until `has_more` is false, and between syncs the manager logs
   visits and creates follow-up tasks (queued as `log_visit` / `create_task`
   mutations with phone-made ids and increasing seqs, docs/sync.md);
4. afterwards, finishes every outbox, stops gunicorn and reads the database: every
   visit and task a phone created is there, exactly once, with the values it sent,
   there is nothing else, and each device's last acknowledged seq is its last seq.

It prints p50/p95/p99 latencies per kind of request and the verification, and exits
1 on any error (a status other than 2xx, a timeout, a mutation not `applied`) or
mismatch.

Why asyncio and httpx rather than locust: the check that matters is the
exactly-once bookkeeping of every phone (its outbox, seqs and the ids it made),
which is plain state per simulated phone in one process, verified against the
database at the end; locust's strength (a web UI, distributed workers) is not needed
for 200 phones on one machine, and one event loop costs the server's two cores less
than 200 threads.
"""

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-2026"
TEAM_SIZE = 10


# --- set-up ----------------------------------------------------------------------


def pg_url(name: str) -> str:
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    return f"postgresql://{user}@{host}:{port}/{name}"


def createdb(name: str) -> None:
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True, cwd=ROOT)


def dropdb(name: str) -> None:
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name],
        check=False,
        cwd=ROOT,
    )


def seed(db_url: str, managers: int, customers_each: int) -> dict[str, list[str]]:
    """Migrate and seed; answers each manager's username -> their customers' ids."""
    os.environ["DATABASE_URL"] = db_url
    # Imported here: config reads DATABASE_URL when it is first imported.
    from flask_migrate import upgrade

    from config import DevelopmentConfig, _normalise_db_url
    from server import create_app
    from server.auth.models import Role, User
    from server.auth.passwords import hash_password
    from server.customers.models import Customer, CustomerKind, Stage, Tier
    from server.extensions import db
    from server.team.models import Team

    class SeedConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = _normalise_db_url(db_url)

    app = create_app(SeedConfig)
    portfolios: dict[str, list[str]] = {}
    with app.app_context():
        upgrade(revision="heads")
        tier_ids = db.session.scalars(sa.select(Tier.id).order_by(Tier.rank)).all()
        # One hash for everyone: argon2 at production cost takes a while per user.
        password_hash = hash_password(PASSWORD)
        team = None
        for m in range(managers):
            if m % TEAM_SIZE == 0:
                team = Team(name=f"负载班组{m // TEAM_SIZE + 1:02d}")
                db.session.add(team)
            username = f"load{m + 1:03d}"
            user = User(
                username=username,
                display_name=f"负载经理{m + 1:03d}",
                role=Role.MANAGER,
                team=team,
                password_hash=password_hash,
            )
            db.session.add(user)
            db.session.flush()
            ids = []
            for c in range(customers_each):
                customer = Customer(
                    id=uuid.uuid4(),
                    external_no=f"L{m + 1:03d}{c + 1:05d}",
                    name=f"客户{m + 1:03d}-{c + 1:03d}",
                    phone=f"139{m + 1:04d}{c + 1:04d}",
                    kind=CustomerKind.INDIVIDUAL,
                    stage=Stage.MATURITY,
                    tier_id=tier_ids[c % len(tier_ids)],
                    manager_id=user.id,
                    assigned_at=datetime.now(UTC),
                    activation_date=date(2020, 1, 1),
                )
                db.session.add(customer)
                ids.append(str(customer.id))
            portfolios[username] = ids
        db.session.commit()
        db.engine.dispose()
    return portfolios


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    db_url: str, port: int, workers: int, threads: int, app: str = "server:create_app()"
) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        FIELDBOOK_ENV="production",
        SECRET_KEY=uuid.uuid4().hex,
        DATABASE_URL=db_url,
        REDIS_URL=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/0"),
        FIELDBOOK_JOB_QUEUE=f"fieldbook-load-{os.getpid()}",
        # As in production behind one reverse proxy: each phone has its own address
        # (X-Forwarded-For), so sign-in throttling per address sees 200 phones, not one.
        FIELDBOOK_PROXY_HOPS="1",
    )
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


async def wait_until_up(base: str, proc: subprocess.Popen) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(120):
            if proc.poll() is not None:
                raise SystemExit("gunicorn exited before it answered")
            try:
                await client.get("/api/v1/openapi.json")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.5)
    raise SystemExit("gunicorn did not answer within a minute")


# --- one phone -------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    mutations_applied: int = 0
    pulls: int = 0
    pushes: int = 0
    elapsed: float = 0.0


@dataclass
class Phone:
    """A manager's phone: its cookies, CSRF token, device id, outbox and what it made."""

    username: str
    customers: list[str]
    address: str
    device_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    cursor: str | None = None
    next_seq: int = 1
    outbox: list[dict] = field(default_factory=list)
    # What the server acknowledged as applied: id -> the args the phone sent.
    visits: dict[str, dict] = field(default_factory=dict)
    tasks: dict[str, dict] = field(default_factory=dict)
    last_acknowledged_seq: int = 0

    def take_cookies(self, response: httpx.Response) -> None:
        # Kept by hand: production cookies are Secure (and may be __Host-), which a
        # cookie jar would not send over plain HTTP on the loopback.
        for header in response.headers.get_list("set-cookie"):
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            expired = "max-age=0" in attributes.lower() or "expires=thu, 01 jan 1970" in (
                attributes.lower()
            )
            if expired or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def headers(self) -> dict[str, str]:
        headers = {
            "X-CSRF-Token": self.csrf,
            "User-Agent": "fieldbook-load",
            "X-Forwarded-For": self.address,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def queue(self, name: str, args: dict) -> None:
        self.outbox.append(
            {
                "id": str(uuid.uuid4()),
                "seq": self.next_seq,
                "name": name,
                "args": args,
                "base_version": None,
                "client_time": datetime.now(UTC).isoformat(),
            }
        )
        self.next_seq += 1

    def log_visit(self, rng: random.Random) -> None:
        started = datetime.now(UTC) - timedelta(minutes=rng.randint(5, 90))
        args = {
            "id": str(uuid.uuid4()),
            "customer_id": rng.choice(self.customers),
            "channel": rng.choice(["visit", "phone", "im"]),
            "purpose": rng.choice(["routine", "marketing"]),
            "started_at": started.isoformat(),
            "ended_at": (started + timedelta(minutes=rng.randint(3, 40))).isoformat(),
            "notes": f"负载测试拜访 {rng.randint(1, 10**9)}",
            "outcome": "已沟通",
            "plan_id": None,
        }
        self.queue("log_visit", args)

    def create_task(self, rng: random.Random) -> None:
        args = {
            "id": str(uuid.uuid4()),
            "customer_id": rng.choice(self.customers),
            "title": f"回访 {rng.randint(1, 10**9)}",
            "due_date": (date.today() + timedelta(days=rng.randint(1, 30))).isoformat(),
        }
        self.queue("create_task", args)


async def request(
    client: httpx.AsyncClient, phone: Phone, stats: Stats, kind: str, method: str, url: str, **kw
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, headers=phone.headers(), **kw)
    except httpx.HTTPError as err:
        stats.errors.append(f"{phone.username} {kind}: {type(err).__name__} {err}")
        return None
    stats.latencies[kind].append(time.perf_counter() - started)
    phone.take_cookies(response)
    if not 200 <= response.status_code < 300:
        stats.errors.append(
            f"{phone.username} {kind}: {response.status_code} {response.text[:200]}"
        )
        return None
    return response


async def sign_in(client: httpx.AsyncClient, phone: Phone, stats: Stats) -> bool:
    response = await request(
        client,
        phone,
        stats,
        "login",
        "POST",
        "/api/v1/auth/login",
        json={"username": phone.username, "password": PASSWORD, "remember": True},
    )
    if response is None:
        return False
    phone.csrf = response.json()["csrf_token"]
    return True


async def push(client: httpx.AsyncClient, phone: Phone, stats: Stats) -> None:
    if not phone.outbox:
        return
    batch = phone.outbox[:100]
    response = await request(
        client,
        phone,
        stats,
        "push",
        "POST",
        "/api/v1/sync/push",
        json={"device_id": phone.device_id, "schema_version": 2, "mutations": batch},
    )
    if response is None:
        return  # the outbox stays as it is; the phone sends it again next time
    stats.pushes += 1
    answer = response.json()
    by_id = {m["id"]: m for m in batch}
    for result in answer["results"]:
        sent = by_id.pop(result["id"], None)
        if sent is None:
            continue
        if result["status"] != "applied" or result.get("code"):
            stats.errors.append(
                f"{phone.username} {sent['name']} seq {sent['seq']}: {result['status']} "
                f"{result.get('code')} {result.get('message')}"
            )
            continue
        stats.mutations_applied += 1
        made = phone.visits if sent["name"] == "log_visit" else phone.tasks
        made[sent["args"]["id"]] = sent["args"]
        if result["record"]["id"] != sent["args"]["id"]:
            stats.errors.append(f"{phone.username}: answered with another record")
    if by_id:
        stats.errors.append(f"{phone.username}: {len(by_id)} mutations without a result")
    phone.last_acknowledged_seq = answer["last_acknowledged_seq"]
    phone.outbox = [m for m in phone.outbox if m["seq"] > phone.last_acknowledged_seq]


async def pull(client: httpx.AsyncClient, phone: Phone, stats: Stats) -> None:
    for _ in range(50):
        params = {"device_id": phone.device_id, "limit": 500}
        if phone.cursor:
            params["cursor"] = phone.cursor
        response = await request(
            client, phone, stats, "pull", "GET", "/api/v1/sync/pull", params=params
        )
        if response is None:
            return
        stats.pulls += 1
        page = response.json()
        phone.cursor = page["cursor"]
        if not page["has_more"]:
            return
    stats.errors.append(f"{phone.username}: a pull round took more than 50 pages")


async def run_phone(
    client: httpx.AsyncClient, phone: Phone, stats: Stats, until: float, seed: int, interval: float
) -> None:
    rng = random.Random(seed)
    # Phones do not all wake at once.
    await asyncio.sleep(rng.uniform(0, interval))
    while time.monotonic() < until:
        await push(client, phone, stats)
        await pull(client, phone, stats)
        await push(client, phone, stats)
        # A manager's few minutes in the field, compressed: a visit or two, sometimes a task.
        for _ in range(rng.randint(1, 2)):
            phone.log_visit(rng)
        if rng.random() < 0.5:
            phone.create_task(rng)
        await asyncio.sleep(rng.uniform(0.5 * interval, 1.5 * interval))


# --- checks ----------------------------------------------------------------------


def verify(db_url: str, phones: list[Phone]) -> list[str]:
    """Compare the database with what the phones sent; answers the mismatches."""
    from config import _normalise_db_url

    problems: list[str] = []
    engine = sa.create_engine(_normalise_db_url(db_url))
    with engine.connect() as conn:
        users = dict(conn.execute(sa.text("SELECT username, id FROM users")).all())
        sent_visits = {vid: (p, args) for p in phones for vid, args in p.visits.items()}
        sent_tasks = {tid: (p, args) for p in phones for tid, args in p.tasks.items()}
        visits = {
            str(row.id): row
            for row in conn.execute(
                sa.text(
                    "SELECT id, customer_id, manager_id, started_at, notes, channel FROM visits"
                )
            )
        }
        tasks = {
            str(row.id): row
            for row in conn.execute(
                sa.text("SELECT id, customer_id, owner_id, title, due_date FROM tasks")
            )
        }
        for name, sent, held in (("visits", sent_visits, visits), ("tasks", sent_tasks, tasks)):
            missing = sent.keys() - held.keys()
            extra = held.keys() - sent.keys()
            if missing:
                problems.append(f"{len(missing)} {name} sent and acknowledged are missing")
            if extra:
                problems.append(f"{len(extra)} {name} in the database were never sent")
        for vid, (phone, args) in sent_visits.items():
            row = visits.get(vid)
            if row is None:
                continue
            started = datetime.fromisoformat(args["started_at"])
            if (
                str(row.customer_id) != args["customer_id"]
                or str(row.manager_id) != str(users[phone.username])
                or row.notes != args["notes"]
                or str(row.channel) != args["channel"]
                or abs(row.started_at.replace(tzinfo=UTC) - started) > timedelta(seconds=1)
            ):
                problems.append(f"visit {vid} differs from what {phone.username} sent")
        for tid, (phone, args) in sent_tasks.items():
            row = tasks.get(tid)
            if row is None:
                continue
            if (
                str(row.customer_id) != args["customer_id"]
                or str(row.owner_id) != str(users[phone.username])
                or row.title != args["title"]
                or row.due_date.isoformat() != args["due_date"]
            ):
                problems.append(f"task {tid} differs from what {phone.username} sent")
        devices = {
            str(row.id): row.last_seq
            for row in conn.execute(sa.text("SELECT id, last_seq FROM sync_devices"))
        }
        recorded = dict(
            conn.execute(
                sa.text("SELECT device_id::text, count(*) FROM sync_mutations GROUP BY device_id")
            ).all()
        )
        for phone in phones:
            sent = phone.next_seq - 1
            if devices.get(phone.device_id, 0) != sent:
                problems.append(
                    f"{phone.username}: device's last seq "
                    f"{devices.get(phone.device_id)}, sent {sent}"
                )
            if recorded.get(phone.device_id, 0) != sent:
                problems.append(
                    f"{phone.username}: {recorded.get(phone.device_id, 0)} mutations recorded, "
                    f"{sent} sent"
                )
    engine.dispose()
    return problems


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "-"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49] * 1000:7.1f} ms  p95 {q[94] * 1000:7.1f} ms  p99 {q[98] * 1000:7.1f} ms"


# --- main ------------------------------------------------------------------------


async def load(
    base: str, phones: list[Phone], duration: float, interval: float, stats: Stats
) -> None:
    # Idle connections are dropped before gunicorn's keep-alive (2 s) closes them under
    # a request about to be sent on them.
    limits = httpx.Limits(
        max_connections=len(phones), max_keepalive_connections=len(phones), keepalive_expiry=1.0
    )
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        # Sign-ins first, a few at a time (argon2 at production cost is the point of them).
        gate = asyncio.Semaphore(8)

        async def signed(phone: Phone) -> bool:
            async with gate:
                return await sign_in(client, phone, stats)

        if not all(await asyncio.gather(*(signed(p) for p in phones))):
            return
        started = time.monotonic()
        until = started + duration
        await asyncio.gather(
            *(
                run_phone(client, p, stats, until, seed=i, interval=interval)
                for i, p in enumerate(phones)
            )
        )
        elapsed = stats.elapsed = time.monotonic() - started
        # Each phone sends what it still holds (a last sync when the day ends).
        for _ in range(5):
            if not any(p.outbox for p in phones):
                break
            await asyncio.gather(*(push(client, p, stats) for p in phones if p.outbox))
        left = sum(len(p.outbox) for p in phones)
        if left:
            stats.errors.append(f"{left} mutations still in outboxes at the end")
        print(f"ran {elapsed:.0f} s of load plus the final pushes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--managers", type=int, default=200)
    parser.add_argument("--customers", type=int, default=30, help="customers per manager")
    parser.add_argument("--duration", type=float, default=120, help="seconds of load")
    parser.add_argument(
        "--interval",
        type=float,
        default=10,
        help="mean seconds between a phone's syncs (each phone logs 1-2 visits between them)",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    opts = parser.parse_args()

    db_name = f"fieldbook_load_{int(time.time())}_{os.getpid()}"
    db_url = pg_url(db_name)
    createdb(db_name)
    server = None
    try:
        t0 = time.perf_counter()
        portfolios = seed(db_url, opts.managers, opts.customers)
        print(
            f"database {db_name}: {opts.managers} managers, "
            f"{opts.managers * opts.customers} customers, "
            f"seeded in {time.perf_counter() - t0:.1f} s"
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(db_url, port, opts.workers, opts.threads)
        asyncio.run(wait_until_up(base, server))
        print(f"gunicorn on {base}: {opts.workers} workers x {opts.threads} threads")

        phones = [
            Phone(username=u, customers=c, address=f"127.1.{i // 250}.{i % 250 + 1}")
            for i, (u, c) in enumerate(portfolios.items())
        ]
        stats = Stats()
        load_before = os.getloadavg()[0]
        asyncio.run(load(base, phones, opts.duration, opts.interval, stats))
        print(
            f"machine load average (1 min) {load_before:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores"
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    total = sum(len(v) for k, v in stats.latencies.items() if k != "login")
    print(
        f"requests {total} ({total / max(stats.elapsed, 1):.1f}/s): "
        f"pushes {stats.pushes}, pull pages {stats.pulls}, "
        f"mutations applied {stats.mutations_applied} "
        f"(visits {sum(len(p.visits) for p in phones)}, tasks {sum(len(p.tasks) for p in phones)})"
    )
    for kind in ("login", "pull", "push"):
        values = stats.latencies.get(kind, [])
        print(f"  {kind:5} {len(values):6}  {percentiles(values)}")
    problems = verify(db_url, phones)
    if not opts.keep:
        dropdb(db_name)
    print(f"errors: {len(stats.errors)}")
    for line in stats.errors[:20]:
        print("  " + line)
    if problems:
        print("verification: MISMATCH")
        for line in problems[:20]:
            print("  " + line)
    else:
        print(
            "verification: the database holds exactly the visits and tasks the phones sent, "
            "and every device's last seq"
        )
    return 1 if stats.errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
