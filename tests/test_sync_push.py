"""Sync push: each queued change applied exactly once, in seq order, refusals recorded."""

import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from server.complaints.models import Complaint, ComplaintEvent
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan
from server.sync.models import SyncDevice, SyncMutation
from server.tasks.models import Task
from server.visits.models import Visit, VisitRevision
from server.warnings.models import ChurnWarning

PUSH = "/api/v1/sync/push"


def mutation(seq: int, name: str, args: dict, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "seq": seq, "name": name, "args": args, **extra}


def push(client, device, *mutations, schema_version: int = 2):
    return client.post(
        PUSH,
        json={
            "device_id": str(device),
            "schema_version": schema_version,
            "mutations": list(mutations),
        },
    )


def pushed(client, device, *mutations) -> dict:
    response = push(client, device, *mutations)
    assert response.status_code == 200, response.json
    return response.json


def visit_args(customer, **fields) -> dict:
    args = {
        "id": str(uuid.uuid4()),
        "customer_id": str(customer.id),
        "channel": "phone",
        "purpose": "routine",
        "started_at": (utcnow() - timedelta(hours=1)).isoformat(),
        "outcome": "Talked about the family plan",
    }
    args.update(fields)
    return args


def complaint_args(customer, **fields) -> dict:
    args = {
        "id": str(uuid.uuid4()),
        "customer_id": str(customer.id),
        "category": "broadband",
        "severity": "medium",
        "intake_channel": "in_person",
        "description": "宽带每晚断线 Broadband drops every evening",
    }
    args.update(fields)
    return args


def count(in_app, model, *where) -> int:
    with in_app():
        stmt = sa.select(sa.func.count()).select_from(model)
        for clause in where:
            stmt = stmt.where(clause)
        return db.session.scalar(stmt)


def load(in_app, model, id_):
    with in_app():
        return db.session.get(model, uuid.UUID(str(id_)))


@pytest.fixture
def mgr(auth, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    return team_setup


def _batch(customer, task_id) -> list[dict]:
    """A visit, a complaint with a note, a task created and renamed: one of each effect."""
    complaint = complaint_args(customer)
    return [
        mutation(1, "log_visit", visit_args(customer)),
        mutation(2, "log_complaint", complaint),
        mutation(3, "add_complaint_note", {"id": complaint["id"], "note": "Engineer booked"}),
        mutation(
            4,
            "create_task",
            {"id": str(task_id), "title": "Call back", "customer_id": str(customer.id)},
        ),
        mutation(
            5,
            "update_task",
            {
                "id": str(task_id),
                "changes": {"title": "Call back Friday"},
                "base": {"title": "Call back"},
            },
            base_version=1,
        ),
    ]


def _effects(in_app, customer) -> dict:
    return {
        "visits": count(in_app, Visit, Visit.customer_id == customer.id),
        "complaints": count(in_app, Complaint, Complaint.customer_id == customer.id),
        "events": count(
            in_app,
            ComplaintEvent,
            ComplaintEvent.complaint_id.in_(
                sa.select(Complaint.id).where(Complaint.customer_id == customer.id)
            ),
        ),
        "tasks": count(in_app, Task, Task.customer_id == customer.id),
    }


ONCE = {"visits": 1, "complaints": 1, "events": 2, "tasks": 1}


# --- exactly once ---------------------------------------------------------------


def test_a_batch_applies_each_change_in_order(client, mgr, in_app):
    customer, task_id = mgr["cust_a1"], uuid.uuid4()
    answer = pushed(client, uuid.uuid4(), *_batch(customer, task_id))
    assert [r["status"] for r in answer["results"]] == ["applied"] * 5
    assert [r["seq"] for r in answer["results"]] == [1, 2, 3, 4, 5]
    assert answer["last_acknowledged_seq"] == 5
    assert _effects(in_app, customer) == ONCE
    task = load(in_app, Task, task_id)
    assert (task.title, task.version) == ("Call back Friday", 2)
    # Each result carries the record as a pull would show it.
    assert answer["results"][0]["entity"] == "visits"
    assert answer["results"][0]["record"]["manager_id"] == str(mgr["mgr_a1"].id)
    assert answer["results"][4]["record"]["title"] == "Call back Friday"


def test_a_resent_batch_whose_answer_was_lost_applies_nothing_again(client, mgr, in_app):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    batch = _batch(customer, uuid.uuid4())
    first = pushed(client, device, *batch)
    again = pushed(client, device, *batch)
    assert again == first
    assert _effects(in_app, customer) == ONCE


def test_duplicates_inside_one_batch_apply_once(client, mgr, in_app):
    customer = mgr["cust_a1"]
    visit = mutation(1, "log_visit", visit_args(customer))
    complaint = mutation(2, "log_complaint", complaint_args(customer))
    answer = pushed(client, uuid.uuid4(), visit, visit, complaint, visit, complaint)
    assert [r["seq"] for r in answer["results"]] == [1, 1, 2, 1, 2]
    assert {r["status"] for r in answer["results"]} == {"applied"}
    assert answer["results"][1] == answer["results"][0]
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 1
    assert count(in_app, Complaint, Complaint.customer_id == customer.id) == 1


def test_a_reordered_batch_is_applied_in_seq_order(client, mgr, in_app):
    customer, task_id = mgr["cust_a1"], uuid.uuid4()
    create = mutation(
        1, "create_task", {"id": str(task_id), "title": "Draft", "customer_id": str(customer.id)}
    )
    rename = mutation(
        2,
        "update_task",
        {
            "id": str(task_id),
            "changes": {"title": "Bring the contract"},
            "base": {"title": "Draft"},
        },
        base_version=1,
    )
    complete = mutation(3, "complete_task", {"id": str(task_id)})
    # In the order sent, completing and renaming would find no task yet.
    answer = pushed(client, uuid.uuid4(), complete, create, rename)
    assert [(r["seq"], r["status"]) for r in answer["results"]] == [
        (3, "applied"),
        (1, "applied"),
        (2, "applied"),
    ]
    task = load(in_app, Task, task_id)
    assert (task.title, task.status.value, task.version) == ("Bring the contract", "done", 3)


def test_an_old_batch_replayed_after_newer_ones_applies_nothing(client, mgr, in_app):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    old = [
        mutation(1, "log_visit", visit_args(customer)),
        mutation(2, "log_complaint", complaint_args(customer)),
    ]
    newer = [
        mutation(3, "log_visit", visit_args(customer)),
        mutation(4, "log_visit", visit_args(customer)),
    ]
    first = pushed(client, device, *old)
    pushed(client, device, *newer)
    replay = pushed(client, device, *old)
    assert replay["results"] == first["results"]
    assert replay["last_acknowledged_seq"] == 4
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 3
    assert count(in_app, Complaint, Complaint.customer_id == customer.id) == 1


def test_a_batch_that_skips_ahead_is_refused_with_the_expected_seq(client, mgr, in_app):
    # Issue 11: seq 20-21 then 17-18 on one device, and the tasks of 17 and 18 never
    # existed. Now the skip is refused, nothing acknowledged, and 17-21 all apply.
    customer, device = mgr["cust_a1"], uuid.uuid4()
    pushed(client, device, *[mutation(s, "log_visit", visit_args(customer)) for s in range(1, 17)])
    tasks = {
        s: mutation(
            s,
            "create_task",
            {"id": str(uuid.uuid4()), "title": f"Task {s}", "customer_id": str(customer.id)},
        )
        for s in range(17, 22)
    }
    refused = push(client, device, tasks[20], tasks[21])
    assert refused.status_code == 409
    error = refused.json["error"]
    assert (error["code"], error["expected_seq"], error["last_acknowledged_seq"]) == (
        "seq_gap",
        17,
        16,
    )
    assert count(in_app, Task, Task.customer_id == customer.id) == 0
    answer = pushed(client, device, tasks[17], tasks[18])
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    answer = pushed(client, device, tasks[19], tasks[20], tasks[21])
    assert answer["last_acknowledged_seq"] == 21
    titles = {load(in_app, Task, t["args"]["id"]).title for t in tasks.values()}
    assert titles == {f"Task {s}" for s in range(17, 22)}


def test_a_gap_inside_a_batch_is_refused_whole(client, mgr, in_app):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    refused = push(
        client,
        device,
        mutation(1, "log_visit", visit_args(customer)),
        mutation(3, "log_visit", visit_args(customer)),
    )
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "seq_gap")
    assert refused.json["error"]["expected_seq"] == 2
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 0


def test_a_first_push_must_start_at_one(client, mgr, in_app):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    refused = push(client, device, mutation(5, "log_visit", visit_args(customer)))
    assert (refused.status_code, refused.json["error"]["expected_seq"]) == (409, 1)
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 0


def test_a_seq_skipped_before_gaps_were_refused_is_applied_when_it_arrives(client, mgr, in_app):
    # A device whose last_seq jumped under the old rule: seq 3 never arrived, so it
    # is applied now (and recorded), never answered "already acknowledged".
    customer, device = mgr["cust_a1"], uuid.uuid4()
    pushed(client, device, mutation(1, "log_visit", visit_args(customer)))
    with in_app():
        db.session.get(SyncDevice, device).last_seq = 5
        db.session.commit()
    late = mutation(3, "log_visit", visit_args(customer))
    answer = pushed(client, device, late)
    assert (answer["results"][0]["status"], answer["results"][0]["code"]) == ("applied", None)
    assert answer["last_acknowledged_seq"] == 5
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 2
    assert pushed(client, device, late)["results"] == answer["results"]
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 2


def test_one_seq_used_for_two_changes_is_refused_not_confused(client, mgr, in_app):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    pushed(client, device, mutation(1, "log_visit", visit_args(customer)))
    answer = pushed(client, device, mutation(1, "log_visit", visit_args(customer)))
    assert (answer["results"][0]["status"], answer["results"][0]["code"]) == (
        "rejected",
        "seq_reused",
    )
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 1


def test_a_mutation_id_sent_again_with_other_content_is_refused(client, mgr, in_app):
    # Issue 11: answered "applied" with the first record, the new content dropped unsaid.
    customer, device = mgr["cust_a1"], uuid.uuid4()
    first = mutation(1, "log_visit", visit_args(customer, outcome="First"))
    pushed(client, device, first)
    changed = {**first, "args": {**first["args"], "outcome": "Something else"}}
    result = pushed(client, device, changed)["results"][0]
    assert (result["status"], result["code"], result["http_status"]) == (
        "rejected",
        "mutation_id_reused",
        409,
    )
    assert load(in_app, Visit, first["args"]["id"]).outcome == "First"
    # The genuine retry is still answered as the first time.
    assert pushed(client, device, first)["results"][0]["status"] == "applied"


def test_a_mutation_id_sent_again_under_a_new_seq_is_refused(client, mgr, in_app):
    # Issue 11: the same id with a new seq was applied as a second change.
    customer, device = mgr["cust_a1"], uuid.uuid4()
    task_id = str(uuid.uuid4())
    pushed(
        client,
        device,
        mutation(
            1, "create_task", {"id": task_id, "title": "Call", "customer_id": str(customer.id)}
        ),
    )
    done = mutation(2, "complete_task", {"id": task_id})
    pushed(client, device, done)
    pushed(
        client,
        device,
        mutation(
            3,
            "update_task",
            {"id": task_id, "changes": {"status": "open"}, "base": {"status": "done"}},
        ),
    )
    again = pushed(client, device, {**done, "seq": 4})
    assert again["results"][0]["code"] == "mutation_id_reused"
    assert again["last_acknowledged_seq"] == 4  # received, refused, recorded
    assert load(in_app, Task, task_id).status.value == "open"


def test_a_create_with_an_id_that_exists_is_refused(client, mgr, in_app):
    # Issue 11: replaying log_complaint with an existing complaint's id returned that
    # complaint's current row. A retry is answered from the stored result instead.
    customer, device = mgr["cust_a1"], uuid.uuid4()
    args = complaint_args(customer)
    first = pushed(client, device, mutation(1, "log_complaint", args))
    assert first["results"][0]["status"] == "applied"
    again = pushed(client, uuid.uuid4(), mutation(1, "log_complaint", args))["results"][0]
    assert (again["status"], again["code"], again["http_status"]) == ("rejected", "id_exists", 409)
    assert "record" not in again
    visit = visit_args(customer)
    pushed(client, device, mutation(2, "log_visit", visit))
    other = pushed(client, device, mutation(3, "log_visit", visit))["results"][0]
    assert other["code"] == "id_exists"
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 1


# --- refusals -------------------------------------------------------------------


def test_rejected_changes_are_recorded_and_do_not_block_the_queue(client, mgr, in_app):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    started = utcnow() - timedelta(hours=2)
    complaint = complaint_args(customer)
    backwards = visit_args(
        customer,
        started_at=started.isoformat(),
        ended_at=(started - timedelta(minutes=5)).isoformat(),
    )
    batch = [
        mutation(1, "log_visit", backwards),
        mutation(2, "log_complaint", complaint),
        mutation(
            3, "transition_complaint", {"id": complaint["id"], "to": "closed", "satisfaction": 7}
        ),
        mutation(4, "log_visit", visit_args(customer, customer_id=str(uuid.uuid4()))),
        mutation(5, "log_visit", visit_args(customer, channel="pigeon")),
        mutation(6, "teleport_customer", {"id": str(customer.id)}),
        mutation(7, "transition_complaint", {"id": complaint["id"], "to": "informed"}),
        mutation(8, "log_visit", visit_args(customer)),
    ]
    answer = pushed(client, device, *batch)
    results = answer["results"]
    assert [r["status"] for r in results] == [
        "rejected",
        "applied",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "applied",
    ]
    assert results[0]["code"] == "validation_error"
    assert results[0]["fields"] == {"ended_at": ["Must not be before started_at."]}
    assert results[2]["fields"] == {"satisfaction": ["Must be between 1 and 5."]}
    assert (results[3]["code"], results[3]["message"]) == ("not_found", "Customer not found.")
    assert results[4]["code"] == "validation_error"
    assert list(results[4]["fields"]) == ["channel"]
    assert results[5]["code"] == "unknown_mutation"
    assert results[6]["code"] == "illegal_transition"
    assert results[6]["details"]["allowed"] == ["in_progress"]
    assert answer["last_acknowledged_seq"] == 8

    # Only the valid visit and the complaint exist; the complaint never moved.
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 1
    assert load(in_app, Complaint, complaint["id"]).status.value == "received"
    # What the user entered is kept, refused or not.
    with in_app():
        stored = db.session.scalars(
            sa.select(SyncMutation)
            .where(SyncMutation.device_id == device)
            .order_by(SyncMutation.seq)
        ).all()
        assert [(s.seq, s.status.value) for s in stored] == [
            (i + 1, r["status"]) for i, r in enumerate(results)
        ]
        assert stored[0].args == backwards
        assert stored[5].args == {"id": str(customer.id)}
        assert stored[2].code == "validation_error"


def test_a_rejected_change_answers_the_same_when_resent(client, mgr, in_app):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    bad = mutation(1, "log_visit", visit_args(customer, purpose="fishing"))
    first = pushed(client, device, bad)
    assert first["results"][0]["status"] == "rejected"
    assert pushed(client, device, bad) == first


# --- protocol errors: the outbox stays intact -----------------------------------


def _nothing_applied(in_app, customer, device) -> bool:
    return (
        count(in_app, Visit, Visit.customer_id == customer.id) == 0
        and count(in_app, SyncMutation, SyncMutation.device_id == device) == 0
    )


def test_an_unsupported_schema_version_is_426(client, mgr, in_app):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    response = push(
        client, device, mutation(1, "log_visit", visit_args(customer)), schema_version=1
    )
    assert response.status_code == 426
    assert response.json["error"]["code"] == "upgrade_required"
    assert _nothing_applied(in_app, customer, device)


def test_another_users_device_is_403_device_mismatch(client, auth, mgr, in_app):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    pushed(client, device, mutation(1, "log_visit", visit_args(customer)))
    auth.login(mgr["mgr_a2"].username)
    response = push(client, device, mutation(2, "log_visit", visit_args(mgr["cust_a2"])))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "device_mismatch"
    assert count(in_app, Visit, Visit.customer_id == mgr["cust_a2"].id) == 0
    assert load(in_app, SyncDevice, device).last_seq == 1


def test_push_without_a_session_is_401_and_applies_nothing(client, team_setup, in_app):
    customer, device = team_setup["cust_a1"], uuid.uuid4()
    response = push(client, device, mutation(1, "log_visit", visit_args(customer)))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert _nothing_applied(in_app, customer, device)
    assert load(in_app, SyncDevice, device) is None


# --- client time ----------------------------------------------------------------


def _received(in_app, complaint_id) -> tuple[datetime, datetime, str | None]:
    complaint = load(in_app, Complaint, complaint_id)
    return complaint.received_at, complaint.deadline_at, complaint.time_flag


def test_a_complaint_logged_offline_gets_its_deadline_from_when_it_was_heard(client, mgr, in_app):
    customer = mgr["cust_a1"]  # gold: 24 h, medium: x2 => 48 h to resolve
    heard = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    in_args = complaint_args(customer, received_at=heard.isoformat())
    by_clock = complaint_args(customer)
    pushed(
        client,
        uuid.uuid4(),
        mutation(1, "log_complaint", in_args),
        # Without received_at, the phone's clock at the time says when it was heard.
        mutation(2, "log_complaint", by_clock, client_time=heard.isoformat()),
    )
    for args in (in_args, by_clock):
        assert _received(in_app, args["id"]) == (heard, heard + timedelta(hours=48), None)


def test_a_time_in_the_future_is_clamped_and_flagged(client, mgr, in_app):
    before = utcnow()
    args = complaint_args(mgr["cust_a1"], received_at=(before + timedelta(hours=2)).isoformat())
    pushed(client, uuid.uuid4(), mutation(1, "log_complaint", args))
    received, deadline, flag = _received(in_app, args["id"])
    assert flag == "clamped"
    assert before <= received <= utcnow()
    assert deadline == received + timedelta(hours=48)


def test_a_time_twenty_days_old_is_kept_and_flagged_late(client, mgr, in_app):
    heard = (utcnow() - timedelta(days=20)).replace(microsecond=0)
    args = complaint_args(mgr["cust_a1"], received_at=heard.isoformat())
    visit = visit_args(mgr["cust_a1"], started_at=heard.isoformat())
    pushed(
        client, uuid.uuid4(), mutation(1, "log_complaint", args), mutation(2, "log_visit", visit)
    )
    assert _received(in_app, args["id"]) == (heard, heard + timedelta(hours=48), "late")
    logged = load(in_app, Visit, visit["id"])
    assert (logged.started_at, logged.time_flag) == (heard, "late")


# --- forged ids -----------------------------------------------------------------


def test_changes_to_another_managers_records_are_not_found_and_change_nothing(
    client, auth, team_setup, in_app
):
    auth.login(team_setup["mgr_b1"].username)
    theirs = client.post(
        "/api/v1/tasks", json={"title": "B's task", "customer_id": str(team_setup["cust_b1"].id)}
    ).json
    complaint = client.post(
        "/api/v1/complaints",
        json={k: v for k, v in complaint_args(team_setup["cust_b1"]).items() if k != "id"},
    ).json
    auth.login(team_setup["mgr_a1"].username)
    answer = pushed(
        client,
        uuid.uuid4(),
        mutation(
            1,
            "update_task",
            {"id": theirs["id"], "changes": {"title": "Mine now"}, "base": {"title": "B's task"}},
            base_version=1,
        ),
        mutation(2, "complete_task", {"id": theirs["id"]}),
        mutation(3, "transition_complaint", {"id": complaint["id"], "to": "in_progress"}),
        mutation(4, "add_complaint_note", {"id": complaint["id"], "note": "Seen"}),
        mutation(5, "log_visit", visit_args(team_setup["cust_b1"])),
    )
    assert [(r["status"], r["code"]) for r in answer["results"]] == [("rejected", "not_found")] * 5
    task = load(in_app, Task, theirs["id"])
    assert (task.title, task.status.value, task.version) == ("B's task", "open", 1)
    assert load(in_app, Complaint, complaint["id"]).status.value == "received"
    assert (
        count(in_app, ComplaintEvent, ComplaintEvent.complaint_id == uuid.UUID(complaint["id"]))
        == 1
    )
    assert count(in_app, Visit, Visit.customer_id == team_setup["cust_b1"].id) == 0


# --- the other mutations --------------------------------------------------------


def test_plans_warnings_and_visit_corrections_go_through_their_services(client, mgr, in_app):
    customer = mgr["cust_a1"]
    visit, plan_id, warning_id = visit_args(customer), uuid.uuid4(), uuid.uuid4()
    results = pushed(
        client,
        uuid.uuid4(),
        mutation(1, "log_visit", visit),
        mutation(2, "update_visit", {"id": visit["id"], "changes": {"outcome": "Signed up"}}),
        mutation(
            3,
            "create_plan",
            {
                "id": str(plan_id),
                "customer_id": str(customer.id),
                "purpose": "marketing",
                "channel": "visit",
                "due_from": "2030-05-01",
                "due_to": "2030-05-07",
            },
        ),
        mutation(
            4,
            "flag_warning",
            {
                "id": str(warning_id),
                "customer_id": str(customer.id),
                "reason": "competitor",
                "note": "Offered a cheaper fibre deal",
            },
        ),
    )["results"]
    assert [(r["status"], r["entity"]) for r in results] == [
        ("applied", "visits"),
        ("applied", "visits"),
        ("applied", "care_plans"),
        ("applied", "churn_warnings"),
    ]
    assert results[1]["record"]["outcome"] == "Signed up"
    assert count(in_app, VisitRevision, VisitRevision.visit_id == uuid.UUID(visit["id"])) == 1
    assert load(in_app, CarePlan, plan_id).title == "产品营销"
    warning = load(in_app, ChurnWarning, warning_id)
    assert (warning.status.value, warning.reasons[0]["code"]) == ("open", "competitor")
