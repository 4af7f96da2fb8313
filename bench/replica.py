"""A real streaming replica on this machine: a review export on it while phones sync.

    .venv/bin/python bench/replica.py [--managers 40] [--phones 100] [--export-as lead01]

Not a test: it copies the whole PostgreSQL cluster on 127.0.0.1:5432 and needs root
(it runs the PostgreSQL tools as the `postgres` user). What it does:

1. checks that the primary can have a streaming replica (wal_level, max_wal_senders)
   and, if pg_hba.conf has no replication entry for 127.0.0.1, adds one and reloads;
   nothing that needs a restart is ever changed;
2. loads (or reuses) a province-shaped database with bench/province.py (--managers
   managers in teams of 20, 400 customers each, a year of history);
3. builds the replica: pg_basebackup of the whole cluster (-X stream -R) into a data
   directory under /tmp, a postgresql.conf of its own on a free port (hot standby,
   hot_standby_feedback), started with pg_ctl; waits until it streams;
4. seeds a second database on the primary for --phones phones (30 customers each,
   bench/load_sync.py's seed) and serves it with gunicorn (its production set-up);
   the phones sign in, sync once, then sync every --interval seconds (push, pull,
   push) and log visits and tasks, from a thread of their own;
5. after --baseline seconds of phones alone, last month's review export (XLSX, as
   --export-as asks it: lead01's team, or admin's everyone) runs through the job code
   (`run_job`, in a process of its own) twice, each while the phones sync: with
   DATABASE_REPLICA_URL on the replica, then without it. For each: its time, and the
   rows the province database returned on each server during it
   (pg_stat_database.tup_returned + tup_fetched), which shows where the reads went;
6. reports the phones' latencies in each phase, the replication lag, and whether
   every visit the phones wrote reached the replica; then stops everything and undoes
   steps 1, 3 and 4 (pg_hba.conf as it was, the replica stopped and removed, the
   phones' database dropped). The province database is kept for the next run.

Exit 1 on any phone error, a failed export, an export that did not read the replica,
or a replica that did not catch up.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import load_sync  # noqa: E402
import province  # noqa: E402
from load_sync import Phone, Stats, free_port, percentiles, pg_url, start_gunicorn  # noqa: E402

HBA_MARK = "# added by fieldbook bench/replica.py"
HBA_LINE = f"host replication all 127.0.0.1/32 trust {HBA_MARK}"
# A hot standby refuses to start with less of these than its primary has.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def as_postgres(*cmd: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, **kwargs)


def pg_bin() -> Path:
    with psycopg.connect(pg_url("postgres")) as conn:
        major = conn.execute("SHOW server_version_num").fetchone()[0][:2]
    path = Path(f"/usr/lib/postgresql/{int(major)}/bin")
    if not (path / "pg_basebackup").exists():
        raise SystemExit(f"no PostgreSQL {major} binaries under {path}")
    return path


# --- the primary ------------------------------------------------------------------


def check_primary() -> tuple[dict[str, str], tuple[Path, str] | None]:
    """The primary's settings; the pg_hba.conf this run added a line to and its text before."""
    with psycopg.connect(pg_url("postgres"), autocommit=True) as conn:
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("wal_level", "hba_file", "data_directory", *MATCHED_SETTINGS)
        }
        if (
            settings["wal_level"] not in ("replica", "logical")
            or int(settings["max_wal_senders"]) < 1
        ):
            raise SystemExit(
                "The primary cannot stream (wal_level "
                f"{settings['wal_level']}, max_wal_senders {settings['max_wal_senders']}); "
                "these need a restart, which this bench never does."
            )
        has_entry = conn.execute(
            "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)"
            " AND (address IS NULL OR address IN ('127.0.0.1', 'all'))"
        ).fetchone()[0]
        added = None
        if not has_entry:
            hba = Path(settings["hba_file"])
            before = hba.read_text()
            hba.write_text(before + f"\n{HBA_LINE}\n")
            conn.execute("SELECT pg_reload_conf()")
            added = (hba, before)
            print(f"pg_hba.conf: added '{HBA_LINE}' (removed at the end)")
        size = conn.execute("SELECT sum(pg_database_size(datname)) FROM pg_database").fetchone()[0]
    settings["cluster_bytes"] = str(size)
    return settings, added


def undo_hba(added: tuple[Path, str] | None) -> None:
    if added is None:
        return
    hba, before = added
    hba.write_text(before)
    with psycopg.connect(pg_url("postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
    print("pg_hba.conf: the replication entry taken out again")


# --- the replica ------------------------------------------------------------------


class Replica:
    def __init__(self, bindir: Path, settings: dict[str, str]):
        self.bindir = bindir
        self.settings = settings
        self.port = free_port()
        self.dir = Path(f"/tmp/fieldbook-replica-{os.getpid()}")
        self.started = False

    def url(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def build(self) -> float:
        self.dir.mkdir(mode=0o700)
        shutil.chown(self.dir, "postgres", "postgres")
        t0 = time.perf_counter()
        as_postgres(
            str(self.bindir / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", os.environ.get("PGPORT", "5432"), "-U", "postgres"),
            *("-D", str(self.dir), "-X", "stream", "-R", "--checkpoint=fast"),
        )
        took = time.perf_counter() - t0
        matched = "\n".join(f"{name} = {self.settings[name]}" for name in MATCHED_SETTINGS)
        # Debian keeps postgresql.conf and pg_hba.conf in /etc: the copy has neither.
        (self.dir / "postgresql.conf").write_text(
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.dir}'\n"
            "hot_standby = on\nhot_standby_feedback = on\n"
            "max_standby_streaming_delay = 60s\nshared_buffers = 128MB\n"
            "ssl = off\nlogging_collector = off\n" + matched + "\n"
        )
        (self.dir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        (self.dir / "pg_ident.conf").write_text("")
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(self.dir / name, "postgres", "postgres")
        return took

    def start(self) -> None:
        as_postgres(
            str(self.bindir / "pg_ctl"),
            *("-D", str(self.dir), "-l", str(self.dir / "replica.log"), "-w", "-t", "120"),
            "start",
            stdout=subprocess.DEVNULL,
        )
        self.started = True
        with psycopg.connect(self.url("postgres")) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        for _ in range(100):
            with psycopg.connect(pg_url("postgres")) as conn:
                streaming = conn.execute(
                    "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
                    " AND client_addr = '127.0.0.1'"
                ).fetchone()[0]
            if streaming:
                return
            time.sleep(0.3)
        raise SystemExit("the replica started but does not stream")

    def stop_and_remove(self) -> None:
        if self.started:
            as_postgres(
                str(self.bindir / "pg_ctl"),
                *("-D", str(self.dir), "-m", "fast", "-w", "stop"),
                stdout=subprocess.DEVNULL,
            )
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def lag_bytes() -> int:
    with psycopg.connect(pg_url("postgres")) as conn:
        row = conn.execute(
            "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)"
            " FROM pg_stat_replication WHERE client_addr = '127.0.0.1'"
        ).fetchone()
    return int(row[0])


def tuples_returned(url: str, db: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = %s", (db,)
        ).fetchone()[0]


# --- the workload -----------------------------------------------------------------

EXPORT = """
import json, sys, time
from datetime import date
import sqlalchemy as sa
from server import create_app
from server.auth.models import User
from server.extensions import db
from server.jobs.models import Job
from server.reviews import exports
from server.transaction import unit_of_work

username, starts_on, ends_on = sys.argv[1:4]
app = create_app()
with app.app_context():
    user = db.session.scalar(sa.select(User).where(User.username == username))
    args = {"starts_on": date.fromisoformat(starts_on), "ends_on": date.fromisoformat(ends_on),
            "format": "xlsx", "language": "zh-CN", "unmasked": False}
    if user.team_id is not None:
        args["team_id"] = user.team_id
    t0 = time.perf_counter()
    # Without REDIS_URL the job runs here once its row is committed: the same run_job
    # a worker calls (server/jobs/services.py).
    with unit_of_work():
        job_id = exports.request_export(user, args).id
    took = time.perf_counter() - t0
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    print(json.dumps({"seconds": took, "status": job.status.value, "result": job.result}))
"""


def export(db_url: str, replica_url: str | None, who: str, month: tuple[date, date]) -> dict:
    """Last month's review export (XLSX) as `who` asks it, in a process of its own."""
    env = {**os.environ, "FIELDBOOK_ENV": "development", "DATABASE_URL": db_url}
    for name in ("REDIS_URL", "DATABASE_REPLICA_URL", "FIELDBOOK_JOB_FILES"):
        env.pop(name, None)
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    env["FIELDBOOK_JOB_FILES"] = f"/tmp/fieldbook-replica-{os.getpid()}-jobs"
    done = subprocess.run(
        [sys.executable, "-c", EXPORT, who, month[0].isoformat(), month[1].isoformat()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


class PhoneLoad:
    """Phones syncing from a thread of their own until told to stop; the stats of each
    phase (before, during each export) are kept apart."""

    def __init__(self, base: str, phones: list[Phone], interval: float):
        self.base = base
        self.phones = phones
        self.interval = interval
        self.phases: dict[str, Stats] = {"sign-in and first sync": Stats()}
        self.phase = "sign-in and first sync"
        self.started = 0.0
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()))

    def next_phase(self, name: str) -> None:
        now = time.monotonic()
        self.phases[self.phase].elapsed = now - self.started
        self.phases[name] = Stats()
        self.phase, self.started = name, now

    @property
    def stats(self) -> Stats:
        return self.phases[self.phase]

    async def _run(self) -> None:
        limits = httpx.Limits(
            max_connections=len(self.phones),
            max_keepalive_connections=len(self.phones),
            keepalive_expiry=1.0,
        )
        async with httpx.AsyncClient(base_url=self.base, limits=limits, timeout=60) as client:
            self.started = time.monotonic()
            gate = asyncio.Semaphore(8)

            async def first_sync(phone: Phone) -> None:
                async with gate:
                    if await load_sync.sign_in(client, phone, self.stats):
                        await load_sync.pull(client, phone, self.stats)

            await asyncio.gather(*(first_sync(p) for p in self.phones))
            self.ready.set()
            await asyncio.gather(*(self._phone(client, p, i) for i, p in enumerate(self.phones)))
            # What the phones still hold, sent before the count on both servers.
            for _ in range(5):
                waiting = [p for p in self.phones if p.outbox]
                if not waiting:
                    break
                await asyncio.gather(*(load_sync.push(client, p, self.stats) for p in waiting))

    async def _phone(self, client: httpx.AsyncClient, phone: Phone, seed: int) -> None:
        rng = random.Random(seed)
        await asyncio.sleep(rng.uniform(0, self.interval))
        while not self.stop.is_set():
            await load_sync.push(client, phone, self.stats)
            await load_sync.pull(client, phone, self.stats)
            await load_sync.push(client, phone, self.stats)
            phone.log_visit(rng)
            if rng.random() < 0.5:
                phone.create_task(rng)
            await asyncio.sleep(rng.uniform(0.5 * self.interval, 1.5 * self.interval))


def report_phase(name: str, stats: Stats) -> None:
    total = sum(len(v) for k, v in stats.latencies.items() if k != "login")
    rate = total / max(stats.elapsed, 1)
    print(f"  {name}: {total} requests in {stats.elapsed:.0f} s ({rate:.1f}/s)")
    for kind in ("pull", "push"):
        values = stats.latencies.get(kind, [])
        print(f"    {kind:5} {len(values):6}  {percentiles(values)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--managers", type=int, default=40, help="the province database's size")
    parser.add_argument("--phones", type=int, default=100, help="phones syncing meanwhile")
    parser.add_argument("--interval", type=float, default=5, help="seconds between a phone's syncs")
    parser.add_argument("--baseline", type=float, default=30, help="seconds of phones alone")
    parser.add_argument("--export-as", default="lead01", help="lead01: a team; admin: everyone")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4)
    opts = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the PostgreSQL tools run as the postgres user")

    bindir = pg_bin()
    settings, hba = check_primary()
    db = province.ensure(opts.managers, name="fieldbook_replica_bench")
    db_url = pg_url(db)
    phones_db = f"fieldbook_replica_phones_{os.getpid()}"
    replica = Replica(bindir, settings)
    server = None
    load: PhoneLoad | None = None
    results: dict[str, dict] = {}
    reads: dict[str, tuple[int, int]] = {}
    max_lag = 0
    try:
        cluster_gb = int(settings["cluster_bytes"]) / 2**30
        print(f"pg_basebackup of the whole cluster ({cluster_gb:.1f} GB) ...")
        took = replica.build()
        print(f"replica: base backup {took:.0f} s ({cluster_gb * 1024 / took:.0f} MB/s)")
        replica.start()
        print(f"replica: streaming, hot standby on 127.0.0.1:{replica.port}")

        # The phones sync a database of their own on the same primary (small portfolios,
        # so their first sync is short); the export reads the province-shaped one.
        load_sync.createdb(phones_db)
        portfolios = load_sync.seed(pg_url(phones_db), opts.phones, 30)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(pg_url(phones_db), port, opts.workers, opts.threads)
        asyncio.run(load_sync.wait_until_up(base, server))
        phones = [
            Phone(username=u, customers=c, address=f"127.1.{i // 250}.{i % 250 + 1}")
            for i, (u, c) in enumerate(portfolios.items())
        ]
        load = PhoneLoad(base, phones, opts.interval)
        load.thread.start()
        load.ready.wait()
        load.next_phase("phones alone")
        time.sleep(opts.baseline)

        first = date.today().replace(day=1)
        month = ((first - timedelta(days=1)).replace(day=1), first - timedelta(days=1))
        for where, replica_url in (("replica", replica.url(db)), ("primary", None)):
            load.next_phase(f"during the export on the {where}")
            before = (tuples_returned(db_url, db), tuples_returned(replica.url(db), db))
            results[where] = export(db_url, replica_url, opts.export_as, month)
            after = (tuples_returned(db_url, db), tuples_returned(replica.url(db), db))
            reads[where] = (after[0] - before[0], after[1] - before[1])
            max_lag = max(max_lag, lag_bytes())
            done = results[where]
            print(
                f"export ({opts.export_as}, {month[0]:%Y-%m}, XLSX) reading the {where}: "
                f"{done['seconds']:.1f} s, {done['status']}, "
                f"{(done.get('result') or {}).get('rows')} rows; rows read in {db} on the "
                f"primary {reads[where][0]:,}, on the replica {reads[where][1]:,}"
            )
        load.next_phase("after")
        load.stop.set()
        load.thread.join()
    finally:
        if load is not None and load.thread.is_alive():
            load.stop.set()
            load.thread.join()
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    try:
        caught_up = False
        for _ in range(100):
            if lag_bytes() == 0:
                caught_up = True
                break
            time.sleep(0.2)
        visits = []
        for url in (pg_url(phones_db), replica.url(phones_db)):
            with psycopg.connect(url) as conn:
                visits.append(conn.execute("SELECT count(*) FROM visits").fetchone()[0])
    finally:
        replica.stop_and_remove()
        shutil.rmtree(f"/tmp/fieldbook-replica-{os.getpid()}-jobs", ignore_errors=True)
        undo_hba(hba)
        load_sync.dropdb(phones_db)

    print(f"phones ({len(phones)}, a sync every ~{opts.interval:.0f} s, against the primary):")
    errors = []
    for name, stats in load.phases.items():
        if name != "after":
            report_phase(name, stats)
        errors += stats.errors
    print(f"replication lag seen after each export: at most {max_lag / 1024:.0f} KB of WAL")
    print(
        f"visits the phones wrote: {visits[0]:,} on the primary, {visits[1]:,} on the replica"
        + (" (caught up)" if caught_up and visits[0] == visits[1] else " NOT caught up")
    )
    print(f"phone errors: {len(errors)}")
    for line in errors[:20]:
        print("  " + line)
    on_replica = reads["replica"][1] > reads["replica"][0]
    if not on_replica:
        print("the export with a replica configured did not read mostly from the replica")
    failed = any(r["status"] != "done" for r in results.values())
    ok = not errors and not failed and caught_up and visits[0] == visits[1] and on_replica
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
