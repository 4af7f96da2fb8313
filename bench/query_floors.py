"""The agenda and a team's indicators next to hand-written SQL reading the same rows.

    .venv/bin/python bench/query_floors.py [--url postgresql://...] [--runs 5] [--only agenda]

Not a test. On a PostgreSQL database that holds the province (bench/province.py,
`fieldbook_province` by default; read only, every transaction rolled back), it times
in-process, without HTTP: the agenda for the manager with the largest portfolio (its
view, so the service and the JSON it answers; the user already signed in), and a
team's review (its managers' figures, the team's total) for last
month for the largest team; each next to its floor, measured in the same run:

- `agenda_floor(conn, manager_id, day)`: the agenda's five reads (docs: server/agenda)
  as plain SQL through psycopg, the rows fetched;
- `indicators_floor(conn, manager_ids, starts_on, ends_on)`: every row the indicators
  read for these managers (server/reviews/indicators.py: the customers they had, the
  assignment history, plans, campaign targets, complaints, warnings, visits, spend,
  overdue tasks), as plain SQL, the customers-had set read first and passed to the
  others as one array, as the ORM code does on PostgreSQL; fetched. What
  the ORM adds is the attribution to whoever had each customer, and the scoring.

bench/run.py has floors of its own for its HTTP figures; these two are the same
reads as the ORM's, so the ratio shows what the ORM and the Python around it cost.
Prints the statements each ORM call issued, its median time, the floor's, the ratio.
"""

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa
from flask import g

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/fieldbook_province"

AGENDA_SQL = (
    """SELECT k.id, k.status, k.deadline_at, k.received_at, k.severity, k.description,
              c.id, c.name, c.phone, t.code, t.rank
       FROM complaints k JOIN customers c ON c.id = k.customer_id
       JOIN tiers t ON t.id = c.tier_id
       WHERE c.manager_id = %(m)s AND k.status IN ('received', 'in_progress')
         AND k.deadline_at < %(week_end_at)s""",
    """SELECT p.id, p.purpose, p.channel, p.status, p.title, p.due_from, p.due_to,
              c.id, c.name, c.phone, t.code, t.rank
       FROM care_plans p JOIN customers c ON c.id = p.customer_id
       JOIN tiers t ON t.id = c.tier_id
       WHERE c.manager_id = %(m)s AND p.status IN ('planned', 'missed')
         AND p.due_from <= %(week_end)s""",
    """SELECT k.id, k.title, k.due_date, k.status, c.id, c.name, c.phone, t.code, t.rank
       FROM tasks k LEFT JOIN customers c ON c.id = k.customer_id
       LEFT JOIN tiers t ON t.id = c.tier_id
       WHERE k.owner_id = %(m)s AND k.status = 'open' AND k.due_date <= %(week_end)s""",
    """SELECT w.id, w.status, w.source, w.reasons, w.opened_at, w.answered_at,
              c.id, c.name, c.phone, t.code, t.rank
       FROM churn_warnings w JOIN customers c ON c.id = w.customer_id
       JOIN tiers t ON t.id = c.tier_id
       WHERE c.manager_id = %(m)s AND w.status = 'open'""",
    """SELECT c.birthday, c.birthday_lunar, c.id, c.name, c.phone, t.code, t.rank
       FROM customers c JOIN tiers t ON t.id = c.tier_id
       WHERE c.manager_id = %(m)s AND c.birthday IS NOT NULL""",
)

# The customers the managers had, read first; the others take them as one array.
HAD_SQL = """SELECT array_agg(id) FROM (
    SELECT id FROM customers WHERE manager_id = ANY(%(m)s)
    UNION SELECT customer_id FROM assignment_history
    WHERE to_manager_id = ANY(%(m)s) OR from_manager_id = ANY(%(m)s)) had"""

INDICATORS_SQL = tuple(
    query.replace("IN (SELECT id FROM had)", "= ANY(%(had)s)")
    for query in (
        """SELECT h.customer_id, h.at, h.from_manager_id, h.to_manager_id
           FROM assignment_history h WHERE h.customer_id IN (SELECT id FROM had)
           ORDER BY h.customer_id, h.at, h.id""",
        """SELECT c.id, c.manager_id, c.stage, t.code, t.contact_interval_days
           FROM customers c JOIN tiers t ON t.id = c.tier_id
           WHERE c.id IN (SELECT id FROM had)""",
        """SELECT p.customer_id, p.purpose, p.status, p.due_to, p.completed_at
           FROM care_plans p WHERE p.customer_id IN (SELECT id FROM had)
             AND p.purpose IN ('routine', 'birthday', 'holiday') AND p.status <> 'cancelled'
             AND p.due_to >= %(starts_on)s AND p.due_to <= %(ends_on)s""",
        """SELECT g.customer_id, g.outcome, g.outcome_at, a.kind, a.ends_on
           FROM campaign_targets g JOIN campaigns a ON a.id = g.campaign_id
           WHERE g.customer_id IN (SELECT id FROM had) AND a.starts_on <= %(ends_on)s""",
        """SELECT k.customer_id, k.closed_at, k.satisfaction, k.deadline_at, k.resolved_at
           FROM complaints k WHERE k.customer_id IN (SELECT id FROM had)
             AND ((k.satisfaction IS NOT NULL AND k.closed_at >= %(start)s
                   AND k.closed_at < %(as_of)s)
               OR (k.deadline_at >= %(start)s AND k.deadline_at < %(as_of)s))""",
        """SELECT w.customer_id, w.status, w.opened_at, w.resolved_at
           FROM churn_warnings w WHERE w.customer_id IN (SELECT id FROM had)
             AND (w.opened_at < %(as_of)s OR w.status = 'churned')""",
        """SELECT v.customer_id, max(v.started_at),
                  bool_or(v.privileges_explained AND v.started_at >= %(since)s)
           FROM visits v WHERE v.customer_id IN (SELECT id FROM had)
             AND v.started_at < %(as_of)s GROUP BY v.customer_id""",
        """SELECT s.customer_id, s.month, sum(s.amount) FROM monthly_spend s
           WHERE s.customer_id IN (SELECT id FROM had) AND s.month IN (%(ref)s, %(measured)s)
           GROUP BY s.customer_id, s.month""",
        """SELECT k.owner_id, count(*) FROM tasks k
           WHERE k.owner_id = ANY(%(m)s) AND k.created_at < %(as_of)s
             AND k.due_date < %(as_of_day)s
             AND (k.status = 'open' OR (k.status = 'done' AND k.completed_at >= %(as_of)s))
           GROUP BY k.owner_id""",
    )
)


def _fetch_all(conn: psycopg.Connection, queries: tuple[str, ...], params: dict) -> int:
    rows = 0
    with conn.cursor() as cur:
        for query in queries:
            rows += len(cur.execute(query, params).fetchall())
    conn.rollback()
    return rows


def agenda_floor(conn: psycopg.Connection, manager_id: uuid.UUID, day: date) -> int:
    """The agenda's five reads for `manager_id` on local `day`; the rows fetched."""
    zone = ZoneInfo(os.environ.get("FIELDBOOK_TIMEZONE", "Asia/Shanghai"))
    week_end = day + timedelta(days=7)
    week_end_at = datetime.combine(week_end + timedelta(days=1), dtime(), zone)
    params = {"m": manager_id, "week_end": week_end, "week_end_at": week_end_at}
    return _fetch_all(conn, AGENDA_SQL, params)


def indicators_floor(
    conn: psycopg.Connection, manager_ids: list[uuid.UUID], starts_on: date, ends_on: date
) -> int:
    """Every row the indicators read for these managers over [starts_on, ends_on]."""
    zone = ZoneInfo(os.environ.get("FIELDBOOK_TIMEZONE", "Asia/Shanghai"))
    start = datetime.combine(starts_on, dtime(), zone)
    as_of = min(datetime.combine(ends_on + timedelta(days=1), dtime(), zone), datetime.now(UTC))
    params = {
        "m": manager_ids,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "start": start,
        "as_of": as_of,
        "as_of_day": as_of.astimezone(zone).date(),
        "since": as_of - timedelta(days=365),
        "ref": (starts_on.replace(day=1) - timedelta(days=1)).replace(day=1),
        "measured": ends_on.replace(day=1),
    }
    params["had"] = conn.execute(HAD_SQL, params).fetchone()[0] or []
    return _fetch_all(conn, INDICATORS_SQL, params)


def _timed(call: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("agenda", "review"), help="time just this one")
    opts = parser.parse_args()
    os.environ["DATABASE_URL"] = opts.url

    from config import DevelopmentConfig
    from server import create_app
    from server.auth.models import Role, User
    from server.customers.models import Customer
    from server.extensions import db
    from server.reviews import services as reviews
    from server.timeutil import local_today

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg" + opts.url[len("postgresql") :]

    app = create_app(BenchConfig)
    counted: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: counted.append(a[2]))
        manager = db.session.scalar(
            sa.select(User)
            .join(Customer, Customer.manager_id == User.id)
            .group_by(User.id)
            .order_by(sa.func.count().desc(), User.username)
            .limit(1)
        )
        assert manager is not None, "no manager with customers: load the province first"
        team_id = db.session.scalar(
            sa.select(User.team_id)
            .where(User.role == Role.MANAGER, User.team_id.is_not(None))
            .group_by(User.team_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        )
        today = local_today()
        ends_on = today.replace(day=1) - timedelta(days=1)
        starts_on = ends_on.replace(day=1)
        admin_id = db.session.scalar(sa.select(User.id).where(User.role == Role.ADMIN).limit(1))
        manager_id = manager.id
        manager_ids = list(
            db.session.scalars(
                sa.select(User.id).where(User.team_id == team_id, User.role == Role.MANAGER)
            )
        )
        db.session.rollback()

        # As a request does it: the user loaded, then the view; nothing kept between.
        def run_agenda() -> None:
            with app.test_request_context("/api/v1/agenda"):
                # Where Flask-Login keeps the signed-in user: no session, no cookie.
                g._login_user = db.session.get(User, manager_id)
                response = app.view_functions["agenda.get_agenda"]()
                assert response.status_code == 200, response.get_data()
                db.session.rollback()

        def run_review() -> None:
            admin = db.session.get(User, admin_id)
            scope = reviews.resolve_scope(admin, team_id=team_id)
            reviews.review(scope, reviews.period_of(starts_on=starts_on, ends_on=ends_on))
            db.session.rollback()

        works = {
            "agenda": ("agenda", run_agenda, lambda c: agenda_floor(c, manager_id, today)),
            "review": (
                f"team review, {len(manager_ids)} managers, {starts_on:%Y-%m}",
                run_review,
                lambda c: indicators_floor(c, manager_ids, starts_on, ends_on),
            ),
        }
        results = []
        for key, (name, orm, floor) in works.items():
            if opts.only not in (None, key):
                continue
            counted.clear()
            orm()
            statements = len(counted)
            orm_times: list[float] = []
            floor_times: list[float] = []
            with psycopg.connect(opts.url) as conn:
                rows = floor(conn)
                # Turn about, so that a machine shared with others weighs on both alike.
                for _ in range(opts.runs):
                    orm_times += _timed(orm, 1)
                    floor_times += _timed(lambda conn=conn, floor=floor: floor(conn), 1)
            results.append((name, statements, orm_times, floor_times, rows))
    print(f"{'work':45} {'stmts':>5} {'ORM ms':>8} {'SQL ms':>8} {'rows':>7} {'ratio':>6}")
    for name, statements, orm_times, floor_times, rows in results:
        orm_ms = statistics.median(orm_times) * 1000
        sql_ms = statistics.median(floor_times) * 1000
        print(
            f"{name:45} {statements:5d} {orm_ms:8.1f} {sql_ms:8.1f} {rows:7d} "
            f"{orm_ms / sql_ms:6.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
