"""Visit logs: who may log, phone times, the location check, plans, follow-ups, history."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from server.auth.models import User
from server.customers.models import Customer
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.tasks.models import Task, TaskStatus
from server.timeutil import local_today
from server.visits.models import Visit, VisitRevision
from server.visits.services import create_visit, distance_m

API = "/api/v1/visits"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A customer's known location (People's Square, Shanghai). One degree of latitude
# is 6,371,000 m * pi / 180 = 111,195 m anywhere on the sphere.
HOME = (31.2300, 121.4700)


def _iso(value: datetime) -> str:
    return value.isoformat()


def body(customer, **fields) -> dict:
    data = {
        "customer_id": str(customer.id),
        "channel": "phone",
        "purpose": "routine",
        "started_at": _iso(utcnow() - timedelta(hours=1)),
    }
    data.update(fields)
    return data


def count(in_app, model) -> int:
    with in_app():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def load(in_app, model, id_):
    with in_app():
        return db.session.get(model, id_)


@pytest.fixture
def make_plan(in_app):
    def factory(
        customer,
        purpose=Purpose.BIRTHDAY,
        channel=Channel.PHONE,
        due_from=date(2026, 3, 1),
        due_to=date(2026, 3, 31),
        status=PlanStatus.PLANNED,
    ) -> CarePlan:
        with in_app():
            plan = CarePlan(
                customer_id=customer.id,
                owner_id=customer.manager_id,
                purpose=purpose,
                channel=channel,
                title=f"{purpose.value} {due_from}",
                due_from=due_from,
                due_to=due_to,
                status=status,
            )
            db.session.add(plan)
            db.session.commit()
            return plan

    return factory


def log_as(in_app, user, customer, **fields) -> uuid.UUID:
    """Log a visit through the service and commit; returns its id."""
    with in_app():
        actor = db.session.get(User, user.id)
        data = {
            "channel": Channel.VISIT,
            "purpose": Purpose.ROUTINE,
            "started_at": utcnow() - timedelta(hours=2),
        }
        data.update(fields)
        visit = create_visit(actor, db.session.get_one(Customer, customer.id), **data)
        db.session.commit()
        return visit.id


# --- logging --------------------------------------------------------------------


def test_a_manager_logs_a_call_with_everything_a_user_would_fill_in(
    client, auth, in_app, team_setup
):
    mgr, customer = team_setup["mgr_a1"], team_setup["cust_a1"]
    auth.login(mgr.username)
    started = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(hours=3)
    response = client.post(
        API,
        json=body(
            customer,
            started_at=_iso(started),
            ended_at=_iso(started + timedelta(minutes=25)),
            purpose="marketing",
            outcome="Will think about the family plan",
            notes="  Asked about 5G coverage at home.  ",
            products_discussed=["5G family plan", "FTTR broadband"],
            customer_response="positive",
        ),
    )
    assert response.status_code == 201, response.json
    got = response.json
    assert got["customer"] == {"id": str(customer.id), "name": customer.name}
    assert got["manager"] == {"id": str(mgr.id), "display_name": mgr.display_name}
    assert (got["channel"], got["purpose"]) == ("phone", "marketing")
    assert datetime.fromisoformat(got["started_at"]) == started
    assert datetime.fromisoformat(got["ended_at"]) == started + timedelta(minutes=25)
    assert got["time_flag"] is None
    assert got["location_status"] == "not_applicable"
    assert got["notes"] == "Asked about 5G coverage at home."
    assert got["products_discussed"] == ["5G family plan", "FTTR broadband"]
    assert got["customer_response"] == "positive"
    assert (got["revisions"], got["follow_up_tasks"]) == ([], [])
    row = load(in_app, Visit, uuid.UUID(got["id"]))
    assert (row.manager_id, row.customer_id) == (mgr.id, customer.id)


def test_an_unknown_customer_is_404_and_logs_nothing(client, auth, in_app, team_setup):
    auth.login(team_setup["admin"].username)
    response = client.post(API, json=body(team_setup["cust_a1"], customer_id=str(uuid.uuid4())))
    assert response.status_code == 404
    assert count(in_app, Visit) == 0


# --- phone times ----------------------------------------------------------------

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def _service_visit(in_app, team_setup, **fields):
    with in_app():
        actor = db.session.get(User, team_setup["mgr_a1"].id)
        visit = create_visit(
            actor,
            db.session.get_one(Customer, team_setup["cust_a1"].id),
            channel=Channel.PHONE,
            purpose=Purpose.ROUTINE,
            now=NOW,
            **fields,
        )
        return visit.started_at, visit.ended_at, visit.time_flag


def test_a_start_in_the_future_is_clamped_to_now_and_the_end_moves_with_it(in_app, team_setup):
    # The phone's clock runs 30 minutes ahead: 18:30 in Shanghai is 10:30 UTC.
    started, ended, flag = _service_visit(
        in_app,
        team_setup,
        started_at=datetime(2026, 3, 10, 18, 30, tzinfo=SHANGHAI),
        ended_at=datetime(2026, 3, 10, 19, 0, tzinfo=SHANGHAI),
    )
    assert started == NOW
    assert ended == datetime(2026, 3, 10, 10, 30, tzinfo=UTC)
    assert flag == "clamped"


@pytest.mark.parametrize(
    ("age", "flag"),
    [(timedelta(days=15), "late"), (timedelta(days=14), None), (timedelta(hours=1), None)],
    ids=["15 days: late", "14 days: on time", "1 hour: on time"],
)
def test_a_start_older_than_the_max_age_is_kept_and_flagged_late(in_app, team_setup, age, flag):
    started, ended, got_flag = _service_visit(in_app, team_setup, started_at=NOW - age)
    assert (started, ended, got_flag) == (NOW - age, None, flag)


def test_the_api_clamps_a_future_start_too(client, auth, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    before = utcnow()
    response = client.post(
        API,
        json=body(
            team_setup["cust_a1"],
            started_at=_iso(before + timedelta(hours=2)),
            ended_at=_iso(before + timedelta(hours=2, minutes=30)),
        ),
    )
    after = utcnow()
    assert response.status_code == 201, response.json
    started = datetime.fromisoformat(response.json["started_at"])
    ended = datetime.fromisoformat(response.json["ended_at"])
    assert before <= started <= after
    assert ended - started == timedelta(minutes=30)
    assert response.json["time_flag"] == "clamped"


def test_the_api_flags_a_visit_reported_20_days_later_as_late(client, auth, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    started = (utcnow() - timedelta(days=20)).replace(microsecond=0)
    response = client.post(API, json=body(team_setup["cust_a1"], started_at=_iso(started)))
    assert response.status_code == 201, response.json
    assert datetime.fromisoformat(response.json["started_at"]) == started
    assert response.json["time_flag"] == "late"


def test_an_end_before_the_start_is_422_naming_ended_at_and_logs_nothing(
    client, auth, in_app, team_setup
):
    auth.login(team_setup["mgr_a1"].username)
    started = utcnow() - timedelta(hours=1)
    response = client.post(
        API,
        json=body(
            team_setup["cust_a1"],
            started_at=_iso(started),
            ended_at=_iso(started - timedelta(minutes=1)),
            next_step="Call back",
        ),
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["ended_at"]
    assert (count(in_app, Visit), count(in_app, Task)) == (0, 0)


# --- plans ----------------------------------------------------------------------


def test_logging_a_visit_completes_its_plan_and_takes_the_plans_purpose(
    client, auth, in_app, team_setup, make_plan
):
    customer = team_setup["cust_a1"]
    plan = make_plan(customer, purpose=Purpose.BIRTHDAY)
    auth.login(team_setup["mgr_a1"].username)
    started = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    data = body(customer, plan_id=str(plan.id), started_at=_iso(started))
    del data["purpose"]
    response = client.post(API, json=data)
    assert response.status_code == 201, response.json
    assert (response.json["plan_id"], response.json["purpose"]) == (str(plan.id), "birthday")
    row = load(in_app, CarePlan, plan.id)
    assert (row.status, row.completed_at) == (PlanStatus.DONE, started)


def test_a_plan_of_another_customer_is_422_on_plan_id_and_changes_nothing(
    client, auth, in_app, team_setup, make_plan
):
    plan = make_plan(team_setup["cust_a1_2"])
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(API, json=body(team_setup["cust_a1"], plan_id=str(plan.id)))
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["plan_id"]
    assert count(in_app, Visit) == 0
    assert load(in_app, CarePlan, plan.id).status == PlanStatus.PLANNED


def test_a_plan_of_a_customer_out_of_sight_is_the_same_422(
    client, auth, in_app, team_setup, make_plan
):
    plan = make_plan(team_setup["cust_b1"])
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(API, json=body(team_setup["cust_a1"], plan_id=str(plan.id)))
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "plan_id": ["This customer has no plan with this id."]
    }


# 2026-03-10 09:00 in Shanghai.
MARCH_10 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def _status(in_app, plan) -> PlanStatus:
    return load(in_app, CarePlan, plan.id).status


def test_a_visit_without_a_plan_completes_the_open_plan_it_fulfils(
    client, auth, in_app, team_setup, make_plan
):
    """The rule: same customer and purpose, open (planned or missed), window opened by the
    day of the visit; of several, the first due."""
    customer = team_setup["cust_a1"]
    missed = make_plan(
        customer,
        Purpose.ROUTINE,
        due_from=date(2026, 2, 1),
        due_to=date(2026, 2, 7),
        status=PlanStatus.MISSED,
    )
    current = make_plan(
        customer, Purpose.ROUTINE, due_from=date(2026, 3, 9), due_to=date(2026, 3, 16)
    )
    not_yet = make_plan(
        customer, Purpose.ROUTINE, due_from=date(2026, 3, 11), due_to=date(2026, 3, 18)
    )
    birthday = make_plan(
        customer, Purpose.BIRTHDAY, due_from=date(2026, 3, 8), due_to=date(2026, 3, 11)
    )
    other_customer = make_plan(team_setup["cust_a1_2"], Purpose.ROUTINE, due_from=date(2026, 3, 1))
    with time_machine.travel(MARCH_10, tick=False):
        auth.login(team_setup["mgr_a1"].username)
        first = client.post(API, json=body(customer, started_at=_iso(MARCH_10)))
        second = client.post(API, json=body(customer, started_at=_iso(MARCH_10)))
        third = client.post(API, json=body(customer, started_at=_iso(MARCH_10)))
    # The late one first, then the one due this week; the one not open yet stays.
    assert first.json["plan_id"] == str(missed.id)
    assert second.json["plan_id"] == str(current.id)
    assert third.json["plan_id"] is None
    assert [_status(in_app, p) for p in (missed, current, not_yet)] == [
        PlanStatus.DONE,
        PlanStatus.DONE,
        PlanStatus.PLANNED,
    ]
    assert _status(in_app, birthday) == PlanStatus.PLANNED
    assert _status(in_app, other_customer) == PlanStatus.PLANNED
    assert load(in_app, CarePlan, current.id).completed_at == MARCH_10


def test_plan_id_null_says_the_visit_fulfils_no_plan(client, auth, in_app, team_setup, make_plan):
    customer = team_setup["cust_a1"]
    plan = make_plan(customer, Purpose.ROUTINE, due_from=date(2026, 3, 9), due_to=date(2026, 3, 16))
    with time_machine.travel(MARCH_10, tick=False):
        auth.login(team_setup["mgr_a1"].username)
        response = client.post(API, json=body(customer, plan_id=None, started_at=_iso(MARCH_10)))
    assert (response.status_code, response.json["plan_id"]) == (201, None)
    assert _status(in_app, plan) == PlanStatus.PLANNED


def test_an_offline_visit_matches_by_the_day_it_happened_on_the_phone(
    client, auth, in_app, team_setup, make_plan
):
    """Synced on the 12th, done on the 10th: the plan opening on the 11th is not fulfilled,
    the one open on the 10th is, and it is done at the phone's time."""
    customer = team_setup["cust_a1"]
    opened_later = make_plan(
        customer, Purpose.ROUTINE, due_from=date(2026, 3, 11), due_to=date(2026, 3, 18)
    )
    open_then = make_plan(
        customer, Purpose.ROUTINE, due_from=date(2026, 3, 3), due_to=date(2026, 3, 10)
    )
    done_at = MARCH_10 + timedelta(hours=2)
    with time_machine.travel(MARCH_10 + timedelta(days=2), tick=False):
        auth.login(team_setup["mgr_a1"].username)
        pushed = client.post(
            "/api/v1/sync/push",
            json={
                "device_id": str(uuid.uuid4()),
                "schema_version": 2,
                "mutations": [
                    {
                        "id": str(uuid.uuid4()),
                        "seq": 1,
                        "name": "log_visit",
                        "args": {
                            k: v
                            for k, v in body(
                                customer, id=str(uuid.uuid4()), started_at=_iso(done_at)
                            ).items()
                        },
                    }
                ],
            },
        )
    [result] = pushed.json["results"]
    assert (result["status"], result["record"]["plan_id"]) == ("applied", str(open_then.id))
    assert _status(in_app, opened_later) == PlanStatus.PLANNED
    assert load(in_app, CarePlan, open_then.id).completed_at == done_at


def test_without_a_plan_the_purpose_is_required(client, auth, in_app, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    data = body(team_setup["cust_a1"])
    del data["purpose"]
    response = client.post(API, json=data)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["purpose"]
    assert count(in_app, Visit) == 0


# --- location -------------------------------------------------------------------


def test_haversine_distances_by_hand():
    # 0.01 degrees of latitude: 111,195 m/degree * 0.01 = 1,111.95 m.
    assert distance_m(31.23, 121.47, 31.24, 121.47) == pytest.approx(1111.95, abs=0.05)
    # A degree of longitude shrinks with cos(latitude): at 60 degrees, half of it.
    assert distance_m(60.0, 10.0, 60.0, 10.01) == pytest.approx(555.97, abs=0.05)


FIX = {"accuracy_m": 30, "location_age_s": 20}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"channel": "phone", "latitude": HOME[0], "longitude": HOME[1], **FIX}, "not_applicable"),
        ({}, "unverified"),
        (
            {"latitude": HOME[0], "longitude": HOME[1]},
            "unverified",
        ),  # says neither age nor accuracy
        (
            {"latitude": HOME[0], "longitude": HOME[1], "accuracy_m": 201, "location_age_s": 20},
            "unverified",
        ),
        (
            {"latitude": HOME[0], "longitude": HOME[1], "accuracy_m": 30, "location_age_s": 301},
            "unverified",
        ),
        (
            {"latitude": HOME[0], "longitude": HOME[1], "accuracy_m": 200, "location_age_s": 300},
            "verified",
        ),
        # 0.004 degrees north: 444.8 m away.
        ({"latitude": HOME[0] + 0.004, "longitude": HOME[1], **FIX}, "verified"),
        # 0.005 degrees north: 556.0 m away.
        ({"latitude": HOME[0] + 0.005, "longitude": HOME[1], **FIX}, "out_of_range"),
        # 0.01 degrees north: 1,112 m away.
        ({"latitude": HOME[0] + 0.01, "longitude": HOME[1], **FIX}, "out_of_range"),
    ],
    ids=[
        "phone call",
        "no fix",
        "fix without accuracy",
        "accuracy 201 m",
        "fix 301 s old",
        "at both limits",
        "445 m away",
        "556 m away",
        "1112 m away",
    ],
)
def test_location_status_of_a_check_in(client, auth, team_setup, make_customer, fields, expected):
    customer = make_customer(manager=team_setup["mgr_a1"], latitude=HOME[0], longitude=HOME[1])
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(API, json=body(customer, **{"channel": "visit", **fields}))
    assert response.status_code == 201, response.json
    assert response.json["location_status"] == expected


def test_the_distance_limit_is_configuration(
    client, auth, app, team_setup, make_customer, monkeypatch
):
    monkeypatch.setitem(app.config, "VISIT_MAX_DISTANCE_M", 1000)
    customer = make_customer(manager=team_setup["mgr_a1"], latitude=HOME[0], longitude=HOME[1])
    auth.login(team_setup["mgr_a1"].username)
    fix = {"channel": "visit", "latitude": HOME[0] + 0.005, "longitude": HOME[1], **FIX}
    response = client.post(API, json=body(customer, **fix))
    assert response.json["location_status"] == "verified"  # 556 m < 1000 m


def test_a_sharp_first_check_in_teaches_the_customers_location(client, auth, in_app, team_setup):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    fix = {"channel": "visit", "latitude": 31.2, "longitude": 121.5}
    response = client.post(API, json=body(customer, **fix, accuracy_m=100, location_age_s=120))
    assert response.json["location_status"] == "verified"
    row = load(in_app, Customer, customer.id)
    assert (row.latitude, row.longitude) == (31.2, 121.5)
    # The next check-in is measured against it: 0.01 degrees north is 1,112 m away.
    response = client.post(
        API, json=body(customer, **{**fix, "latitude": 31.21}, accuracy_m=10, location_age_s=5)
    )
    assert response.json["location_status"] == "out_of_range"
    assert load(in_app, Customer, customer.id).latitude == 31.2


@pytest.mark.parametrize(
    ("channel", "accuracy_m", "location_age_s", "expected"),
    [
        ("visit", 101, 10, "unverified"),
        ("visit", 50, 121, "unverified"),
        ("phone", 10, 10, "not_applicable"),
    ],
    ids=["accuracy 101 m", "fix 121 s old", "phone call"],
)
def test_a_coarse_or_remote_fix_teaches_nothing(
    client, auth, in_app, team_setup, channel, accuracy_m, location_age_s, expected
):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(
        API,
        json=body(
            customer,
            channel=channel,
            latitude=31.2,
            longitude=121.5,
            accuracy_m=accuracy_m,
            location_age_s=location_age_s,
        ),
    )
    assert response.json["location_status"] == expected
    row = load(in_app, Customer, customer.id)
    assert (row.latitude, row.longitude) == (None, None)


# --- follow-up tasks ------------------------------------------------------------


def test_a_next_step_with_a_due_date_becomes_a_task(client, auth, in_app, team_setup):
    mgr, customer = team_setup["mgr_a1"], team_setup["cust_a1"]
    auth.login(mgr.username)
    due = (utcnow() + timedelta(days=3)).date()
    response = client.post(
        API, json=body(customer, next_step="Send the FTTR quote", next_step_due=due.isoformat())
    )
    assert response.status_code == 201, response.json
    visit_id = uuid.UUID(response.json["id"])
    with in_app():
        tasks = db.session.scalars(sa.select(Task)).all()
        assert [
            (t.title, t.due_date, t.owner_id, t.customer_id, t.source_visit_id, t.status)
            for t in tasks
        ] == [("Send the FTTR quote", due, mgr.id, customer.id, visit_id, TaskStatus.OPEN)]
    assert [t["title"] for t in response.json["follow_up_tasks"]] == ["Send the FTTR quote"]


def test_a_next_step_alone_is_due_in_a_week(client, auth, in_app, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    with in_app():
        today = local_today()
    response = client.post(API, json=body(team_setup["cust_a1"], next_step="Call back"))
    with in_app():
        task = db.session.scalar(sa.select(Task))
        assert task.due_date in {today + timedelta(days=7), local_today() + timedelta(days=7)}
    assert response.json["follow_up_tasks"][0]["due_date"] == task.due_date.isoformat()


def test_a_long_next_step_is_cut_for_the_title_and_kept_whole_in_the_notes(
    client, auth, in_app, team_setup
):
    step = "x" * 300
    auth.login(team_setup["mgr_a1"].username)
    client.post(API, json=body(team_setup["cust_a1"], next_step=step))
    with in_app():
        task = db.session.scalar(sa.select(Task))
        assert (len(task.title), task.title[-1], task.notes) == (200, "…", step)


def test_a_lead_logging_a_visit_owns_its_follow_up(client, auth, in_app, team_setup):
    lead = team_setup["lead_a"]
    auth.login(lead.username)
    response = client.post(API, json=body(team_setup["cust_a1"], next_step="Escalate"))
    assert response.json["manager"]["id"] == str(lead.id)
    with in_app():
        assert db.session.scalar(sa.select(Task.owner_id)) == lead.id


def test_a_due_date_without_a_next_step_is_422(client, auth, in_app, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(API, json=body(team_setup["cust_a1"], next_step_due="2030-01-01"))
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["next_step_due"]
    assert count(in_app, Visit) == 0


# --- idempotent create ----------------------------------------------------------


def test_the_same_client_id_twice_logs_one_visit_one_task_and_answers_the_same(
    client, auth, in_app, team_setup, make_plan
):
    plan = make_plan(team_setup["cust_a1"])
    auth.login(team_setup["mgr_a1"].username)
    data = body(
        team_setup["cust_a1"], id=str(uuid.uuid4()), plan_id=str(plan.id), next_step="Call back"
    )
    first = client.post(API, json=data)
    second = client.post(API, json=data)
    assert first.status_code == 201, first.json
    assert second.status_code in (200, 201)
    assert second.json == first.json
    assert first.json["id"] == data["id"]
    assert (count(in_app, Visit), count(in_app, Task)) == (1, 1)


def test_a_client_id_used_by_someone_else_is_409(client, auth, in_app, team_setup):
    visit_id = log_as(in_app, team_setup["mgr_a1"], team_setup["cust_a1"])
    auth.login(team_setup["admin"].username)
    response = client.post(API, json=body(team_setup["cust_a1"], id=str(visit_id)))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "id_taken"
    assert count(in_app, Visit) == 1


# --- corrections and their history ----------------------------------------------


@pytest.fixture
def logged(in_app, team_setup):
    return log_as(
        in_app,
        team_setup["mgr_a1"],
        team_setup["cust_a1"],
        notes="Talked about 5G.",
        outcome="Interested",
        customer_response="neutral",
    )


def test_corrections_keep_the_earlier_text_field_by_field(client, auth, in_app, team_setup, logged):
    mgr = team_setup["mgr_a1"]
    auth.login(mgr.username)
    first = client.patch(f"{API}/{logged}", json={"notes": "Talked about 5G and FTTR."})
    assert first.status_code == 200, first.json
    # Sending unchanged values along changes nothing and records nothing.
    same = client.patch(
        f"{API}/{logged}", json={"notes": "Talked about 5G and FTTR.", "outcome": "Interested"}
    )
    assert same.json["version"] == first.json["version"] == 2
    second = client.patch(
        f"{API}/{logged}",
        json={
            "outcome": "Signed up",
            "customer_response": "positive",
            "products_discussed": ["FTTR"],
        },
    )
    assert second.json["version"] == 3

    got = client.get(f"{API}/{logged}").json
    assert (got["notes"], got["outcome"], got["customer_response"]) == (
        "Talked about 5G and FTTR.",
        "Signed up",
        "positive",
    )
    revisions = got["revisions"]
    assert [r["changes"] for r in revisions] == [
        {"notes": {"old": "Talked about 5G.", "new": "Talked about 5G and FTTR."}},
        {
            "outcome": {"old": "Interested", "new": "Signed up"},
            "customer_response": {"old": "neutral", "new": "positive"},
            "products_discussed": {"old": [], "new": ["FTTR"]},
        },
    ]
    assert [r["editor"] for r in revisions] == [
        {"id": str(mgr.id), "display_name": mgr.display_name}
    ] * 2
    assert revisions[0]["at"] <= revisions[1]["at"]
    assert count(in_app, VisitRevision) == 2


def test_a_correction_of_the_end_time_is_recorded_in_utc(client, auth, in_app, team_setup, logged):
    auth.login(team_setup["admin"].username)
    with in_app():
        started = db.session.get(Visit, logged).started_at
    ended = (started + timedelta(minutes=40)).astimezone(SHANGHAI)
    response = client.patch(f"{API}/{logged}", json={"ended_at": _iso(ended)})
    assert response.status_code == 200, response.json
    assert response.json["revisions"][0]["changes"] == {
        "ended_at": {"old": None, "new": (started + timedelta(minutes=40)).isoformat()}
    }
    assert response.json["revisions"][0]["editor"]["id"] == str(team_setup["admin"].id)


def test_a_corrected_end_before_the_start_is_422_and_changes_nothing(
    client, auth, in_app, team_setup, logged
):
    auth.login(team_setup["mgr_a1"].username)
    with in_app():
        started = db.session.get(Visit, logged).started_at
    response = client.patch(
        f"{API}/{logged}",
        json={"ended_at": _iso(started - timedelta(seconds=1)), "notes": "changed"},
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["ended_at"]
    row = load(in_app, Visit, logged)
    assert (row.notes, row.ended_at, row.version) == ("Talked about 5G.", None, 1)
    assert count(in_app, VisitRevision) == 0


@pytest.mark.parametrize(
    "field",
    ["started_at", "channel", "customer_id", "manager_id", "purpose", "latitude", "time_flag"],
)
def test_what_happened_when_and_where_cannot_be_edited(
    client, auth, in_app, team_setup, logged, field
):
    auth.login(team_setup["admin"].username)
    before = client.get(f"{API}/{logged}").json
    response = client.patch(f"{API}/{logged}", json={field: before.get(field, "x")})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert client.get(f"{API}/{logged}").json == before


def test_there_is_no_delete(client, auth, in_app, team_setup, logged):
    auth.login(team_setup["admin"].username)
    response = client.delete(f"{API}/{logged}")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert count(in_app, Visit) == 1


def test_a_stale_version_is_409_with_the_current_visit(client, auth, in_app, team_setup, logged):
    auth.login(team_setup["mgr_a1"].username)
    client.patch(f"{API}/{logged}", json={"notes": "First edit", "version": 1})
    response = client.patch(f"{API}/{logged}", json={"notes": "Second edit", "version": 1})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "version_conflict"
    assert response.json["error"]["current"]["notes"] == "First edit"
    assert response.json["error"]["current"]["version"] == 2
    assert count(in_app, VisitRevision) == 1


# --- permissions ----------------------------------------------------------------

ACTORS = ["mgr_a1", "mgr_a2", "lead_a", "lead_b", "admin"]
ACTOR_IDS = ["own manager", "other manager", "lead of team", "lead of other team", "admin"]


@pytest.mark.parametrize(
    ("actor", "expected"),
    list(zip(ACTORS, [201, 404, 201, 404, 201], strict=True)),
    ids=ACTOR_IDS,
)
def test_who_may_log_a_visit(client, auth, in_app, team_setup, actor, expected):
    auth.login(team_setup[actor].username)
    response = client.post(API, json=body(team_setup["cust_a1"]))
    assert response.status_code == expected
    assert count(in_app, Visit) == (1 if expected == 201 else 0)
    if expected == 201:
        assert response.json["manager"]["id"] == str(team_setup[actor].id)


@pytest.mark.parametrize(
    ("actor", "expected"),
    list(zip(ACTORS, [200, 404, 200, 404, 200], strict=True)),
    ids=ACTOR_IDS,
)
def test_who_may_read_a_visit(client, auth, team_setup, logged, actor, expected):
    auth.login(team_setup[actor].username)
    assert client.get(f"{API}/{logged}").status_code == expected
    listed = client.get(API, query_string={"customer_id": str(team_setup["cust_a1"].id)})
    assert listed.json["total"] == (1 if expected == 200 else 0)


@pytest.mark.parametrize(
    ("actor", "expected"),
    list(zip(ACTORS, [200, 404, 403, 404, 200], strict=True)),
    ids=ACTOR_IDS,
)
def test_only_the_author_or_an_admin_may_correct(
    client, auth, in_app, team_setup, logged, actor, expected
):
    auth.login(team_setup[actor].username)
    response = client.patch(f"{API}/{logged}", json={"notes": "Rewritten"})
    assert response.status_code == expected
    row = load(in_app, Visit, logged)
    assert row.notes == ("Rewritten" if expected == 200 else "Talked about 5G.")
    assert count(in_app, VisitRevision) == (1 if expected == 200 else 0)


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channel": 5}, "channel"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-03-10T10:00:00"}, "started_at"),  # no zone
        ({"latitude": "north", "longitude": 121.5}, "latitude"),
        ({"latitude": 91, "longitude": 121.5}, "latitude"),
        ({"latitude": 31.2}, "longitude"),
        ({"accuracy_m": -1}, "accuracy_m"),
        ({"products_discussed": "FTTR"}, "products_discussed"),
        ({"products_discussed": ["p"] * 21}, "products_discussed"),
        ({"products_discussed": ["p" * 61]}, "products_discussed"),
        ({"channel": "fax"}, "channel"),
        ({"purpose": "party"}, "purpose"),
        ({"customer_response": "angry"}, "customer_response"),
        ({"outcome": "o" * 201}, "outcome"),
        ({"notes": "n" * 4001}, "notes"),
        ({"next_step": "s" * 301}, "next_step"),
        ({"next_step": "Call", "next_step_due": "next week"}, "next_step_due"),
        ({"customer_id": "c-1"}, "customer_id"),
        ({"id": "not-a-uuid"}, "id"),
        ({"plan_id": 42}, "plan_id"),
        ({"colour": "red"}, "colour"),
        ({"customer_id": None}, "customer_id"),
        ({"started_at": None}, "started_at"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_input_is_422_naming_the_field_and_logs_nothing(
    client, auth, in_app, team_setup, fields, field
):
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(API, json=body(team_setup["cust_a1"], **fields))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert (count(in_app, Visit), count(in_app, Task)) == (0, 0)


@pytest.mark.parametrize("missing", ["customer_id", "channel", "started_at"])
def test_missing_required_fields_are_422(client, auth, in_app, team_setup, missing):
    auth.login(team_setup["mgr_a1"].username)
    data = body(team_setup["cust_a1"])
    del data[missing]
    response = client.post(API, json=data)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [missing]
    assert count(in_app, Visit) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"notes": 5}, "notes"),
        ({"customer_response": "angry"}, "customer_response"),
        ({"outcome": "o" * 201}, "outcome"),
        ({"products_discussed": [1]}, "products_discussed"),
        ({"ended_at": "soon"}, "ended_at"),
        ({"version": "1"}, "version"),
    ],
)
def test_bad_corrections_are_422_and_change_nothing(
    client, auth, in_app, team_setup, logged, fields, field
):
    auth.login(team_setup["mgr_a1"].username)
    response = client.patch(f"{API}/{logged}", json={"notes": "changed", **fields})
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert load(in_app, Visit, logged).notes == "Talked about 5G."


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_malformed_json_is_400_and_changes_nothing(
    client, auth, in_app, team_setup, logged, method
):
    auth.login(team_setup["mgr_a1"].username)
    path = API if method == "POST" else f"{API}/{logged}"
    response = client.open(
        path, method=method, data='{"notes": "x",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "json" in response.json["error"]["fields"]
    assert count(in_app, Visit) == 1
    assert load(in_app, Visit, logged).notes == "Talked about 5G."


# --- listing --------------------------------------------------------------------


def test_the_list_is_newest_first_and_filters(client, auth, in_app, team_setup):
    mgr, lead = team_setup["mgr_a1"], team_setup["lead_a"]
    c1, c2 = team_setup["cust_a1"], team_setup["cust_a1_2"]
    # Local days in Shanghai; 07:00 local on 1 March is 23:00 UTC on 28 February.
    old = log_as(in_app, mgr, c1, started_at=datetime(2026, 3, 1, 7, tzinfo=SHANGHAI))
    mid = log_as(
        in_app,
        mgr,
        c2,
        started_at=datetime(2026, 3, 2, 23, 30, tzinfo=SHANGHAI),
        channel=Channel.PHONE,
        purpose=Purpose.MARKETING,
    )
    new = log_as(in_app, lead, c1, started_at=datetime(2026, 3, 3, 9, tzinfo=SHANGHAI))
    auth.login(lead.username)

    def ids(**query):
        response = client.get(API, query_string=query)
        assert response.status_code == 200, response.json
        return [uuid.UUID(item["id"]) for item in response.json["items"]]

    assert ids() == [new, mid, old]
    assert ids(customer_id=str(c1.id)) == [new, old]
    assert ids(manager_id=str(mgr.id)) == [mid, old]
    assert ids(since="2026-03-02") == [new, mid]
    assert ids(until="2026-03-02") == [mid, old]
    assert ids(since="2026-03-02", until="2026-03-02") == [mid]
    assert ids(until="2026-03-01T23:00:00Z") == [old]
    assert ids(purpose="marketing") == [mid]
    assert ids(channel="visit,phone") == [new, mid, old]
    assert ids(channel="visit") == [new, old]
    page = client.get(API, query_string={"per_page": 2, "page": 2}).json
    assert (page["total"], page["pages"], [i["id"] for i in page["items"]]) == (3, 2, [str(old)])


@pytest.mark.parametrize(
    "query",
    [{"since": "March"}, {"until": "2026-03-02T10:00:00"}, {"channel": "fax"}, {"colour": "red"}],
)
def test_bad_list_filters_are_422(client, auth, team_setup, query):
    auth.login(team_setup["mgr_a1"].username)
    response = client.get(API, query_string=query)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == list(query)
