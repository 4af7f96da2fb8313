"""Benchmark: a review export's peak memory stays flat as the visits grow.

    .venv/bin/python bench/export_memory.py            # 100,000 and 1,000,000 visits
    .venv/bin/python bench/export_memory.py 20000 200000

Builds one SQLite database per size under instance/bench/ (kept and reused by later
runs): one team of 5 managers with 2,000 customers and N visits in one month. Then, in
a fresh process for each size, runs the XLSX export job exactly as the worker does and
reports the peak resident memory during the export (Linux's VmHWM, reset just before
it starts) and the time. The floor is the same process's resident memory just before
the export, with the app created and the database open: what the export adds is the
peak minus the floor. Goal: the peak at the larger size within 1.2x of the peak at the
smaller (exit status 1 otherwise).
"""

import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "instance" / "bench"
MANAGERS = 5
CUSTOMERS = 2000
MONTH = date(2026, 6, 1)
GOAL = 1.2


def _db_path(visits: int) -> Path:
    return BENCH_DIR / f"export-{visits}.db"


def build(visits: int) -> None:
    """The database for `visits` (made once, then reused)."""
    path = _db_path(visits)
    if path.exists():
        return
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}.part"
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from config import DevelopmentConfig
    from server import create_app
    from server.auth.models import Role, User
    from server.auth.passwords import hash_password
    from server.customers.models import AssignmentHistory, Customer, Tier
    from server.extensions import db
    from server.plans.models import Channel, Purpose
    from server.team.models import Team
    from server.visits.models import LocationStatus, Visit

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}.part"

    Path(f"{path}.part").unlink(missing_ok=True)
    app = create_app(Config)
    rng = random.Random(visits)
    with app.app_context():
        upgrade()
        gold = db.session.scalar(sa.select(Tier).where(Tier.code == "gold"))
        team = Team(id=uuid.uuid4(), name="Bench")
        password = hash_password("bench-password-1")
        people = [
            User(
                id=uuid.uuid4(),
                username=name,
                display_name=name,
                role=role,
                team=team,
                password_hash=password,
            )
            for name, role in [("lead", Role.LEAD)]
            + [(f"m{i}", Role.MANAGER) for i in range(MANAGERS)]
        ]
        db.session.add_all([team, *people])
        db.session.flush()
        managers = people[1:]
        customers = []
        for n in range(CUSTOMERS):
            manager = managers[n % MANAGERS]
            customers.append(
                {
                    "id": uuid.uuid4(),
                    "external_no": f"B{n:07d}",
                    "name": f"客户{n}",
                    "phone": f"138{n:08d}",
                    "kind": "individual",
                    "stage": "maturity",
                    "tier_id": gold.id,
                    "manager_id": manager.id,
                    "version": 1,
                    "created_at": datetime(2025, 1, 1, tzinfo=UTC),
                    "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
                }
            )
        db.session.execute(sa.insert(Customer), customers)
        db.session.execute(
            sa.insert(AssignmentHistory),
            [
                {
                    "id": uuid.uuid4(),
                    "customer_id": c["id"],
                    "from_manager_id": None,
                    "to_manager_id": c["manager_id"],
                    "source": "import",
                    "reason": "bench",
                    "at": datetime(2025, 1, 1, tzinfo=UTC),
                }
                for c in customers
            ],
        )
        db.session.commit()
        start = datetime(MONTH.year, MONTH.month, 1, tzinfo=UTC)
        batch = []
        for n in range(visits):
            customer = customers[rng.randrange(CUSTOMERS)]
            started = start + timedelta(seconds=rng.randrange(29 * 86400))
            batch.append(
                {
                    "id": uuid.uuid4(),
                    "customer_id": customer["id"],
                    "manager_id": customer["manager_id"],
                    "channel": Channel.PHONE,
                    "purpose": Purpose.ROUTINE,
                    "started_at": started,
                    "location_status": LocationStatus.NOT_APPLICABLE,
                    "outcome": "谈了家庭套餐, 客户考虑中" if n % 3 else "=不要执行的公式",
                    "products_discussed": [],
                    "privileges_explained": n % 7 == 0,
                    "version": 1,
                    "created_at": started,
                    "updated_at": started,
                }
            )
            if len(batch) == 50_000:
                db.session.execute(sa.insert(Visit), batch)
                db.session.commit()
                batch = []
        if batch:
            db.session.execute(sa.insert(Visit), batch)
            db.session.commit()
        db.engine.dispose()
    Path(f"{path}.part").rename(path)


def measure(visits: int) -> dict:
    """Peak RSS and time of one export in a fresh process (this script, --child)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(visits)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(visits: int) -> None:
    path = _db_path(visits)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import sqlalchemy as sa

    from config import DevelopmentConfig
    from server import create_app
    from server.auth.models import User
    from server.extensions import db
    from server.jobs.models import Job
    from server.jobs.services import Progress
    from server.reviews.exports import _run_export

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"
        JOB_FILES_DIR = str(BENCH_DIR / "files")

    app = create_app(Config)
    with app.app_context():
        lead = db.session.scalar(sa.select(User).where(User.username == "lead"))
        # Start the peak over from here (Linux: "5" clears the high-water mark).
        Path("/proc/self/clear_refs").write_text("5")
        floor = _status_kb("VmRSS")
        job = Job(
            id=uuid.uuid4(),
            kind="review_export",
            params={
                "user_id": str(lead.id),
                "team_id": str(lead.team_id),
                "starts_on": MONTH.isoformat(),
                "ends_on": (MONTH.replace(day=30)).isoformat(),
                "period_id": None,
                "format": "xlsx",
                "language": "zh-CN",
                "unmasked": False,
            },
            created_by_id=lead.id,
        )
        db.session.add(job)
        db.session.commit()
        started = time.perf_counter()
        result = _run_export(job, Progress(job))
        seconds = time.perf_counter() - started
        peak = _status_kb("VmHWM")
        db.session.rollback()
    print(
        json.dumps(
            {
                "visits": visits,
                "rows": result["rows"],
                "floor_kb": floor,
                "peak_kb": peak,
                "seconds": seconds,
            }
        )
    )


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]))
        return 0
    sizes = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]
    for visits in sizes:
        started = time.perf_counter()
        build(visits)
        print(
            f"database with {visits:,} visits ready ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
        )
    results = [measure(v) for v in sizes]
    print(
        f"{'visits':>10} {'rows':>10} {'floor MB':>9} {'peak MB':>8} {'added MB':>9} {'time s':>7}"
    )
    for r in results:
        floor, peak = r["floor_kb"] / 1024, r["peak_kb"] / 1024
        print(
            f"{r['visits']:>10,} {r['rows']:>10,} {floor:>9.1f} {peak:>8.1f}"
            f" {peak - floor:>9.1f} {r['seconds']:>7.1f}"
        )
    ratio = results[-1]["peak_kb"] / results[0]["peak_kb"]
    print(f"peak at {sizes[-1]:,} / peak at {sizes[0]:,}: {ratio:.2f} (goal <= {GOAL})")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
