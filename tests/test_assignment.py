"""Assigning customers to managers: who may, to whom, history, capacity, all-or-nothing."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from server.auth.models import Role, User
from server.customers.models import AssignmentHistory, Customer
from server.extensions import db

API = "/api/v1/customers"


def manager_of(in_app, customer) -> uuid.UUID | None:
    with in_app():
        return db.session.get(Customer, customer.id).manager_id


def history(in_app, customer=None) -> list[tuple]:
    """(from, to, by, reason) of every history row, oldest first."""
    with in_app():
        stmt = sa.select(AssignmentHistory).order_by(AssignmentHistory.at)
        if customer is not None:
            stmt = stmt.where(AssignmentHistory.customer_id == customer.id)
        return [
            (h.from_manager_id, h.to_manager_id, h.assigned_by_id, h.reason)
            for h in db.session.scalars(stmt)
        ]


def assign_one(client, customer, manager, reason="rebalance", **extra):
    return client.post(
        f"{API}/{customer.id}/assign",
        json={"manager_id": str(manager.id) if manager else None, "reason": reason, **extra},
    )


def assign_bulk(client, customers, manager, reason="rebalance", **extra):
    return client.post(
        f"{API}/assign",
        json={
            "customer_ids": [str(c.id) for c in customers],
            "manager_id": str(manager.id) if manager else None,
            "reason": reason,
            **extra,
        },
    )


# --- who may assign -------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["single", "bulk"])
@pytest.mark.parametrize(
    ("who", "status"), [("mgr_a1", 403), ("mgr_a2", 403), ("lead_a", 200), ("admin", 200)]
)
def test_role_matrix(client, auth, in_app, team_setup, endpoint, who, status):
    customer, target = team_setup["unassigned"], team_setup["mgr_a1"]
    auth.login(team_setup[who].username)
    if endpoint == "single":
        response = assign_one(client, customer, target)
    else:
        response = assign_bulk(client, [customer], target)
    assert response.status_code == status
    assert manager_of(in_app, customer) == (target.id if status == 200 else None)


def test_assignment_needs_sign_in(client, team_setup):
    assert assign_one(client, team_setup["unassigned"], team_setup["mgr_a1"]).status_code == 401


# --- single assignment and its history ------------------------------------------


def test_lead_hands_out_a_customer_and_history_records_it(client, auth, in_app, team_setup):
    lead, mgr, customer = team_setup["lead_a"], team_setup["mgr_a1"], team_setup["unassigned"]
    auth.login(lead.username)
    before = datetime.now(UTC)
    response = assign_one(client, customer, mgr, reason="New in 天河 district")
    after = datetime.now(UTC)
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["assigned"], body["unchanged"], body["warnings"], body["dry_run"]) == (
        1,
        0,
        [],
        False,
    )
    assert body["customer"]["manager"] == {"id": str(mgr.id), "display_name": mgr.display_name}
    assert manager_of(in_app, customer) == mgr.id
    assert history(in_app, customer) == [(None, mgr.id, lead.id, "New in 天河 district")]

    items = client.get(f"{API}/{customer.id}/assignments").json
    assert len(items) == 1
    assert items[0]["from_manager"] is None
    assert items[0]["to_manager"] == {"id": str(mgr.id), "display_name": mgr.display_name}
    assert items[0]["assigned_by"] == {"id": str(lead.id), "display_name": lead.display_name}
    assert items[0]["reason"] == "New in 天河 district"
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(items[0]["at"]) <= after

    # The manager now has it in their list.
    auth.login(mgr.username)
    assert str(customer.id) in {row["id"] for row in client.get(API).json["items"]}


def test_history_is_newest_first(client, auth, in_app, team_setup):
    customer, m1, m2 = team_setup["unassigned"], team_setup["mgr_a1"], team_setup["mgr_a2"]
    auth.login(team_setup["admin"].username)
    assign_one(client, customer, m1, reason="first")
    assign_one(client, customer, m2, reason="second")
    assign_one(client, customer, None, reason="third")
    items = client.get(f"{API}/{customer.id}/assignments").json
    assert [(i["reason"], i["from_manager"], i["to_manager"]) for i in items] == [
        ("third", {"id": str(m2.id), "display_name": m2.display_name}, None),
        (
            "second",
            {"id": str(m1.id), "display_name": m1.display_name},
            {"id": str(m2.id), "display_name": m2.display_name},
        ),
        ("first", None, {"id": str(m1.id), "display_name": m1.display_name}),
    ]
    # The profile shows the same history.
    assert client.get(f"{API}/{customer.id}").json["assignments"] == items


def test_reassigning_to_the_same_manager_records_nothing(client, auth, in_app, team_setup):
    customer, mgr = team_setup["cust_a1"], team_setup["mgr_a1"]
    auth.login(team_setup["lead_a"].username)
    response = assign_one(client, customer, mgr)
    assert (response.json["assigned"], response.json["unchanged"]) == (0, 1)
    assert history(in_app) == []
    with in_app():
        assert db.session.get(Customer, customer.id).version == 1


def test_lead_moves_a_customer_within_the_team_and_back_to_the_pool(
    client, auth, in_app, team_setup
):
    lead, customer = team_setup["lead_a"], team_setup["cust_a1"]
    m1, m2 = team_setup["mgr_a1"], team_setup["mgr_a2"]
    auth.login(lead.username)
    assert assign_one(client, customer, m2, reason="m1 overloaded").status_code == 200
    assert assign_one(client, customer, None, reason="m2 left").status_code == 200
    assert manager_of(in_app, customer) is None
    assert history(in_app, customer) == [
        (m1.id, m2.id, lead.id, "m1 overloaded"),
        (m2.id, None, lead.id, "m2 left"),
    ]


@pytest.mark.parametrize(
    ("who", "whose"), [("lead_a", "cust_b1"), ("lead_b", "cust_a2"), ("lead_b", "cust_a1_2")]
)
def test_lead_cannot_assign_another_teams_customer(client, auth, in_app, team_setup, who, whose):
    customer = team_setup[whose]
    own_manager = team_setup["mgr_a1" if who == "lead_a" else "mgr_b1"]
    auth.login(team_setup[who].username)
    response = assign_one(client, customer, own_manager)
    assert response.status_code == 404
    assert manager_of(in_app, customer) == customer.manager_id
    assert history(in_app) == []


def test_unknown_customer_is_404(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    response = client.post(
        f"{API}/{uuid.uuid4()}/assign",
        json={"manager_id": str(team_setup["mgr_a1"].id), "reason": "x"},
    )
    assert response.status_code == 404


# --- the target manager ---------------------------------------------------------


@pytest.fixture
def odd_targets(make_user, team_setup, in_app):
    """A deactivated manager of team A."""
    inactive = make_user(Role.MANAGER, team=team_setup["team_a"], username="retired_mgr")
    with in_app():
        db.session.get(User, inactive.id).active = False
        db.session.commit()
    return {"inactive": inactive}


@pytest.mark.parametrize("endpoint", ["single", "bulk"])
@pytest.mark.parametrize("target", ["mgr_b1", "lead_a", "admin", "inactive", "nobody"])
def test_lead_may_only_assign_to_active_managers_of_the_team(
    client, auth, in_app, team_setup, odd_targets, endpoint, target
):
    rows = {**team_setup, **odd_targets}
    manager = rows[target] if target != "nobody" else SimpleNamespace(id=uuid.uuid4())
    customer = team_setup["unassigned"]
    auth.login(team_setup["lead_a"].username)
    if endpoint == "single":
        response = assign_one(client, customer, manager)
    else:
        response = assign_bulk(client, [customer], manager)
    assert response.status_code == 422
    # The same answer for a stranger as for a nobody: no hint who exists elsewhere.
    assert response.json["error"]["fields"] == {
        "manager_id": ["Not an active manager of your team."]
    }
    assert manager_of(in_app, customer) is None
    assert history(in_app) == []


@pytest.mark.parametrize("target", ["lead_a", "admin", "inactive", "nobody"])
def test_admin_may_only_assign_to_active_managers(
    client, auth, in_app, team_setup, odd_targets, target
):
    rows = {**team_setup, **odd_targets}
    manager = rows[target] if target != "nobody" else SimpleNamespace(id=uuid.uuid4())
    auth.login(team_setup["admin"].username)
    response = assign_one(client, team_setup["unassigned"], manager)
    assert response.status_code == 422
    assert "manager_id" in response.json["error"]["fields"]
    assert history(in_app) == []


def test_admin_assigns_across_teams(client, auth, in_app, team_setup):
    auth.login(team_setup["admin"].username)
    response = assign_one(client, team_setup["cust_a1"], team_setup["mgr_b2"])
    assert response.status_code == 200
    assert manager_of(in_app, team_setup["cust_a1"]) == team_setup["mgr_b2"].id


# --- bulk -----------------------------------------------------------------------


def test_bulk_assigns_and_counts_unchanged(client, auth, in_app, team_setup):
    lead, m1 = team_setup["lead_a"], team_setup["mgr_a1"]
    customers = [team_setup["cust_a1"], team_setup["cust_a2"], team_setup["unassigned"]]
    auth.login(lead.username)
    response = assign_bulk(client, customers, m1, reason="m2 on leave")
    assert response.status_code == 200
    assert response.json == {
        "assigned": 2,
        "unchanged": 1,
        "warnings": [],
        "dry_run": False,
        "moves": {"plans": 0, "tasks": 0, "complaints": 0},
    }
    assert [manager_of(in_app, c) for c in customers] == [m1.id, m1.id, m1.id]
    assert sorted(history(in_app), key=str) == sorted(
        [
            (team_setup["mgr_a2"].id, m1.id, lead.id, "m2 on leave"),
            (None, m1.id, lead.id, "m2 on leave"),
        ],
        key=str,
    )


def test_bulk_counts_a_repeated_id_once(client, auth, in_app, team_setup):
    customer = team_setup["unassigned"]
    auth.login(team_setup["admin"].username)
    response = assign_bulk(client, [customer, customer], team_setup["mgr_a1"])
    assert (response.json["assigned"], response.json["unchanged"]) == (1, 0)
    assert len(history(in_app)) == 1


def test_bulk_is_all_or_nothing(client, auth, in_app, team_setup):
    """One customer the lead may not see stops the whole move, and says which by index."""
    visible = [team_setup["cust_a1"], team_setup["unassigned"]]
    customers = [visible[0], team_setup["cust_b1"], visible[1]]
    auth.login(team_setup["lead_a"].username)
    response = assign_bulk(client, customers, team_setup["mgr_a2"])
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"customer_ids": {"1": ["Customer not found."]}}
    assert [manager_of(in_app, c) for c in visible] == [team_setup["mgr_a1"].id, None]
    assert history(in_app) == []


def test_bulk_reports_unknown_and_invisible_ids_alike(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    response = client.post(
        f"{API}/assign",
        json={
            "customer_ids": [str(team_setup["cust_b1"].id), str(uuid.uuid4())],
            "manager_id": str(team_setup["mgr_a1"].id),
            "reason": "x",
        },
    )
    assert response.json["error"]["fields"] == {
        "customer_ids": {"0": ["Customer not found."], "1": ["Customer not found."]}
    }


def test_bulk_names_every_bad_field_at_once(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    response = assign_bulk(client, [team_setup["cust_b1"]], team_setup["mgr_b1"])
    assert set(response.json["error"]["fields"]) == {"customer_ids", "manager_id"}


# --- capacity and dry run -------------------------------------------------------


def test_capacity_warning_but_the_change_happens(
    app, client, auth, in_app, team_setup, monkeypatch
):
    monkeypatch.setitem(app.config, "PORTFOLIO_CAPACITY", 3)
    m1 = team_setup["mgr_a1"]  # already has 2
    customers = [team_setup["unassigned"], team_setup["cust_a2"]]
    auth.login(team_setup["lead_a"].username)
    response = assign_bulk(client, customers, m1)
    assert response.status_code == 200
    assert response.json["assigned"] == 2
    assert response.json["warnings"] == [
        {"code": "capacity_exceeded", "manager_id": str(m1.id), "portfolio_size": 4, "capacity": 3}
    ]
    assert [manager_of(in_app, c) for c in customers] == [m1.id, m1.id]


def test_reaching_capacity_exactly_is_no_warning(
    app, client, auth, in_app, team_setup, monkeypatch
):
    monkeypatch.setitem(app.config, "PORTFOLIO_CAPACITY", 3)
    auth.login(team_setup["lead_a"].username)
    response = assign_one(client, team_setup["unassigned"], team_setup["mgr_a1"])
    assert response.json["warnings"] == []
    # Customers already with the manager do not count twice.
    response = assign_bulk(
        client, [team_setup["cust_a1"], team_setup["unassigned"]], team_setup["mgr_a1"]
    )
    assert (response.json["unchanged"], response.json["warnings"]) == (2, [])


@pytest.mark.parametrize("endpoint", ["single", "bulk"])
def test_dry_run_reports_and_changes_nothing(
    app, client, auth, in_app, team_setup, monkeypatch, endpoint
):
    monkeypatch.setitem(app.config, "PORTFOLIO_CAPACITY", 2)
    m1, customer = team_setup["mgr_a1"], team_setup["unassigned"]
    auth.login(team_setup["admin"].username)
    if endpoint == "single":
        response = assign_one(client, customer, m1, dry_run=True)
    else:
        response = assign_bulk(client, [customer, team_setup["cust_a1"]], m1, dry_run=True)
    assert response.status_code == 200
    assert response.json["dry_run"] is True
    assert response.json["assigned"] == 1
    assert response.json["warnings"] == [
        {"code": "capacity_exceeded", "manager_id": str(m1.id), "portfolio_size": 3, "capacity": 2}
    ]
    assert manager_of(in_app, customer) is None
    assert history(in_app) == []


def test_dry_run_still_validates(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    response = assign_bulk(client, [team_setup["cust_b1"]], team_setup["mgr_a1"], dry_run=True)
    assert response.status_code == 422


# --- bad input ------------------------------------------------------------------


def _bulk_body(team_setup, **override):
    body = {
        "customer_ids": [str(team_setup["unassigned"].id)],
        "manager_id": str(team_setup["mgr_a1"].id),
        "reason": "rebalance",
    }
    body.update(override)
    return {k: v for k, v in body.items() if v is not ...}


BAD_BULK = [
    ({"customer_ids": []}, "customer_ids"),
    ({"customer_ids": [str(uuid.uuid4()) for _ in range(1001)]}, "customer_ids"),
    ({"customer_ids": ["not-a-uuid"]}, "customer_ids"),
    ({"customer_ids": "all"}, "customer_ids"),
    ({"customer_ids": ...}, "customer_ids"),
    ({"manager_id": ...}, "manager_id"),
    ({"manager_id": 7}, "manager_id"),
    ({"reason": ...}, "reason"),
    ({"reason": ""}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"reason": "x" * 201}, "reason"),
    ({"reason": ["x"]}, "reason"),
    ({"dry_run": "no"}, "dry_run"),
    ({"everyone": True}, "everyone"),
]


@pytest.mark.parametrize(
    ("override", "field"), BAD_BULK, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_BULK)]
)
def test_bad_bulk_input_is_422_and_changes_nothing(
    client, auth, in_app, team_setup, override, field
):
    auth.login(team_setup["lead_a"].username)
    response = client.post(f"{API}/assign", json=_bulk_body(team_setup, **override))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert manager_of(in_app, team_setup["unassigned"]) is None
    assert history(in_app) == []


def test_single_assign_requires_reason_and_manager_key(client, auth, in_app, team_setup):
    auth.login(team_setup["lead_a"].username)
    response = client.post(f"{API}/{team_setup['unassigned'].id}/assign", json={})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"manager_id", "reason"}


def test_malformed_json_is_400(client, auth, in_app, team_setup):
    auth.login(team_setup["lead_a"].username)
    response = client.post(f"{API}/assign", data="{customer_ids:", content_type="application/json")
    assert response.status_code == 400
    assert history(in_app) == []


def test_open_work_follows_the_customer_and_finished_work_stays(client, auth, team_setup, in_app):
    from datetime import date

    from server.complaints.models import (
        Complaint,
        ComplaintCategory,
        ComplaintStatus,
        IntakeChannel,
        Severity,
    )
    from server.extensions import db
    from server.models_base import utcnow
    from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
    from server.tasks.models import Task, TaskStatus

    customer, old, new = team_setup["cust_a1"], team_setup["mgr_a1"], team_setup["mgr_a2"]
    with in_app():
        category = db.session.scalar(sa.select(ComplaintCategory).limit(1))

        def plan(status):
            return CarePlan(
                customer_id=customer.id,
                owner_id=old.id,
                purpose=Purpose.ROUTINE,
                channel=Channel.PHONE,
                title="t",
                due_from=date(2026, 12, 1),
                due_to=date(2026, 12, 5),
                status=status,
            )

        def task(status):
            return Task(
                customer_id=customer.id,
                owner_id=old.id,
                title="t",
                status=status,
                created_by_id=old.id,
            )

        def complaint(status):
            return Complaint(
                customer_id=customer.id,
                owner_id=old.id,
                category_id=category.id,
                severity=Severity.LOW,
                intake_channel=IntakeChannel.PHONE,
                description="d",
                received_at=utcnow(),
                deadline_at=utcnow(),
                status=status,
                logged_by_id=old.id,
            )

        rows = {
            "open_plan": plan(PlanStatus.PLANNED),
            "done_plan": plan(PlanStatus.DONE),
            "open_task": task(TaskStatus.OPEN),
            "done_task": task(TaskStatus.DONE),
            "open_complaint": complaint(ComplaintStatus.IN_PROGRESS),
            "closed_complaint": complaint(ComplaintStatus.CLOSED),
        }
        db.session.add_all(rows.values())
        db.session.commit()
        ids = {name: (type(row), row.id) for name, row in rows.items()}

    auth.login(team_setup["lead_a"].username)
    response = client.post(
        f"/api/v1/customers/{customer.id}/assign",
        json={"manager_id": str(new.id), "reason": "调整"},
    )
    assert response.status_code == 200, response.json

    with in_app():
        owners = {name: db.session.get(cls, id_).owner_id for name, (cls, id_) in ids.items()}
    assert owners == {
        "open_plan": new.id,
        "done_plan": old.id,
        "open_task": new.id,
        "done_task": old.id,
        "open_complaint": new.id,
        "closed_complaint": old.id,
    }
