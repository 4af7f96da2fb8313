"""Skipping a care plan with a reason, by the REST PATCH and by the sync push's
`update_plan`: one rule (plans/services.py `update_plan`), the same answers.

A skipped plan is a cancelled plan that says why: it leaves the agenda and counts
nowhere, as any cancelled plan.
"""

import uuid
from datetime import date

import pytest

from server.extensions import db
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from tests.test_sync_push import mutation, pushed

FUTURE = date(2099, 5, 1)


@pytest.fixture
def plan(in_app, team_setup) -> CarePlan:
    customer = team_setup["cust_a1"]
    with in_app():
        row = CarePlan(
            customer_id=customer.id,
            owner_id=customer.manager_id,
            purpose=Purpose.ROUTINE,
            channel=Channel.PHONE,
            title="Monthly call",
            due_from=FUTURE,
            due_to=FUTURE,
        )
        db.session.add(row)
        db.session.commit()
        return row


def stored(in_app, plan_id) -> tuple:
    with in_app():
        row = db.session.get_one(CarePlan, plan_id)
        return (row.status.value, row.skip_reason and row.skip_reason.value, row.skip_note)


def patch(client, plan_id, body):
    return client.patch(f"/api/v1/plans/{plan_id}", json=body)


def push_edit(client, plan_id, changes, base=None) -> dict:
    args = {"id": str(plan_id), "changes": changes, "base": base or {}}
    return pushed(client, uuid.uuid4(), mutation(1, "update_plan", args))["results"][0]


def test_a_skip_by_rest_cancels_the_plan_and_keeps_why(client, auth, team_setup, plan, in_app):
    auth.login(team_setup["mgr_a1"].username)

    response = patch(client, plan.id, {"skip_reason": "unreachable", "skip_note": " No answer x3 "})

    assert response.status_code == 200, response.json
    body = response.json
    assert (body["status"], body["skip_reason"], body["skip_note"]) == (
        "cancelled",
        "unreachable",
        "No answer x3",
    )
    assert stored(in_app, plan.id) == ("cancelled", "unreachable", "No answer x3")
    # It left the open plans, as a cancelled plan does.
    listed = client.get("/api/v1/plans", query_string={"status": "planned,missed"}).json
    assert str(plan.id) not in {p["id"] for p in listed["items"]}


def test_a_skip_by_sync_is_the_same(client, auth, team_setup, plan, in_app):
    auth.login(team_setup["mgr_a1"].username)

    result = push_edit(
        client,
        plan.id,
        {"status": "cancelled", "skip_reason": "declined", "skip_note": None},
        base={"status": "planned", "skip_reason": None, "skip_note": None},
    )

    assert result["status"] == "applied", result
    record = result["record"]
    assert (record["status"], record["skip_reason"], record["skip_note"]) == (
        "cancelled",
        "declined",
        None,
    )
    assert stored(in_app, plan.id) == ("cancelled", "declined", None)


BAD = [
    ({"skip_reason": "bored"}, "skip_reason"),
    ({"skip_reason": None}, "skip_reason"),
    ({"skip_reason": "other"}, "skip_note"),
    ({"skip_reason": "other", "skip_note": "   "}, "skip_note"),
    ({"skip_note": "just a note"}, "skip_note"),
    ({"skip_reason": "duplicate", "skip_note": "x" * 501}, "skip_note"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_a_bad_skip_by_rest_is_422_naming_the_field(
    client, auth, team_setup, plan, in_app, body, field
):
    auth.login(team_setup["mgr_a1"].username)

    response = patch(client, plan.id, body)

    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == [field]
    assert stored(in_app, plan.id) == ("planned", None, None)


@pytest.mark.parametrize(("body", "field"), BAD)
def test_a_bad_skip_by_sync_is_rejected_naming_the_field(
    client, auth, team_setup, plan, in_app, body, field
):
    auth.login(team_setup["mgr_a1"].username)

    result = push_edit(client, plan.id, body)

    assert (result["status"], result["code"], result["http_status"]) == (
        "rejected",
        "validation_error",
        422,
    )
    assert list(result["fields"]) == [field]
    assert stored(in_app, plan.id) == ("planned", None, None)


def test_other_with_a_note_is_accepted(client, auth, team_setup, plan, in_app):
    auth.login(team_setup["mgr_a1"].username)
    response = patch(client, plan.id, {"skip_reason": "other", "skip_note": "Moved to Shanghai"})
    assert response.status_code == 200, response.json
    assert stored(in_app, plan.id) == ("cancelled", "other", "Moved to Shanghai")


def test_a_done_plan_cannot_be_skipped_and_a_skip_sent_twice_changes_nothing(
    client, auth, team_setup, plan, in_app
):
    auth.login(team_setup["mgr_a1"].username)
    assert patch(client, plan.id, {"skip_reason": "duplicate"}).status_code == 200
    again = patch(client, plan.id, {"skip_reason": "duplicate"})
    assert (again.status_code, again.json["version"]) == (200, 2)
    # A different reason on a plan already dropped is an edit of history.
    assert patch(client, plan.id, {"skip_reason": "declined"}).status_code == 409

    with in_app():
        row = db.session.get_one(CarePlan, plan.id)
        row.status, row.skip_reason = PlanStatus.DONE, None
        db.session.commit()
    response = patch(client, plan.id, {"skip_reason": "unreachable"})
    assert (response.status_code, response.json["error"]["code"]) == (409, "plan_closed")
