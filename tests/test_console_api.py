"""The API behind the back office: manager overview, at-risk board, moving customers
(what moves with them, a manager leaving, rebalancing), devices, categories, exports.

team_setup: teams A and B, each with a lead and two managers with two gold customers
each, an admin, and one unassigned customer.
"""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from server.auth.models import DeviceSession
from server.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    IntakeChannel,
    Severity,
)
from server.customers.models import AssignmentHistory, Customer, MonthlySpend
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.tasks.models import Task, TaskStatus
from server.visits.models import LocationStatus, Visit
from server.warnings.models import ChurnWarning, WarningSource, WarningStatus


def _work(in_app, customer, manager, *, warning=False, complaint_due=None):
    """An open plan, an open task, optionally an open warning and an unresolved complaint."""
    now = utcnow()
    with in_app():
        db.session.add(
            CarePlan(
                customer_id=customer.id,
                owner_id=manager.id,
                purpose=Purpose.ROUTINE,
                channel=Channel.PHONE,
                title="routine",
                due_from=date(2020, 1, 1),
                due_to=date(2020, 1, 7),
                status=PlanStatus.MISSED,
            )
        )
        db.session.add(
            Task(
                owner_id=manager.id,
                customer_id=customer.id,
                title="call back",
                due_date=date(2020, 1, 1),
                status=TaskStatus.OPEN,
                created_by_id=manager.id,
            )
        )
        if warning:
            db.session.add(
                ChurnWarning(
                    customer_id=customer.id,
                    status=WarningStatus.OPEN,
                    source=WarningSource.MANUAL,
                    reasons=[{"code": "competitor", "text_zh": "竞争", "text_en": "Competitor"}],
                    finding_keys=[],
                    opened_at=now - timedelta(days=3),
                )
            )
        if complaint_due is not None:
            category = db.session.scalar(sa.select(ComplaintCategory).limit(1))
            db.session.add(
                Complaint(
                    customer_id=customer.id,
                    owner_id=manager.id,
                    category_id=category.id,
                    severity=Severity.HIGH,
                    intake_channel=IntakeChannel.PHONE,
                    description="No signal",
                    received_at=now - timedelta(days=2),
                    deadline_at=now + complaint_due,
                    status=ComplaintStatus.IN_PROGRESS,
                    logged_by_id=manager.id,
                )
            )
        db.session.add(
            Visit(
                customer_id=customer.id,
                manager_id=manager.id,
                channel=Channel.PHONE,
                purpose=Purpose.ROUTINE,
                started_at=now - timedelta(days=1),
                location_status=LocationStatus.NOT_APPLICABLE,
                outcome="Talked",
            )
        )
        db.session.commit()


# --- dashboard ----------------------------------------------------------------------


def test_a_manager_at_a_glance(client, auth, in_app, team_setup):
    rows = team_setup
    _work(in_app, rows["cust_a1"], rows["mgr_a1"], warning=True, complaint_due=timedelta(hours=-2))
    auth.login(rows["lead_a"].username)
    view = client.get(f"/api/v1/dashboard/managers/{rows['mgr_a1'].id}").json
    assert (view["portfolio_size"], view["capacity"]) == (2, 500)
    assert view["by_tier"] == {"gold": 2}
    assert view["by_stage"] == {"maturity": 2}
    assert view["overdue"] == {"plans": 1, "tasks": 1, "complaints": 1}
    assert view["open_warnings"] == 1
    [visit] = view["recent_visits"]
    assert (visit["customer"]["id"], visit["outcome"]) == (str(rows["cust_a1"].id), "Talked")


@pytest.mark.parametrize(
    ("who", "whom", "status"),
    [
        ("lead_a", "mgr_a2", 200),
        ("lead_a", "mgr_b1", 404),
        ("admin", "mgr_b1", 200),
        ("mgr_a1", "mgr_a1", 403),
    ],
)
def test_who_may_look_at_a_manager(client, auth, team_setup, who, whom, status):
    auth.login(team_setup[who].username)
    assert client.get(f"/api/v1/dashboard/managers/{team_setup[whom].id}").status_code == status


def test_the_at_risk_board_shows_the_teams_warnings_and_complaints_near_their_deadline(
    client, auth, in_app, team_setup
):
    rows = team_setup
    _work(in_app, rows["cust_a1"], rows["mgr_a1"], warning=True, complaint_due=timedelta(hours=5))
    _work(in_app, rows["cust_a2"], rows["mgr_a2"], complaint_due=timedelta(days=3))  # not near
    _work(in_app, rows["cust_b1"], rows["mgr_b1"], warning=True, complaint_due=timedelta(hours=-1))
    auth.login(rows["lead_a"].username)
    board = client.get("/api/v1/dashboard/at-risk").json
    [warning] = board["warnings"]
    assert warning["customer"]["id"] == str(rows["cust_a1"].id)
    assert warning["manager"]["id"] == str(rows["mgr_a1"].id)
    assert warning["age_days"] == pytest.approx(3.0, abs=0.01)
    assert warning["reasons"][0]["text_en"] == "Competitor"
    [complaint] = board["complaints"]
    assert (complaint["customer"]["id"], complaint["overdue"]) == (str(rows["cust_a1"].id), False)
    assert (
        client.get(
            "/api/v1/dashboard/at-risk", query_string={"team_id": str(rows["team_b"].id)}
        ).status_code
        == 404
    )
    auth.login(rows["admin"].username)
    everyone = client.get("/api/v1/dashboard/at-risk").json
    assert len(everyone["warnings"]) == 2 and len(everyone["complaints"]) == 2


# --- moving customers -----------------------------------------------------------------


def test_a_dry_run_says_what_moves_with_the_customers(client, auth, in_app, team_setup):
    rows = team_setup
    _work(in_app, rows["cust_a1"], rows["mgr_a1"], complaint_due=timedelta(days=1))
    auth.login(rows["lead_a"].username)
    body = {
        "customer_ids": [str(rows["cust_a1"].id), str(rows["cust_a1_2"].id)],
        "manager_id": str(rows["mgr_a2"].id),
        "reason": "rebalance",
        "dry_run": True,
    }
    outcome = client.post("/api/v1/customers/assign", json=body).json
    assert (outcome["assigned"], outcome["moves"]) == (2, {"plans": 1, "tasks": 1, "complaints": 1})
    with in_app():
        assert db.session.get(Customer, rows["cust_a1"].id).manager_id == rows["mgr_a1"].id


def test_reassign_moves_each_customer_to_its_own_manager_all_or_nothing(
    client, auth, in_app, team_setup
):
    rows = team_setup
    auth.login(rows["lead_a"].username)
    moves = [
        {"customer_id": str(rows["cust_a1"].id), "manager_id": str(rows["mgr_a2"].id)},
        {"customer_id": str(rows["cust_a2"].id), "manager_id": str(rows["mgr_a1"].id)},
        {"customer_id": str(rows["cust_b1"].id), "manager_id": str(rows["mgr_a1"].id)},
        {"customer_id": str(rows["cust_a2_2"].id), "manager_id": str(rows["mgr_b1"].id)},
    ]
    refused = client.post("/api/v1/customers/reassign", json={"moves": moves, "reason": "swap"})
    assert refused.status_code == 422
    assert refused.json["error"]["fields"]["moves"] == {
        "2": {"customer_id": ["Customer not found."]},
        "3": {"manager_id": ["Not an active manager of your team."]},
    }
    done = client.post("/api/v1/customers/reassign", json={"moves": moves[:2], "reason": "swap"})
    assert (done.status_code, done.json["assigned"]) == (200, 2)
    with in_app():
        assert db.session.get(Customer, rows["cust_a1"].id).manager_id == rows["mgr_a2"].id
        assert db.session.get(Customer, rows["cust_a2"].id).manager_id == rows["mgr_a1"].id
        history = db.session.scalars(
            sa.select(AssignmentHistory.reason).where(
                AssignmentHistory.customer_id == rows["cust_a1"].id
            )
        ).all()
    assert history == ["swap"]


def test_capacity_is_warned_for_each_manager_receiving_past_it(
    app, client, auth, team_setup, monkeypatch
):
    rows = team_setup
    monkeypatch.setitem(app.config, "PORTFOLIO_CAPACITY", 2)
    auth.login(rows["lead_a"].username)
    moves = [{"customer_id": str(rows["cust_a1"].id), "manager_id": str(rows["mgr_a2"].id)}]
    warned = client.post(
        "/api/v1/customers/reassign", json={"moves": moves, "reason": "r", "dry_run": True}
    ).json["warnings"]
    assert warned == [
        {
            "code": "capacity_exceeded",
            "manager_id": str(rows["mgr_a2"].id),
            "portfolio_size": 3,
            "capacity": 2,
        }
    ]
    # A swap keeps both at two: nobody passes the limit.
    swap = [*moves, {"customer_id": str(rows["cust_a2"].id), "manager_id": str(rows["mgr_a1"].id)}]
    assert (
        client.post(
            "/api/v1/customers/reassign", json={"moves": swap, "reason": "r", "dry_run": True}
        ).json["warnings"]
        == []
    )


def test_a_manager_leaving_hands_the_portfolio_out_in_balanced_shares(
    client, auth, in_app, team_setup, make_user, make_customer
):
    rows = team_setup
    third = make_user("manager", team=rows["team_a"], username="mgr_a3")
    leaving = rows["mgr_a1"]
    extra = [make_customer(manager=leaving) for _ in range(5)]  # 7 in all
    _work(in_app, extra[0], leaving)
    auth.login(rows["lead_a"].username)
    body = {"manager_id": str(leaving.id), "reason": "离职交接", "dry_run": True}
    preview = client.post(f"/api/v1/teams/{rows['team_a'].id}/handover", json=body).json
    shares = {s["manager"]["id"]: s["customers"] for s in preview["shares"]}
    # mgr_a2 holds 2, mgr_a3 none: each customer goes to whoever then holds fewest, so
    # the seven make them 5 and 4 (as even as it gets).
    assert shares == {str(rows["mgr_a2"].id): 3, str(third.id): 4}
    assert preview["moves"] == {"plans": 1, "tasks": 1, "complaints": 0}
    done = client.post(
        f"/api/v1/teams/{rows['team_a'].id}/handover", json=body | {"dry_run": False}
    )
    assert done.json["assigned"] == 7
    with in_app():
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(Customer.manager_id == leaving.id))
            == 0
        )
        moved = db.session.scalar(sa.select(Task).where(Task.customer_id == extra[0].id))
        assert moved.owner_id != leaving.id
    other = client.post(f"/api/v1/teams/{rows['team_b'].id}/handover", json=body)
    assert other.status_code == 404


def test_a_rebalancing_proposal_evens_out_value_and_workload(
    client, auth, in_app, team_setup, make_customer
):
    rows = team_setup
    heavy = rows["mgr_a1"]
    made = [make_customer(manager=heavy, tier="diamond") for _ in range(6)]
    with in_app():
        db.session.add_all(
            MonthlySpend(
                customer_id=c.id, month=date(2026, 5, 1), service="mobile", amount=Decimal(300)
            )
            for c in made
        )
        db.session.commit()
    auth.login(rows["lead_a"].username)
    proposal = client.post(f"/api/v1/teams/{rows['team_a'].id}/rebalance", json={}).json
    assert proposal["moves"]
    assert {m["from_manager_id"] for m in proposal["moves"]} == {str(heavy.id)}
    before = {s["manager"]["id"]: s for s in proposal["before"]}
    after = {s["manager"]["id"]: s for s in proposal["after"]}
    gap_before = abs(
        Decimal(before[str(heavy.id)]["value"]) - Decimal(before[str(rows["mgr_a2"].id)]["value"])
    )
    gap_after = abs(
        Decimal(after[str(heavy.id)]["value"]) - Decimal(after[str(rows["mgr_a2"].id)]["value"])
    )
    assert gap_after < gap_before
    assert sum(s["customers"] for s in after.values()) == sum(
        s["customers"] for s in before.values()
    )
    applied = client.post(
        "/api/v1/customers/reassign",
        json={
            "moves": [
                {"customer_id": m["customer"]["id"], "manager_id": m["to_manager_id"]}
                for m in proposal["moves"]
            ],
            "reason": "rebalance",
        },
    )
    assert applied.json["assigned"] == len(proposal["moves"])
    again = client.post(f"/api/v1/teams/{rows['team_a'].id}/rebalance", json={}).json
    assert len(again["moves"]) < len(proposal["moves"])


# --- administration ---------------------------------------------------------------------


def test_an_admin_sees_and_signs_out_a_users_devices(client, auth, in_app, team_setup, app):
    rows = team_setup
    for _device in range(2):  # a phone and a laptop
        app.test_client().post(
            "/api/v1/auth/login",
            json={"username": rows["mgr_a1"].username, "password": "correct-horse-battery"},
        )
    auth.login(rows["admin"].username)
    devices = client.get(f"/api/v1/users/{rows['mgr_a1'].id}/devices").json
    assert len(devices) == 2
    gone = devices[0]["id"]
    assert client.delete(f"/api/v1/users/{rows['mgr_a1'].id}/devices/{gone}").status_code == 204
    assert len(client.get(f"/api/v1/users/{rows['mgr_a1'].id}/devices").json) == 1
    with in_app():
        assert db.session.get(DeviceSession, uuid.UUID(gone)).revoked_at is not None
    other = client.delete(f"/api/v1/users/{rows['mgr_a2'].id}/devices/{devices[1]['id']}")
    assert other.status_code == 404
    auth.login(rows["lead_a"].username)
    assert client.get(f"/api/v1/users/{rows['mgr_a1'].id}/devices").status_code == 403


def test_an_admin_adds_renames_and_retires_complaint_categories(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    made = client.post(
        "/api/v1/complaint-categories",
        json={"code": "roaming", "name_zh": "国际漫游", "name_en": "Roaming"},
    )
    assert made.status_code == 201, made.json
    twice = client.post(
        "/api/v1/complaint-categories", json={"code": "roaming", "name_zh": "x", "name_en": "x"}
    )
    assert (twice.status_code, list(twice.json["error"]["fields"])) == (409, ["code"])
    retired = client.patch(
        f"/api/v1/complaint-categories/{made.json['id']}", json={"active": False, "version": 1}
    )
    assert retired.json["active"] is False
    codes = [c["code"] for c in client.get("/api/v1/complaint-categories").json["items"]]
    assert "roaming" not in codes
    everything = client.get("/api/v1/complaint-categories", query_string={"all": "true"}).json
    assert "roaming" in [c["code"] for c in everything["items"]]
    auth.login(team_setup["lead_a"].username)
    assert (
        client.post(
            "/api/v1/complaint-categories", json={"code": "xx", "name_zh": "x", "name_en": "x"}
        ).status_code
        == 403
    )


def test_earlier_exports_are_listed_for_whoever_made_them(client, auth, team_setup, run_jobs):
    body = {"starts_on": "2026-05-01", "ends_on": "2026-05-31", "format": "csv"}
    auth.login(team_setup["lead_a"].username)
    assert client.post("/api/v1/reviews/exports", json=body).status_code == 202
    auth.login(team_setup["lead_b"].username)
    assert client.post("/api/v1/reviews/exports", json=body).status_code == 202
    run_jobs()
    mine = client.get("/api/v1/reviews/exports").json
    assert len(mine) == 1 and mine[0]["user"]["id"] == str(team_setup["lead_b"].id)
    assert mine[0]["download_url"].startswith("/api/v1/jobs/")
    assert mine[0]["scope"]["team_id"] == str(team_setup["team_b"].id)
    auth.login(team_setup["admin"].username)
    assert len(client.get("/api/v1/reviews/exports").json) == 2
