"""The churn warning rules and `fieldbook warnings scan`, with hand-computed expectations.

Bills run from 2026-07 to 2026-10: three reference months (07, 08, 09) and the
judged month 2026-10. The scan's clock is 2026-11-15 12:00 UTC.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from server.complaints.models import Complaint, ComplaintCategory, IntakeChannel, Severity
from server.customers.models import Customer, MonthlySpend, Stage
from server.extensions import db
from server.warnings import services as warning_services
from server.warnings.models import ChurnWarning, WarningSource, WarningStatus
from server.warnings.services import scan_warnings
from tests.statements import commits, counter, crashing_on_call

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
OCTOBER = date(2026, 10, 1)
MONTHS = ("2026-07", "2026-08", "2026-09", "2026-10")


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def bills(in_app):
    """`bills(customer, broadband=[200, 200, 200, 150])`: one amount per month of MONTHS.

    None leaves that month without a row for the service.
    """

    def add(customer, months=MONTHS, **services):
        with in_app():
            for service, amounts in services.items():
                for month, amount in zip(months, amounts, strict=True):
                    if amount is None:
                        continue
                    db.session.add(
                        MonthlySpend(
                            customer_id=customer.id,
                            month=date.fromisoformat(f"{month}-01"),
                            service=service,
                            amount=Decimal(str(amount)),
                        )
                    )
            db.session.commit()

    return add


@pytest.fixture
def scan(in_app):
    """Run the scan as the CLI does (commit) and return its counts."""

    def run(month=OCTOBER, now=NOW, customers=None):
        with in_app():
            ids = [c.id for c in customers] if customers is not None else None
            counts = scan_warnings(month=month, now=now, customer_ids=ids)
            db.session.commit()
            return counts

    return run


def warnings_of(in_app, customer) -> list[ChurnWarning]:
    with in_app():
        return list(
            db.session.scalars(
                sa.select(ChurnWarning)
                .where(ChurnWarning.customer_id == customer.id)
                .order_by(ChurnWarning.opened_at)
            )
        )


def stage_of(in_app, customer) -> Stage:
    with in_app():
        return db.session.get(Customer, customer.id).stage


# --- spend drops ----------------------------------------------------------------


def test_broadband_from_200_to_150_raises_a_warning_naming_broadband_and_25_pct(
    make_customer, manager, bills, scan, in_app
):
    customer = make_customer(manager=manager, stage=Stage.MATURITY)
    # Steady mobile keeps the total's drop at 50/800 = 6.25%: only broadband fires.
    bills(customer, broadband=[200, 200, 200, 150], mobile=[600, 600, 600, 600])

    counts = scan(customers=[customer])

    assert counts == {
        "month": "2026-10",
        "customers_scanned": 1,
        "warnings_opened": 1,
        "warnings_joined": 0,
        "reasons_added": 1,
    }
    [warning] = warnings_of(in_app, customer)
    assert warning.status == WarningStatus.OPEN
    assert warning.source == WarningSource.SPEND_RULE
    assert warning.reasons == [
        {
            "code": "service_drop",
            "service": "broadband",
            "drop_pct": 25.0,
            "reference": "200.00",
            "current": "150.00",
            "month": "2026-10",
            "text_zh": "宽带月费较前三个月均值下降25.0%（200.00 → 150.00）",  # noqa: RUF001
            "text_en": (
                "Broadband monthly fee down 25.0% against the mean of the previous 3 months"
                " (200.00 → 150.00)"
            ),
        }
    ]
    assert warning.finding_keys == ["service_drop:broadband:2026-10"]
    assert warning.opened_at == NOW
    assert warning.previous_stage == Stage.MATURITY
    assert stage_of(in_app, customer) == Stage.WARNING


def test_broadband_at_185_is_only_7_5_pct_down_and_raises_nothing(
    make_customer, manager, bills, scan, in_app
):
    customer = make_customer(manager=manager)
    bills(customer, broadband=[200, 200, 200, 185])

    counts = scan(customers=[customer])

    assert counts["warnings_opened"] == 0
    assert warnings_of(in_app, customer) == []
    assert stage_of(in_app, customer) == Stage.MATURITY


def test_service_drop_of_exactly_20_pct_raises(make_customer, manager, bills, scan, in_app):
    customer = make_customer(manager=manager)
    # broadband 200 -> 160 is 20.0%; mobile keeps the total at 40/1200 = 3.3%.
    bills(customer, broadband=[200, 200, 200, 160], mobile=[1000, 1000, 1000, 1000])

    scan(customers=[customer])

    [warning] = warnings_of(in_app, customer)
    assert [(r["code"], r["drop_pct"]) for r in warning.reasons] == [("service_drop", 20.0)]


def test_total_down_exactly_10_pct_raises_a_total_drop(make_customer, manager, bills, scan, in_app):
    customer = make_customer(manager=manager)
    # Each service down 10% (< 20%); the total 300 -> 270 is exactly 10%.
    bills(customer, mobile=[100, 100, 100, 90], data=[200, 200, 200, 180])

    scan(customers=[customer])

    [warning] = warnings_of(in_app, customer)
    assert warning.reasons == [
        {
            "code": "total_drop",
            "drop_pct": 10.0,
            "reference": "300.00",
            "current": "270.00",
            "month": "2026-10",
            "text_zh": "月消费总额较前三个月均值下降10.0%（300.00 → 270.00）",  # noqa: RUF001
            "text_en": (
                "Total monthly fee down 10.0% against the mean of the previous 3 months"
                " (300.00 → 270.00)"
            ),
        }
    ]
    assert warning.finding_keys == ["total_drop:2026-10"]


def test_total_down_9_9_pct_raises_nothing(make_customer, manager, bills, scan, in_app):
    customer = make_customer(manager=manager)
    # 300 -> 270.30: (300 - 270.30) / 300 = 9.9%.
    bills(customer, mobile=[100, 100, 100, 90.30], data=[200, 200, 200, 180])

    assert scan(customers=[customer])["warnings_opened"] == 0
    assert warnings_of(in_app, customer) == []


def test_service_and_total_drops_are_both_named(make_customer, manager, bills, scan, in_app):
    customer = make_customer(manager=manager)
    # broadband 200 -> 100 (50%); total 300 -> 200 (33.3%).
    bills(customer, broadband=[200, 200, 200, 100], iptv=[100, 100, 100, 100])

    counts = scan(customers=[customer])

    [warning] = warnings_of(in_app, customer)
    assert [(r["code"], r.get("service"), r["drop_pct"]) for r in warning.reasons] == [
        ("service_drop", "broadband", 50.0),
        ("total_drop", None, 33.3),
    ]
    assert counts["reasons_added"] == 2


def test_the_reference_is_the_mean_of_three_months(make_customer, manager, bills, scan, in_app):
    customer = make_customer(manager=manager)
    # Mean (100 + 100 + 101) / 3 = 100.333...; (100.333 - 80) / 100.333 = 20.27% -> 20.3.
    bills(customer, data=[100, 100, 101, 80], mobile=[2000, 2000, 2000, 2000])

    scan(customers=[customer])

    [warning] = warnings_of(in_app, customer)
    [reason] = warning.reasons
    assert (reason["service"], reason["drop_pct"], reason["reference"], reason["current"]) == (
        "data",
        20.3,
        "100.33",
        "80.00",
    )


def test_a_service_that_disappears_counts_as_a_100_pct_drop(
    make_customer, manager, bills, scan, in_app
):
    customer = make_customer(manager=manager)
    # IPTV cancelled in October; the total 1050 -> 1000 is only 4.8% down.
    bills(customer, iptv=[50, 50, 50, None], mobile=[1000, 1000, 1000, 1000])

    scan(customers=[customer])

    [warning] = warnings_of(in_app, customer)
    [reason] = warning.reasons
    assert reason["service"] == "iptv"
    assert reason["drop_pct"] == 100.0
    assert reason["current"] == "0.00"
    assert reason["text_zh"] == "互联网电视月费较前三个月均值下降100.0%（50.00 → 0.00）"  # noqa: RUF001


def test_fewer_than_three_reference_months_raise_nothing(
    make_customer, manager, bills, scan, in_app
):
    newcomer = make_customer(manager=manager)
    # Billed since August only: two reference months, however steep the fall.
    bills(newcomer, broadband=[None, 200, 200, 100])
    switched = make_customer(manager=manager)
    # Cloud came in August: not judged (300 -> 200 would be 33%). The total is judged:
    # (2000 + 2300 + 2300) / 3 = 2200 -> 2200, no drop.
    bills(switched, mobile=[2000, 2000, 2000, 2000], cloud=[None, 300, 300, 200])

    counts = scan(customers=[newcomer, switched])

    assert counts["warnings_opened"] == 0
    assert warnings_of(in_app, newcomer) == []
    assert warnings_of(in_app, switched) == []


def test_a_customer_without_bills_in_the_month_is_not_judged_on_spend(
    make_customer, manager, bills, scan, in_app
):
    customer = make_customer(manager=manager)
    # No October bill at all (the export has not come in for them): not a 100% drop.
    bills(customer, broadband=[200, 200, 200, None])

    assert scan(customers=[customer])["warnings_opened"] == 0


def test_unassigned_and_churned_customers_are_not_scanned(
    make_customer, manager, bills, scan, in_app
):
    pool = make_customer(manager=None)
    gone = make_customer(manager=manager, stage=Stage.CHURNED)
    for customer in (pool, gone):
        bills(customer, broadband=[200, 200, 200, 100])

    counts = scan(customers=[pool, gone])

    assert counts["customers_scanned"] == 0
    assert warnings_of(in_app, pool) == warnings_of(in_app, gone) == []
    assert stage_of(in_app, gone) == Stage.CHURNED


def test_thresholds_come_from_the_config(app, monkeypatch, make_customer, manager, bills, scan):
    monkeypatch.setitem(app.config, "WARNING_SERVICE_DROP_PCT", 30)
    customer = make_customer(manager=manager)
    bills(customer, broadband=[200, 200, 200, 150], mobile=[600, 600, 600, 600])

    assert scan(customers=[customer])["warnings_opened"] == 0


def test_the_month_defaults_to_the_latest_month_with_bills(make_customer, manager, bills, in_app):
    customer = make_customer(manager=manager)
    bills(customer, broadband=[200, 200, 200, 150], mobile=[600, 600, 600, 600])

    with in_app():
        counts = scan_warnings(now=NOW, customer_ids=[customer.id])

    assert counts["month"] == "2026-10"
    assert counts["warnings_opened"] == 1


# --- complaint pressure ---------------------------------------------------------


@pytest.fixture
def complain(in_app, manager):
    def add(customer, *received_at):
        with in_app():
            category = db.session.scalar(
                sa.select(ComplaintCategory).where(ComplaintCategory.code == "network")
            )
            for at in received_at:
                db.session.add(
                    Complaint(
                        customer_id=customer.id,
                        owner_id=manager.id,
                        category_id=category.id,
                        severity=Severity.MEDIUM,
                        intake_channel=IntakeChannel.PHONE,
                        description="信号差",
                        received_at=at,
                        deadline_at=at + timedelta(hours=48),
                        logged_by_id=manager.id,
                    )
                )
            db.session.commit()

    return add


def test_two_complaints_within_30_days_raise_complaint_pressure(
    make_customer, manager, complain, scan, in_app
):
    customer = make_customer(manager=manager)
    complain(customer, NOW - timedelta(days=1), NOW - timedelta(days=29))

    counts = scan(customers=[customer])

    assert counts["warnings_opened"] == 1
    [warning] = warnings_of(in_app, customer)
    assert warning.source == WarningSource.COMPLAINT_PRESSURE
    assert warning.reasons == [
        {
            "code": "complaint_pressure",
            "count": 2,
            "days": 30,
            "month": "2026-11",
            "text_zh": "近30天内投诉2次",
            "text_en": "2 complaints in the last 30 days",
        }
    ]
    assert stage_of(in_app, customer) == Stage.WARNING


def test_two_complaints_31_days_apart_raise_nothing(make_customer, manager, complain, scan, in_app):
    customer = make_customer(manager=manager)
    complain(customer, NOW - timedelta(days=1), NOW - timedelta(days=31))

    assert scan(customers=[customer])["warnings_opened"] == 0
    assert warnings_of(in_app, customer) == []


def test_one_complaint_raises_nothing(make_customer, manager, complain, scan, in_app):
    customer = make_customer(manager=manager)
    complain(customer, NOW - timedelta(days=1))

    assert scan(customers=[customer])["warnings_opened"] == 0


def test_a_new_complaint_adds_a_reason_to_the_open_warning(
    make_customer, manager, complain, scan, in_app
):
    customer = make_customer(manager=manager)
    complain(customer, NOW - timedelta(days=3), NOW - timedelta(days=2))
    scan(customers=[customer])
    scan(customers=[customer], now=NOW + timedelta(days=1))  # the same two: nothing new
    complain(customer, NOW + timedelta(days=1, hours=1))

    counts = scan(customers=[customer], now=NOW + timedelta(days=2))

    assert counts["warnings_joined"] == 1
    [warning] = warnings_of(in_app, customer)
    assert [r["count"] for r in warning.reasons] == [2, 3]


# --- one open warning, idempotence ----------------------------------------------


def test_a_second_scan_of_the_same_month_adds_nothing(make_customer, manager, bills, scan, in_app):
    customer = make_customer(manager=manager)
    bills(customer, broadband=[200, 200, 200, 100], iptv=[100, 100, 100, 100])
    scan(customers=[customer])
    before = warnings_of(in_app, customer)

    counts = scan(customers=[customer], now=NOW + timedelta(days=3))

    assert counts == {
        "month": "2026-10",
        "customers_scanned": 1,
        "warnings_opened": 0,
        "warnings_joined": 0,
        "reasons_added": 0,
    }
    after = warnings_of(in_app, customer)
    assert [(w.id, w.reasons, w.version) for w in after] == [
        (w.id, w.reasons, w.version) for w in before
    ]


def test_new_findings_join_the_open_warning(make_customer, manager, bills, complain, scan, in_app):
    customer = make_customer(manager=manager, stage=Stage.INTRODUCTION)
    complain(customer, NOW - timedelta(days=5), NOW - timedelta(days=4))
    scan(customers=[customer])
    bills(customer, broadband=[200, 200, 200, 150], mobile=[600, 600, 600, 600])

    counts = scan(customers=[customer])

    assert (counts["warnings_opened"], counts["warnings_joined"], counts["reasons_added"]) == (
        0,
        1,
        1,
    )
    [warning] = warnings_of(in_app, customer)
    assert [r["code"] for r in warning.reasons] == ["complaint_pressure", "service_drop"]
    # Opened from the introduction stage; joining does not touch that.
    assert warning.previous_stage == Stage.INTRODUCTION
    assert warning.source == WarningSource.COMPLAINT_PRESSURE


def test_a_retained_customer_is_not_flagged_again_by_the_same_month(
    make_customer, manager, bills, scan, in_app
):
    customer = make_customer(manager=manager)
    bills(customer, broadband=[200, 200, 200, 150], mobile=[600, 600, 600, 600])
    scan(customers=[customer])
    with in_app():
        warning = db.session.scalar(
            sa.select(ChurnWarning).where(ChurnWarning.customer_id == customer.id)
        )
        warning.status = WarningStatus.RETAINED
        warning.resolved_at = NOW + timedelta(days=1)
        db.session.get(Customer, customer.id).stage = Stage.MATURITY
        db.session.commit()

    counts = scan(customers=[customer], now=NOW + timedelta(days=2))

    assert counts["warnings_opened"] == 0
    assert len(warnings_of(in_app, customer)) == 1
    assert stage_of(in_app, customer) == Stage.MATURITY

    # November's bills bring a new drop (200, 200, 150 -> 100: 35% down): a new warning.
    bills(customer, months=("2026-11",), broadband=[100], mobile=[600])
    counts = scan(month=date(2026, 11, 1), customers=[customer], now=NOW + timedelta(days=20))
    assert counts["warnings_opened"] == 1
    assert [w.status for w in warnings_of(in_app, customer)] == [
        WarningStatus.RETAINED,
        WarningStatus.OPEN,
    ]


def test_a_customer_already_in_the_warning_stage_returns_to_maturity_later(
    make_customer, manager, bills, scan, in_app
):
    # Put in the warning stage by an import, without a warning: no stage to return to.
    customer = make_customer(manager=manager, stage=Stage.WARNING)
    bills(customer, broadband=[200, 200, 200, 100])

    scan(customers=[customer])

    [warning] = warnings_of(in_app, customer)
    assert warning.previous_stage is None


# --- bounded queries ------------------------------------------------------------


def count_statements(in_app, work) -> int:
    statements = []
    with in_app():
        engine = db.engine

        def listener(conn, cursor, statement, *args):
            if not statement.startswith(("SAVEPOINT", "RELEASE")):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            work()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_the_scan_makes_the_same_number_of_queries_for_4_or_12_customers(
    make_customer, manager, bills, complain, scan, in_app
):
    def portfolio(n):
        customers = [make_customer(manager=manager) for _ in range(n)]
        # Half of them already have an open warning (complaints): the spend drop joins
        # it; the other half get a new one. Both ways of writing are counted.
        for customer in customers[::2]:
            complain(customer, NOW - timedelta(days=1), NOW - timedelta(days=2))
        scan(customers=customers)
        for customer in customers:
            bills(customer, broadband=[200, 200, 200, 100])
        return customers

    def run(customers):
        def work():
            counts = scan_warnings(month=OCTOBER, now=NOW, customer_ids=[c.id for c in customers])
            assert counts["warnings_opened"] == counts["warnings_joined"] == len(customers) // 2

        return count_statements(in_app, work)

    small, large = run(portfolio(4)), run(portfolio(12))

    assert small == large
    assert large <= 10


# --- the CLI --------------------------------------------------------------------


def test_cli_scan_prints_counts_and_commits(runner, make_customer, manager, bills, in_app):
    customer = make_customer(manager=manager)
    bills(customer, broadband=[200, 200, 200, 150], mobile=[600, 600, 600, 600])

    result = runner.invoke(args=["warnings", "scan", "--month", "2026-10"])

    assert result.exit_code == 0, result.output
    assert "month: 2026-10" in result.output
    assert "warnings opened: 1" in result.output
    assert "reasons added: 1" in result.output
    assert len(warnings_of(in_app, customer)) == 1

    again = runner.invoke(args=["warnings", "scan", "--month", "2026-10"])
    assert "warnings opened: 0" in again.output
    assert "reasons added: 0" in again.output


def test_cli_scan_commits_a_chunk_of_customers_at_a_time(
    runner, make_customer, manager, bills, monkeypatch
):
    # One long transaction would hold back every phone's pull (docs/sync.md).
    monkeypatch.setattr(warning_services, "SCAN_CHUNK", 2)
    for _ in range(5):
        bills(make_customer(manager=manager), broadband=[200, 200, 200, 100])

    with commits(counter(ChurnWarning)) as seen:
        result = runner.invoke(args=["warnings", "scan", "--month", "2026-10"])

    assert result.exit_code == 0, result.output
    assert "customers scanned: 5, warnings opened: 5" in result.output
    # Two customers' warnings a commit, then the command's own with nothing left.
    assert seen == [2, 4, 5, 5]


def test_cli_scan_finishes_after_a_crash_midway(
    runner, make_customer, manager, bills, monkeypatch, in_app
):
    monkeypatch.setattr(warning_services, "SCAN_CHUNK", 2)
    customers = [make_customer(manager=manager) for _ in range(5)]
    for customer in customers:
        bills(customer, broadband=[200, 200, 200, 100])
    scan = warning_services.scan_warnings
    monkeypatch.setattr(warning_services, "scan_warnings", crashing_on_call(scan, 2))
    crashed = runner.invoke(args=["warnings", "scan", "--month", "2026-10"])
    assert crashed.exit_code == 1
    assert sum(len(warnings_of(in_app, c)) for c in customers) == 2

    monkeypatch.setattr(warning_services, "scan_warnings", scan)
    again = runner.invoke(args=["warnings", "scan", "--month", "2026-10"])

    # Broadband halved, and with it the total: two reasons a customer.
    assert "warnings opened: 3, warnings joined: 0, reasons added: 6" in again.output
    assert [len(warnings_of(in_app, c)) for c in customers] == [1] * 5


def test_cli_rejects_a_bad_month(runner):
    result = runner.invoke(args=["warnings", "scan", "--month", "2026-13"])

    assert result.exit_code == 2
    assert "--month" in result.output
