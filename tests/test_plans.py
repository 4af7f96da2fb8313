"""The care plans API: who may see and change which plans, input checks, the rules of edits.

Dates are far in the past (2020) or future (2099) so that "overdue" does not depend
on the day the suite runs.
"""

import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.plans import services as plan_services
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from tests.conftest import routine_due_id
from tests.statements import commits, crashing_on_call

PAST = date(2020, 5, 1)
FUTURE = date(2099, 5, 1)


@pytest.fixture
def add_plan(in_app):
    def add(customer, **fields) -> CarePlan:
        with in_app():
            plan = CarePlan(
                customer_id=customer.id,
                owner_id=customer.manager_id,
                purpose=fields.pop("purpose", Purpose.ROUTINE),
                channel=fields.pop("channel", Channel.PHONE),
                title=fields.pop("title", "plan"),
                due_from=fields.pop("due_from", FUTURE),
                due_to=fields.pop("due_to", FUTURE),
                **fields,
            )
            db.session.add(plan)
            db.session.commit()
            return plan

    return add


@pytest.fixture
def plan_count(in_app):
    def count() -> int:
        with in_app():
            return db.session.scalar(sa.select(sa.func.count()).select_from(CarePlan))

    return count


def new_plan(customer, **overrides) -> dict:
    body = {
        "customer_id": str(customer.id),
        "purpose": "marketing",
        "channel": "visit",
        "due_from": "2099-05-01",
        "due_to": "2099-05-07",
    }
    body.update(overrides)
    return body


# --- creating -----------------------------------------------------------------------


def test_manager_plans_a_contact_with_own_customer(client, auth, team_setup):
    rows = team_setup
    auth.login(rows["mgr_a1"].username)

    response = client.post(
        "/api/v1/plans", json=new_plan(rows["cust_a1"], purpose="birthday", notes="带蛋糕")
    )

    assert response.status_code == 201
    plan = response.json
    assert plan["customer"]["id"] == str(rows["cust_a1"].id)
    assert plan["customer"]["tier"]["code"] == "gold"
    assert plan["owner_id"] == str(rows["mgr_a1"].id)
    assert plan["created_by_id"] == str(rows["mgr_a1"].id)
    # No title given: the purpose's name.
    assert plan["title"] == "生日关怀"
    assert (plan["purpose"], plan["channel"], plan["status"]) == ("birthday", "visit", "planned")
    assert (plan["due_from"], plan["due_to"]) == ("2099-05-01", "2099-05-07")
    assert plan["notes"] == "带蛋糕"
    assert plan["generation_key"] is None
    assert plan["overdue"] is False

    fetched = client.get(f"/api/v1/plans/{plan['id']}")
    assert fetched.status_code == 200
    assert fetched.json["title"] == "生日关怀"


@pytest.mark.parametrize(
    ("actor", "customer", "status"),
    [
        ("mgr_a1", "cust_a1", 201),
        ("mgr_a1", "cust_a2", 404),  # a colleague's customer
        ("mgr_a1", "cust_b1", 404),
        ("mgr_a1", "unassigned", 404),
        ("lead_a", "cust_a2", 201),
        ("lead_a", "unassigned", 201),
        ("lead_a", "cust_b1", 404),
        ("admin", "cust_b2", 201),
    ],
)
def test_who_may_plan_for_whom(client, auth, team_setup, plan_count, actor, customer, status):
    rows = team_setup
    auth.login(rows[actor].username)

    response = client.post("/api/v1/plans", json=new_plan(rows[customer], title="回访"))

    assert response.status_code == status
    if status == 404:
        assert response.json["error"]["code"] == "not_found"
        assert plan_count() == 0
    else:
        # The plan is the customer's manager's work, whoever wrote it down; a plan
        # for the unassigned pool stays with the lead who made it.
        manager = rows[customer].manager_id or rows[actor].id
        assert response.json["owner_id"] == str(manager)
        assert plan_count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_from": "2099-05-08", "due_to": "2099-05-07"}, "due_to"),
        ({"purpose": "gossip"}, "purpose"),
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"due_to": "2099-02-30"}, "due_to"),
        ({"title": "x" * 121}, "title"),
        ({"customer_id": "not-a-uuid"}, "customer_id"),
        ({"version": 3}, "version"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, auth, team_setup, plan_count, body, field):
    auth.login(team_setup["mgr_a1"].username)

    response = client.post("/api/v1/plans", json=new_plan(team_setup["cust_a1"], **body))

    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert plan_count() == 0


def test_missing_fields_are_named(client, auth, team_setup):
    auth.login(team_setup["mgr_a1"].username)

    response = client.post("/api/v1/plans", json={})

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {
        "customer_id",
        "purpose",
        "channel",
        "due_from",
        "due_to",
    }


def test_unknown_customer_is_404(client, auth, team_setup, plan_count):
    auth.login(team_setup["admin"].username)

    response = client.post(
        "/api/v1/plans", json=new_plan(team_setup["cust_a1"]) | {"customer_id": str(uuid.uuid4())}
    )

    assert response.status_code == 404
    assert response.json["error"]["message"] == "Customer not found."
    assert plan_count() == 0


def test_create_with_a_client_id_twice_makes_one_plan(client, auth, team_setup, plan_count):
    auth.login(team_setup["mgr_a1"].username)
    body = new_plan(team_setup["cust_a1"], id=str(uuid.uuid4()))

    first = client.post("/api/v1/plans", json=body)
    again = client.post("/api/v1/plans", json=body | {"title": "changed on the phone"})

    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] == body["id"]
    assert again.json["title"] == first.json["title"] == "产品营销"
    assert plan_count() == 1


def test_a_client_id_taken_by_another_plan_is_409(client, auth, team_setup, add_plan):
    taken = add_plan(team_setup["cust_a2"])
    auth.login(team_setup["mgr_a1"].username)

    response = client.post("/api/v1/plans", json=new_plan(team_setup["cust_a1"], id=str(taken.id)))

    assert response.status_code == 409


def test_signed_out_is_401(client, team_setup):
    assert client.get("/api/v1/plans").status_code == 401
    assert client.post("/api/v1/plans", json=new_plan(team_setup["cust_a1"])).status_code == 401


# --- reading ------------------------------------------------------------------------


def test_everyone_sees_the_plans_of_the_customers_they_see(client, auth, team_setup, add_plan):
    rows = team_setup
    plans = {name: add_plan(rows[name]) for name in ("cust_a1", "cust_a2", "cust_b1", "unassigned")}

    def listed(actor):
        auth.login(rows[actor].username)
        response = client.get("/api/v1/plans")
        assert response.status_code == 200
        assert response.json["total"] == len(response.json["items"])
        return {item["id"] for item in response.json["items"]}

    ids = {name: str(plan.id) for name, plan in plans.items()}
    assert listed("mgr_a1") == {ids["cust_a1"]}
    assert listed("lead_a") == {ids["cust_a1"], ids["cust_a2"], ids["unassigned"]}
    assert listed("lead_b") == {ids["cust_b1"], ids["unassigned"]}
    assert listed("admin") == set(ids.values())


@pytest.mark.parametrize(
    ("actor", "status"),
    [("mgr_a1", 200), ("mgr_a2", 404), ("lead_a", 200), ("lead_b", 404), ("admin", 200)],
)
def test_one_plan_is_visible_with_its_customer(client, auth, team_setup, add_plan, actor, status):
    plan = add_plan(team_setup["cust_a1"])
    auth.login(team_setup[actor].username)

    assert client.get(f"/api/v1/plans/{plan.id}").status_code == status
    patched = client.patch(f"/api/v1/plans/{plan.id}", json={"notes": "n"})
    assert patched.status_code == status
    assert client.post(f"/api/v1/plans/{plan.id}/cancel").status_code == status


def test_plans_follow_the_customer_to_the_new_manager(client, auth, team_setup, add_plan, in_app):
    rows = team_setup
    plan = add_plan(rows["cust_a1"])
    with in_app():
        from server.customers.models import Customer
        from server.customers.services import assign

        customer = db.session.get(Customer, rows["cust_a1"].id)
        # The plans move by themselves (events.customer_reassigned).
        assign(customer, rows["mgr_a2"], reason="rebalance", actor=rows["lead_a"])
        db.session.commit()

    auth.login(rows["mgr_a1"].username)
    assert client.get(f"/api/v1/plans/{plan.id}").status_code == 404
    auth.login(rows["mgr_a2"].username)
    response = client.get(f"/api/v1/plans/{plan.id}")
    assert response.status_code == 200
    assert response.json["owner_id"] == str(rows["mgr_a2"].id)


def test_list_order_and_filters(client, auth, team_setup, add_plan):
    rows = team_setup
    a1, a1_2 = rows["cust_a1"], rows["cust_a1_2"]
    # Same due date: the complaint follow-up outranks the birthday, which outranks routine.
    routine = add_plan(a1, purpose=Purpose.ROUTINE, due_to=date(2099, 5, 3))
    birthday = add_plan(a1_2, purpose=Purpose.BIRTHDAY, due_to=date(2099, 5, 3))
    complaint = add_plan(a1, purpose=Purpose.COMPLAINT_FOLLOWUP, due_to=date(2099, 5, 3))
    later = add_plan(a1, purpose=Purpose.COMPLAINT_FOLLOWUP, due_to=date(2099, 6, 1))
    overdue = add_plan(a1_2, purpose=Purpose.MARKETING, due_from=PAST, due_to=PAST)
    missed = add_plan(
        a1,
        purpose=Purpose.ROUTINE,
        due_from=PAST,
        due_to=date(2020, 5, 2),
        status=PlanStatus.MISSED,
    )
    done = add_plan(
        a1,
        purpose=Purpose.ROUTINE,
        due_from=PAST,
        due_to=date(2020, 5, 3),
        status=PlanStatus.DONE,
        completed_at=datetime(2020, 5, 1, 2, tzinfo=UTC),
    )
    auth.login(rows["mgr_a1"].username)

    def ids(query=""):
        response = client.get(f"/api/v1/plans{query}")
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    def expect(*plans):
        return [str(p.id) for p in plans]

    assert ids() == expect(overdue, missed, done, complaint, birthday, routine, later)
    assert ids("?overdue=true") == expect(overdue, missed)
    assert ids("?overdue=false") == expect(done, complaint, birthday, routine, later)
    assert ids("?status=planned") == expect(overdue, complaint, birthday, routine, later)
    assert ids("?status=missed,done") == expect(missed, done)
    assert ids("?purpose=routine&purpose=birthday") == expect(missed, done, birthday, routine)
    assert ids(f"?customer_id={a1_2.id}") == expect(overdue, birthday)
    assert ids("?due_after=2099-05-03&due_before=2099-05-31") == expect(
        complaint, birthday, routine
    )
    assert ids(f"?owner_id={rows['mgr_a1'].id}") == ids()
    assert ids(f"?owner_id={rows['mgr_a2'].id}") == []
    page = client.get("/api/v1/plans?per_page=2&page=2").json
    assert (page["total"], page["pages"], page["page"]) == (7, 4, 2)
    assert [item["id"] for item in page["items"]] == expect(done, complaint)

    listed = {item["id"]: item["overdue"] for item in client.get("/api/v1/plans").json["items"]}
    assert listed[str(overdue.id)] is True
    assert listed[str(done.id)] is False


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=late", "status"),
        ("?purpose=gossip", "purpose"),
        ("?due_before=tomorrow", "due_before"),
        ("?overdue=perhaps", "overdue"),
        ("?per_page=1000", "per_page"),
        ("?statuss=planned", "statuss"),
    ],
)
def test_bad_list_filters_are_422(client, auth, team_setup, query, field):
    auth.login(team_setup["mgr_a1"].username)

    response = client.get(f"/api/v1/plans{query}")

    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


# --- editing ------------------------------------------------------------------------


def test_reschedule_and_change_channel(client, auth, team_setup, add_plan):
    plan = add_plan(team_setup["cust_a1"], due_from=FUTURE, due_to=date(2099, 5, 7))
    auth.login(team_setup["mgr_a1"].username)

    response = client.patch(
        f"/api/v1/plans/{plan.id}",
        json={"due_from": "2099-06-01", "due_to": "2099-06-03", "channel": "phone", "version": 1},
    )

    assert response.status_code == 200
    body = response.json
    assert (body["due_from"], body["due_to"], body["channel"]) == (
        "2099-06-01",
        "2099-06-03",
        "phone",
    )
    assert body["version"] == 2


def test_reschedule_start_past_the_end_is_422_and_changes_nothing(
    client, auth, team_setup, add_plan
):
    plan = add_plan(team_setup["cust_a1"], due_from=FUTURE, due_to=date(2099, 5, 7))
    auth.login(team_setup["mgr_a1"].username)

    # Only due_from sent: checked against the stored due_to.
    response = client.patch(f"/api/v1/plans/{plan.id}", json={"due_from": "2099-05-08"})

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["due_to"]
    after = client.get(f"/api/v1/plans/{plan.id}").json
    assert (after["due_from"], after["version"]) == ("2099-05-01", 1)


def test_rescheduling_a_missed_plan_opens_it_again(client, auth, team_setup, add_plan):
    plan = add_plan(team_setup["cust_a1"], due_from=PAST, due_to=PAST, status=PlanStatus.MISSED)
    auth.login(team_setup["mgr_a1"].username)

    response = client.patch(f"/api/v1/plans/{plan.id}", json={"due_to": "2099-01-01"})

    assert response.status_code == 200
    assert (response.json["status"], response.json["overdue"]) == ("planned", False)


def test_a_done_plan_takes_only_notes(client, auth, team_setup, add_plan):
    plan = add_plan(
        team_setup["cust_a1"],
        status=PlanStatus.DONE,
        completed_at=datetime(2099, 5, 2, 2, tzinfo=UTC),
    )
    auth.login(team_setup["mgr_a1"].username)

    for change in ({"due_to": "2099-05-09"}, {"title": "new"}, {"status": "cancelled"}):
        response = client.patch(f"/api/v1/plans/{plan.id}", json=change | {"notes": "x"})
        assert response.status_code == 409
        assert (
            response.json["error"]["message"] == "This plan is done; only its notes can be changed."
        )
    assert client.post(f"/api/v1/plans/{plan.id}/cancel").status_code == 409

    # The whole plan sent back with only the notes changed is fine.
    response = client.patch(
        f"/api/v1/plans/{plan.id}",
        json={"notes": "客户很满意", "due_to": "2099-05-01", "title": "plan", "channel": "phone"},
    )
    assert response.status_code == 200
    assert (response.json["notes"], response.json["status"]) == ("客户很满意", "done")
    assert response.json["version"] == 2


def test_status_done_cannot_be_patched(client, auth, team_setup, add_plan):
    plan = add_plan(team_setup["cust_a1"])
    auth.login(team_setup["mgr_a1"].username)

    response = client.patch(f"/api/v1/plans/{plan.id}", json={"status": "done"})

    assert response.status_code == 422
    assert "status" in response.json["error"]["fields"]
    assert client.get(f"/api/v1/plans/{plan.id}").json["status"] == "planned"


@pytest.mark.parametrize("how", ["patch", "post"])
def test_cancel(client, auth, team_setup, add_plan, how):
    plan = add_plan(team_setup["cust_a1"])
    auth.login(team_setup["lead_a"].username)

    if how == "patch":
        response = client.patch(f"/api/v1/plans/{plan.id}", json={"status": "cancelled"})
    else:
        response = client.post(f"/api/v1/plans/{plan.id}/cancel")

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    # Cancelling again changes nothing; rescheduling a cancelled plan is refused.
    again = client.post(f"/api/v1/plans/{plan.id}/cancel")
    assert (again.status_code, again.json["version"]) == (200, 2)
    assert (
        client.patch(f"/api/v1/plans/{plan.id}", json={"due_to": "2099-12-01"}).status_code == 409
    )


def test_stale_version_is_409(client, auth, team_setup, add_plan):
    plan = add_plan(team_setup["cust_a1"])
    auth.login(team_setup["mgr_a1"].username)
    assert client.patch(f"/api/v1/plans/{plan.id}", json={"notes": "first"}).status_code == 200

    response = client.patch(f"/api/v1/plans/{plan.id}", json={"notes": "second", "version": 1})

    assert response.status_code == 409
    assert response.json["error"]["code"] == "version_conflict"
    assert client.get(f"/api/v1/plans/{plan.id}").json["notes"] == "first"


def test_unknown_plan_is_404(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    assert client.get(f"/api/v1/plans/{uuid.uuid4()}").status_code == 404
    assert client.post(f"/api/v1/plans/{uuid.uuid4()}/cancel").status_code == 404


# --- the command --------------------------------------------------------------------


def test_generate_command(runner, make_user, make_customer, in_app):
    manager = make_user("manager")
    for _ in range(8):
        make_customer(manager=manager, id=routine_due_id(date(2027, 3, 1), 90))
    result = runner.invoke(args=["plans", "generate", "--date", "2027-03-01"])

    assert result.exit_code == 0, result.output
    # Eight gold customers, never contacted, whose first routine contact falls on
    # 2027-03-01: routine care for each, nothing else.
    assert result.output.splitlines() == [
        "Care plans as of 2027-03-01:",
        "  routine: 8",
        "  birthday: 0",
        "  holiday: 0",
        "  contract_expiry: 0",
        "  welcome: 0",
        "  introduction_check: 0",
        "  created: 8, marked missed: 0",
    ]
    again = runner.invoke(args=["plans", "generate", "--date", "2027-03-01", "--quiet"])
    assert (again.exit_code, again.output) == (0, "")
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CarePlan)) == 8


def missed_and_generated(session) -> tuple[int, int]:
    plans = session.execute(sa.select(CarePlan.status, CarePlan.generation_key)).all()
    missed = sum(status == PlanStatus.MISSED for status, _key in plans)
    return missed, sum(key is not None for _status, key in plans)


@pytest.fixture
def five_due_customers(make_user, make_customer, monkeypatch):
    """Five customers whose first routine contact is due on 2027-03-01, generated two a chunk."""
    monkeypatch.setattr(plan_services, "GENERATE_CHUNK", 2)
    manager = make_user("manager")
    return [
        make_customer(manager=manager, id=routine_due_id(date(2027, 3, 1), 90)) for _ in range(5)
    ]


def test_generate_command_commits_a_chunk_at_a_time(runner, five_due_customers, add_plan):
    # One long transaction would hold back every phone's pull (docs/sync.md).
    for customer in five_due_customers[:3]:
        add_plan(customer, due_from=PAST, due_to=PAST)  # lapsed: marked missed

    with commits(missed_and_generated) as seen:
        result = runner.invoke(args=["plans", "generate", "--date", "2027-03-01"])

    assert result.exit_code == 0, result.output
    assert "  created: 5, marked missed: 3" in result.output.splitlines()
    # Two lapsed plans, then the third; then two customers' routine plans at a time;
    # then the command's own commit, with nothing left to write.
    assert seen == [(2, 0), (3, 0), (3, 2), (3, 4), (3, 5), (3, 5)]


def test_generate_command_finishes_after_a_crash_midway(
    runner, five_due_customers, monkeypatch, in_app
):
    generate_for = plan_services._generate_for
    monkeypatch.setattr(plan_services, "_generate_for", crashing_on_call(generate_for, 3))
    crashed = runner.invoke(args=["plans", "generate", "--date", "2027-03-01"])
    assert crashed.exit_code == 1
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CarePlan)) == 4

    monkeypatch.setattr(plan_services, "_generate_for", generate_for)
    again = runner.invoke(args=["plans", "generate", "--date", "2027-03-01"])

    assert again.exit_code == 0, again.output
    assert "  created: 1, marked missed: 0" in again.output.splitlines()
    with in_app():
        owners = db.session.scalars(sa.select(CarePlan.customer_id)).all()
    assert sorted(owners) == sorted(c.id for c in five_due_customers)  # one plan each


def test_generate_command_rejects_a_bad_date(runner):
    result = runner.invoke(args=["plans", "generate", "--date", "2027-02-30"])
    assert result.exit_code == 2
