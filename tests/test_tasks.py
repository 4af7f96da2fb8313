"""Follow-up tasks: ownership, who sees what, completion, concurrency, bad input."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.auth.models import User
from server.complaints.models import Complaint, ComplaintCategory, IntakeChannel, Severity
from server.extensions import db
from server.tasks.models import Task, TaskStatus
from server.tasks.services import create_task, update_task
from server.timeutil import local_today

API = "/api/v1/tasks"


def count(in_app) -> int:
    with in_app():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Task))


def load(in_app, task_id) -> Task:
    with in_app():
        return db.session.get(Task, task_id)


def today(in_app) -> date:
    with in_app():
        return local_today()


@pytest.fixture
def make_task(in_app):
    def factory(user, **fields) -> uuid.UUID:
        with in_app():
            actor = db.session.get(User, user.id)
            # Made on its due day at the latest: a due date in the past is refused.
            task = create_task(
                actor, **{"title": "Call back", **fields}, today=fields.get("due_date")
            )
            db.session.commit()
            return task.id

    return factory


@pytest.fixture
def task_a1(make_task, team_setup):
    """mgr_a1's task about their customer cust_a1."""
    return make_task(team_setup["mgr_a1"], customer_id=team_setup["cust_a1"].id)


# --- creating -------------------------------------------------------------------


def test_a_manager_creates_a_task_for_themself(client, auth, in_app, team_setup):
    mgr, customer = team_setup["mgr_a1"], team_setup["cust_a1"]
    auth.login(mgr.username)
    response = client.post(
        API,
        json={
            "title": "  Bring the FTTR contract  ",
            "customer_id": str(customer.id),
            "due_date": "2030-12-01",
            "notes": "Two copies.",
        },
    )
    assert response.status_code == 201, response.json
    got = response.json
    assert (got["title"], got["due_date"], got["status"], got["notes"]) == (
        "Bring the FTTR contract",
        "2030-12-01",
        "open",
        "Two copies.",
    )
    assert (got["owner_id"], got["created_by_id"]) == (str(mgr.id), str(mgr.id))
    assert got["customer"] == {"id": str(customer.id), "name": customer.name}
    assert (got["completed_at"], got["version"]) == (None, 1)


def test_a_standalone_task_has_no_customer(client, auth, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(API, json={"title": "Renew my badge"})
    assert response.status_code == 201
    assert response.json["customer"] is None


def test_the_same_client_id_twice_makes_one_task(client, auth, in_app, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    data = {"id": str(uuid.uuid4()), "title": "Call back"}
    first = client.post(API, json=data)
    second = client.post(API, json={**data, "title": "Call back (retried)"})
    assert first.status_code == 201
    assert second.status_code in (200, 201)
    assert second.json == first.json
    assert count(in_app) == 1


def test_a_client_id_used_by_someone_else_is_409(client, auth, in_app, team_setup, task_a1):
    auth.login(team_setup["lead_a"].username)
    response = client.post(API, json={"id": str(task_a1), "title": "Mine now"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "id_taken"
    assert load(in_app, task_a1).title == "Call back"


@pytest.mark.parametrize(
    ("actor", "owner", "customer", "expected"),
    [
        ("mgr_a1", "mgr_a1", "cust_a1", 201),
        ("mgr_a1", "mgr_a2", None, 422),  # a manager hands work to nobody else
        ("lead_a", "mgr_a1", "cust_a1", 201),
        ("lead_a", "mgr_a2", None, 201),
        ("lead_a", "mgr_b1", None, 422),  # not the lead's team
        ("lead_a", "lead_b", None, 422),
        ("lead_a", "mgr_a1", "cust_a2", 422),  # mgr_a1 cannot see mgr_a2's customer
        ("lead_a", "mgr_a1", "unassigned", 422),
        ("admin", "mgr_b1", "cust_b1", 201),
        ("admin", "lead_b", None, 201),
        ("admin", "mgr_b1", "cust_a1", 422),
    ],
)
def test_who_may_give_a_task_to_whom(
    client, auth, in_app, team_setup, actor, owner, customer, expected
):
    auth.login(team_setup[actor].username)
    data = {"title": "Visit together", "owner_id": str(team_setup[owner].id)}
    if customer:
        data["customer_id"] = str(team_setup[customer].id)
    response = client.post(API, json=data)
    assert response.status_code == expected, response.json
    if expected == 201:
        assert response.json["owner_id"] == str(team_setup[owner].id)
        assert response.json["created_by_id"] == str(team_setup[actor].id)
    else:
        assert list(response.json["error"]["fields"]) == ["owner_id"]
        assert count(in_app) == 0


def test_an_unknown_owner_is_422(client, auth, in_app, team_setup):
    auth.login(team_setup["admin"].username)
    response = client.post(API, json={"title": "x", "owner_id": str(uuid.uuid4())})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["owner_id"]


@pytest.fixture
def complaint(in_app, team_setup):
    with in_app():
        category = db.session.scalar(
            sa.select(ComplaintCategory).where(ComplaintCategory.code == "broadband")
        )
        now = datetime.now(UTC)
        row = Complaint(
            customer_id=team_setup["cust_a1"].id,
            owner_id=team_setup["mgr_a1"].id,
            category_id=category.id,
            severity=Severity.HIGH,
            intake_channel=IntakeChannel.IN_PERSON,
            description="Broadband drops every evening.",
            received_at=now,
            deadline_at=now + timedelta(hours=24),
            logged_by_id=team_setup["mgr_a1"].id,
        )
        db.session.add(row)
        db.session.commit()
        return row


def test_a_task_from_a_complaint_concerns_its_customer(client, auth, team_setup, complaint):
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(
        API, json={"title": "Check the line", "source_complaint_id": str(complaint.id)}
    )
    assert response.status_code == 201, response.json
    assert response.json["customer"]["id"] == str(team_setup["cust_a1"].id)
    assert response.json["source_complaint_id"] == str(complaint.id)


@pytest.mark.parametrize(
    ("actor", "customer"),
    [("mgr_a1", "cust_a1_2"), ("mgr_a2", None)],
    ids=["another customer", "complaint out of sight"],
)
def test_a_complaint_of_another_customer_or_out_of_sight_is_422(
    client, auth, in_app, team_setup, complaint, actor, customer
):
    auth.login(team_setup[actor].username)
    data = {"title": "Check the line", "source_complaint_id": str(complaint.id)}
    if customer:
        data["customer_id"] = str(team_setup[customer].id)
    response = client.post(API, json=data)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["source_complaint_id"]
    assert count(in_app) == 0


# --- permissions ----------------------------------------------------------------

ACTORS = ["mgr_a1", "mgr_a2", "lead_a", "lead_b", "admin"]
ACTOR_IDS = ["owner", "other manager", "lead of team", "lead of other team", "admin"]
SEES = [200, 404, 200, 404, 200]


@pytest.mark.parametrize(
    ("actor", "expected"),
    list(zip(ACTORS, [201, 404, 201, 404, 201], strict=True)),
    ids=ACTOR_IDS,
)
def test_who_may_create_a_task_about_a_customer(client, auth, in_app, team_setup, actor, expected):
    auth.login(team_setup[actor].username)
    response = client.post(
        API, json={"title": "Call back", "customer_id": str(team_setup["cust_a1"].id)}
    )
    assert response.status_code == expected
    assert count(in_app) == (1 if expected == 201 else 0)


@pytest.mark.parametrize(("actor", "expected"), list(zip(ACTORS, SEES, strict=True)), ids=ACTOR_IDS)
def test_who_may_read_a_task(client, auth, team_setup, task_a1, actor, expected):
    auth.login(team_setup[actor].username)
    assert client.get(f"{API}/{task_a1}").status_code == expected
    assert client.get(API).json["total"] == (1 if expected == 200 else 0)


@pytest.mark.parametrize(("actor", "expected"), list(zip(ACTORS, SEES, strict=True)), ids=ACTOR_IDS)
def test_who_may_edit_a_task(client, auth, in_app, team_setup, task_a1, actor, expected):
    auth.login(team_setup[actor].username)
    response = client.patch(f"{API}/{task_a1}", json={"title": "Call back on Monday"})
    assert response.status_code == expected
    title = load(in_app, task_a1).title
    assert title == ("Call back on Monday" if expected == 200 else "Call back")


@pytest.mark.parametrize(("actor", "expected"), list(zip(ACTORS, SEES, strict=True)), ids=ACTOR_IDS)
def test_who_may_complete_a_task(client, auth, in_app, team_setup, task_a1, actor, expected):
    auth.login(team_setup[actor].username)
    response = client.post(f"{API}/{task_a1}/complete")
    assert response.status_code == expected
    status = load(in_app, task_a1).status
    assert status == (TaskStatus.DONE if expected == 200 else TaskStatus.OPEN)


# --- completing and editing -----------------------------------------------------


def test_done_stamps_completed_at_and_reopening_clears_it(
    client, auth, in_app, team_setup, task_a1
):
    auth.login(team_setup["mgr_a1"].username)
    before = datetime.now(UTC)
    done = client.post(f"{API}/{task_a1}/complete")
    assert done.status_code == 200
    completed_at = datetime.fromisoformat(done.json["completed_at"])
    assert before <= completed_at <= datetime.now(UTC)
    assert (done.json["status"], done.json["version"]) == ("done", 2)
    # Completing again changes nothing, not even the stamp.
    again = client.post(f"{API}/{task_a1}/complete")
    assert (again.json["completed_at"], again.json["version"]) == (done.json["completed_at"], 2)
    reopened = client.patch(f"{API}/{task_a1}", json={"status": "open"})
    assert (reopened.json["status"], reopened.json["completed_at"]) == ("open", None)
    cancelled = client.patch(f"{API}/{task_a1}", json={"status": "cancelled"})
    assert (cancelled.json["status"], cancelled.json["completed_at"]) == ("cancelled", None)


def test_a_stale_version_is_409_with_the_current_task_and_changes_nothing(
    client, auth, in_app, team_setup, task_a1
):
    auth.login(team_setup["mgr_a1"].username)
    first = client.patch(f"{API}/{task_a1}", json={"title": "Call on Monday", "version": 1})
    assert (first.status_code, first.json["version"]) == (200, 2)
    stale = client.patch(f"{API}/{task_a1}", json={"title": "Call on Tuesday", "version": 1})
    assert stale.status_code == 409
    assert stale.json["error"]["code"] == "version_conflict"
    current = stale.json["error"]["current"]
    assert (current["title"], current["version"]) == ("Call on Monday", 2)
    row = load(in_app, task_a1)
    assert (row.title, row.version) == ("Call on Monday", 2)
    fresh = client.patch(f"{API}/{task_a1}", json={"title": "Call on Tuesday", "version": 2})
    assert (fresh.status_code, fresh.json["version"]) == (200, 3)


def test_the_service_takes_a_base_version(in_app, team_setup, task_a1):
    from server.errors import ApiError

    with in_app():
        actor = db.session.get(User, team_setup["mgr_a1"].id)
        task = db.session.get(Task, task_a1)
        with pytest.raises(ApiError) as err:
            update_task(actor, task, {"status": TaskStatus.DONE, "version": 7})
        assert (err.value.status, err.value.code, task.status) == (
            409,
            "version_conflict",
            TaskStatus.OPEN,
        )


# --- listing --------------------------------------------------------------------


def test_each_role_lists_the_tasks_it_may_see(client, auth, team_setup, make_task):
    mine = make_task(team_setup["mgr_a1"])
    colleague = make_task(team_setup["mgr_a2"])
    leads = make_task(team_setup["lead_a"])
    other_team = make_task(team_setup["mgr_b1"])
    expected = {
        "mgr_a1": {mine},
        "mgr_a2": {colleague},
        "lead_a": {mine, colleague, leads},
        "lead_b": {other_team},
        "admin": {mine, colleague, leads, other_team},
    }
    for actor, ids in expected.items():
        auth.login(team_setup[actor].username)
        items = client.get(API).json["items"]
        assert {uuid.UUID(i["id"]) for i in items} == ids, actor


def test_tasks_are_listed_soonest_due_first_undated_last_and_filtered(
    client, auth, in_app, team_setup, make_task
):
    mgr = team_setup["mgr_a1"]
    t = today(in_app)
    undated = make_task(mgr, title="undated")
    tomorrow = make_task(mgr, title="tomorrow", due_date=t + timedelta(days=1))
    late = make_task(
        mgr, title="late", due_date=t - timedelta(days=1), customer_id=team_setup["cust_a1"].id
    )
    done_late = make_task(mgr, title="done late", due_date=t - timedelta(days=2))
    due_today = make_task(mgr, title="today", due_date=t)
    auth.login(mgr.username)
    client.post(f"{API}/{done_late}/complete")

    def titles(**query):
        response = client.get(API, query_string=query)
        assert response.status_code == 200, response.json
        return [item["title"] for item in response.json["items"]]

    assert titles() == ["done late", "late", "today", "tomorrow", "undated"]
    # Open and due before today: only "late". "today" is not overdue yet.
    assert titles(overdue="true") == ["late"]
    assert titles(overdue="false") == ["done late", "today", "tomorrow", "undated"]
    assert titles(status="done") == ["done late"]
    assert titles(status="open,cancelled") == ["late", "today", "tomorrow", "undated"]
    assert titles(customer_id=str(team_setup["cust_a1"].id)) == ["late"]
    assert titles(due_before=(t + timedelta(days=1)).isoformat()) == ["done late", "late", "today"]
    by_id = {i["id"]: i["overdue"] for i in client.get(API).json["items"]}
    assert by_id == {
        str(undated): False,
        str(tomorrow): False,
        str(late): True,
        str(done_late): False,
        str(due_today): False,
    }


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"title": 7}, "title"),
        ({"title": "x", "notes": "n" * 4001}, "notes"),
        ({"title": "x", "due_date": "tomorrow"}, "due_date"),
        ({"title": "x", "owner_id": "me"}, "owner_id"),
        ({"title": "x", "customer_id": 12}, "customer_id"),
        ({"title": "x", "status": "done"}, "status"),  # a new task is open
        ({"title": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_creates_nothing(
    client, auth, in_app, team_setup, data, field
):
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(API, json=data)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert count(in_app) == 0


def test_an_unknown_customer_is_404(client, auth, in_app, team_setup):
    auth.login(team_setup["admin"].username)
    response = client.post(API, json={"title": "x", "customer_id": str(uuid.uuid4())})
    assert response.status_code == 404
    assert count(in_app) == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"status": None}, "status"),
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"due_date": 20261201}, "due_date"),
        ({"version": "2"}, "version"),
        ({"version": 0}, "version"),
        ({"owner_id": None}, "owner_id"),
    ],
)
def test_bad_edits_are_422_and_change_nothing(
    client, auth, in_app, team_setup, task_a1, data, field
):
    auth.login(team_setup["mgr_a1"].username)
    response = client.patch(f"{API}/{task_a1}", json={"notes": "changed", **data})
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    row = load(in_app, task_a1)
    assert (row.notes, row.status, row.version) == (None, TaskStatus.OPEN, 1)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_malformed_json_is_400_and_changes_nothing(
    client, auth, in_app, team_setup, task_a1, method
):
    auth.login(team_setup["mgr_a1"].username)
    path = API if method == "POST" else f"{API}/{task_a1}"
    response = client.open(
        path, method=method, data='{"title": "x",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "json" in response.json["error"]["fields"]
    assert count(in_app) == 1
    assert load(in_app, task_a1).title == "Call back"


@pytest.mark.parametrize(
    "query", [{"overdue": "maybe"}, {"due_before": "soon"}, {"status": "late"}, {"mine": "1"}]
)
def test_bad_list_filters_are_422(client, auth, team_setup, query):
    auth.login(team_setup["mgr_a1"].username)
    response = client.get(API, query_string=query)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == list(query)


def test_a_due_date_in_the_past_is_422_by_rest_and_by_sync(client, auth, in_app, team_setup):
    from tests.test_sync_push import mutation, pushed

    mgr, customer = team_setup["mgr_a1"], team_setup["cust_a1"]
    auth.login(mgr.username)
    yesterday = (today(in_app) - timedelta(days=1)).isoformat()
    body = {"title": "Call back", "customer_id": str(customer.id), "due_date": yesterday}

    response = client.post(API, json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"due_date": ["Must not be in the past."]}

    args = {**body, "id": str(uuid.uuid4())}
    result = pushed(client, uuid.uuid4(), mutation(1, "create_task", args))["results"][0]
    assert (result["status"], result["fields"]) == (
        "rejected",
        {"due_date": ["Must not be in the past."]},
    )
    assert client.get(API).json["items"] == []

    # Made offline on the day it was due, pushed days later: accepted.
    made_then = mutation(
        1,
        "create_task",
        {**args, "id": str(uuid.uuid4())},
        client_time=f"{yesterday}T02:00:00+00:00",
    )
    late = pushed(client, uuid.uuid4(), made_then)["results"][0]
    assert (late["status"], late["record"]["due_date"]) == ("applied", yesterday)
