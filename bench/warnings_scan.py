"""Benchmark of the churn warning scan over the demo branch (3,000 customers, 12 months).

    .venv/bin/python bench/warnings_scan.py
    DATABASE_URL=postgresql://... .venv/bin/python bench/warnings_scan.py

Builds the schema with the real migrations (a temporary SQLite file unless
DATABASE_URL names an empty database), seeds the demo data, runs the scan twice and
counts the SQL statements each run sends. Nothing is committed but the migrations:
the data is rolled back at the end.

The time is shown next to a floor measured in the same run (reading every spend row
once), so the figure means something on any machine; only the statement count and
the idempotence of the second scan are checked: exit status 1 if either fails.
"""

import os
import sys
import tempfile
import time

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import event

from config import Config, _normalise_db_url
from server import create_app
from server.customers.models import MonthlySpend
from server.demo.seed import DemoDataExists, seed_demo
from server.extensions import db
from server.warnings.services import scan_warnings

# A scan reads the month, customers, spend, complaints, open and recent warnings, then
# writes in batches of hundreds: about a dozen statements whatever the portfolio size.
MAX_STATEMENTS = 40


class StatementCounter:
    def __init__(self, engine: sa.Engine):
        self.count = 0
        self.active = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        if self.active:
            self.count += 1

    def measure(self, work):
        """(result, statements, seconds) of `work()`."""
        self.count, self.active = 0, True
        started = time.perf_counter()
        try:
            result = work()
        finally:
            self.active = False
        return result, self.count, time.perf_counter() - started


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory(prefix="fieldbook-bench-")
        url = f"sqlite:///{tmp.name}/bench.db"

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = _normalise_db_url(url)

    app = create_app(BenchConfig)
    failures: list[str] = []
    try:
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            try:
                seeded = seed_demo()
            except DemoDataExists as err:
                print(f"{err} Point DATABASE_URL at an empty database.", file=sys.stderr)
                return 2
            seed_seconds = time.perf_counter() - started
            counter = StatementCounter(db.engine)

            def read_all_spend():
                return len(db.session.execute(sa.select(MonthlySpend.__table__)).all())

            spend_rows, _, floor = counter.measure(read_all_spend)
            first, first_statements, first_seconds = counter.measure(scan_warnings)
            second, second_statements, second_seconds = counter.measure(scan_warnings)
            db.session.rollback()
            db_name = db.engine.url.render_as_string(hide_password=True)
    finally:
        with app.app_context():
            db.engine.dispose()
        if tmp is not None:
            tmp.cleanup()

    print(f"database: {db_name}")
    print(
        f"seeded: {seeded['customers']} customers ({seeded['assigned']} assigned),"
        f" {seeded['spend_rows']} spend rows, {seeded['dropping_spend']} with a drop"
        f" in {seed_seconds:.1f} s"
    )
    print(f"floor: SELECT of all {spend_rows} spend rows: {floor:.3f} s")
    for name, counts, statements, seconds in (
        ("first scan", first, first_statements, first_seconds),
        ("second scan", second, second_statements, second_seconds),
    ):
        print(
            f"{name}: month {counts['month']}, {counts['customers_scanned']} customers,"
            f" {counts['warnings_opened']} warnings opened, {counts['warnings_joined']} joined,"
            f" {counts['reasons_added']} reasons; {statements} statements,"
            f" {seconds:.3f} s ({seconds / floor:.1f}x the floor)"
        )
        if statements > MAX_STATEMENTS:
            failures.append(f"{name} sent {statements} statements (bound {MAX_STATEMENTS})")
    if second["warnings_opened"] or second["warnings_joined"] or second["reasons_added"]:
        failures.append("the second scan of the same month changed warnings")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
