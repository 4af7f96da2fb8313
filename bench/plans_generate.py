"""Benchmark: care plan generation over the demo branch (about 3,000 customers).

    .venv/bin/python bench/plans_generate.py            # a temporary SQLite file
    DATABASE_URL=postgresql://... .venv/bin/python bench/plans_generate.py
    .venv/bin/python bench/plans_generate.py --date 2027-01-20   # as of another day

DATABASE_URL must name an empty database: it is migrated and seeded.

Runs `generate_plans` twice on the seeded data and prints the customers, the plans
created, the SQL statements issued and the seconds taken, and the ratio of the first
run's time to a floor measured in the same process: loading every customer with its
tier into ORM objects. The ratio, unlike seconds, means the same on a fast and a
slow machine. Exits non-zero if a run issues more than MAX_STATEMENTS statements
(a query per customer would issue thousands), if the second run creates anything
(generation must be idempotent), or if the ratio exceeds MAX_RATIO.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402

from config import Config, _normalise_db_url  # noqa: E402
from server import create_app  # noqa: E402
from server.customers.models import Customer  # noqa: E402
from server.demo.seed import seed_demo  # noqa: E402
from server.extensions import db  # noqa: E402
from server.plans.services import generate_plans  # noqa: E402

MAX_STATEMENTS = 50
MAX_RATIO = 50
FLOOR_REPEATS = 3


def _config(url: str) -> type[Config]:
    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = _normalise_db_url(url)

    return BenchConfig


class StatementCounter:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.count = 0

    def _seen(self, *_args) -> None:
        self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _floor_seconds() -> float:
    """Best of a few loads of every customer with its tier (joined) into ORM objects."""
    best = float("inf")
    for _ in range(FLOOR_REPEATS):
        db.session.expunge_all()
        started = time.perf_counter()
        customers = db.session.scalars(sa.select(Customer)).unique().all()
        best = min(best, time.perf_counter() - started)
        assert customers and customers[0].tier is not None
    db.session.rollback()
    db.session.expunge_all()
    return best


def _run(today: date, counter: StatementCounter) -> tuple[dict[str, int], int, float]:
    db.session.expunge_all()
    with counter:
        started = time.perf_counter()
        counts = generate_plans(today)
        db.session.commit()
        seconds = time.perf_counter() - started
    return counts, counter.count, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=date.today(),
        help="seed and generate as of this day (YYYY-MM-DD); default today",
    )
    today = parser.parse_args().date
    url = os.environ.get("DATABASE_URL")
    tmp = None
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="fieldbook-bench-")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    app = create_app(_config(url))
    failures = []
    try:
        with app.app_context():
            upgrade()
            seeded = seed_demo(today=today)
            db.session.commit()
            customers = db.session.scalar(sa.select(sa.func.count()).select_from(Customer))
            assigned = db.session.scalar(
                sa.select(sa.func.count()).where(Customer.manager_id.is_not(None))
            )
            floor = _floor_seconds()
            counter = StatementCounter(db.engine)
            first, first_statements, first_seconds = _run(today, counter)
            second, second_statements, second_seconds = _run(today, counter)
            db.engine.dispose()
    finally:
        if tmp is not None:
            tmp.cleanup()

    created = {k: v for k, v in first.items() if k != "missed"}
    recreated = sum(v for k, v in second.items() if k != "missed")
    ratio = first_seconds / floor
    print(f"database:          {sa.make_url(url).get_backend_name()}, as of {today}")
    print(f"customers:         {customers} ({assigned} assigned; seeded {seeded['customers']})")
    print(f"plans created:     {sum(created.values())} " + str(created))
    print(f"first run:         {first_statements} statements, {first_seconds:.3f} s")
    print(
        f"second run:        {second_statements} statements, {second_seconds:.3f} s, "
        f"{recreated} created"
    )
    print(f"floor (load all customers with tiers): {floor:.3f} s")
    print(f"ratio first run / floor: {ratio:.1f} (limit {MAX_RATIO})")

    for name, statements in (("first", first_statements), ("second", second_statements)):
        if statements > MAX_STATEMENTS:
            failures.append(f"{name} run issued {statements} statements (> {MAX_STATEMENTS})")
    if recreated:
        failures.append(f"second run created {recreated} plans; generation is not idempotent")
    if ratio > MAX_RATIO:
        failures.append(f"generation took {ratio:.1f} times the floor (> {MAX_RATIO})")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
