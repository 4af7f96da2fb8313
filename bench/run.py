"""Every sync-at-scale benchmark against its floor, in one command, as one table.

    .venv/bin/python bench/run.py [--runs 5] [--only first_pull,empty_pull,push,agenda,
                                   indicators,morning_peak,watermark_stall]

Not a test (not in pytest or CI): it loads or reuses the province (bench/province.py:
`fieldbook_province`, 1,000 managers, and `fieldbook_province_small`, 5 managers of
the same shape), starts gunicorn with the production configuration (2 workers x 4
threads, as bench/load_sync.py starts it) on each, and a bare 5-line Flask endpoint
(bench/bare_wsgi.py) on the same gunicorn set-up, then measures each work as the
median of --runs runs, next to a floor measured in the same run:

- first_pull: a 500-customer portfolio's first full pull (manager m0001), every page
  of 2,000 as the web client asks them (docs/sync.md), gzip accepted, JSON decoded;
  floor: the same rows read by plain psycopg, serialised with orjson and gzip level
  6. On the province and on the small database: the two ratios within 20%.
- empty_pull: pulls with nothing new, as many as 16 concurrent connections get
  answered in --seconds; floor: the bare endpoint, same client, same gunicorn.
- push: 50 offline changes in one push (30 visits, 20 tasks, a new device); floor:
  the same 50 rows, the device and its 50 mutation records inserted by psycopg in
  one transaction.
- agenda: GET /api/v1/agenda for m0001; floor: bench/query_floors.py's
  agenda_floor, the agenda's five reads as plain SQL, rows fetched.
- indicators: GET /api/v1/reviews for lead01's team (20 managers), last month;
  floor: query_floors.indicators_floor, every row the indicators read, fetched.
- morning_peak: 1,000 phones (every manager), each pulls what changed since its
  last sync and pushes 5 changes, waking spread over 4 minutes; no errors; p50/p95/p99.
  The phones start from the cursor a sync ending now would give them (made with the
  server's own cursor code; --first-syncs for real first pulls), kept with their
  device ids in instance/bench-<database>-phones.json for later runs.
- watermark_stall: plan generation and the warning scan (the `fieldbook` CLI, and
  the same as their background jobs) and a 100,000-row customer import run over the
  province, while a probe commits a change every 0.2 s: how long after its commit a
  pull could first see it (the watermark, pg_snapshot_xmin, passing its stamp); the
  floor is the same probe with none of that work running.

Prints: work | Fieldbook median | floor | ratio | budget | met?. Exits 1 on an error
(a failed request, a refused change), never on a missed budget (those are printed).
"""

import argparse
import asyncio
import gzip
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import load_sync
import orjson
import province
import psycopg
import query_floors
from load_sync import Phone, Stats, free_port, pg_url, start_gunicorn, wait_until_up
from psycopg.rows import dict_row

ROOT = Path(__file__).resolve().parent.parent
load_sync.PASSWORD = province.PASSWORD  # the phones of load_sync sign in with it
WORKERS, THREADS = 2, 4
PORTFOLIO_USER = "m0001"  # 500 customers on both databases
LEAD = "lead01"
WORKS = (
    "first_pull",
    "empty_pull",
    "push",
    "agenda",
    "indicators",
    "morning_peak",
    "watermark_stall",
)


@dataclass
class Row:
    work: str
    fieldbook: str
    floor: str
    ratio: float | None
    budget: str
    met: bool | None
    notes: list[str] = field(default_factory=list)


class BenchError(Exception):
    """A request failed or a change was refused: the figures would mean nothing."""


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- servers ---------------------------------------------------------------------


class Server:
    def __init__(self, db_url: str, app: str = "server:create_app()"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = start_gunicorn(db_url, self.port, WORKERS, THREADS, app=app)
        asyncio.run(self._up(app))

    async def _up(self, app: str) -> None:
        if app.startswith("server:"):
            await wait_until_up(self.base, self.proc)
            return
        async with httpx.AsyncClient(base_url=self.base) as client:
            for _ in range(120):
                try:
                    await client.get("/api/v1/sync/pull")
                    return
                except httpx.TransportError:
                    await asyncio.sleep(0.5)
        raise BenchError("the bare endpoint did not answer")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def sign_in(client: httpx.Client, username: str) -> dict[str, str]:
    """Signs in; answers the headers a phone sends (cookies by hand: they are Secure)."""
    phone = Phone(username=username, customers=[], address="127.9.0.1")
    response = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": province.PASSWORD, "remember": True},
        headers={"X-Forwarded-For": phone.address},
    )
    if response.status_code != 200:
        raise BenchError(f"sign-in of {username}: {response.status_code} {response.text[:200]}")
    phone.take_cookies(response)
    phone.csrf = response.json()["csrf_token"]
    return phone.headers()


# --- first full pull ---------------------------------------------------------------


def full_pull(client: httpx.Client, headers: dict, device: str) -> tuple[float, dict]:
    """Every page of a first sync; answers (seconds, figures) and leaves the cursor."""
    cursor, pages, changes, wire, body = None, 0, 0, 0, 0
    started = time.perf_counter()
    while True:
        params: dict = {"device_id": device, "limit": 2000}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/api/v1/sync/pull", params=params, headers=headers)
        if response.status_code != 200:
            raise BenchError(f"pull: {response.status_code} {response.text[:200]}")
        page = response.json()
        pages += 1
        changes += len(page["changes"])
        wire += response.num_bytes_downloaded
        body += len(response.content)
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    seconds = time.perf_counter() - started
    return seconds, {
        "pages": pages,
        "changes": changes,
        "wire": wire,
        "json": body,
        "cursor": cursor,
    }


def floor_pull(conn: psycopg.Connection, username: str) -> tuple[float, int, int]:
    """The portfolio's rows (docs/sync.md's scope) by psycopg, orjson and gzip-6."""
    started = time.perf_counter()
    user = conn.execute("SELECT id, team_id FROM users WHERE username = %s", (username,)).fetchone()
    uid, team = user
    today = date.today()
    y, m = divmod(today.year * 12 + today.month - 1 - 11, 12)
    spend_from = date(y, m + 1, 1)
    scope = "SELECT id FROM customers WHERE manager_id = %(u)s"
    queries = {
        "tiers": "SELECT * FROM tiers",
        "complaint_categories": "SELECT * FROM complaint_categories",
        "users": "SELECT id, username, display_name, role, team_id, phone, active, version,"
        " created_at, updated_at FROM users WHERE id = %(u)s OR team_id = %(t)s",
        "customers": "SELECT * FROM customers WHERE manager_id = %(u)s",
        "monthly_spend": f"SELECT * FROM monthly_spend WHERE customer_id IN ({scope})"
        " AND month >= %(m)s",
        # Two index scans, not an OR that PostgreSQL answers by reading every task.
        "tasks": "SELECT * FROM tasks WHERE owner_id = %(u)s UNION ALL SELECT * FROM tasks"
        f" WHERE customer_id IN ({scope}) AND owner_id <> %(u)s",
        "visit_revisions": "SELECT * FROM visit_revisions WHERE visit_id IN"
        f" (SELECT id FROM visits WHERE customer_id IN ({scope}))",
        "complaint_events": "SELECT * FROM complaint_events WHERE complaint_id IN"
        f" (SELECT id FROM complaints WHERE customer_id IN ({scope}))",
        "campaigns": "SELECT * FROM campaigns WHERE id IN (SELECT campaign_id FROM"
        f" campaign_targets WHERE customer_id IN ({scope}))",
        "sync_conflicts": "SELECT * FROM sync_conflicts WHERE user_id = %(u)s",
    }
    for table in (
        "contacts",
        "care_plans",
        "visits",
        "complaints",
        "churn_warnings",
        "assignment_history",
        "campaign_targets",
    ):
        queries[table] = f"SELECT * FROM {table} WHERE customer_id IN ({scope})"
    changes = []
    with conn.cursor(row_factory=dict_row) as cur:
        for entity, query in queries.items():
            for row in cur.execute(query, {"u": uid, "t": team, "m": spend_from}):
                row.pop("sync_stamp", None)
                row.pop("income_band", None)
                row.pop("consumption_habits", None)
                changes.append({"entity": entity, "op": "upsert", "id": row["id"], "row": row})
    conn.rollback()
    body = orjson.dumps({"changes": changes, "has_more": False}, default=str)
    gzip.compress(body, compresslevel=6)
    return time.perf_counter() - started, len(changes), len(body)


def bench_first_pull(servers: dict, urls: dict, runs: int, state: dict) -> list[Row]:
    rows, ratios = [], {}
    for name, server in servers.items():
        secs, floors, last = [], [], {}
        with (
            httpx.Client(base_url=server.base, timeout=600) as client,
            psycopg.connect(urls[name]) as conn,
        ):
            headers = sign_in(client, PORTFOLIO_USER)
            for _ in range(runs):
                device = str(uuid.uuid4())
                seconds, last = full_pull(client, headers, device)
                secs.append(seconds)
                floor, floor_rows, _ = floor_pull(conn, PORTFOLIO_USER)
                floors.append(floor)
            state[name] = {"headers": headers, "device": device, "cursor": last["cursor"]}
        ratio = median([s / f for s, f in zip(secs, floors, strict=True)])
        ratios[name] = ratio
        rows.append(
            Row(
                f"first full pull, 500 customers ({name})",
                f"{median(secs):.2f} s, {last['pages']} pages, {last['changes']:,} rows, "
                f"{last['json'] / 2**20:.1f} MB JSON, {last['wire'] / 2**20:.1f} MB gzip",
                f"{median(floors):.2f} s ({floor_rows:,} rows)",
                ratio,
                "<= 2x",
                ratio <= 2,
            )
        )
    if len(ratios) == 2:
        big, small = ratios["province"], ratios["small"]
        spread = abs(big - small) / small
        rows.append(
            Row(
                "first pull: province ratio vs 5-manager ratio",
                f"{big:.2f} vs {small:.2f}",
                "-",
                big / small,
                "within 20%",
                spread <= 0.2,
            )
        )
    return rows


# --- empty pulls --------------------------------------------------------------------


async def hammer(base: str, headers: dict, device: str, cursor: str, seconds: float) -> float:
    """Requests per second that 16 connections get answered, each following its cursor."""
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16, keepalive_expiry=1.0)
    done = 0
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one() -> None:
            nonlocal done
            mine = cursor
            while time.perf_counter() < until:
                params = {"device_id": device, "limit": 2000, "cursor": mine}
                response = await client.get("/api/v1/sync/pull", params=params, headers=headers)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    return
                page = response.json()
                if page["changes"] and page["cursor"] != "c":
                    errors.append(f"an empty pull served {len(page['changes'])} changes")
                    return
                mine = page["cursor"]
                done += 1

        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(one() for _ in range(16)))
        elapsed = time.perf_counter() - started
    if errors:
        raise BenchError("empty pull: " + errors[0])
    return done / elapsed


def bench_empty_pull(server: Server, bare: Server, runs: int, seconds: float, state: dict) -> Row:
    s = state["province"]
    with httpx.Client(base_url=server.base, timeout=600) as client:
        # Catch up first: the pulls below must have nothing to serve.
        _, last = full_pull_from(client, s["headers"], s["device"], s["cursor"])
        s["cursor"] = last
    ours, floors = [], []
    for _ in range(runs):
        ours.append(
            asyncio.run(hammer(server.base, s["headers"], s["device"], s["cursor"], seconds))
        )
        floors.append(asyncio.run(hammer(bare.base, {}, s["device"], "c", seconds)))
    ratio = median([o / f for o, f in zip(ours, floors, strict=True)])
    return Row(
        "empty delta pull (16 connections)",
        f"{median(ours):.0f} req/s",
        f"{median(floors):.0f} req/s (bare Flask endpoint)",
        ratio,
        ">= 0.5x",
        ratio >= 0.5,
    )


def full_pull_from(client: httpx.Client, headers: dict, device: str, cursor: str):
    pages = 0
    while True:
        response = client.get(
            "/api/v1/sync/pull",
            params={"device_id": device, "limit": 2000, "cursor": cursor},
            headers=headers,
        )
        if response.status_code != 200:
            raise BenchError(f"pull: {response.status_code} {response.text[:200]}")
        page = response.json()
        pages += 1
        cursor = page["cursor"]
        if not page["has_more"]:
            return pages, cursor


# --- push --------------------------------------------------------------------------


def offline_changes(customers: list[str], rng: random.Random, count: int = 50) -> list[dict]:
    phone = Phone(username="", customers=customers, address="")
    for i in range(count):
        if i % 5 < 3:
            phone.log_visit(rng)
        else:
            phone.create_task(rng)
    return phone.outbox


def floor_push(conn: psycopg.Connection, user_id, mutations: list[dict]) -> float:
    """The push's rows by psycopg in one transaction: the device, visits, tasks, records."""
    now = datetime.now(UTC)
    device = uuid.uuid4()
    visits, tasks, records = [], [], []
    for m in mutations:
        a = m["args"]
        if m["name"] == "log_visit":
            visits.append(
                (
                    uuid.uuid4(),
                    a["customer_id"],
                    user_id,
                    a["channel"],
                    a["purpose"],
                    a["started_at"],
                    a["ended_at"],
                    a["outcome"],
                    a["notes"],
                    now,
                    now,
                )
            )
        else:
            task = (uuid.uuid4(), user_id, a["customer_id"], a["title"], a["due_date"])
            tasks.append((*task, user_id, now, now))
        records.append((device, m["seq"], m["id"], m["name"], json.dumps(a), now, now))
    started = time.perf_counter()
    with conn.cursor() as cur:
        stamp = "pg_current_xact_id()::text::bigint"
        cur.execute(
            "INSERT INTO sync_devices (id, user_id, last_seq, created_at, last_push_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            (device, user_id, len(mutations), now, now),
        )
        cur.executemany(
            "INSERT INTO visits (id, customer_id, manager_id, channel, purpose, started_at,"
            " ended_at, outcome, notes, created_at, updated_at, location_status,"
            " products_discussed, privileges_explained, version, sync_stamp) VALUES"
            f" (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'not_applicable', '[]', false, 1,"
            f" {stamp})",
            visits,
        )
        cur.executemany(
            "INSERT INTO tasks (id, owner_id, customer_id, title, due_date, created_by_id,"
            " created_at, updated_at, status, version, sync_stamp) VALUES"
            f" (%s, %s, %s, %s, %s, %s, %s, %s, 'open', 1, {stamp})",
            tasks,
        )
        cur.executemany(
            "INSERT INTO sync_mutations (device_id, seq, mutation_id, name, status, args,"
            " result, client_time, received_at) VALUES"
            " (%s, %s, %s, %s, 'applied', %s, '{}', %s, %s)",
            records,
        )
    conn.commit()
    return time.perf_counter() - started


def bench_push(server: Server, url: str, runs: int) -> Row:
    rng = random.Random(50)
    secs, floors = [], []
    with httpx.Client(base_url=server.base, timeout=600) as client, psycopg.connect(url) as conn:
        headers = sign_in(client, PORTFOLIO_USER)
        user_id, customers = user_and_customers(conn, PORTFOLIO_USER)
        for _ in range(runs):
            mutations = offline_changes(customers, rng)
            device = str(uuid.uuid4())
            started = time.perf_counter()
            response = client.post(
                "/api/v1/sync/push",
                json={"device_id": device, "schema_version": 2, "mutations": mutations},
                headers=headers,
            )
            secs.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise BenchError(f"push: {response.status_code} {response.text[:200]}")
            refused = [r for r in response.json()["results"] if r["status"] != "applied"]
            if refused:
                raise BenchError(f"push: {len(refused)} changes not applied: {refused[0]}")
            floors.append(floor_push(conn, user_id, offline_changes(customers, rng)))
    ratio = median([s / f for s, f in zip(secs, floors, strict=True)])
    return Row(
        "push of 50 offline changes",
        f"{median(secs) * 1000:.0f} ms",
        f"{median(floors) * 1000:.0f} ms (psycopg, one transaction)",
        ratio,
        "<= 3x",
        ratio <= 3,
    )


def user_and_customers(conn: psycopg.Connection, username: str) -> tuple[uuid.UUID, list[str]]:
    user_id = conn.execute("SELECT id FROM users WHERE username = %s", (username,)).fetchone()[0]
    customers = [
        str(r[0])
        for r in conn.execute("SELECT id FROM customers WHERE manager_id = %s", (user_id,))
    ]
    conn.rollback()
    return user_id, customers


# --- agenda and indicators -----------------------------------------------------------


def bench_agenda(server: Server, url: str, runs: int) -> Row:
    secs, floors = [], []
    with httpx.Client(base_url=server.base, timeout=600) as client, psycopg.connect(url) as conn:
        headers = sign_in(client, PORTFOLIO_USER)
        user_id, _ = user_and_customers(conn, PORTFOLIO_USER)
        items = 0
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get("/api/v1/agenda", headers=headers)
            secs.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise BenchError(f"agenda: {response.status_code} {response.text[:200]}")
            body = response.json()
            items = len(body["today"]) + len(body["week"])
            started = time.perf_counter()
            zone = ZoneInfo(os.environ.get("FIELDBOOK_TIMEZONE", "Asia/Shanghai"))
            day = datetime.now(zone).date()
            floor_items = query_floors.agenda_floor(conn, user_id, day)
            floors.append(time.perf_counter() - started)
    ratio = median([s / f for s, f in zip(secs, floors, strict=True)])
    return Row(
        "agenda of one manager (500 customers)",
        f"{median(secs) * 1000:.0f} ms, {items} items",
        f"{median(floors) * 1000:.0f} ms ({floor_items} rows, query_floors.agenda_floor)",
        ratio,
        "<= 2x",
        ratio <= 2,
    )


def bench_indicators(server: Server, url: str, runs: int) -> Row:
    today = date.today()
    end = today.replace(day=1)
    start = (end - timedelta(days=1)).replace(day=1)
    secs, floors = [], []
    with httpx.Client(base_url=server.base, timeout=600) as client, psycopg.connect(url) as conn:
        headers = sign_in(client, LEAD)
        team, managers = conn.execute(
            "SELECT team_id, array_agg(id) FROM users WHERE team_id ="
            " (SELECT team_id FROM users WHERE username = %s) AND role = 'manager'"
            " GROUP BY team_id",
            (LEAD,),
        ).fetchone()
        conn.rollback()
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(
                "/api/v1/reviews",
                params={
                    "team_id": str(team),
                    "starts_on": start.isoformat(),
                    "ends_on": (end - timedelta(days=1)).isoformat(),
                },
                headers=headers,
            )
            secs.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise BenchError(f"indicators: {response.status_code} {response.text[:200]}")
            started = time.perf_counter()
            query_floors.indicators_floor(conn, managers, start, end - timedelta(days=1))
            floors.append(time.perf_counter() - started)
    ratio = median([s / f for s, f in zip(secs, floors, strict=True)])
    return Row(
        f"team indicators, {len(managers)} managers, {start:%Y-%m}",
        f"{median(secs) * 1000:.0f} ms",
        f"{median(floors) * 1000:.0f} ms (query_floors.indicators_floor)",
        ratio,
        "<= 2x",
        ratio <= 2,
    )


# --- morning peak ------------------------------------------------------------------


def phones_state_path(db: str) -> Path:
    return ROOT / "instance" / f"bench-{db}-phones.json"


def synced_cursors(url: str) -> dict[str, str]:
    """Each manager's cursor as their phone holds it after a sync that ended now.

    Made with the server's own cursor code (server/sync/pull.py) at the current
    watermark rather than by 1,000 first pulls of 400 customers (about half an hour
    of this machine): what a phone holds the morning after it synced the evening before.
    """
    import sqlalchemy as sa

    from server import create_app
    from server.auth.models import Role, User
    from server.extensions import db
    from server.stamps import watermark
    from server.sync.models import SyncClock
    from server.sync.pull import Cursor, _scope_key, _spend_window_start
    from server.timeutil import local_today

    app = create_app(province._config(url))
    with app.app_context():
        epoch = db.session.scalar(sa.select(SyncClock.epoch)).hex
        mark = watermark(db.session.connection())
        spend_from = _spend_window_start(local_today())
        users = db.session.scalars(sa.select(User).where(User.role == Role.MANAGER))
        cursors = {
            u.username: Cursor(
                epoch=epoch, scope=_scope_key(u), lo=mark, spend_from=spend_from
            ).encode()
            for u in users
        }
        db.session.rollback()
        db.engine.dispose()
    return cursors


async def first_syncs(base: str, db: str, usernames: list[str]) -> list[Phone]:
    """Phones signed in and synced once; kept on disk so later runs start from there."""
    path = phones_state_path(db)
    saved = json.loads(path.read_text()) if path.exists() else {}
    stats = Stats()
    phones = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=1.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=600) as client:
        gate = asyncio.Semaphore(8)
        done = 0

        async def ready(i: int, username: str) -> Phone:
            nonlocal done
            phone = Phone(
                username=username, customers=[], address=f"127.2.{i // 250}.{i % 250 + 1}"
            )
            was = saved.get(username)
            async with gate:
                if not await load_sync.sign_in(client, phone, stats):
                    raise BenchError(f"sign-in of {username}: {stats.errors[-1:]}")
                if was:
                    phone.device_id, phone.cursor = was["device"], was["cursor"]
                    phone.next_seq = was["next_seq"]
                    phone.customers = was["customers"]
                else:
                    await first_sync(client, phone, stats)
            done += 1
            if done % 100 == 0:
                print(f"  {done} phones signed in and synced")
            return phone

        phones = await asyncio.gather(*(ready(i, u) for i, u in enumerate(usernames)))
    if stats.errors:
        raise BenchError("first syncs: " + stats.errors[0])
    return list(phones)


async def first_sync(client: httpx.AsyncClient, phone: Phone, stats: Stats) -> None:
    """A phone's first full pull, pages of 2,000 as the web client asks them."""
    while True:
        params: dict = {"device_id": phone.device_id, "limit": 2000}
        if phone.cursor:
            params["cursor"] = phone.cursor
        response = await load_sync.request(
            client, phone, stats, "first pull", "GET", "/api/v1/sync/pull", params=params
        )
        if response is None:
            return
        page = response.json()
        phone.cursor = page["cursor"]
        if not page["has_more"]:
            return


def save_phones(db: str, phones: list[Phone]) -> None:
    path = phones_state_path(db)
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        json.dumps(
            {
                p.username: {
                    "device": p.device_id,
                    "cursor": p.cursor,
                    "next_seq": p.next_seq,
                    "customers": p.customers,
                }
                for p in phones
            }
        )
    )


async def morning(base: str, phones: list[Phone], spread: float) -> tuple[Stats, float, float]:
    stats = Stats()
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256, keepalive_expiry=1.0)
    finished: list[float] = []
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        started = time.monotonic()

        async def wake(i: int, phone: Phone) -> None:
            rng = random.Random(i)
            await asyncio.sleep(rng.uniform(0, spread))
            t0 = time.monotonic()
            await load_sync.pull(client, phone, stats)
            for _ in range(5):
                if rng.random() < 0.6:
                    phone.log_visit(rng)
                else:
                    phone.create_task(rng)
            await load_sync.push(client, phone, stats)
            stats.latencies["sync (pull + push)"].append(time.monotonic() - t0)
            finished.append(time.monotonic() - started)

        await asyncio.gather(*(wake(i, p) for i, p in enumerate(phones)))
        elapsed = time.monotonic() - started
    return stats, elapsed, max(finished, default=0.0)


def bench_morning_peak(
    server: Server, db: str, url: str, spread: float, real_first_syncs: bool
) -> Row:
    with psycopg.connect(url) as conn:
        managers = [
            r[0]
            for r in conn.execute(
                "SELECT username FROM users WHERE role = 'manager' ORDER BY username"
            )
        ]
        portfolios = {
            u: [str(c) for c in cs]
            for u, cs in conn.execute(
                "SELECT u.username, array_agg(c.id) FROM users u JOIN customers c"
                " ON c.manager_id = u.id WHERE u.role = 'manager' GROUP BY u.username"
            )
        }
    t0 = time.perf_counter()
    if not phones_state_path(db).exists() and not real_first_syncs:
        cursors = synced_cursors(url)
        save_phones(
            db,
            [
                Phone(username=u, customers=portfolios[u], address="", cursor=cursors[u])
                for u in managers
            ],
        )
    phones = asyncio.run(first_syncs(server.base, db, managers))
    for p in phones:
        p.customers = portfolios[p.username]
    save_phones(db, phones)
    print(f"  {len(phones)} phones ready in {time.perf_counter() - t0:.0f} s")
    stats, _, last = asyncio.run(morning(server.base, phones, spread))
    save_phones(db, phones)
    problems = stats.errors + [
        f"{p.username}: {len(p.outbox)} changes left" for p in phones if p.outbox
    ]
    lines = []
    for kind in ("pull", "push", "sync (pull + push)"):
        values = stats.latencies.get(kind, [])
        lines.append(f"{kind} ({len(values)}): {load_sync.percentiles(values)}")
    ok = not problems and last <= 300
    row = Row(
        f"morning peak: {len(phones)} phones pull then push 5",
        f"all done in {last:.0f} s, {len(problems)} errors; "
        + load_sync.percentiles(stats.latencies.get("sync (pull + push)", [])),
        "-",
        None,
        "no errors, within 5 min",
        ok,
        notes=lines + problems[:10],
    )
    if problems:
        raise_later.append(BenchError(f"morning peak: {problems[0]}"))
    return row


raise_later: list[BenchError] = []


# --- watermark stall ---------------------------------------------------------------


class Probe(threading.Thread):
    """Commits a stamped change every `every` seconds and watches the watermark pass it."""

    def __init__(self, url: str, every: float = 0.2):
        super().__init__(daemon=True)
        self.url, self.every = url, every
        self.stop = threading.Event()
        self.delays: list[float] = []
        # The longest wait, and the oldest transaction with an id while it waited:
        # this database's work, or another database's on the same cluster.
        self.worst: tuple[float, str] = (0.0, "")

    def run(self) -> None:
        pending: list[tuple[int, float]] = []
        with (
            psycopg.connect(self.url, autocommit=True) as writer,
            psycopg.connect(self.url, autocommit=True) as reader,
        ):
            target = writer.execute("SELECT min(id::text) FROM sync_devices").fetchone()[0]
            next_write = 0.0
            holder = ""
            while not self.stop.is_set() or pending:
                now = time.perf_counter()
                if now >= next_write and not self.stop.is_set():
                    with writer.transaction():
                        stamp = writer.execute(
                            "SELECT pg_current_xact_id()::text::bigint"
                        ).fetchone()[0]
                        writer.execute(
                            "UPDATE sync_devices SET last_pull_at = now() WHERE id::text = %s",
                            (target,),
                        )
                    pending.append((stamp, time.perf_counter()))
                    next_write = now + self.every
                mark = reader.execute(
                    "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
                ).fetchone()[0]
                seen = time.perf_counter()
                still = []
                for stamp, committed in pending:
                    if stamp < mark:
                        delay = seen - committed
                        self.delays.append(delay)
                        if delay > self.worst[0]:
                            self.worst = (delay, holder)
                    else:
                        still.append((stamp, committed))
                pending = still
                row = reader.execute(
                    "SELECT datname, round(extract(epoch FROM now() - xact_start)), state,"
                    " left(regexp_replace(query, '\\s+', ' ', 'g'), 70)"
                    " FROM pg_stat_activity WHERE backend_xid IS NOT NULL"
                    " ORDER BY age(backend_xid) DESC LIMIT 1"
                ).fetchone()
                holder = "" if row is None else f"{row[0]}, {row[1]} s old, {row[2]}: {row[3]}"
                time.sleep(0.02)


def customers_csv(url: str, path: Path, count: int) -> None:
    """`count` existing customers as the CRM would export them again, their plan renamed
    (a new name each run, so that every run's import writes)."""
    plan = f"5G畅享套餐 {datetime.now(UTC):%m%d%H%M%S}"
    with psycopg.connect(url) as conn, path.open("w", encoding="utf-8") as out:
        out.write("external_no,name,phone,tier,kind,plan_name,manager\n")
        rows = conn.execute(
            "SELECT c.external_no, c.name, c.phone, t.code, c.kind, u.username FROM customers c"
            " JOIN tiers t ON t.id = c.tier_id JOIN users u ON u.id = c.manager_id"
            " ORDER BY c.external_no LIMIT %s",
            (count,),
        )
        for no, name, phone, tier, kind, manager in rows:
            out.write(f"{no},{name},{phone},{tier},{kind},{plan},{manager}\n")


def fieldbook_cli(url: str, *args: str) -> tuple[float, int, str]:
    env = dict(
        os.environ, FIELDBOOK_ENV="production", SECRET_KEY=uuid.uuid4().hex, DATABASE_URL=url
    )
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    started = time.perf_counter()
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "fieldbook"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, done.returncode, (done.stdout + done.stderr)[-400:]


# A long work as the background job the console starts (chunks, a commit each), run
# to its end in this process: what a `fieldbook jobs worker` does with it.
JOB_SNIPPET = """
import sys
import sqlalchemy as sa
from config import Config, _normalise_db_url
from server import create_app
from server.auth.models import User
from server.extensions import db
from server.jobs.services import run_job
from server.plans.services import start_generation
from server.warnings.services import start_scan

class JobConfig(Config):
    SQLALCHEMY_DATABASE_URI = _normalise_db_url(sys.argv[1])
    REDIS_URL = None

app = create_app(JobConfig)
with app.app_context():
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    start = {"plans": start_generation, "warnings": start_scan}[sys.argv[2]]
    job = start(admin, None)
    db.session.commit()
    run_job(str(job.id))
    db.session.commit()
    print(job.status, getattr(job, "error", ""))
"""


def run_job_in_process(url: str, kind: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", JOB_SNIPPET, url, kind],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, done.returncode, (done.stdout + done.stderr)[-400:]


def bench_watermark_stall(url: str, import_rows: int, stall: list[str]) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "customers.csv"
        customers_csv(url, csv, import_rows)
        works = (
            ("plan generation (CLI)", ("plans", "generate", "--quiet")),
            ("plan generation (job)", ("job", "plans")),
            ("warning scan (CLI)", ("warnings", "scan")),
            ("warning scan (job)", ("job", "warnings")),
            (
                f"import of {import_rows:,} customers (CLI)",
                ("import", "customers", str(csv), "--partial"),
            ),
        )
        # The watermark is the cluster's: any transaction on this PostgreSQL, in any
        # database, holds it back. The floor is the stall with none of our long work.
        probe = Probe(url)
        probe.start()
        time.sleep(15)
        probe.stop.set()
        probe.join(timeout=120)
        floor = max(probe.delays, default=0.0)
        for label, args in works:
            if stall and not any(w in label for w in stall):
                continue
            probe = Probe(url)
            probe.start()
            if args[0] == "job":
                seconds, code, output = run_job_in_process(url, args[1])
            else:
                seconds, code, output = fieldbook_cli(url, *args)
            probe.stop.set()
            probe.join(timeout=120)
            worst = max(probe.delays, default=0.0)
            how = "the job's handler" if args[0] == "job" else f"`fieldbook {' '.join(args[:2])}`"
            note = [
                f"{how} took {seconds:.0f} s, exit {code}; the longest wait ({worst:.1f} s)"
                f" was behind: {probe.worst[1] or 'none seen'}"
            ]
            if code != 0:
                note.append(output.replace("\n", " | "))
            rows.append(
                Row(
                    f"watermark stall during {label}",
                    f"held back up to {worst:.1f} s (p50 {median(probe.delays or [0]):.2f} s)",
                    f"up to {floor:.1f} s with nothing running (15 s)",
                    None,
                    "<= 5 s",
                    worst <= 5 and code == 0,
                    notes=note,
                )
            )
    return rows


# --- profiles ----------------------------------------------------------------------


class Profile:
    """py-spy sampling gunicorn's workers while one work runs; a summary afterwards."""

    def __init__(self, server: Server, work: str):
        self.path = ROOT / "instance" / f"profile-{work}.txt"
        self.path.parent.mkdir(exist_ok=True)
        spy = ROOT / ".venv" / "bin" / "py-spy"
        args = ["record", "--pid", str(server.proc.pid), "--subprocesses", "--idle"]
        args += ["--format", "raw", "--rate", "200", "--nonblocking", "-o", str(self.path)]
        self.proc = subprocess.Popen(
            [str(spy), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        summarise(self.path)


def summarise(path: Path, top: int = 25) -> None:
    """The frames of the app's code taking most of the time in requests, and own time."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if not any("(flask/" in f or "(server/" in f for f in frames):
            continue  # not in a request: a worker waiting for one
        total += n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    print(f"  profile ({total} busy samples) in {path}: inclusive, then own time")
    for title, table in (("inclusive", inclusive), ("own", own)):
        shown = 0
        for frame, n in sorted(table.items(), key=lambda kv: -kv[1]):
            if title == "inclusive" and "(server/" not in frame:
                continue
            print(f"    {title:9} {100 * n / max(total, 1):5.1f}%  {frame}")
            shown += 1
            if shown == top:
                break


# --- the table -----------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    print()
    print("| work | Fieldbook median | floor | ratio | budget | met? |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        met = "-" if r.met is None else ("yes" if r.met else "**no**")
        print(f"| {r.work} | {r.fieldbook} | {r.floor} | {ratio} | {r.budget} | {met} |")
    notes = [(r.work, n) for r in rows for n in r.notes]
    if notes:
        print()
        for work, note in notes:
            print(f"- {work}: {note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--only", default=",".join(WORKS), help="comma-separated: " + ", ".join(WORKS)
    )
    parser.add_argument("--seconds", type=float, default=10, help="length of one empty-pull run")
    parser.add_argument("--managers", type=int, default=1000, help="the province's managers")
    parser.add_argument("--spread", type=float, default=240, help="morning peak: wake-up spread, s")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument(
        "--stall",
        default="",
        help="watermark stall: only the works whose label holds one of these words"
        " (comma-separated, e.g. 'job,import')",
    )
    parser.add_argument(
        "--first-syncs",
        action="store_true",
        help="morning peak: set the phones up with real first pulls, not made cursors",
    )
    parser.add_argument(
        "--profile", action="store_true", help="sample gunicorn with py-spy during each work"
    )
    opts = parser.parse_args()
    only = [w.strip() for w in opts.only.split(",") if w.strip()]
    unknown = set(only) - set(WORKS)
    if unknown:
        parser.error(f"unknown work: {', '.join(sorted(unknown))}")

    dbs = {"province": province.ensure(opts.managers)}
    if "first_pull" in only:
        dbs["small"] = province.ensure(5)
    urls = {k: pg_url(v) for k, v in dbs.items()}
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {date.today()}")
    head = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--short", "server", "migrations"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    print(f"code: {head[:100]}" + (" (uncommitted changes in server/)" if dirty else ""))

    servers: dict[str, Server] = {}
    bare = None
    rows: list[Row] = []
    state: dict = {}
    try:
        for key, url in urls.items():
            servers[key] = Server(url)
        if "empty_pull" in only:
            bare = Server(urls["province"], app="bench.bare_wsgi:app")
        main_server = servers["province"]
        steps = {
            "first_pull": lambda: rows.extend(bench_first_pull(servers, urls, opts.runs, state)),
            "empty_pull": lambda: rows.append(
                bench_empty_pull(main_server, bare, opts.runs, opts.seconds, state)
            ),
            "push": lambda: rows.append(bench_push(main_server, urls["province"], opts.runs)),
            "agenda": lambda: rows.append(bench_agenda(main_server, urls["province"], opts.runs)),
            "indicators": lambda: rows.append(
                bench_indicators(main_server, urls["province"], opts.runs)
            ),
            "morning_peak": lambda: rows.append(
                bench_morning_peak(
                    main_server, dbs["province"], urls["province"], opts.spread, opts.first_syncs
                )
            ),
            "watermark_stall": lambda: rows.extend(
                bench_watermark_stall(
                    urls["province"], opts.import_rows, [w for w in opts.stall.split(",") if w]
                )
            ),
        }
        if "empty_pull" in only and "first_pull" not in only:
            # The empty pulls need a device that made its first sync.
            steps["empty_pull_setup"] = lambda: bench_first_pull(
                {"province": main_server}, {"province": urls["province"]}, 1, state
            )
            only.insert(only.index("empty_pull"), "empty_pull_setup")
        for work in only:
            print(f"{work} ...", flush=True)
            started = time.perf_counter()
            profile = Profile(main_server, work) if opts.profile else None
            try:
                steps[work]()
            finally:
                if profile is not None:
                    profile.stop()
            print(f"  {time.perf_counter() - started:.0f} s", flush=True)
    except BenchError as err:
        print_table(rows)
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    finally:
        for server in [*servers.values(), bare]:
            if server is not None:
                server.stop()
    print_table(rows)
    for err in raise_later:
        print(f"ERROR: {err}", file=sys.stderr)
    return 1 if raise_later else 0


if __name__ == "__main__":
    sys.exit(main())
