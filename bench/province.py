"""A province on PostgreSQL: 1,000 managers, 400,000 customers and a year of their history.

    .venv/bin/python bench/province.py                 # fieldbook_province, reused if loaded
    .venv/bin/python bench/province.py --managers 5    # fieldbook_province_small, same shape
    .venv/bin/python bench/province.py --reload        # drop and load again

Not a test. Creates the database on 127.0.0.1:5432 (PGHOST, PGPORT, PGUSER), migrates
it with the real migrations and loads it with COPY: managers in teams of 20 (a lead
each, one admin), 400 customers each (500 for the first manager of the first four
teams: the portfolios under test), and for every customer 12 months of spend on 3
services, 12 visits, the care plans a year of daily generation makes (routine at the
tier's interval, birthday, the three care holidays, contract expiry; done ones linked to
the visit that did them), 2.5 tasks, half a complaint with its events, contacts for
organisations, the assignment and, for one in 33, a churn warning. Every row has the
columns the server would write: a version, timestamps and a `sync_stamp` below the
watermark (PostgreSQL transaction ids, as `server/stamps.py` writes them: a day's
writes share one, later days higher).

The database is reused when its comment says it was loaded with the same parameters;
when the migrations moved on since, they are applied to it (as to a production
database). Every account's password is PASSWORD (hashed once, with the app's argon2
settings). Usernames: `m0001`... (managers), `lead01`... , `admin`.

Indexes and foreign keys of the loaded tables are dropped during the load and made
again afterwards (from their definitions as the migrations left them), then ANALYZE.
Memory stays bounded: rows are generated per customer and written in chunks.
"""

import argparse
import json
import random
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load_sync import createdb, dropdb, pg_url  # noqa: E402

PASSWORD = "province-bench-2026"
TEAM_SIZE = 20
PER_MANAGER = 400
BIG_PORTFOLIO = 500
# The first manager of each of the first BIG_TEAMS teams holds BIG_PORTFOLIO customers.
BIG_TEAMS = 4
SHAPE_VERSION = 1  # bump when the generated data changes, so old databases are reloaded
CHUNK_CUSTOMERS = 2000

LOADED_TABLES = (
    "customers",
    "contacts",
    "assignment_history",
    "monthly_spend",
    "visits",
    "care_plans",
    "complaints",
    "complaint_events",
    "tasks",
    "churn_warnings",
)

COLUMNS = {
    "customers": (
        "id, external_no, kind, name, phone, phone2, email, gender, birthday, birthday_lunar,"
        " address, employer, position, industry, interests, income_band, consumption_habits,"
        " plan_name, products, special_dates, ported_in, activation_date, contract_end_date,"
        " notes, latitude, longitude, tier_id, stage, manager_id, assigned_at, erased_at,"
        " version, created_at, updated_at, sync_stamp"
    ),
    "contacts": (
        "id, customer_id, name, title, phone, email, is_decision_maker, birthday, version,"
        " created_at, updated_at, sync_stamp"
    ),
    "assignment_history": (
        "id, customer_id, from_manager_id, to_manager_id, assigned_by_id, source, reason, at,"
        " sync_stamp"
    ),
    "monthly_spend": "id, customer_id, month, service, amount, imported_at, version, sync_stamp",
    "visits": (
        "id, customer_id, manager_id, plan_id, channel, purpose, started_at, ended_at,"
        " latitude, longitude, accuracy_m, location_age_s, location_status, outcome, notes,"
        " products_discussed, privileges_explained, customer_response, next_step, time_flag,"
        " version, created_at, updated_at, sync_stamp"
    ),
    "care_plans": (
        "id, customer_id, owner_id, purpose, channel, title, notes, due_from, due_to, status,"
        " generation_key, completed_at, created_by_id, version, created_at, updated_at,"
        " sync_stamp"
    ),
    "complaints": (
        "id, customer_id, owner_id, category_id, severity, intake_channel, description,"
        " received_at, deadline_at, status, resolution, satisfaction, resolved_at, closed_at,"
        " reopen_count, time_flag, logged_by_id, visit_id, version, created_at, updated_at,"
        " sync_stamp"
    ),
    "complaint_events": "id, complaint_id, actor_id, at, from_status, to_status, note, sync_stamp",
    "tasks": (
        "id, owner_id, customer_id, title, notes, due_date, status, completed_at,"
        " source_visit_id, source_complaint_id, created_by_id, version, created_at, updated_at,"
        " sync_stamp"
    ),
    "churn_warnings": (
        "id, customer_id, status, source, reasons, finding_keys, opened_at, raised_by_id,"
        " previous_stage, cause_analysis, retention_plan, answered_at, answered_by_id,"
        " resolved_at, resolved_by_id, resolution_note, exit_reason, version, created_at,"
        " updated_at, sync_stamp"
    ),
}

N = r"\N"  # NULL in COPY's text format

# --- ids and names ------------------------------------------------------------------

_MASK = (1 << 128) - 1
_MUL = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd: n -> n * _MUL is a bijection mod 2**128


def uid(table: int, n: int) -> str:
    """A stable id, scattered over the uuid space like uuid4 (not ordered by customer)."""
    h = "%032x" % ((((table << 40) + n + 1) * _MUL) & _MASK)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


T_TEAM, T_USER, T_CUSTOMER, T_CONTACT, T_HISTORY = 1, 2, 3, 4, 5
T_SPEND, T_VISIT, T_PLAN, T_COMPLAINT, T_EVENT, T_TASK, T_WARNING = 6, 7, 8, 9, 10, 11, 12

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志鹏宇浩然子涵欣怡"
CITIES = ("南京", "苏州", "无锡", "常州", "南通", "扬州", "镇江", "泰州", "盐城", "徐州")
ROADS = ("中山", "解放", "人民", "建设", "和平", "新华", "长江", "太湖", "汉中", "北京")
INDUSTRIES = ("制造业", "金融", "教育", "医疗", "零售", "物流", "政府机关", "互联网", "建筑")
COMPANY = ("科技有限公司", "贸易有限公司", "实业集团", "信息技术有限公司", "建设工程有限公司")
PLANS = ("5G畅享129元套餐", "5G畅享199元套餐", "全球通尊享套餐", "家庭融合套餐", "政企专线套餐")
PRODUCTS = ('["5G畅享套餐","千兆宽带"]', '["全球通套餐"]', '["家庭融合","IPTV"]', "[]")
OUTCOMES = ("已沟通续约意向", "客户满意", "推荐升级套餐", "已告知专属权益", "约定下次回访")
NOTES = (
    "客户对网络质量满意。关注流量套餐优惠。",
    "上门拜访。讨论家庭宽带提速。",
    "电话回访。客户近期出差较多。",
    "客户询问国际漫游资费。",
)
TASK_TITLES = (
    "回访确认办理结果",
    "送达续约资料",
    "跟进宽带装机",
    "确认投诉处理满意度",
    "准备权益说明",
)
COMPLAINTS = (
    "家中信号弱。通话经常中断。",
    "宽带晚间速度慢。",
    "账单有不明扣费。",
    "营业厅办理等待时间长。",
)
SERVICES = (("mobile", 0.5), ("data", 0.2), ("broadband", 0.3))
# Share of customers per tier rank (1 = diamond): the pyramid of a real base.
TIER_SHARES = (0.02, 0.05, 0.10, 0.18, 0.30, 0.35)
TIER_SPEND = (900.0, 600.0, 380.0, 240.0, 150.0, 80.0)


def person(n: int) -> str:
    return (
        SURNAMES[n % len(SURNAMES)] + GIVEN[(n // 7) % len(GIVEN)] + GIVEN[(n // 131) % len(GIVEN)]
    )


def ts(moment: datetime) -> str:
    return str(moment)  # "2026-11-25 08:00:00+00:00": COPY reads it, and str() is fast


# --- what the loader needs to know of the database ------------------------------------


@dataclass
class Reference:
    tiers: list[tuple[str, str, int, int]]  # id, code, contact interval days, response hours
    categories: list[str]
    admin: str
    managers: list[str]
    stamp_hi: int  # stamps go up to this (below the loading transaction's id)


def database_name(managers: int) -> str:
    if managers == 1000:
        return "fieldbook_province"
    if managers == 5:
        return "fieldbook_province_small"
    return f"fieldbook_province_{managers}"


def _config(url: str):
    from config import Config, _normalise_db_url

    class ProvinceConfig(Config):
        SQLALCHEMY_DATABASE_URI = _normalise_db_url(url)

    return ProvinceConfig


def migrate(url: str) -> str:
    """Apply the migrations; answers one argon2 hash of PASSWORD, with the app's settings."""
    from flask_migrate import upgrade

    from server import create_app
    from server.auth.passwords import hash_password
    from server.extensions import db

    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        password_hash = hash_password(PASSWORD)
        db.engine.dispose()
    return password_hash


def head_revision() -> str:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    return ",".join(sorted(heads))


def describe(managers: int, seed: int) -> str:
    return json.dumps(
        {"fieldbook_province": SHAPE_VERSION, "managers": managers, "seed": seed},
        sort_keys=True,
    )


def loaded_state(name: str) -> tuple[bool, str | None, str | None]:
    """(exists, its comment, its alembic revision)."""
    with psycopg.connect(pg_url("postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    if row is None:
        return False, None, None
    with psycopg.connect(pg_url(name)) as conn:
        try:
            revs = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
        except psycopg.errors.UndefinedTable:
            revs = []
    return True, row[0], ",".join(sorted(revs)) or None


# --- dropping and remaking indexes and foreign keys ---------------------------------


def strip_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop the foreign keys touching the loaded tables, their keys and indexes.

    Answers the statements that make them again, in order (indexes and keys first,
    foreign keys last), from their definitions as they stand.
    """
    tables = list(LOADED_TABLES)
    fks = conn.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
           FROM pg_constraint WHERE contype = 'f'
           AND (conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))""",
        (tables, tables),
    ).fetchall()
    keys = conn.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
           FROM pg_constraint WHERE contype IN ('p', 'u')
           AND conrelid::regclass::text = ANY(%s)""",
        (tables,),
    ).fetchall()
    key_names = {name for _, name, _ in keys}
    indexes = [
        (name, definition)
        for name, definition in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' AND tablename = ANY(%s)",
            (tables,),
        )
        if name not in key_names
    ]
    for table, name, _ in fks:
        conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for table, name, _ in keys:
        conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    return (
        [f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}' for t, n, d in keys]
        + [definition for _, definition in indexes]
        + [f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}' for t, n, d in fks]
    )


# --- the load --------------------------------------------------------------------------


def load_people(conn: psycopg.Connection, managers: int, password_hash: str, stamp: int) -> None:
    teams = (managers + TEAM_SIZE - 1) // TEAM_SIZE
    created = ts(datetime.now(UTC) - timedelta(days=800))
    with conn.cursor().copy(
        "COPY teams (id, name, show_rank, version, created_at, updated_at) FROM STDIN"
    ) as copy:
        for t in range(teams):
            copy.write(f"{uid(T_TEAM, t)}\t省网格{t + 1:02d}班\tf\t1\t{created}\t{created}\n")
    columns = (
        "id, username, display_name, role, team_id, phone, active, password_hash, version,"
        " created_at, updated_at, sync_stamp"
    )
    with conn.cursor().copy(f"COPY users ({columns}) FROM STDIN") as copy:

        def user(n: int, username: str, name: str, role: str, team: str) -> None:
            copy.write(
                f"{uid(T_USER, n)}\t{username}\t{name}\t{role}\t{team}\t1380000{n:04d}\tt\t"
                f"{password_hash}\t1\t{created}\t{created}\t{stamp}\n"
            )

        user(0, "admin", "省公司管理员", "admin", N)
        for t in range(teams):
            user(1 + t, f"lead{t + 1:02d}", f"{person(t + 7)}(组长)", "lead", uid(T_TEAM, t))
        for m in range(managers):
            user(1000 + m, f"m{m + 1:04d}", person(m), "manager", uid(T_TEAM, m // TEAM_SIZE))
    conn.commit()


def portfolio_size(m: int) -> int:
    return BIG_PORTFOLIO if m % TEAM_SIZE == 0 and m // TEAM_SIZE < BIG_TEAMS else PER_MANAGER


class Generator:
    """Rows of one customer at a time, as COPY text lines per table."""

    def __init__(self, ref: Reference, today: date, seed: int):
        from config import Config
        from server.plans.services import _care_holidays, _slug

        self.slug = _slug

        self.ref = ref
        self.today = today
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.rng = random.Random(seed)
        self.history_start = today - timedelta(days=800)
        span = (today - self.history_start).days + 1
        # A day's writes share a stamp; stamps rise with the days, all below stamp_hi.
        self.day_stamp = [3 + d * (ref.stamp_hi - 4) // span for d in range(span)]
        first = today.replace(day=1)
        self.months = []
        for back in range(11, -1, -1):
            y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
            self.months.append(date(y, m + 1, 1))
        # The fixed parts of each month's and service's spend line.
        self.spend_parts = []
        for month in self.months:
            imported = min(self.now, datetime(month.year, month.month, 28, 20, tzinfo=UTC))
            tail = f"\t{ts(imported)}\t1\t{self.stamp(imported.date())}\n"
            self.spend_parts.append(
                [(share, f"\t{month}\t{service}\t", tail) for service, share in SERVICES]
            )
        self.holidays = _care_holidays(today - timedelta(days=365), 365 + 30, Config.CARE_HOLIDAYS)
        cut = [0.0]
        for share in TIER_SHARES:
            cut.append(cut[-1] + share)
        self.tier_cuts = cut[1:]
        self.counters = dict.fromkeys(LOADED_TABLES, 0)

    def stamp(self, day: date) -> int:
        d = (day - self.history_start).days
        return self.day_stamp[min(max(d, 0), len(self.day_stamp) - 1)]

    def next_id(self, table: str, code: int) -> str:
        n = self.counters[table]
        self.counters[table] = n + 1
        return uid(code, n)

    def customer(self, ci: int, manager: str, out: dict[str, list[str]]) -> None:
        rng, today, now = self.rng, self.today, self.now
        x = rng.random()
        rank = next(i for i, c in enumerate(self.tier_cuts) if x <= c or i == 5)
        tier_id, tier_code, interval, response_h = self.ref.tiers[rank]
        cid = uid(T_CUSTOMER, ci)
        org = ci % 10 == 0
        warned = ci % 33 == 0
        warning_open = warned and (ci // 33) % 3 == 0
        stage = "warning" if warning_open else "maturity"
        if not warned and ci % 50 == 1:
            stage = "introduction"
        if not warned and ci % 97 == 2:
            stage = "onboarding"
        if stage == "onboarding":
            activation = today - timedelta(days=rng.randint(0, 3))
        elif stage == "introduction":
            activation = today - timedelta(days=rng.randint(4, 60))
        else:
            activation = today - timedelta(days=rng.randint(400, 5000))
        joined = min(activation, today - timedelta(days=400))
        joined_at = datetime(joined.year, joined.month, joined.day, 2, 0, tzinfo=UTC)
        birthday = None if ci % 10 == 3 else date(1960 + ci % 40, 1 + ci % 12, 1 + ci % 28)
        contract_end = today + timedelta(days=rng.randint(-200, 700)) if ci % 5 < 3 else None
        name = f"{CITIES[ci % 10]}{person(ci)}{COMPANY[ci % len(COMPANY)]}" if org else person(ci)
        updated = min(now, joined_at + timedelta(days=rng.randint(0, 790)))
        stamp = self.stamp(updated.date())
        out["customers"].append(
            f"{cid}\tP{ci + 1:08d}\t{'organisation' if org else 'individual'}\t{name}\t"
            f"13{ci:09d}\t{N if ci % 4 else f'15{ci:09d}'}\t"
            f"{f'c{ci}@example.cn' if ci % 3 == 0 else N}\t"
            f"{N if org else ('female' if ci % 2 else 'male')}\t"
            f"{birthday.isoformat() if birthday else N}\t{'t' if ci % 10 == 7 else 'f'}\t"
            f"{CITIES[ci % 10]}市{ROADS[ci % 10]}路{ci % 900 + 1}号\t"
            f"{N if org else f'{CITIES[(ci // 10) % 10]}{person(ci + 5)}{COMPANY[ci % 5]}'}\t"
            f"{N if org else '经理'}\t{INDUSTRIES[ci % len(INDUSTRIES)]}\t"
            f"{'旅游,摄影' if ci % 4 == 1 else N}\t{'20-30万' if ci % 6 == 0 else N}\t"
            f"{'偏好线上办理' if ci % 7 == 0 else N}\t{PLANS[ci % len(PLANS)]}\t"
            f"{PRODUCTS[ci % len(PRODUCTS)]}\t[]\t{'t' if ci % 20 == 0 else 'f'}\t"
            f"{activation.isoformat()}\t{contract_end.isoformat() if contract_end else N}\t"
            f"{'重要客户。注意服务态度。' if ci % 9 == 0 else N}\t"
            f"{31.0 + (ci % 1000) / 1000:.6f}\t{118.0 + (ci % 997) / 997:.6f}\t"
            f"{tier_id}\t{stage}\t{manager}\t{ts(joined_at)}\t{N}\t"
            f"{1 + (updated > joined_at)}\t{ts(joined_at)}\t{ts(updated)}\t{stamp}\n"
        )
        out["assignment_history"].append(
            f"{self.next_id('assignment_history', T_HISTORY)}\t{cid}\t{N}\t{manager}\t"
            f"{self.ref.admin}\timport\t年度客户分配\t{ts(joined_at)}\t{self.stamp(joined)}\n"
        )
        if org:
            for k in range(2):
                out["contacts"].append(
                    f"{self.next_id('contacts', T_CONTACT)}\t{cid}\t{person(ci * 3 + k)}\t"
                    f"{'总经理' if k == 0 else '行政主管'}\t13{ci + k:09d}\t{N}\t"
                    f"{'t' if k == 0 else 'f'}\t{N}\t1\t{ts(joined_at)}\t{ts(joined_at)}\t"
                    f"{self.stamp(joined)}\n"
                )
        base = TIER_SPEND[rank] * (0.7 + 0.6 * rng.random())
        random_ = rng.random
        spend = out["monthly_spend"]
        next_id = self.next_id
        for i, services in enumerate(self.spend_parts):
            drop = 0.6 if warning_open and i >= 9 else 1.0
            for share, middle, tail in services:
                amount = base * share * drop * (0.9 + 0.2 * random_())
                spend.append(
                    f"{next_id('monthly_spend', T_SPEND)}\t{cid}{middle}{amount:.2f}{tail}"
                )

        # Visits: about one a month over the last year.
        phase = ci % 30
        visits = []
        for k in range(12):
            day = today - timedelta(days=360 - k * 30 - phase)
            if day >= today:
                day = today - timedelta(days=1 + k % 3)
            start = datetime(day.year, day.month, day.day, 1 + (ci + k) % 9, (ci * 13 + k) % 60)
            start = start.replace(tzinfo=UTC)
            visits.append([self.next_id("visits", T_VISIT), start, N])
        plans = []

        def plan(purpose, channel, title, key, due_from, due_to, notes=N):
            if due_from > today + timedelta(days=30):
                return  # not generated yet: beyond the horizon
            made = datetime(due_from.year, due_from.month, due_from.day, 18, tzinfo=UTC)
            made = min(now, made - timedelta(days=30))
            pid = self.next_id("care_plans", T_PLAN)
            status, completed = "planned", None
            if due_to < today:
                if rng.random() < 0.8:
                    status = "done"
                    # The visit nearest the window did it, when it is not taken yet.
                    k = min(11, max(0, round((360 - phase - (today - due_to).days) / 30)))
                    if visits[k][2] == N and abs((visits[k][1].date() - due_to).days) <= 15:
                        visits[k][2] = pid
                        completed = visits[k][1] + timedelta(minutes=30)
                    else:
                        completed = datetime(due_to.year, due_to.month, due_to.day, 3, tzinfo=UTC)
                else:
                    status = "missed"
            changed = completed or (
                datetime(due_to.year, due_to.month, due_to.day, 20, tzinfo=UTC) + timedelta(days=1)
                if status == "missed"
                else made
            )
            plans.append(
                f"{pid}\t{cid}\t{manager}\t{purpose}\t{channel}\t{title}\t{notes}\t"
                f"{due_from.isoformat()}\t{due_to.isoformat()}\t{status}\t{key}\t"
                f"{ts(completed) if completed else N}\t{N}\t{1 if status == 'planned' else 2}\t"
                f"{ts(made)}\t{ts(changed)}\t{self.stamp(changed.date())}\n"
            )

        routine_channel = "visit" if rank < 2 else "phone"
        due = today - timedelta(days=365 - (ci % interval))
        while due <= today + timedelta(days=30):
            plan("routine", routine_channel, "日常维系", f"routine:{due}", due, due + timedelta(7))
            due += timedelta(days=interval)
        if birthday is not None:
            for year in (today.year - 1, today.year):
                try:
                    day = birthday.replace(year=year)
                except ValueError:
                    continue
                if today - timedelta(days=365) <= day:
                    plan(
                        "birthday",
                        routine_channel,
                        "生日关怀",
                        f"birthday:{year}",
                        day - timedelta(3),
                        day,
                    )
        holiday_channel = "visit" if tier_code == "diamond" else "sms" if rank >= 4 else "phone"
        for name, day in self.holidays:
            key = f"holiday:{self.slug(name)}:{day.year}"
            plan("holiday", holiday_channel, "节日问候", key, day - timedelta(5), day)
        if contract_end is not None and today - timedelta(days=365) <= contract_end:
            plan(
                "contract_expiry",
                routine_channel,
                f"合约 {contract_end} 到期续约",
                f"contract:{contract_end}",
                contract_end - timedelta(days=30),
                contract_end,
            )
        if stage in ("onboarding", "introduction"):
            plan(
                "introduction_check",
                "phone",
                "导入期回访",
                "introduction",
                activation + timedelta(7),
                activation + timedelta(30),
            )
        out["care_plans"].extend(plans)

        for vid, start, plan_id in visits:
            visit = rank < 2 or start.day % 3 == 0
            created = start + timedelta(minutes=75)
            out["visits"].append(
                f"{vid}\t{cid}\t{manager}\t{plan_id}\t{'visit' if visit else 'phone'}\t"
                f"{'routine' if plan_id != N or start.day % 4 else 'marketing'}\t{ts(start)}\t"
                f"{ts(start + timedelta(minutes=10 + start.minute % 30))}\t"
                + (
                    f"{31.0 + (ci % 1000) / 1000:.6f}\t{118.0 + (ci % 997) / 997:.6f}\t"
                    f"{12 + start.minute % 40}\t{30 + start.minute}\tverified\t"
                    if visit
                    else f"{N}\t{N}\t{N}\t{N}\tnot_applicable\t"
                )
                + f"{OUTCOMES[(ci + start.day) % 5]}\t{NOTES[(ci + start.month) % 4]}\t"
                f"{PRODUCTS[start.day % 4]}\t{'t' if start.day % 2 else 'f'}\t"
                f"{('positive', 'neutral')[start.day % 2]}\t{N if start.day % 3 else '下月再访'}\t"
                f"{N}\t1\t{ts(created)}\t{ts(created)}\t{self.stamp(created.date())}\n"
            )

        complaint_id = None
        if ci % 2 == 0:
            complaint_id = self.next_id("complaints", T_COMPLAINT)
            received = now - timedelta(days=rng.randint(0, 360), hours=rng.randint(0, 23))
            deadline = received + timedelta(hours=response_h)
            age = (now - received).days
            if age < 2:
                path = ("received",) if rng.random() < 0.5 else ("received", "in_progress")
            else:
                path = ("received", "in_progress", "resolved", "informed", "closed")
                cut = rng.random()
                if cut < 0.1:
                    path = path[:3]
                elif cut < 0.15:
                    path = path[:4]
            at = received
            previous = N
            moments = {}
            for step in path:
                out["complaint_events"].append(
                    f"{self.next_id('complaint_events', T_EVENT)}\t{complaint_id}\t{manager}\t"
                    f"{ts(at)}\t{previous}\t{step}\t{N if step != 'resolved' else '已处理'}\t"
                    f"{self.stamp(at.date())}\n"
                )
                moments[step] = at
                previous = step
                at = min(now, at + timedelta(hours=response_h / 3))
            last = moments[path[-1]]
            out["complaints"].append(
                f"{complaint_id}\t{cid}\t{manager}\t"
                f"{self.ref.categories[ci % len(self.ref.categories)]}\t"
                f"{('low', 'medium', 'high', 'critical')[ci % 4]}\t"
                f"{('in_person', 'phone', 'hotline', 'store', 'im')[ci % 5]}\t"
                f"{COMPLAINTS[ci % 4]}\t{ts(received)}\t{ts(deadline)}\t{path[-1]}\t"
                f"{'已更换设备并回访确认' if len(path) >= 3 else N}\t"
                f"{3 + ci % 3 if path[-1] == 'closed' else N}\t"
                f"{ts(moments['resolved']) if 'resolved' in moments else N}\t"
                f"{ts(moments['closed']) if 'closed' in moments else N}\t0\t{N}\t{manager}\t"
                f"{visits[11][0] if ci % 8 == 0 else N}\t{len(path)}\t{ts(received)}\t"
                f"{ts(last)}\t{self.stamp(last.date())}\n"
            )

        for k in range(2 + ci % 2):
            created = now - timedelta(days=rng.randint(0, 360), hours=rng.randint(0, 12))
            due_day = created.date() + timedelta(days=rng.randint(1, 21))
            status, completed = "open", None
            if due_day < today - timedelta(days=3):
                x = rng.random()
                if x < 0.9:
                    status, completed = (
                        "done",
                        min(now, created + timedelta(days=rng.randint(1, 7))),
                    )
                elif x < 0.95:
                    status = "cancelled"
            source_visit = visits[(ci + k) % 12][0] if k == 0 else N
            source_complaint = complaint_id if k == 1 and complaint_id else N
            changed = completed or created
            out["tasks"].append(
                f"{self.next_id('tasks', T_TASK)}\t{manager}\t{cid}\t"
                f"{TASK_TITLES[(ci + k) % 5]}\t{N}\t{due_day.isoformat()}\t{status}\t"
                f"{ts(completed) if completed else N}\t{source_visit}\t{source_complaint}\t"
                f"{manager}\t{1 if status == 'open' else 2}\t{ts(created)}\t{ts(changed)}\t"
                f"{self.stamp(changed.date())}\n"
            )

        if warned:
            month = self.months[-2].isoformat()[:7]
            opened = now - timedelta(days=rng.randint(1, 60 if warning_open else 300))
            reasons = json.dumps(
                [
                    {
                        "code": "total_drop",
                        "drop_pct": 40.0,
                        "month": month,
                        "text_zh": "近三个月消费较前期下降40%",
                        "text_en": "Spend fell 40% over the last three months",
                    }
                ],
                ensure_ascii=False,
            )
            resolved = N if warning_open else ts(opened + timedelta(days=20))
            out["churn_warnings"].append(
                f"{self.next_id('churn_warnings', T_WARNING)}\t{cid}\t"
                f"{'open' if warning_open else 'retained'}\tspend_rule\t{reasons}\t"
                f'["total_drop:{month}"]\t{ts(opened)}\t{N}\tmaturity\t'
                f"{'客户被竞争对手低价套餐吸引' if not warning_open else N}\t"
                f"{'赠送流量包并上门沟通' if not warning_open else N}\t"
                f"{N if warning_open else ts(opened + timedelta(days=3))}\t"
                f"{N if warning_open else manager}\t{resolved}\t"
                f"{N if warning_open else manager}\t{N if warning_open else '已挽留'}\t{N}\t"
                f"{1 if warning_open else 3}\t{ts(opened)}\t"
                f"{ts(opened) if warning_open else resolved}\t{self.stamp(opened.date())}\n"
            )


def load(name: str, managers: int, seed: int) -> None:
    url = pg_url(name)
    started = time.perf_counter()
    password_hash = migrate(url)
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    with psycopg.connect(url) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        xid = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0]
        conn.rollback()
        load_people(conn, managers, password_hash, stamp=max(3, xid - 1))
        tiers = conn.execute(
            "SELECT id::text, code, contact_interval_days, complaint_response_hours"
            " FROM tiers ORDER BY rank"
        ).fetchall()
        categories = [r[0] for r in conn.execute("SELECT id::text FROM complaint_categories")]
        ref = Reference(
            tiers=tiers,
            categories=categories,
            admin=uid(T_USER, 0),
            managers=[uid(T_USER, 1000 + m) for m in range(managers)],
            stamp_hi=max(10, xid - 1),
        )
        remake = strip_indexes(conn)

    generator = Generator(ref, date.today(), seed)
    t0 = time.perf_counter()
    total = sum(portfolio_size(m) for m in range(managers))
    with ExitStack() as stack:
        copies = {}
        for table in LOADED_TABLES:
            conn = stack.enter_context(psycopg.connect(url))
            conn.execute("SET synchronous_commit = off")
            copies[table] = stack.enter_context(
                conn.cursor().copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN")
            )
        out: dict[str, list[str]] = {t: [] for t in LOADED_TABLES}
        ci = 0
        for m, manager in enumerate(ref.managers):
            for _ in range(portfolio_size(m)):
                generator.customer(ci, manager, out)
                ci += 1
                if ci % CHUNK_CUSTOMERS == 0 or ci == total:
                    for table, lines in out.items():
                        if lines:
                            copies[table].write("".join(lines))
                            lines.clear()
                    if ci % 50000 == 0 or ci == total:
                        print(f"  {ci:,} customers written, {time.perf_counter() - t0:.0f} s")
        print("  committing the COPYs")
    print(f"rows copied in {time.perf_counter() - t0:.1f} s")

    t1 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in remake:
            conn.execute(statement)
        print(f"indexes, keys and foreign keys made in {time.perf_counter() - t1:.1f} s")
        t2 = time.perf_counter()
        conn.execute("VACUUM (ANALYZE)")
        print(f"VACUUM ANALYZE in {time.perf_counter() - t2:.1f} s")
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(describe(managers, seed))
            )
        )


def print_sizes(name: str) -> None:
    with psycopg.connect(pg_url(name)) as conn:
        rows = conn.execute(
            """SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r'
               ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 16"""
        ).fetchall()
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    print(f"{'table':22} {'rows':>12} {'size with indexes':>18}")
    for table, rows_, bytes_ in rows:
        print(f"{table:22} {max(rows_, 0):>12,} {bytes_ / 2**20:>15,.0f} MB")
    print(f"database {name}: {size / 2**30:.2f} GB")


def ensure(
    managers: int = 1000, name: str | None = None, reload: bool = False, seed: int = 12
) -> str:
    """Create, migrate or reuse the province database; answers its name."""
    name = name or database_name(managers)
    exists, comment, revision = loaded_state(name)
    if exists and not reload and comment == describe(managers, seed):
        if revision != head_revision():
            print(f"{name}: loaded, at {revision}; applying the migrations since")
            migrate(pg_url(name))
            with psycopg.connect(pg_url(name), autocommit=True) as conn:
                conn.execute("ANALYZE")
        else:
            print(f"{name}: loaded and at the migration head {revision}; reused")
        return name
    if exists:
        print(f"{name}: {'reloading' if reload else 'not loaded with these parameters'}; dropped")
        dropdb(name)
    createdb(name)
    started = time.perf_counter()
    load(name, managers, seed)
    print(f"{name}: loaded in {time.perf_counter() - started:.0f} s")
    print_sizes(name)
    return name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--managers", type=int, default=1000)
    parser.add_argument("--db", help="database name (default fieldbook_province[_small])")
    parser.add_argument("--reload", action="store_true", help="drop and load again")
    parser.add_argument("--seed", type=int, default=12)
    opts = parser.parse_args()
    ensure(opts.managers, opts.db, opts.reload, opts.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
