"""The demo data (`seed_demo`) and the `fieldbook demo` command."""

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.auth.models import Role, User
from server.complaints.models import Complaint
from server.customers.models import (
    AssignmentHistory,
    Contact,
    Customer,
    CustomerKind,
    MonthlySpend,
    Stage,
    Tier,
)
from server.demo.seed import DemoDataExists, seed_demo
from server.extensions import db
from server.team.models import Team
from server.visits.models import Visit
from server.warnings.models import ChurnWarning, WarningSource

# Near a new year, so "the next 7 days" wraps from December into January.
TODAY = date(2025, 12, 28)
LAST_MONTH = date(2025, 11, 1)
FIRST_MONTH = date(2024, 12, 1)


@pytest.fixture
def seeded(in_app):
    with in_app():
        summary = seed_demo(today=TODAY)
        db.session.commit()
    return summary


def _manager(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _digest() -> str:
    rows = db.session.execute(
        sa.select(Customer.external_no, Customer.name, Customer.phone, Tier.code)
        .join(Tier)
        .order_by(Customer.external_no)
    )
    return hashlib.sha256(repr(rows.all()).encode()).hexdigest()


def _spend_by_customer() -> dict:
    """{customer_id: {service: {month: amount}}}"""
    spend: dict = defaultdict(lambda: defaultdict(dict))
    rows = db.session.execute(
        sa.select(
            MonthlySpend.customer_id, MonthlySpend.service, MonthlySpend.month, MonthlySpend.amount
        )
    )
    for customer_id, service, month, amount in rows:
        spend[customer_id][service][month] = float(amount)
    return spend


def _warning(services: dict) -> bool:
    """The churn rule: last month one service down >= 20%, or the total down >= 10%,
    against the mean of the three months before."""
    reference_months = [date(2025, 8, 1), date(2025, 9, 1), date(2025, 10, 1)]
    total_last = total_reference = 0.0
    dropped = False
    for by_month in services.values():
        if LAST_MONTH not in by_month:
            return False
        reference = sum(by_month.get(m, 0.0) for m in reference_months) / 3
        total_last += by_month[LAST_MONTH]
        total_reference += reference
        if reference > 0 and by_month[LAST_MONTH] <= 0.8 * reference:
            dropped = True
    return dropped or (total_reference > 0 and total_last <= 0.9 * total_reference)


def test_seed_creates_the_documented_staff_customers_and_portfolios(seeded, in_app):
    assert seeded["users"] == 11 and seeded["customers"] == 3000
    with in_app():
        users = db.session.scalars(sa.select(User)).all()
        assert Counter(u.role for u in users) == {Role.ADMIN: 1, Role.LEAD: 2, Role.MANAGER: 8}
        by_name = {u.username: u for u in users}
        assert set(by_name) == {"admin", "lead1", "lead2"} | {f"manager{i}" for i in range(1, 9)}
        teams = {t.id: t.name for t in db.session.scalars(sa.select(Team))}
        assert sorted(teams.values()) == sorted(["城东班组", "城西班组"])
        assert teams[by_name["lead1"].team_id] == teams[by_name["manager4"].team_id] == "城东班组"
        assert teams[by_name["lead2"].team_id] == teams[by_name["manager5"].team_id] == "城西班组"
        assert by_name["admin"].team_id is None
        assert all(re.search(r"[\u4e00-\u9fff]", u.display_name) for u in users)

        customers = db.session.scalars(sa.select(Customer)).all()
        assert len(customers) == 3000
        # 3%, 7%, 12%, 18%, 25%, 35% of 3,000; 4%, 6%, 75%, 10%, 5% for the stages.
        assert Counter(c.tier.code for c in customers) == {
            "diamond": 90, "emerald": 210, "platinum": 360,
            "sapphire": 540, "gold": 750, "crystal": 1050,
        }  # fmt: skip
        assert Counter(c.stage for c in customers) == {
            Stage.ONBOARDING: 120, Stage.INTRODUCTION: 180, Stage.MATURITY: 2250,
            Stage.WARNING: 300, Stage.CHURNED: 150,
        }  # fmt: skip
        assert all(re.fullmatch(r"C\d{10}", c.external_no) for c in customers)
        assert len({c.external_no for c in customers}) == 3000

        people = [c for c in customers if c.kind == CustomerKind.INDIVIDUAL]
        orgs = [c for c in customers if c.kind == CustomerKind.ORGANISATION]
        assert len(orgs) == 450
        phones = [c.phone for c in people]
        assert all(re.fullmatch(r"1[358]\d{9}", p) for p in phones)
        assert len(set(phones)) == len(phones)
        assert all(
            re.search(r"[\u4e00-\u9fff]", c.name) and c.gender and c.birthday for c in people
        )
        lunar = sum(c.birthday_lunar for c in people)
        assert 0.01 * len(people) < lunar < 0.08 * len(people)
        assert all(c.plan_name and c.products and c.interests for c in people)

        contacts = db.session.scalars(sa.select(Contact)).all()
        per_org: dict = defaultdict(list)
        for contact in contacts:
            per_org[contact.customer_id].append(contact)
        assert set(per_org) == {o.id for o in orgs}
        assert all(2 <= len(cs) <= 4 for cs in per_org.values())
        assert all(sum(c.is_decision_maker for c in cs) == 1 for cs in per_org.values())

        # New customers came on board within the last 30 days.
        new = [c for c in customers if c.stage in (Stage.ONBOARDING, Stage.INTRODUCTION)]
        assert all(TODAY - timedelta(days=30) <= c.activation_date <= TODAY for c in new)

        admin = by_name["admin"]
        sizes = Counter(db.session.scalars(sa.select(Customer.manager_id)))
        assert sizes.pop(None) == 20
        assert len(sizes) == 8 and sum(sizes.values()) == 2980
        assert all(330 <= n <= 420 for n in sizes.values())
        assert len(set(sizes.values())) > 1  # not perfectly even
        history = db.session.scalars(sa.select(AssignmentHistory)).all()
        assert len(history) == 2980
        assert {(h.source, h.assigned_by_id, h.reason) for h in history} == {
            ("demo", admin.id, "演示数据初始分配")
        }
        assert all(h.from_manager_id is None for h in history)


def test_manager1_signs_in_and_has_birthdays_contracts_and_drops(seeded, in_app, auth):
    upcoming = {
        ((TODAY + timedelta(days=k)).month, (TODAY + timedelta(days=k)).day) for k in range(8)
    }
    with in_app():
        mine = db.session.scalars(
            sa.select(Customer).where(Customer.manager_id == _manager("manager1").id)
        ).all()
        birthdays = [
            c for c in mine if c.birthday and not c.birthday_lunar
            and (c.birthday.month, c.birthday.day) in upcoming
        ]  # fmt: skip
        assert len(birthdays) >= 3
        ending = [
            c
            for c in mine
            if c.contract_end_date and TODAY < c.contract_end_date <= TODAY + timedelta(days=30)
        ]
        assert len(ending) >= 3
        spend = _spend_by_customer()
        assert sum(_warning(spend[c.id]) for c in mine) >= 3

    response = auth.login("manager1", "fieldbook-demo")
    assert response.status_code == 200
    assert response.json["user"]["role"] == "manager"
    assert response.json["user"]["team"]["name"] == "城东班组"
    assert auth.login("lead2", "wrong-password").status_code == 401


def test_spend_covers_a_year_and_about_5_percent_show_a_drop(seeded, in_app):
    with in_app():
        customers = db.session.scalars(sa.select(Customer)).all()
        spend = _spend_by_customer()
    year = [date(2024 + (11 + k) // 12, (11 + k) % 12 + 1, 1) for k in range(12)]
    assert year[0] == FIRST_MONTH and year[-1] == LAST_MONTH
    for customer in customers:
        services = spend[customer.id]
        if not services:
            # Came on board this month: no complete month billed yet.
            assert customer.activation_date >= TODAY.replace(day=1)
            continue
        assert 2 <= len(services) <= 4 and "mobile" in services
        if customer.kind == CustomerKind.INDIVIDUAL:
            assert not {"group_sms", "cloud"} & set(services)
        for by_month in services.values():
            months = sorted(by_month)
            if customer.stage in (Stage.MATURITY, Stage.WARNING):
                assert months == year
            elif customer.stage == Stage.CHURNED:
                # Left during the year, before the last month: no bills since.
                assert months[0] == FIRST_MONTH and 4 <= len(months) <= 11
            else:
                assert all(m >= customer.activation_date.replace(day=1) for m in months)
    warned = [c for c in customers if _warning(spend[c.id])]
    assert 0.04 * 3000 <= len(warned) <= 0.06 * 3000
    # Just under the line: a service down 10-20%, or the total down 5-10%, without a warning.
    near = 0
    for customer in customers:
        services = spend[customer.id]
        if _warning(services) or customer.stage not in (Stage.MATURITY, Stage.WARNING):
            continue
        last = [s[LAST_MONTH] for s in services.values()]
        reference = [sum(s[m] for m in year[-4:-1]) / 3 for s in services.values()]
        one_service = min(a / b for a, b in zip(last, reference, strict=True))
        if one_service < 0.9 or sum(last) / sum(reference) < 0.95:
            near += 1
    assert near >= 0.02 * 3000

    def mean_bill(tier: str) -> float:
        totals = [
            sum(s[LAST_MONTH] for s in spend[c.id].values())
            for c in customers
            if c.tier.code == tier
            and c.kind == CustomerKind.INDIVIDUAL
            and c.stage == Stage.MATURITY
        ]
        return sum(totals) / len(totals)

    assert mean_bill("diamond") > 2 * mean_bill("crystal")


def test_same_seed_gives_the_same_customers_whatever_the_date(in_app):
    with in_app():
        seed_demo(today=TODAY)
        first = _digest()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
        seed_demo(today=TODAY + timedelta(days=45))
        assert _digest() == first


def test_demo_command_seeds_once_prints_the_logins_and_never_seeds_twice(runner, in_app):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000" in result.output
    assert "fieldbook-demo" in result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines() if line.strip()}
    assert lines["manager1"][1:] == ["manager", "fieldbook-demo", "城东班组"]
    assert lines["lead2"][1:] == ["lead", "fieldbook-demo", "城西班组"]
    assert lines["admin"][1:] == ["admin", "fieldbook-demo", "-"]
    # The managers' work is logged too (server.demo.activity), in the same commit.
    logged = re.search(r"Logged (\d+) visits, (\d+) complaints", result.output)
    assert logged, result.output
    with in_app():
        for model, shown in ((Visit, logged[1]), (Complaint, logged[2])):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == int(shown)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ChurnWarning)) > 0
    # A churn model trained on the demo's year of leavers beats the spend rule alone.
    model = re.search(
        r"1 active \(ROC AUC ([\d.]+) against the spend rule's ([\d.]+)\)", result.output
    )
    assert model, result.output
    assert float(model[1]) > float(model[2]) + 0.1
    with in_app():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(ChurnWarning.source == WarningSource.MODEL)
            )
            > 0
        )

    again = runner.invoke(args=["demo", "--no-serve", "--port", "5077"])
    assert again.exit_code == 0, again.output
    assert "already there" in again.output
    assert "http://127.0.0.1:5077" in again.output
    with in_app():
        with pytest.raises(DemoDataExists):
            seed_demo(today=TODAY)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 3000
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 11


def test_reset_refuses_a_database_that_is_not_sqlite(app, runner, in_app):
    with in_app():
        backend = db.engine.url.get_backend_name()
    if backend == "sqlite":
        pytest.skip("needs a non-SQLite test database (TEST_DATABASE_URL)")
    result = runner.invoke(args=["demo", "--reset", "--no-serve"])
    assert result.exit_code != 0
    assert "--reset only deletes a SQLite demo database" in result.output
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_reset_deletes_the_sqlite_demo_database_and_starts_over(tmp_path: Path):
    database = tmp_path / "demo.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE leftover (x INTEGER)")
    env = {**os.environ, "FIELDBOOK_ENV": "development", "DATABASE_URL": f"sqlite:///{database}"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from server.cli import main; main()",
            "demo",
            "--reset",
            "--no-serve",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        # Seeding and training the churn model take about 30 s on an idle machine.
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Deleted the demo database" in result.stdout
    with sqlite3.connect(database) as conn:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    assert "leftover" not in tables
    assert users == 11
