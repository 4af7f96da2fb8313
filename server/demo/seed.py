"""Deterministic demo data: one branch, two teams, eight account managers, 3,000 customers.

Everything is drawn from the seed (`random.Random` and a seeded Faker, never the
global `random` module), so the same seed gives the same people, numbers and bills.
Rows are built in memory and written in a handful of bulk statements: seeding takes
seconds, not minutes.

The spend history is shaped for the churn-warning rule (a single service down 20%,
or the total down 10%, in the last complete month against the mean of the three
months before): about 5% of customers cross it, about 3% stay just under it, and
everyone else's bills wobble by at most 3% a month, so they never cross it by chance.
"""

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from faker import Faker

from server.auth.models import Role, User
from server.auth.passwords import hash_password
from server.customers.models import (
    Contact,
    Customer,
    CustomerKind,
    Gender,
    MonthlySpend,
    Stage,
    Tier,
)
from server.customers.pinyin import name_pinyin
from server.customers.services import assign
from server.extensions import db
from server.models_base import utcnow
from server.stamps import stamp_for
from server.team.models import Team
from server.timeutil import local_today, start_of_local_day

DEFAULT_SEED = 20261125
DEMO_PASSWORD = "fieldbook-demo"
CUSTOMER_COUNT = 3000
UNASSIGNED_COUNT = 20
SPEND_MONTHS = 12
ASSIGN_REASON = "演示数据初始分配"

# (team name, its districts of the city, lead, managers)
TEAMS = (
    (
        "城东班组",
        ("上城区", "钱塘区", "萧山区", "临平区"),
        "lead1",
        ("manager1", "manager2", "manager3", "manager4"),
    ),
    (
        "城西班组",
        ("西湖区", "拱墅区", "余杭区", "滨江区"),
        "lead2",
        ("manager5", "manager6", "manager7", "manager8"),
    ),
)
CITY = "杭州市"
# Portfolios of manager1..manager8, 2,980 customers (the other 20 wait unassigned):
# real portfolios are never quite even, and rebalancing needs something to rebalance.
PORTFOLIO_SIZES = (390, 360, 378, 352, 382, 364, 388, 366)

TIER_SHARES = {
    "diamond": 0.03,
    "emerald": 0.07,
    "platinum": 0.12,
    "sapphire": 0.18,
    "gold": 0.25,
    "crystal": 0.35,
}
STAGE_SHARES = {
    Stage.ONBOARDING: 0.04,
    Stage.INTRODUCTION: 0.06,
    Stage.MATURITY: 0.75,
    Stage.WARNING: 0.10,
    Stage.CHURNED: 0.05,
}
ORGANISATION_SHARE = 0.15
DROP_SHARE = 0.05
NEAR_MISS_SHARE = 0.03
# Of the customers who left during the year: those whose last bill fell first.
CHURN_BILL_FELL = 0.4

MOBILE_PREFIXES = tuple(
    str(p) for p in (*range(130, 140), *range(150, 154), *range(155, 160), *range(180, 190))
)
INTERESTS = (
    "高尔夫", "茶艺", "摄影", "旅游", "钓鱼", "书法", "健身", "登山",
    "美食", "红酒", "阅读", "音乐", "瑜伽", "收藏", "网球", "骑行",
)  # fmt: skip
HABITS = (
    "流量使用多", "常出差漫游", "偏好线上缴费", "银行代扣", "晚间通话多",
    "视频会员", "家庭共享", "喜欢营业厅办理",
)  # fmt: skip
INCOME_BANDS = ("月收入5千以下", "月收入5千-1万", "月收入1-2万", "月收入2-5万", "月收入5万以上")
# Income band weights by tier: the higher the tier, the richer the customer.
INCOME_WEIGHTS = {
    "diamond": (0, 1, 3, 10, 12),
    "emerald": (0, 2, 6, 10, 5),
    "platinum": (1, 4, 10, 6, 2),
    "sapphire": (2, 8, 10, 3, 1),
    "gold": (4, 10, 6, 2, 0),
    "crystal": (8, 10, 4, 1, 0),
}
POSITIONS = (
    "总经理", "副总经理", "部门经理", "项目经理", "工程师", "医生", "教师", "律师",
    "会计师", "公务员", "销售总监", "个体经营者", "设计师", "主任", "董事长", "研究员",
)  # fmt: skip
# Monthly plan prices (元) an individual of each tier typically holds.
PLAN_PRICES = {
    "diamond": (599, 899),
    "emerald": (399, 599),
    "platinum": (299, 399),
    "sapphire": (199, 299),
    "gold": (129, 199),
    "crystal": (99, 129),
}
PRODUCT_OF_SERVICE = {
    "data": "流量加油包",
    "broadband": "千兆宽带",
    "iptv": "IPTV高清",
    "fixed_line": "固定电话",
    "group_sms": "集团短信",
    "cloud": "云主机",
}
EXTRA_PRODUCTS = ("视频彩铃", "家庭副卡", "云盘会员", "国际漫游包")
ORG_EXTRA_PRODUCTS = ("企业专线", "视频会议", "云办公")
INDIVIDUAL_SERVICES = ("data", "broadband", "iptv", "fixed_line")
ORG_SERVICES = ("broadband", "fixed_line", "group_sms", "cloud", "data")
# Monthly fees (元) before the tier's factor; mobile comes from the plan (individuals)
# or from the number of lines (organisations).
SERVICE_BASE = {"data": 30, "broadband": 100, "iptv": 30, "fixed_line": 25}
ORG_SERVICE_BASE = {
    "mobile": 3000,
    "broadband": 800,
    "fixed_line": 300,
    "group_sms": 500,
    "cloud": 3000,
    "data": 400,
}
TIER_FACTOR = {
    "diamond": 1.8,
    "emerald": 1.5,
    "platinum": 1.3,
    "sapphire": 1.15,
    "gold": 1.0,
    "crystal": 0.85,
}
ORG_TIER_FACTOR = {
    "diamond": 4.0,
    "emerald": 2.7,
    "platinum": 1.7,
    "sapphire": 1.0,
    "gold": 0.6,
    "crystal": 0.35,
}
# (kind of organisation, name suffixes, industry, decision maker's title)
ORG_TYPES = (
    (
        "company",
        ("科技有限公司", "贸易有限公司", "建设集团有限公司", "物流有限公司"),
        None,
        "总经理",
    ),
    ("hotel", ("大酒店", "国际酒店"), "住宿餐饮", "总经理"),
    ("school", ("实验学校", "职业技术学院", "中学"), "教育", "校长"),
    ("hospital", ("医院", "中医院", "口腔医院"), "医疗卫生", "院长"),
)
ORG_TYPE_WEIGHTS = (60, 15, 15, 10)
COMPANY_INDUSTRIES = ("信息技术", "批发零售", "建筑业", "交通物流", "制造业", "金融")
CONTACT_TITLES = ("办公室主任", "行政经理", "信息中心主任", "财务经理", "采购经理")

# Spend patterns of the last complete month.
NORMAL, DROP_SERVICE, DROP_TOTAL, NEAR_SERVICE, NEAR_TOTAL = (
    "normal",
    "drop_service",
    "drop_total",
    "near_service",
    "near_total",
)

# Columns one kind of customer leaves empty; every bulk row names the same columns.
_EMPTY_PROFILE = {
    **dict.fromkeys(
        (
            "phone2",
            "email",
            "gender",
            "birthday",
            "address",
            "employer",
            "position",
            "industry",
            "interests",
            "income_band",
            "consumption_habits",
        ),
        None,
    ),
    "birthday_lunar": False,
}


class DemoDataExists(ValueError):
    """The database already has users: seeding again would double the data."""


@dataclass
class _Draft:
    """A customer being drawn, with what the spend history needs to know about it."""

    fields: dict
    tier: str
    stage: Stage
    manager: int | None
    services: list[str]
    mobile_base: float
    contacts: list[dict] = field(default_factory=list)
    pattern: str = NORMAL

    @property
    def is_org(self) -> bool:
        return self.fields["kind"] == CustomerKind.ORGANISATION


class _Numbers:
    """Unique phone numbers and customer numbers."""

    def __init__(self, rng: random.Random):
        self._rng = rng
        self._seen: set[str] = set()

    def _unique(self, make) -> str:
        while True:
            value = make()
            if value not in self._seen:
                self._seen.add(value)
                return value

    def mobile(self) -> str:
        rng = self._rng
        return self._unique(lambda: rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}")

    def landline(self) -> str:
        return self._unique(lambda: f"0571-8{self._rng.randrange(10**7):07d}")

    def external_no(self) -> str:
        return self._unique(lambda: f"C{self._rng.randrange(10**10):010d}")


def seed_demo(seed: int = DEFAULT_SEED, today: date | None = None) -> dict[str, int]:
    """Create the demo users, teams, customers and spend history; flush, never commit.

    Refuses (`DemoDataExists`) when any user exists, so it never doubles the data.
    Dates (activations, contract ends, manager1's upcoming birthdays, the spend
    months) are relative to `today`; everything else depends on `seed` alone.
    Returns counts of what was created.
    """
    if db.session.scalar(sa.select(User.id).limit(1)) is not None:
        raise DemoDataExists("The database already has users; demo data goes into an empty one.")
    today = today or local_today()
    tiers = {tier.code: tier for tier in db.session.scalars(sa.select(Tier))}
    missing = sorted(set(TIER_SHARES) - set(tiers))
    if missing:
        raise ValueError(f"Tiers missing (run the migrations first): {', '.join(missing)}.")

    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    numbers = _Numbers(rng)

    admin, managers, teams = _create_staff(rng, fake, numbers)
    drafts = _draw_customers(rng, fake, numbers, today)
    _shape_manager1(rng, drafts, today)
    _choose_spend_patterns(rng, drafts)

    now = utcnow()
    customers = [
        Customer(id=_uuid(rng), tier_id=tiers[draft.tier].id, **draft.fields) for draft in drafts
    ]
    # The Customer objects only carry the assignment through `assign`, the one place
    # that writes history; the rows themselves go in as one bulk insert. Without
    # autoflush, the pending history rows wait until their customers exist.
    with db.session.no_autoflush:
        for customer, draft in zip(customers, drafts, strict=True):
            if draft.manager is not None:
                entry = assign(
                    customer,
                    managers[draft.manager],
                    reason=ASSIGN_REASON,
                    actor=admin,
                    source="demo",
                )
                # Each customer has been with its manager since it joined: the reviews
                # attribute past work by this history.
                assert entry is not None
                entry.at = customer.assigned_at = start_of_local_day(
                    draft.fields["activation_date"]
                )
        _bulk_insert(
            Customer,
            [
                {
                    **_EMPTY_PROFILE,
                    **draft.fields,
                    "id": customer.id,
                    "name_pinyin": customer.name_pinyin,
                    "tier_id": customer.tier_id,
                    "manager_id": customer.manager_id,
                    "assigned_at": customer.assigned_at,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for customer, draft in zip(customers, drafts, strict=True)
            ],
        )
    db.session.flush()

    contact_rows = [
        {
            "id": _uuid(rng),
            "customer_id": customer.id,
            "version": 1,
            "name_pinyin": name_pinyin(contact["name"]),
            **contact,
        }
        for customer, draft in zip(customers, drafts, strict=True)
        for contact in draft.contacts
    ]
    _bulk_insert(Contact, contact_rows)

    # Its own stream, so reshaping the bills never changes who the customers are.
    spend_rng = random.Random(f"{seed}/spend")
    months = _spend_months(today)
    spend_rows = [
        {
            "id": _uuid(spend_rng),
            "customer_id": customer.id,
            "month": month,
            "service": service,
            "amount": amount,
            "version": 1,
            "imported_at": now,
        }
        for customer, draft in zip(customers, drafts, strict=True)
        for service, month, amount in _spend(spend_rng, draft, months)
    ]
    _bulk_insert(MonthlySpend, spend_rows, copy=True)

    return {
        "users": 1 + len(managers) + len(teams),
        "teams": len(teams),
        "customers": len(customers),
        "organisations": sum(draft.is_org for draft in drafts),
        "contacts": len(contact_rows),
        "assigned": sum(draft.manager is not None for draft in drafts),
        "unassigned": sum(draft.manager is None for draft in drafts),
        "spend_rows": len(spend_rows),
        "dropping_spend": sum(d.pattern in (DROP_SERVICE, DROP_TOTAL) for d in drafts),
        "near_miss_spend": sum(d.pattern in (NEAR_SERVICE, NEAR_TOTAL) for d in drafts),
    }


def demo_usernames() -> list[str]:
    """The demo logins, in the order they are shown."""
    leads = [lead for _team, _districts, lead, _managers in TEAMS]
    managers = [name for *_rest, names in TEAMS for name in names]
    return ["admin", *leads, *managers]


def _bulk_insert(model: type, rows: list[dict], *, copy: bool = False) -> None:
    """Insert plain rows (every row with the same keys) in as few statements as possible.

    `copy=True` uses PostgreSQL's COPY, three times faster than psycopg's
    executemany for the ~90,000 spend rows; only for rows of plain values (no JSON).
    """
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    connection = db.session.connection()
    if copy and connection.dialect.name == "postgresql":
        if "sync_stamp" in table.c:
            # COPY runs no column defaults: stamp the rows as the insert would.
            stamp = stamp_for(connection)
            rows = [{**row, "sync_stamp": stamp} for row in rows]
        columns = list(rows[0])
        raw = connection.connection.dbapi_connection
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as writer:  # type: ignore[union-attr]
            for row in rows:
                writer.write_row([row[column] for column in columns])
        return
    # A Core insert on the table: the ORM's per-row bookkeeping would double the time.
    db.session.execute(sa.insert(table), rows)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _person_name(rng: random.Random, fake: Faker, gender: Gender | None) -> str:
    if gender is None or gender == Gender.UNKNOWN:
        gender = rng.choice((Gender.FEMALE, Gender.MALE))
    given = fake.first_name_female() if gender == Gender.FEMALE else fake.first_name_male()
    return fake.last_name() + given


def _create_staff(
    rng: random.Random, fake: Faker, numbers: _Numbers
) -> tuple[User, list[User], list[Team]]:
    # One hash for all eleven: argon2 is slow on purpose, and they share the password.
    password_hash = hash_password(DEMO_PASSWORD)

    def user(username: str, role: Role, team: Team | None, display_name: str) -> User:
        return User(
            id=_uuid(rng),
            username=username,
            display_name=display_name,
            role=role,
            team=team,
            phone=numbers.mobile(),
            password_hash=password_hash,
        )

    admin = user("admin", Role.ADMIN, None, "系统管理员")
    teams: list[Team] = []
    managers: list[User] = []
    staff = [admin]
    for team_name, _districts, lead_name, manager_names in TEAMS:
        team = Team(id=_uuid(rng), name=team_name)
        teams.append(team)
        staff.append(user(lead_name, Role.LEAD, team, _person_name(rng, fake, None)))
        for name in manager_names:
            managers.append(user(name, Role.MANAGER, team, _person_name(rng, fake, None)))
    db.session.add_all([*teams, *staff, *managers])
    db.session.flush()
    return admin, managers, teams


def _exact_spread(rng: random.Random, shares: dict, n: int) -> list:
    """`n` values with exactly these shares (largest remainder), in random order."""
    counts = {key: int(share * n) for key, share in shares.items()}
    by_remainder = sorted(shares, key=lambda key: shares[key] * n - counts[key], reverse=True)
    for key in by_remainder[: n - sum(counts.values())]:
        counts[key] += 1
    values = [key for key, count in counts.items() for _ in range(count)]
    rng.shuffle(values)
    return values


def _draw_customers(
    rng: random.Random, fake: Faker, numbers: _Numbers, today: date
) -> list[_Draft]:
    n = CUSTOMER_COUNT
    tier_of = _exact_spread(rng, TIER_SHARES, n)
    stage_of = _exact_spread(rng, STAGE_SHARES, n)
    orgs = set(rng.sample(range(n), round(n * ORGANISATION_SHARE)))

    # The unassigned pool is new customers waiting for a manager.
    onboarding = [i for i in range(n) if stage_of[i] == Stage.ONBOARDING]
    unassigned = set(rng.sample(onboarding, UNASSIGNED_COUNT))
    to_assign = [i for i in range(n) if i not in unassigned]
    rng.shuffle(to_assign)
    manager_of: dict[int, int] = {}
    start = 0
    for position, size in enumerate(PORTFOLIO_SIZES):
        manager_of.update(dict.fromkeys(to_assign[start : start + size], position))
        start += size
    assert start == len(to_assign), "PORTFOLIO_SIZES must cover every assigned customer"

    drafts = []
    for i in range(n):
        manager = manager_of.get(i)
        team = TEAMS[manager // 4] if manager is not None else rng.choice(TEAMS)
        district = rng.choice(team[1])
        draw = _draw_organisation if i in orgs else _draw_individual
        draft = draw(rng, fake, numbers, tier_of[i], stage_of[i], district, today)
        draft.manager = manager
        drafts.append(draft)
    return drafts


def _common_fields(
    rng: random.Random, numbers: _Numbers, stage: Stage, today: date, contract_share: float
) -> dict:
    """Activation, contract and porting, which depend on the lifecycle stage."""
    if stage == Stage.ONBOARDING:
        activation = today - timedelta(days=rng.randint(0, 9))
    elif stage == Stage.INTRODUCTION:
        activation = today - timedelta(days=rng.randint(10, 30))
    else:
        # Over 13 months ago, so that a whole year of bills exists.
        activation = today - timedelta(days=rng.randint(400, 15 * 365))
    new = stage in (Stage.ONBOARDING, Stage.INTRODUCTION)
    roll, offset = rng.random(), rng.randint(61, 730)
    contract_end: date | None = None
    if stage == Stage.CHURNED:
        # As many had contracts as anyone; theirs ended within the past year. (No extra
        # draw from `rng`: the customers after this one stay who they were.)
        if roll < contract_share:
            contract_end = today - timedelta(days=30 + offset % 300)
    elif new:
        contract_end = activation + timedelta(days=rng.choice((365, 730)))
    elif roll < contract_share * 0.12:
        contract_end = today + timedelta(days=rng.randint(30, 60))
    elif roll < contract_share:
        contract_end = today + timedelta(days=offset)
    return {
        "external_no": numbers.external_no(),
        "stage": stage,
        "activation_date": activation,
        "contract_end_date": contract_end,
        "ported_in": rng.random() < (0.25 if new else 0.08),
    }


def _services(rng: random.Random, choices: Sequence[str]) -> list[str]:
    return ["mobile", *rng.sample(choices, rng.choice((1, 1, 2, 2, 3)))]


def _draw_individual(
    rng: random.Random,
    fake: Faker,
    numbers: _Numbers,
    tier: str,
    stage: Stage,
    district: str,
    today: date,
) -> _Draft:
    gender = rng.choices((Gender.MALE, Gender.FEMALE, Gender.UNKNOWN), (52, 46, 2))[0]
    name = _person_name(rng, fake, gender)
    fields = _common_fields(rng, numbers, stage, today, contract_share=0.55)
    birthday = date(1958, 1, 1) + timedelta(days=rng.randrange(45 * 365))
    price = rng.choice(PLAN_PRICES[tier])
    services = _services(rng, INDIVIDUAL_SERVICES)
    products = [PRODUCT_OF_SERVICE[s] for s in services[1:]]
    if rng.random() < 0.4:
        products.append(rng.choice(EXTRA_PRODUCTS))
    special_dates = [{"label": "入网纪念日", "date": fields["activation_date"].isoformat()}]
    if rng.random() < 0.05:
        moved = today - timedelta(days=rng.randint(30, 900))
        special_dates.append({"label": "乔迁新居", "date": moved.isoformat()})
    employed = rng.random() < 0.85
    fields.update(
        kind=CustomerKind.INDIVIDUAL,
        name=name,
        phone=numbers.mobile(),
        phone2=numbers.mobile() if rng.random() < 0.1 else None,
        email=fake.free_email() if rng.random() < 0.3 else None,
        gender=gender,
        birthday=birthday,
        birthday_lunar=rng.random() < 0.04,
        address=(
            f"{CITY}{district}{fake.street_name()}{rng.randint(1, 399)}号"
            f"{fake.company_prefix()}花园{rng.randint(1, 30)}幢"
            f"{rng.randint(1, 32)}{rng.randint(1, 4):02d}室"
        ),
        employer=fake.company() if employed else None,
        position=rng.choice(POSITIONS) if employed else None,
        interests="、".join(rng.sample(INTERESTS, rng.randint(1, 3))),
        income_band=rng.choices(INCOME_BANDS, INCOME_WEIGHTS[tier])[0],
        consumption_habits="、".join(rng.sample(HABITS, rng.randint(1, 2))),
        plan_name=f"5G{'尊享' if price >= 599 else '畅享'}套餐 {price}元",
        products=products,
        special_dates=special_dates,
    )
    return _Draft(
        fields=fields,
        tier=tier,
        stage=stage,
        manager=None,
        services=services,
        mobile_base=price * rng.uniform(1.0, 1.12),
    )


def _draw_organisation(
    rng: random.Random,
    fake: Faker,
    numbers: _Numbers,
    tier: str,
    stage: Stage,
    district: str,
    today: date,
) -> _Draft:
    _kind, suffixes, industry, boss_title = rng.choices(ORG_TYPES, ORG_TYPE_WEIGHTS)[0]
    name = fake.company_prefix() + rng.choice(suffixes)
    fields = _common_fields(rng, numbers, stage, today, contract_share=0.8)
    services = _services(rng, ORG_SERVICES)
    products = [PRODUCT_OF_SERVICE[s] for s in services[1:]]
    if rng.random() < 0.5:
        products.append(rng.choice(ORG_EXTRA_PRODUCTS))
    lines = max(5, round(40 * ORG_TIER_FACTOR[tier] * rng.uniform(0.6, 1.4)))
    founded = date(1985, 1, 1) + timedelta(days=rng.randrange(35 * 365))
    fields.update(
        kind=CustomerKind.ORGANISATION,
        name=name,
        phone=numbers.landline(),
        address=f"{CITY}{district}{fake.street_name()}{rng.randint(1, 999)}号",
        industry=industry or rng.choice(COMPANY_INDUSTRIES),
        plan_name=f"政企融合套餐 {lines}部",
        products=products,
        special_dates=[{"label": "成立纪念日", "date": founded.isoformat()}],
    )
    contacts = []
    titles = rng.sample(CONTACT_TITLES, rng.randint(1, 3))
    for position, title in enumerate([boss_title, *titles]):
        gender = rng.choice((Gender.FEMALE, Gender.MALE))
        contacts.append(
            {
                "name": _person_name(rng, fake, gender),
                "title": title,
                "phone": numbers.mobile(),
                "email": None,
                # The head of the organisation decides; exactly one per organisation.
                "is_decision_maker": position == 0,
                "birthday": date(1960, 1, 1) + timedelta(days=rng.randrange(38 * 365))
                if position == 0
                else None,
            }
        )
    return _Draft(
        fields=fields,
        tier=tier,
        stage=stage,
        manager=None,
        services=services,
        mobile_base=ORG_SERVICE_BASE["mobile"] * ORG_TIER_FACTOR[tier] * rng.uniform(0.8, 1.25),
        contacts=contacts,
    )


def _shape_manager1(rng: random.Random, drafts: list[_Draft], today: date) -> None:
    """Give manager1 (the account to try first) something in every list of the agenda."""
    portfolio = [d for d in drafts if d.manager == 0 and d.stage != Stage.CHURNED]
    people = [d for d in portfolio if not d.is_org]
    for draft, days in zip(rng.sample(people, 4), (1, 2, 4, 6), strict=True):
        upcoming = today + timedelta(days=days)
        year = draft.fields["birthday"].year
        if (upcoming.month, upcoming.day) == (2, 29):
            year -= year % 4  # a leap year within the 1958-2002 range
        draft.fields["birthday"] = date(year, upcoming.month, upcoming.day)
        draft.fields["birthday_lunar"] = False
    for draft, days in zip(rng.sample(portfolio, 3), (7, 15, 26), strict=True):
        draft.fields["contract_end_date"] = today + timedelta(days=days)


def _choose_spend_patterns(rng: random.Random, drafts: list[_Draft]) -> None:
    # Only customers with a full year of bills can show a drop against earlier months.
    eligible = [d for d in drafts if d.stage in (Stage.MATURITY, Stage.WARNING)]
    mine = [d for d in eligible if d.manager == 0]
    others = [d for d in eligible if d.manager != 0]
    n_drop = round(CUSTOMER_COUNT * DROP_SHARE)
    n_near = round(CUSTOMER_COUNT * NEAR_MISS_SHARE)
    chosen_mine = rng.sample(mine, 7)
    chosen_others = rng.sample(others, n_drop + n_near - 7)
    drops = chosen_mine[:5] + chosen_others[: n_drop - 5]
    nears = chosen_mine[5:] + chosen_others[n_drop - 5 :]
    for position, draft in enumerate(drops):
        draft.pattern = DROP_SERVICE if position % 2 == 0 else DROP_TOTAL
    for position, draft in enumerate(nears):
        draft.pattern = NEAR_SERVICE if position % 2 == 0 else NEAR_TOTAL


def _spend_months(today: date) -> list[date]:
    """The last SPEND_MONTHS complete months before `today`, oldest first."""
    this_month = today.replace(day=1)
    return [this_month - relativedelta(months=k) for k in range(SPEND_MONTHS, 0, -1)]


def _spend(
    rng: random.Random, draft: _Draft, months: list[date]
) -> list[tuple[str, date, Decimal]]:
    """(service, month, amount) rows of one customer's bills."""
    series: dict[str, list[float]] = {}
    for service in draft.services:
        if service == "mobile":
            base = draft.mobile_base
        elif draft.is_org:
            base = ORG_SERVICE_BASE[service] * ORG_TIER_FACTOR[draft.tier] * rng.uniform(0.7, 1.3)
        else:
            base = SERVICE_BASE[service] * TIER_FACTOR[draft.tier] * rng.uniform(0.8, 1.25)
        # +-3% a month: never enough to look like a drop of 10% or 20%.
        values = [base * (1 + rng.uniform(-0.03, 0.03)) for _ in months]
        if rng.random() < 0.08:
            # A one-off spike (roaming, a big data month) well before the reference window.
            values[rng.randrange(len(months) - 4)] *= rng.uniform(1.1, 1.4)
        series[service] = values

    if draft.stage == Stage.WARNING and rng.random() < 0.6:
        # Why they are in the warning stage: one service fell months ago and stayed down,
        # before the three reference months, so it does not count as a new drop.
        shifted = series[rng.choice(draft.services)]
        start, cut = rng.randint(4, len(months) - 4), rng.uniform(0.15, 0.35)
        for k in range(start, len(months)):
            shifted[k] *= 1 - cut

    rounded = {s: [round(v, 2) for v in values] for s, values in series.items()}
    _shape_last_month(rng, draft, rounded)

    first_month = months[0]
    if draft.stage in (Stage.ONBOARDING, Stage.INTRODUCTION):
        activation = draft.fields["activation_date"]
        first_month = date(activation.year, activation.month, 1)
    last_index = len(months) - 1
    if draft.stage == Stage.CHURNED:
        # They left at some point of the year (never in the last month, which the
        # warning rule judges), and none of their bills follow. Some bills fell first
        # (what the spend rule sees); the others did not (server/demo/churn.py gives
        # most of those the complaints the churn model learns to read).
        last_index = rng.randint(3, len(months) - 2)
        if rng.random() < CHURN_BILL_FELL:
            for values in rounded.values():
                values[last_index] = round(values[last_index] * rng.uniform(0.3, 0.7), 2)
    return [
        (service, month, Decimal(f"{values[k]:.2f}"))
        for service, values in rounded.items()
        for k, month in enumerate(months)
        if k <= last_index and month >= first_month
    ]


def _shape_last_month(rng: random.Random, draft: _Draft, series: dict[str, list[float]]) -> None:
    """Set the last month against the mean of the three before it, as the pattern asks."""

    def reference(service: str) -> float:
        return sum(series[service][-4:-1]) / 3

    def set_last(service: str, ratio: float) -> None:
        series[service][-1] = round(reference(service) * ratio, 2)

    if draft.pattern == DROP_SERVICE:
        set_last(rng.choice(draft.services), 1 - rng.uniform(0.22, 0.5))
    elif draft.pattern == DROP_TOTAL:
        # Each service down less than 20%, the total more than 10%.
        for service in draft.services:
            set_last(service, 1 - rng.uniform(0.12, 0.18))
    elif draft.pattern == NEAR_SERVICE:
        # The smallest service down 12-18%: under 20%, and too small to pull the total
        # down 10% (it is at most half of it); the others hold steady or grow a little.
        smallest = min(draft.services, key=reference)
        for service in draft.services:
            if service == smallest:
                set_last(service, 1 - rng.uniform(0.12, 0.18))
            else:
                set_last(service, 1 + rng.uniform(0, 0.02))
    elif draft.pattern == NEAR_TOTAL:
        for service in draft.services:
            set_last(service, 1 - rng.uniform(0.06, 0.09))
