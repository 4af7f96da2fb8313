"""The review indicators on a small data set built by hand, with every expected value
worked out below (docs/indicators.md has the definitions).

Team A's June 2026, seen from 2026-07-05. mgr_a1 (A1) starts June with customers
c1..c4, mgr_a2 (A2) with c5; on 15 June at noon c2 moves from A1 to A2. All are gold
(routine contact every 90 days). Times are Shanghai's.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from server.campaigns.models import Campaign, CampaignKind, CampaignStatus, CampaignTarget, Outcome
from server.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    IntakeChannel,
    Severity,
)
from server.customers.models import AssignmentHistory, Customer, MonthlySpend, Stage
from server.extensions import db
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.tasks.models import Task, TaskStatus
from server.visits.models import LocationStatus, Visit
from server.warnings.models import ChurnWarning, WarningSource, WarningStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
API = "/api/v1/reviews"
JUNE = {"starts_on": "2026-06-01", "ends_on": "2026-06-30"}


def at(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(7, 5, 10), tick=False):
        yield


@pytest.fixture
def june(in_app, team_setup, make_customer):
    rows = team_setup
    a1, a2 = rows["mgr_a1"], rows["mgr_a2"]
    c = {n: make_customer(manager=a1) for n in ("c1", "c2", "c3", "c4")}
    c["c5"] = make_customer(manager=a2)
    with in_app():
        category = db.session.scalar(
            sa.select(ComplaintCategory).where(ComplaintCategory.code == "billing")
        )
        add = db.session.add
        for name, customer in c.items():
            add(
                AssignmentHistory(
                    customer_id=customer.id,
                    from_manager_id=None,
                    to_manager_id=(a2 if name == "c5" else a1).id,
                    source="import",
                    reason="portfolio",
                    at=at(1, 1),
                )
            )
        add(
            AssignmentHistory(
                customer_id=c["c2"].id,
                from_manager_id=a1.id,
                to_manager_id=a2.id,
                source="api",
                reason="rebalance",
                at=at(6, 15),
            )
        )
        db.session.get(Customer, c["c2"].id).manager_id = a2.id
        # team_setup's own customers of team A would only blur the arithmetic.
        for key in ("cust_a1", "cust_a1_2", "cust_a2", "cust_a2_2"):
            db.session.get(Customer, rows[key].id).manager_id = None

        def plan(customer, purpose, due_to, status=PlanStatus.PLANNED, done=None):
            add(
                CarePlan(
                    customer_id=customer.id,
                    owner_id=None,
                    purpose=purpose,
                    channel=Channel.PHONE,
                    title=f"{purpose.value} {due_to}",
                    due_from=due_to - timedelta(days=6),
                    due_to=due_to,
                    status=PlanStatus.DONE if done else status,
                    completed_at=done,
                )
            )

        routine = Purpose.ROUTINE
        plan(c["c1"], routine, date(2026, 6, 10), done=at(6, 8))
        plan(c["c1"], routine, date(2026, 6, 25), status=PlanStatus.MISSED)
        plan(c["c2"], routine, date(2026, 6, 10), done=at(6, 9))  # A1's, before the move
        plan(c["c2"], routine, date(2026, 6, 20))  # A2's: c2 was A2's when it lapsed
        # Done offline on the 12th at 23:30, synced in July: counts on the 12th, for A2.
        plan(c["c5"], routine, date(2026, 6, 12), done=at(6, 12, 23, 30))
        plan(c["c3"], routine, date(2026, 6, 5), status=PlanStatus.CANCELLED)
        plan(c["c4"], routine, date(2026, 7, 5))  # due after June
        plan(c["c1"], Purpose.BIRTHDAY, date(2026, 6, 18), done=at(6, 19, 9))  # a day late
        plan(c["c3"], Purpose.HOLIDAY, date(2026, 6, 14), done=at(6, 14, 23))  # just in time

        def complaint(customer, owner, deadline, resolved, closed=None, satisfaction=None):
            add(
                Complaint(
                    customer_id=customer.id,
                    owner_id=owner.id,
                    category_id=category.id,
                    severity=Severity.MEDIUM,
                    intake_channel=IntakeChannel.PHONE,
                    description="Bill",
                    received_at=deadline - timedelta(days=2),
                    deadline_at=deadline,
                    status=ComplaintStatus.CLOSED if closed else ComplaintStatus.RESOLVED,
                    resolution="Fixed",
                    resolved_at=resolved,
                    closed_at=closed,
                    satisfaction=satisfaction,
                    logged_by_id=owner.id,
                )
            )

        complaint(c["c1"], a1, at(6, 3), at(6, 2), closed=at(6, 3), satisfaction=5)
        complaint(c["c2"], a2, at(6, 20), at(6, 21), closed=at(6, 21), satisfaction=3)
        complaint(c["c1"], a1, at(6, 28), at(6, 27), closed=at(6, 28), satisfaction=4)

        def campaign(kind, starts_on, ends_on, outcomes):
            row = Campaign(
                name=kind.value,
                kind=kind,
                offer="offer",
                segment={},
                starts_on=starts_on,
                ends_on=ends_on,
                status=CampaignStatus.LAUNCHED,
            )
            add(row)
            db.session.flush()
            for customer, outcome, when in outcomes:
                add(
                    CampaignTarget(
                        campaign_id=row.id,
                        customer_id=customer.id,
                        outcome=outcome,
                        outcome_at=when,
                        contract_months=12 if outcome == Outcome.CONTRACTED else None,
                    )
                )

        campaign(
            CampaignKind.RETENTION,
            date(2026, 6, 1),
            date(2026, 6, 30),
            [
                (c["c1"], Outcome.CONTRACTED, at(6, 5)),
                (c["c2"], Outcome.DECLINED, at(6, 18)),
                (c["c5"], None, None),  # never answered: settles, not contracted, on the 30th
            ],
        )
        campaign(
            CampaignKind.PRIVILEGE,
            date(2026, 5, 20),
            date(2026, 6, 10),
            [
                (c["c3"], Outcome.TOOK_PART, at(6, 2)),
                (c["c4"], Outcome.OFFERED, at(6, 1)),  # no answer by the end: not taken
            ],
        )

        def visit(customer, manager, when, explained=False):
            add(
                Visit(
                    customer_id=customer.id,
                    manager_id=manager.id,
                    channel=Channel.VISIT,
                    purpose=Purpose.ROUTINE,
                    started_at=when,
                    location_status=LocationStatus.UNVERIFIED,
                    privileges_explained=explained,
                )
            )

        visit(c["c1"], a1, at(6, 2), explained=True)
        visit(c["c2"], a1, at(6, 9))
        visit(c["c3"], a1, at(6, 15, year=2025), explained=True)  # over a year before July
        visit(c["c5"], a2, at(8, 1, year=2025), explained=True)

        def warning(customer, status, opened, resolved=None):
            add(
                ChurnWarning(
                    customer_id=customer.id,
                    status=status,
                    source=WarningSource.MANUAL,
                    reasons=[],
                    finding_keys=[],
                    opened_at=opened,
                    resolved_at=resolved,
                )
            )

        warning(c["c3"], WarningStatus.RETAINED, at(5, 20), at(6, 10))
        warning(c["c4"], WarningStatus.CHURNED, at(6, 1), at(6, 22))
        warning(c["c5"], WarningStatus.OPEN, at(6, 21, 0))
        db.session.get(Customer, c["c4"].id).stage = Stage.CHURNED

        bills = {
            "c1": (100, 110),
            "c2": (200, 150),
            "c3": (50, 50),
            "c4": (80, None),
            "c5": (60, 60),
        }
        for name, (may, june_fee) in bills.items():
            for month, fee in ((date(2026, 5, 1), may), (date(2026, 6, 1), june_fee)):
                if fee is not None:
                    add(
                        MonthlySpend(
                            customer_id=c[name].id,
                            month=month,
                            service="mobile",
                            amount=Decimal(fee),
                        )
                    )

        def task(owner, due, status=TaskStatus.OPEN, completed=None):
            add(
                Task(
                    owner_id=owner.id,
                    title="t",
                    due_date=due,
                    status=status,
                    completed_at=completed,
                    created_by_id=owner.id,
                    created_at=at(6, 1),
                )
            )

        task(a1, date(2026, 6, 20))  # still open: overdue at the end of June
        task(a1, date(2026, 6, 25), TaskStatus.DONE, at(7, 2))  # done only in July: overdue then
        task(a1, date(2026, 6, 28), TaskStatus.DONE, at(6, 27))  # done in time
        task(a2, date(2026, 7, 3))  # due after June
        db.session.commit()
    return rows


def figures_of(response, manager) -> dict:
    row = next(m for m in response.json["managers"] if m["manager"]["id"] == str(manager.id))
    return {code: fig["value"] for code, fig in row["figures"].items()}


def test_each_indicator_by_hand(client, auth, june):
    auth.login(june["lead_a"].username)
    response = client.get(API, query_string=JUNE)
    assert response.status_code == 200, response.json
    a1, a2 = figures_of(response, june["mgr_a1"]), figures_of(response, june["mgr_a2"])

    # Routine: A1 c1 done, c1 missed, c2 done before the move = 2/3; A2 c2 lapsed after
    # the move, c5 done (offline, on the 12th) = 1/2. Cancelled and July plans: out.
    assert a1["routine_care"] == pytest.approx(2 / 3)
    assert a2["routine_care"] == pytest.approx(1 / 2)
    # Greetings: c1's birthday a day late, c3's holiday in time = 1/2; A2 had none.
    assert a1["greetings_on_time"] == pytest.approx(1 / 2)
    assert a2["greetings_on_time"] is None
    # Aware: A1 ends June with c1 (told 2 June), c3 (told over a year ago), c4 left:
    # 1/2; A2 with c2 (never told) and c5 (told 2025-08-01) = 1/2.
    assert a1["privilege_awareness"] == pytest.approx(1 / 2)
    assert a2["privilege_awareness"] == pytest.approx(1 / 2)
    # Offers: c3 took part, c4 only offered when the campaign ended on 10 June = 1/2.
    assert a1["offer_participation"] == pytest.approx(1 / 2)
    assert a2["offer_participation"] is None
    # Retention: c1 contracted = 1/1; c2 declined after the move, c5 never answered = 0/2.
    assert a1["retention_contract_rate"] == pytest.approx(1.0)
    assert a2["retention_contract_rate"] == pytest.approx(0.0)
    # Value: June's fees over May's of the customers each had on 1 June.
    # A1: (110 + 150 + 50 + 0) / (100 + 200 + 50 + 80) = 310 / 430; A2: 60 / 60.
    assert a1["value_retained"] == pytest.approx(310 / 430)
    assert a2["value_retained"] == pytest.approx(1.0)
    # Still on network: A1 lost c4 = 3/4; A2 kept c5 = 1/1.
    assert a1["customers_retained"] == pytest.approx(3 / 4)
    assert a2["customers_retained"] == pytest.approx(1.0)
    # Satisfaction: A1 (5 + 4) / 2; A2 closed c2's at 3.
    assert a1["satisfaction"] == pytest.approx(4.5)
    assert a2["satisfaction"] == pytest.approx(3.0)
    # Coverage (gold: 90 days): A1 c1 yes, c3 no = 1/2; A2 c2 yes (9 June), c5 no = 1/2.
    assert a1["contact_coverage"] == pytest.approx(1 / 2)
    assert a2["contact_coverage"] == pytest.approx(1 / 2)
    # Complaints: A1 both resolved before their deadline = 2/2; A2's a day late = 0/1.
    assert a1["complaints_on_time"] == pytest.approx(1.0)
    assert a2["complaints_on_time"] == pytest.approx(0.0)
    # Tasks open and overdue at the end of June.
    assert (a1["overdue_tasks"], a2["overdue_tasks"]) == (2.0, 0.0)
    # Warnings: c5's open since 21 June 00:00 (10 days old on 1 July); A1 kept c3, lost c4.
    assert (a1["open_warnings"], a2["open_warnings"]) == (0.0, 1.0)
    assert a1["warnings_kept"] == pytest.approx(1 / 2)
    assert a2["warnings_kept"] is None

    team = {code: fig["value"] for code, fig in response.json["total"]["figures"].items()}
    # The team adds numerators and denominators; it does not average the rates.
    assert team["routine_care"] == pytest.approx(3 / 5)
    assert team["satisfaction"] == pytest.approx(12 / 3)
    assert team["value_retained"] == pytest.approx(370 / 490)
    details = response.json["total"]["figures"]
    assert details["satisfaction"]["details"]["answers"] == {"5": 1, "3": 1, "4": 1}
    assert details["open_warnings"]["details"]["mean_age_days"] == pytest.approx(10.0)
    assert details["contact_coverage"]["details"]["by_tier"] == {
        "gold": {"covered": 2, "customers": 4}
    }


def test_the_weighted_score_and_the_rank_follow_the_scorecard(client, auth, june):
    auth.login(june["lead_a"].username)
    review = client.get(API, query_string=JUNE).json
    a1 = next(m for m in review["managers"] if m["manager"]["id"] == str(june["mgr_a1"].id))
    # The default rule: weight * clamp((value - floor) / (target - floor), 0, cap).
    expected = {
        "routine_care": 19 * ((2 / 3 - 0.6) / (0.95 - 0.6)),
        "greetings_on_time": 0.0,  # 0.5 is below the 0.6 floor
        "privilege_awareness": 4 * ((0.5 - 0.3) / (0.8 - 0.3)),
        "offer_participation": 11 * 1.2,  # 0.5 beats the 0.3 target: capped at 1.2
        "retention_contract_rate": 19 * 1.2,
        "value_retained": 0.0,  # 0.72 is below the 0.85 floor
        "customers_retained": 0.0,  # 0.75 is below 0.9
        "satisfaction": 18.0,  # at the target
    }
    assert a1["scores"] == pytest.approx(expected, abs=0.01)
    assert a1["score"] == pytest.approx(sum(expected.values()), abs=0.02)
    a2 = next(m for m in review["managers"] if m["manager"]["id"] == str(june["mgr_a2"].id))
    # A2 had no greetings and no offers: the score is out of the other weights (74).
    assert a2["scores"]["greetings_on_time"] is None
    assert a2["scores"]["offer_participation"] is None
    worked = {k: v for k, v in a2["scores"].items() if v is not None}
    assert a2["score"] == pytest.approx(sum(worked.values()) / 74 * 100, abs=0.02)
    ranked = sorted(review["managers"], key=lambda m: m["rank"])
    assert [m["rank"] for m in ranked] == [1, 2]
    assert ranked[0]["score"] >= ranked[1]["score"]


def test_nothing_to_count_is_no_data_never_zero(client, auth, team_setup, make_user):
    auth.login(team_setup["lead_b"].username)
    review = client.get(API, query_string=JUNE).json
    for manager in review["managers"]:
        values = {code: fig["value"] for code, fig in manager["figures"].items()}
        # Two customers, no plans, no campaigns, no complaints, no bills, no visits.
        assert values["routine_care"] is None
        assert values["satisfaction"] is None
        assert values["value_retained"] is None
        assert values["contact_coverage"] == 0.0  # two customers, neither contacted
        assert values["overdue_tasks"] == 0.0
        # No data scores nothing either way: not 0 points, and not full points.
        assert manager["scores"]["routine_care"] is None
        assert manager["scores"]["satisfaction"] is None
    future = client.get(API, query_string={"starts_on": "2026-08-01", "ends_on": "2026-08-31"})
    for manager in future.json["managers"]:
        assert {fig["value"] for fig in manager["figures"].values()} == {None}
        assert manager["score"] is None


def test_the_period_running_now_judges_only_what_is_due(client, auth, june):
    """Seen on 2026-06-16: the routine plans due on the 20th and 25th are not late yet."""
    auth.login(june["lead_a"].username)
    with time_machine.travel(at(6, 16, 10), tick=False):
        auth.login(june["lead_a"].username)
        response = client.get(API, query_string=JUNE)
    a1 = figures_of(response, june["mgr_a1"])
    assert a1["routine_care"] == pytest.approx(2 / 2)
    assert a1["offer_participation"] == pytest.approx(1 / 2)  # that campaign ended on the 10th
    assert a1["retention_contract_rate"] == pytest.approx(1.0)  # c5's is not settled yet


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("mgr_a1", {}, 200),
        ("mgr_a1", {"team_id": "team_a"}, 404),
        ("mgr_a1", {"manager_id": "mgr_a2"}, 404),
        ("lead_a", {"team_id": "team_a"}, 200),
        ("lead_a", {"manager_id": "mgr_a2"}, 200),
        ("lead_a", {"team_id": "team_b"}, 404),
        ("lead_a", {"manager_id": "mgr_b1"}, 404),
        ("lead_b", {"manager_id": "mgr_a1"}, 404),
        ("admin", {"team_id": "team_b"}, 200),
        ("admin", {}, 200),
    ],
)
def test_who_may_see_whose_figures(client, auth, team_setup, who, query, status):
    auth.login(team_setup[who].username)
    params = dict(JUNE) | {key: str(team_setup[value].id) for key, value in query.items()}
    response = client.get(API, query_string=params)
    assert response.status_code == status
    if who == "mgr_a1" and status == 200:
        assert [m["manager"]["id"] for m in response.json["managers"]] == [
            str(team_setup["mgr_a1"].id)
        ]


def test_an_admin_sees_every_team_and_everyone(client, auth, june):
    auth.login(june["admin"].username)
    review = client.get(API, query_string=JUNE).json
    assert review["scope"] == "organisation"
    assert {g["team"]["id"] for g in review["teams"]} == {
        str(june["team_a"].id),
        str(june["team_b"].id),
    }
    assert len(review["managers"]) == 4


def test_a_configured_period_keeps_its_own_scorecard(client, auth, june):
    auth.login(june["admin"].username)
    card = client.get(API, query_string=JUNE).json["scorecard"]
    card = [dict(e, weight=100 if e["indicator"] == "satisfaction" else 0) for e in card]
    for entry in card:
        if entry["weight"] == 0:
            for key in ("target", "floor", "cap"):
                entry.pop(key, None)
    created = client.post(f"{API}/periods", json={"name": "2026年6月", **JUNE, "scorecard": card})
    assert created.status_code == 201, created.json
    auth.login(june["lead_a"].username)
    review = client.get(API, query_string={"period_id": created.json["id"]}).json
    a1 = next(m for m in review["managers"] if m["manager"]["id"] == str(june["mgr_a1"].id))
    # Only satisfaction counts now: A1's 4.5 is the 4.5 target.
    assert (a1["score"], review["period"]["name"]) == (100.0, "2026年6月")
    # The same dates asked as a range find the configured period too.
    assert client.get(API, query_string=JUNE).json["period"]["id"] == created.json["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda card: card[:-1], "_schema"),  # an indicator left out
        (lambda card: [dict(card[0], weight=card[0]["weight"] + 1), *card[1:]], "_schema"),
        (lambda card: [dict(card[0], floor=0.99), *card[1:]], "0"),
        (lambda card: [dict(card[0], indicator="happiness"), *card[1:]], "0"),
    ],
)
def test_a_bad_scorecard_is_422_naming_the_entry(client, auth, team_setup, change, field):
    auth.login(team_setup["admin"].username)
    card = client.get(API, query_string=JUNE).json["scorecard"]
    response = client.post(f"{API}/periods", json={"name": "x", **JUNE, "scorecard": change(card)})
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]["scorecard"]


def test_only_an_admin_configures_periods(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    assert client.post(f"{API}/periods", json={"name": "x", **JUNE}).status_code == 403
    assert client.get(f"{API}/periods").status_code == 200


def test_my_numbers_show_the_rank_only_when_the_lead_allows(client, auth, june):
    auth.login(june["mgr_a1"].username)
    with time_machine.travel(at(7, 5, 10), tick=False):
        mine = client.get(f"{API}/me").json
    assert mine["current"]["period"]["name"] == "2026-07"
    assert mine["previous"]["period"]["name"] == "2026-06"
    assert mine["previous"]["figures"]["routine_care"]["value"] == pytest.approx(2 / 3)
    assert (mine["show_rank"], mine["previous"]["rank"]) == (False, None)
    assert [p["month"] for p in mine["trend"]][-2:] == ["2026-06", "2026-07"]
    auth.login(june["lead_a"].username)
    setting = client.patch(f"{API}/teams/{june['team_a'].id}", json={"show_rank": True})
    assert setting.json["show_rank"] is True
    auth.login(june["mgr_a1"].username)
    mine = client.get(f"{API}/me").json
    assert (mine["show_rank"], mine["previous"]["rank"], mine["previous"]["team_size"]) == (
        True,
        1,
        2,
    )
    auth.login(june["lead_b"].username)
    assert (
        client.patch(f"{API}/teams/{june['team_a'].id}", json={"show_rank": False}).status_code
        == 404
    )


def test_a_reassigned_customer_is_nobodys_twice(client, auth, june, in_app):
    """c2's work before the move stays A1's, after it is A2's: the team's total is the
    sum of the two, each plan counted once."""
    auth.login(june["lead_a"].username)
    review = client.get(API, query_string=JUNE).json
    counted = sum(m["figures"]["routine_care"]["denominator"] for m in review["managers"])
    with in_app():
        judged = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(CarePlan)
            .where(
                CarePlan.purpose == Purpose.ROUTINE,
                CarePlan.status != PlanStatus.CANCELLED,
                CarePlan.due_to <= date(2026, 6, 30),
            )
        )
    assert counted == judged == 5
    assert review["total"]["figures"]["routine_care"]["denominator"] == 5
