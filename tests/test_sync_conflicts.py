"""Sync conflicts: per-field merges that lose nothing, lost access after a reassignment."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.complaints.models import Complaint, ComplaintEvent
from server.customers.models import Customer
from server.customers.services import assign
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan
from server.sync.models import SyncConflict
from server.tasks.models import Task
from server.visits.models import Visit
from server.warnings.models import ChurnWarning

PUSH = "/api/v1/sync/push"
CONFLICTS = "/api/v1/sync/conflicts"


def mutation(seq: int, name: str, args: dict, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "seq": seq, "name": name, "args": args, **extra}


def pushed(client, *mutations, device=None) -> dict:
    response = client.post(
        PUSH,
        json={
            "device_id": str(device or uuid.uuid4()),
            "schema_version": 2,
            "mutations": list(mutations),
        },
    )
    assert response.status_code == 200, response.json
    return response.json


def edit(seq: int, name: str, row_id, changes: dict, base: dict, base_version: int) -> dict:
    return mutation(
        seq, name, {"id": str(row_id), "changes": changes, "base": base}, base_version=base_version
    )


def load(in_app, model, id_):
    with in_app():
        return db.session.get(model, uuid.UUID(str(id_)))


def count(in_app, model, *where) -> int:
    with in_app():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def make_task(client, customer, title="Call about the renewal", notes="Ask for Mr Wang") -> dict:
    response = client.post(
        "/api/v1/tasks", json={"title": title, "notes": notes, "customer_id": str(customer.id)}
    )
    assert response.status_code == 201, response.json
    return response.json


def conflict_ids(client, **query) -> set[str]:
    response = client.get(CONFLICTS, query_string=query)
    assert response.status_code == 200, response.json
    return {c["id"] for c in response.json["items"]}


@pytest.fixture
def setup(auth, team_setup):
    """mgr_a1 signed in; `edited_by_lead(task, changes)` changes a task on the server meanwhile."""
    auth.login(team_setup["mgr_a1"].username)
    return team_setup


def server_edit(client, auth, who, path: str, changes: dict, back_to) -> dict:
    auth.login(who.username)
    response = client.patch(path, json=changes)
    assert response.status_code == 200, response.json
    auth.login(back_to.username)
    return response.json


# --- merge ----------------------------------------------------------------------


def test_fields_changed_on_one_side_each_all_survive(client, auth, setup, in_app):
    task = make_task(client, setup["cust_a1"])
    # The lead renames the task while the manager's phone, offline, edits its notes.
    server_edit(
        client,
        auth,
        setup["lead_a"],
        f"/api/v1/tasks/{task['id']}",
        {"title": "Renewal: bring the new tariff"},
        setup["mgr_a1"],
    )
    answer = pushed(
        client,
        edit(
            1,
            "update_task",
            task["id"],
            {"notes": "Ask for Ms Li instead"},
            {"notes": "Ask for Mr Wang"},
            base_version=1,
        ),
    )
    result = answer["results"][0]
    assert (result["status"], result.get("conflicts")) == ("applied", None)
    row = load(in_app, Task, task["id"])
    assert (row.title, row.notes, row.version) == (
        "Renewal: bring the new tariff",
        "Ask for Ms Li instead",
        3,
    )
    assert count(in_app, SyncConflict) == 0


def test_a_field_both_changed_takes_the_devices_value_and_keeps_the_other(
    client, auth, setup, in_app
):
    manager = setup["mgr_a1"]
    task = make_task(client, setup["cust_a1"])
    server_edit(
        client,
        auth,
        setup["lead_a"],
        f"/api/v1/tasks/{task['id']}",
        {"title": "Lead's title", "due_date": "2030-01-10"},
        manager,
    )
    device = uuid.uuid4()
    sent = edit(
        1,
        "update_task",
        task["id"],
        # due_date sent along unchanged: the device did not edit it, so the lead's stays.
        {"title": "My title", "due_date": None},
        {"title": "Call about the renewal", "due_date": None},
        base_version=1,
    )
    result = pushed(client, sent, device=device)["results"][0]
    assert (result["status"], result["code"]) == ("conflict", "field_conflict")
    assert result["record"]["title"] == "My title"
    [conflict] = result["conflicts"]
    assert {k: conflict[k] for k in ("kind", "entity", "row_id", "field")} == {
        "kind": "field",
        "entity": "tasks",
        "row_id": task["id"],
        "field": "title",
    }
    assert (conflict["base_value"], conflict["kept_value"], conflict["lost_value"]) == (
        "Call about the renewal",
        "My title",
        "Lead's title",
    )
    assert (conflict["user_id"], conflict["device_id"], conflict["mutation_id"]) == (
        str(manager.id),
        str(device),
        sent["id"],
    )
    assert conflict["customer_id"] == str(setup["cust_a1"].id)
    row = load(in_app, Task, task["id"])
    assert (row.title, row.due_date.isoformat()) == ("My title", "2030-01-10")


def _task_conflict(client, auth, setup) -> tuple[dict, dict]:
    task = make_task(client, setup["cust_a1"])
    server_edit(
        client,
        auth,
        setup["lead_a"],
        f"/api/v1/tasks/{task['id']}",
        {"title": "Lead's title"},
        setup["mgr_a1"],
    )
    result = pushed(
        client,
        edit(
            1,
            "update_task",
            task["id"],
            {"title": "My title"},
            {"title": "Call about the renewal"},
            base_version=1,
        ),
    )["results"][0]
    return task, result["conflicts"][0]


@pytest.mark.parametrize(
    ("who", "sees"),
    [("mgr_a1", True), ("lead_a", True), ("admin", True), ("mgr_a2", False), ("lead_b", False)],
)
def test_open_conflicts_are_listed_for_their_user_the_lead_and_admins(
    client, auth, setup, who, sees
):
    _, conflict = _task_conflict(client, auth, setup)
    auth.login(setup[who].username)
    assert (conflict["id"] in conflict_ids(client)) is sees


def test_keeping_resolves_and_leaves_the_value(client, auth, setup, in_app):
    task, conflict = _task_conflict(client, auth, setup)
    response = client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "kept"})
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["resolution"]) == ("resolved", "kept")
    assert response.json["resolved_by_id"] == str(setup["mgr_a1"].id)
    row = load(in_app, Task, task["id"])
    assert (row.title, row.version) == ("My title", 3)
    assert conflict["id"] not in conflict_ids(client)
    assert conflict["id"] in conflict_ids(client, status="resolved")


def test_restoring_puts_the_lost_value_back_as_a_new_version(client, auth, setup, in_app):
    task, conflict = _task_conflict(client, auth, setup)
    auth.login(setup["lead_a"].username)  # the manager's lead may decide too
    response = client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "restored"})
    assert response.status_code == 200, response.json
    row = load(in_app, Task, task["id"])
    assert (row.title, row.version) == ("Lead's title", 4)
    # Resolving again the same way changes nothing; another way is refused.
    again = client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "restored"})
    assert again.status_code == 200
    other = client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "kept"})
    assert (other.status_code, other.json["error"]["code"]) == (409, "conflict_resolved")
    assert load(in_app, Task, task["id"]).version == 4


def test_a_conflict_can_be_resolved_by_a_pushed_mutation(client, auth, setup, in_app):
    task, conflict = _task_conflict(client, auth, setup)
    result = pushed(
        client, mutation(1, "resolve_conflict", {"id": conflict["id"], "choice": "restored"})
    )["results"][0]
    assert (result["status"], result["entity"]) == ("applied", "sync_conflicts")
    assert result["record"]["resolution"] == "restored"
    assert load(in_app, Task, task["id"]).title == "Lead's title"


@pytest.mark.parametrize("who", ["mgr_a2", "lead_b"])
def test_someone_elses_conflict_is_404(client, auth, setup, in_app, who):
    task, conflict = _task_conflict(client, auth, setup)
    auth.login(setup[who].username)
    response = client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "restored"})
    assert response.status_code == 404
    assert load(in_app, Task, task["id"]).title == "My title"
    assert load(in_app, SyncConflict, conflict["id"]).status.value == "open"


def test_a_field_conflict_takes_only_kept_or_restored(client, auth, setup):
    _, conflict = _task_conflict(client, auth, setup)
    response = client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "applied"})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["choice"]


def test_plans_warnings_and_profiles_merge_too(client, auth, setup, in_app):
    manager, lead, customer = setup["mgr_a1"], setup["lead_a"], setup["cust_a1"]
    plan = client.post(
        "/api/v1/plans",
        json={
            "customer_id": str(customer.id),
            "purpose": "routine",
            "channel": "phone",
            "due_from": "2030-03-01",
            "due_to": "2030-03-10",
        },
    ).json
    warning = client.post(
        "/api/v1/warnings",
        json={"customer_id": str(customer.id), "reason": "competitor", "note": "Offered 5G"},
    ).json
    answered = client.post(
        f"/api/v1/warnings/{warning['id']}/answer",
        json={"cause_analysis": "Price", "retention_plan": "Discount"},
    ).json
    # Meanwhile on the server: the lead moves the plan, rewrites the plan of the
    # answer and sets the customer's interests.
    server_edit(client, auth, lead, f"/api/v1/plans/{plan['id']}", {"due_to": "2030-03-20"}, lead)
    lead_answer = client.post(
        f"/api/v1/warnings/{warning['id']}/answer",
        json={"cause_analysis": "Price", "retention_plan": "Lead's offer"},
    )
    assert lead_answer.status_code == 200
    server_edit(
        client, auth, lead, f"/api/v1/customers/{customer.id}", {"interests": "Golf"}, manager
    )

    results = pushed(
        client,
        edit(
            1,
            "update_plan",
            plan["id"],
            {"due_to": "2030-03-15", "notes": "Bring brochure"},
            {"due_to": "2030-03-10", "notes": None},
            plan["version"],
        ),
        mutation(
            2,
            "answer_warning",
            {
                "id": warning["id"],
                "cause_analysis": "Price and coverage",
                "retention_plan": "Discount",
                "base": {"cause_analysis": "Price", "retention_plan": "Discount"},
            },
            base_version=answered["version"],
        ),
        edit(
            3,
            "update_customer_profile",
            customer.id,
            {"interests": "Tennis", "birthday": "1980-05-04"},
            {"interests": None, "birthday": None},
            1,
        ),
    )["results"]
    assert [(r["status"], [c["field"] for c in r.get("conflicts", [])]) for r in results] == [
        ("conflict", ["due_to"]),
        ("applied", []),
        ("conflict", ["interests"]),
    ]
    assert (results[0]["conflicts"][0]["lost_value"], results[0]["conflicts"][0]["kept_value"]) == (
        "2030-03-20",
        "2030-03-15",
    )
    row = load(in_app, CarePlan, plan["id"])
    assert (row.due_to.isoformat(), row.notes) == ("2030-03-15", "Bring brochure")
    row = load(in_app, ChurnWarning, warning["id"])
    assert (row.cause_analysis, row.retention_plan) == ("Price and coverage", "Lead's offer")
    row = load(in_app, Customer, customer.id)
    assert (row.interests, row.birthday.isoformat()) == ("Tennis", "1980-05-04")


def test_a_manager_may_not_merge_in_lead_only_profile_fields(client, setup, in_app):
    customer = setup["cust_a1"]
    result = pushed(
        client,
        edit(
            1,
            "update_customer_profile",
            customer.id,
            {"name": "Renamed"},
            {"name": customer.name},
            1,
        ),
    )["results"][0]
    assert (result["status"], result["fields"]) == (
        "rejected",
        {"name": ["Only a lead or an admin may change this."]},
    )
    assert load(in_app, Customer, customer.id).name == customer.name


# --- reassignment ---------------------------------------------------------------


@pytest.fixture
def moved(client, auth, setup, in_app):
    """cust_a1 had an open task and a complaint under mgr_a1, then moved to mgr_a2."""
    customer = setup["cust_a1"]
    task = make_task(client, customer)
    complaint = client.post(
        "/api/v1/complaints",
        json={
            "customer_id": str(customer.id),
            "category": "broadband",
            "severity": "medium",
            "intake_channel": "in_person",
            "description": "Slow evenings",
        },
    ).json
    with in_app():
        assign(
            db.session.get(Customer, customer.id),
            db.session.get(type(setup["mgr_a2"]), setup["mgr_a2"].id),
            reason="Rebalancing",
            actor=db.session.get(type(setup["lead_a"]), setup["lead_a"].id),
        )
        db.session.commit()
    return {"customer": customer, "task": task, "complaint": complaint}


def test_an_offline_visit_and_complaint_for_a_moved_customer_are_accepted(
    client, setup, moved, in_app
):
    customer, a, b = moved["customer"], setup["mgr_a1"], setup["mgr_a2"]
    visit_id, complaint_id = uuid.uuid4(), uuid.uuid4()
    # Recorded on the phone an hour before the move (the fixture moved it just now).
    before = (utcnow() - timedelta(hours=1)).isoformat()
    results = pushed(
        client,
        mutation(
            1,
            "log_visit",
            {
                "id": str(visit_id),
                "customer_id": str(customer.id),
                "channel": "visit",
                "purpose": "routine",
                "started_at": (utcnow() - timedelta(hours=5)).isoformat(),
                "next_step": "Send the tariff sheet",
            },
            client_time=before,
        ),
        mutation(
            2,
            "log_complaint",
            {
                "id": str(complaint_id),
                "customer_id": str(customer.id),
                "category": "billing",
                "severity": "high",
                "intake_channel": "in_person",
                "description": "Double charged",
            },
            client_time=before,
        ),
        mutation(
            3,
            "add_complaint_note",
            {"id": moved["complaint"]["id"], "note": "Told the customer"},
            client_time=before,
        ),
    )["results"]
    assert [r["status"] for r in results] == ["applied"] * 3
    visit = load(in_app, Visit, visit_id)
    assert visit.manager_id == a.id
    with in_app():
        follow_up = db.session.scalar(sa.select(Task).where(Task.source_visit_id == visit_id))
        # Open work is the customer's current manager's.
        assert (follow_up.owner_id, follow_up.created_by_id) == (b.id, a.id)
    complaint = load(in_app, Complaint, complaint_id)
    assert (complaint.owner_id, complaint.logged_by_id) == (b.id, a.id)
    assert (
        count(
            in_app,
            ComplaintEvent,
            ComplaintEvent.complaint_id == uuid.UUID(moved["complaint"]["id"]),
        )
        == 2
    )


def test_changes_stamped_after_the_move_are_kept_for_the_lead_not_applied(
    client, auth, setup, moved, in_app
):
    # Issue 11: a former manager's visit and critical complaint stamped after the
    # customer moved away still applied (the complaint owned by the new manager).
    customer = moved["customer"]
    after = (utcnow() + timedelta(minutes=1)).isoformat()
    visit_id, complaint_id = uuid.uuid4(), uuid.uuid4()
    results = pushed(
        client,
        mutation(
            1,
            "log_visit",
            {
                "id": str(visit_id),
                "customer_id": str(customer.id),
                "channel": "visit",
                "purpose": "routine",
                "started_at": utcnow().isoformat(),
            },
            client_time=after,
        ),
        mutation(
            2,
            "log_complaint",
            {
                "id": str(complaint_id),
                "customer_id": str(customer.id),
                "category": "billing",
                "severity": "critical",
                "intake_channel": "in_person",
                "description": "Made up after the move",
            },
            client_time=after,
        ),
        # No client_time: taken as made when it arrived, after the move.
        mutation(3, "add_complaint_note", {"id": moved["complaint"]["id"], "note": "Late"}),
    )["results"]
    assert [(r["status"], r["code"]) for r in results] == [("conflict", "lost_access")] * 3
    assert load(in_app, Visit, visit_id) is None
    assert load(in_app, Complaint, complaint_id) is None
    events = ComplaintEvent.complaint_id == uuid.UUID(moved["complaint"]["id"])
    assert count(in_app, ComplaintEvent, events) == 1
    # Kept whole for the lead, who may still apply them as themself.
    auth.login(setup["lead_a"].username)
    conflict_id = results[0]["conflicts"][0]["id"]
    applied = client.post(f"{CONFLICTS}/{conflict_id}/resolve", json={"choice": "applied"})
    assert applied.status_code == 200, applied.json
    assert load(in_app, Visit, visit_id).manager_id == setup["lead_a"].id


def test_a_lead_cannot_apply_a_kept_change_its_author_was_not_allowed_to_make(
    client, auth, setup, moved, in_app
):
    # Issue 11: a manager's refused tier change arrived as a lost-access conflict and
    # the lead's "apply" pushed it through; managers may not change tiers.
    customer = moved["customer"]
    with in_app():
        tier = db.session.get(Customer, customer.id).tier.code
    result = pushed(
        client,
        edit(1, "update_customer_profile", customer.id, {"tier": "diamond"}, {"tier": tier}, 1),
    )["results"][0]
    assert result["code"] == "lost_access"
    auth.login(setup["lead_a"].username)
    conflict_id = result["conflicts"][0]["id"]
    refused = client.post(f"{CONFLICTS}/{conflict_id}/resolve", json={"choice": "applied"})
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {"tier": ["Only a lead or an admin may change this."]}
    with in_app():
        assert db.session.get(Customer, customer.id).tier.code == tier
        assert db.session.get(SyncConflict, uuid.UUID(conflict_id)).status.value == "open"
    # Dismissing it is still possible.
    dismissed = client.post(f"{CONFLICTS}/{conflict_id}/resolve", json={"choice": "dismissed"})
    assert dismissed.status_code == 200


def test_other_offline_changes_for_a_moved_customer_are_kept_for_the_lead(
    client, auth, setup, moved, in_app
):
    task = moved["task"]
    sent = edit(
        1,
        "update_task",
        task["id"],
        {"title": "Mine"},
        {"title": "Call about the renewal"},
        base_version=1,
    )
    result = pushed(client, sent)["results"][0]
    assert (result["status"], result["code"]) == ("conflict", "lost_access")
    [conflict] = result["conflicts"]
    assert conflict["kind"] == "lost_access"
    assert conflict["customer_id"] == str(moved["customer"].id)
    assert conflict["args"]["args"] == sent["args"]
    assert conflict["args"]["base_version"] == 1
    assert load(in_app, Task, task["id"]).title == "Call about the renewal"
    # The manager sees it but may not apply it; the lead decides.
    assert conflict["id"] in conflict_ids(client)
    refused = client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "applied"})
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "lead_only")
    auth.login(setup["lead_a"].username)
    assert conflict["id"] in conflict_ids(client)
    applied = client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "applied"})
    assert applied.status_code == 200, applied.json
    assert applied.json["resolution"] == "applied"
    row = load(in_app, Task, task["id"])
    assert (row.title, row.owner_id) == ("Mine", setup["mgr_a2"].id)


def test_a_lead_may_dismiss_a_kept_change(client, auth, setup, moved, in_app):
    complaint = moved["complaint"]
    result = pushed(
        client, mutation(1, "transition_complaint", {"id": complaint["id"], "to": "in_progress"})
    )["results"][0]
    assert result["code"] == "lost_access"
    auth.login(setup["lead_a"].username)
    conflict_id = result["conflicts"][0]["id"]
    response = client.post(f"{CONFLICTS}/{conflict_id}/resolve", json={"choice": "dismissed"})
    assert response.status_code == 200, response.json
    assert load(in_app, Complaint, complaint["id"]).status.value == "received"
    assert conflict_id not in conflict_ids(client)


def test_a_manager_who_never_had_the_customer_is_refused(client, auth, setup, moved, in_app):
    customer = moved["customer"]
    auth.login(setup["mgr_b1"].username)
    results = pushed(
        client,
        mutation(
            1,
            "log_visit",
            {
                "customer_id": str(customer.id),
                "channel": "phone",
                "purpose": "routine",
                "started_at": utcnow().isoformat(),
            },
        ),
        edit(
            2,
            "update_task",
            moved["task"]["id"],
            {"title": "Hijack"},
            {"title": "Call about the renewal"},
            base_version=1,
        ),
        mutation(3, "add_complaint_note", {"id": moved["complaint"]["id"], "note": "Hi"}),
    )["results"]
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "not_found")] * 3
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 0
    assert count(in_app, SyncConflict) == 0
    assert load(in_app, Task, moved["task"]["id"]).title == "Call about the renewal"
