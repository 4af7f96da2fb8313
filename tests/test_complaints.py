"""Complaints: deadlines from tier and severity, the closed loop, notes, overdue lists, who may."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    IntakeChannel,
    Severity,
)
from server.customers.models import Customer
from server.extensions import db
from server.models_base import utcnow

API = "/api/v1/complaints"


def _body(customer, **overrides) -> dict:
    body = {
        "customer_id": str(customer.id),
        "category": "broadband",
        "severity": "medium",
        "intake_channel": "in_person",
        "description": "宽带每晚断线 Broadband drops every evening",
    }
    body.update(overrides)
    return body


def _log(client, customer, **overrides) -> dict:
    response = client.post(API, json=_body(customer, **overrides))
    assert response.status_code == 201, response.json
    return response.json


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _state(in_app, complaint_id) -> tuple:
    """What a refused request must leave alone."""
    with in_app():
        complaint = db.session.get(Complaint, uuid.UUID(str(complaint_id)))
        events = db.session.scalar(
            sa.select(sa.func.count()).where(ComplaintEvent.complaint_id == complaint.id)
        )
        return (
            complaint.status,
            complaint.satisfaction,
            complaint.resolution,
            complaint.reopen_count,
            complaint.version,
            events,
        )


def _move(client, complaint_id, to, **extra):
    return client.post(f"{API}/{complaint_id}/transition", json={"to": to, **extra})


# What each status needs to be reached from the one before it.
LOOP = [
    ("in_progress", {}),
    ("resolved", {"resolution": "Replaced the optical modem"}),
    ("informed", {}),
    ("closed", {"satisfaction": 4}),
]


def _drive(client, complaint_id, status: str) -> None:
    """Move a fresh complaint forward along the loop until it is in `status`."""
    for to, extra in LOOP:
        if status == "received":
            return
        response = _move(client, complaint_id, to, **extra)
        assert response.status_code == 200, response.json
        if to == status:
            return


@pytest.fixture
def mgr(team_setup, auth):
    auth.login(team_setup["mgr_a1"].username)
    return team_setup


# --- categories -------------------------------------------------------------------


def test_categories_are_listed_for_anyone_signed_in(client, auth, team_setup):
    assert client.get("/api/v1/complaint-categories").status_code == 401
    auth.login(team_setup["mgr_b2"].username)
    response = client.get("/api/v1/complaint-categories")
    assert response.status_code == 200
    codes = [c["code"] for c in response.json["items"]]
    assert sorted(codes) == sorted(
        [
            "network",
            "broadband",
            "billing",
            "value_added",
            "plan",
            "service",
            "terminal",
            "store",
            "other",
        ]
    )
    assert codes[-1] == "other"
    broadband = next(c for c in response.json["items"] if c["code"] == "broadband")
    assert {k: broadband[k] for k in ("code", "name_zh", "name_en", "active", "version")} == {
        "code": "broadband",
        "name_zh": "宽带故障",
        "name_en": "Broadband fault",
        "active": True,
        "version": 1,
    }


# --- logging ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "severity", "hours"),
    [
        ("gold", "medium", 48),  # 24 h x 2.0
        ("diamond", "critical", 1),  # 2 h x 0.5
        ("diamond", "low", 8),  # 2 h x 4.0
        ("emerald", "high", 4),  # 4 h x 1.0
        ("platinum", "critical", 4),  # 8 h x 0.5
        ("sapphire", "medium", 24),  # 12 h x 2.0
        ("crystal", "low", 192),  # 48 h x 4.0
    ],
)
def test_deadline_is_tier_hours_times_severity_factor(
    client, auth, make_user, make_customer, tier, severity, hours
):
    manager = make_user()
    customer = make_customer(manager=manager, tier=tier)
    auth.login(manager.username)
    received = (utcnow() - timedelta(minutes=30)).replace(microsecond=0)
    complaint = _log(client, customer, severity=severity, received_at=_iso(received))
    assert _at(complaint["received_at"]) == received
    assert _at(complaint["deadline_at"]) == received + timedelta(hours=hours)
    assert complaint["time_flag"] is None
    assert complaint["customer"]["tier"] == tier


def test_logged_complaint_shape_and_first_event(client, mgr):
    complaint = _log(client, mgr["cust_a1"])
    assert complaint["status"] == "received"
    assert complaint["category"]["code"] == "broadband"
    assert complaint["severity"] == "medium"
    assert complaint["intake_channel"] == "in_person"
    assert complaint["owner"]["id"] == str(mgr["mgr_a1"].id)
    assert complaint["logged_by_id"] == str(mgr["mgr_a1"].id)
    assert complaint["overdue"] is False
    assert complaint["allowed_next"] == ["in_progress"]
    assert complaint["reopen_count"] == 0
    [event] = complaint["events"]
    assert event["from_status"] is None
    assert event["to_status"] == "received"
    assert event["actor"]["display_name"] == mgr["mgr_a1"].display_name
    assert event["at"] == complaint["received_at"]


def test_missing_received_at_means_now(client, mgr):
    before = utcnow()
    complaint = _log(client, mgr["cust_a1"])
    after = utcnow()
    assert before <= _at(complaint["received_at"]) <= after
    assert complaint["time_flag"] is None
    # gold, medium: 48 hours from receipt.
    assert _at(complaint["deadline_at"]) - _at(complaint["received_at"]) == timedelta(hours=48)


def test_future_received_at_is_clamped_to_now(client, mgr):
    before = utcnow()
    complaint = _log(client, mgr["cust_a1"], received_at=_iso(before + timedelta(hours=5)))
    after = utcnow()
    received = _at(complaint["received_at"])
    assert before <= received <= after
    assert complaint["time_flag"] == "clamped"
    assert _at(complaint["deadline_at"]) == received + timedelta(hours=48)


def test_old_received_at_is_kept_flagged_late_and_already_overdue(client, mgr):
    received = (utcnow() - timedelta(days=20)).replace(microsecond=0)
    complaint = _log(client, mgr["cust_a1"], received_at=_iso(received))
    assert _at(complaint["received_at"]) == received
    assert complaint["time_flag"] == "late"
    assert _at(complaint["deadline_at"]) == received + timedelta(hours=48)
    assert complaint["overdue"] is True


def test_lead_logging_for_a_team_customer_makes_the_manager_owner(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    complaint = _log(client, team_setup["cust_a2"])
    assert complaint["owner"]["id"] == str(team_setup["mgr_a2"].id)
    assert complaint["logged_by_id"] == str(team_setup["lead_a"].id)


def test_unassigned_customer_complaint_is_owned_by_whoever_logs_it(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    complaint = _log(client, team_setup["unassigned"])
    assert complaint["owner"]["id"] == str(team_setup["lead_a"].id)


def test_same_id_twice_creates_one_complaint(client, mgr, in_app):
    complaint_id = str(uuid.uuid4())
    first = _log(client, mgr["cust_a1"], id=complaint_id)
    again = _log(client, mgr["cust_a1"], id=complaint_id, description="a retry")
    assert first["id"] == again["id"] == complaint_id
    assert again["description"] == first["description"]
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ComplaintEvent)) == 1


def test_an_id_taken_for_another_customer_is_a_conflict(client, mgr, in_app):
    complaint_id = str(uuid.uuid4())
    _log(client, mgr["cust_a1"], id=complaint_id)
    response = client.post(API, json=_body(mgr["cust_a1_2"], id=complaint_id))
    assert response.status_code == 409
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "weather"}, "category"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"intake_channel": "pigeon"}, "intake_channel"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"received_at": "2026-03-01T10:00:00"}, "received_at"),  # no zone
        ({"visit_id": str(uuid.uuid4())}, "visit_id"),
        ({"customer_id": "not-a-uuid"}, "customer_id"),
    ],
)
def test_bad_complaint_is_422_naming_the_field(client, mgr, in_app, overrides, field):
    response = client.post(API, json=_body(mgr["cust_a1"], **overrides))
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_description_of_4000_characters_is_accepted(client, mgr):
    assert len(_log(client, mgr["cust_a1"], description="长" * 4000)["description"]) == 4000


def test_unknown_customer_is_404(client, mgr):
    response = client.post(API, json=_body(mgr["cust_a1"], customer_id=str(uuid.uuid4())))
    assert response.status_code == 404


# --- the closed loop --------------------------------------------------------------


def test_full_loop_records_every_step(client, mgr):
    complaint = _log(client, mgr["cust_a1"])
    cid = complaint["id"]

    started = _move(client, cid, "in_progress", note="Called the broadband team")
    assert started.status_code == 200
    assert started.json["status"] == "in_progress"
    assert started.json["allowed_next"] == ["resolved"]

    resolved = _move(client, cid, "resolved", resolution="Replaced the optical modem")
    assert resolved.status_code == 200
    assert resolved.json["resolution"] == "Replaced the optical modem"
    assert resolved.json["resolved_at"] is not None
    assert resolved.json["closed_at"] is None
    assert resolved.json["allowed_next"] == ["informed", "in_progress"]

    informed = _move(client, cid, "informed")
    assert informed.json["status"] == "informed"

    closed = _move(client, cid, "closed", satisfaction=5, note="Happy again")
    assert closed.status_code == 200
    body = closed.json
    assert body["status"] == "closed"
    assert body["satisfaction"] == 5
    assert body["closed_at"] is not None
    assert body["allowed_next"] == ["in_progress"]
    steps = [(e["from_status"], e["to_status"]) for e in body["events"]]
    assert steps == [
        (None, "received"),
        ("received", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "informed"),
        ("informed", "closed"),
    ]
    notes = [e["note"] for e in body["events"]]
    assert notes == [None, "Called the broadband team", None, None, "Happy again"]
    # The step's facts are values, not English prose: the clients word them.
    resolutions = [e["resolution"] for e in body["events"]]
    assert resolutions == [None, None, "Replaced the optical modem", None, None]
    assert {e["actor"]["id"] for e in body["events"]} == {str(mgr["mgr_a1"].id)}
    # A later step never sorts before an earlier one.
    times = [_at(e["at"]) for e in body["events"]]
    assert times == sorted(times)


ALL_STATUSES = ["received", "in_progress", "resolved", "informed", "closed"]
ALLOWED = {
    "received": {"in_progress"},
    "in_progress": {"resolved"},
    "resolved": {"informed", "in_progress"},
    "informed": {"closed", "in_progress"},
    "closed": {"in_progress"},
}
ILLEGAL = [
    (current, to) for current in ALL_STATUSES for to in ALL_STATUSES if to not in ALLOWED[current]
]


@pytest.mark.parametrize(("current", "to"), ILLEGAL, ids=[f"{c}->{t}" for c, t in ILLEGAL])
def test_illegal_transition_is_409_and_changes_nothing(client, mgr, in_app, current, to):
    cid = _log(client, mgr["cust_a1"])["id"]
    _drive(client, cid, current)
    before = _state(in_app, cid)
    # Send what the target would need, so only the loop itself can refuse.
    extra = {"resolved": {"resolution": "done"}, "closed": {"satisfaction": 3}}.get(to, {})
    response = _move(client, cid, to, **extra)
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "illegal_transition"
    assert f"from {current} to {to}" in error["message"]
    for allowed in ALLOWED[current]:
        assert allowed in error["message"]
    assert set(error["allowed"]) == ALLOWED[current]
    assert _state(in_app, cid) == before


@pytest.mark.parametrize("satisfaction", [0, 6, 7, -1, "x", "5", 4.5, True, None])
def test_closing_needs_satisfaction_from_1_to_5(client, mgr, in_app, satisfaction):
    cid = _log(client, mgr["cust_a1"])["id"]
    _drive(client, cid, "informed")
    before = _state(in_app, cid)
    response = _move(client, cid, "closed", satisfaction=satisfaction)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["satisfaction"]
    assert _state(in_app, cid) == before


def test_closing_without_satisfaction_is_422(client, mgr, in_app):
    cid = _log(client, mgr["cust_a1"])["id"]
    _drive(client, cid, "informed")
    before = _state(in_app, cid)
    response = _move(client, cid, "closed")
    assert response.status_code == 422
    assert "satisfaction" in response.json["error"]["fields"]
    assert _state(in_app, cid) == before


@pytest.mark.parametrize("satisfaction", [1, 5])
def test_satisfaction_bounds_are_accepted(client, mgr, satisfaction):
    cid = _log(client, mgr["cust_a1"])["id"]
    _drive(client, cid, "informed")
    assert _move(client, cid, "closed", satisfaction=satisfaction).json["satisfaction"] == (
        satisfaction
    )


@pytest.mark.parametrize("resolution", [None, "", "   "])
def test_resolving_needs_a_resolution(client, mgr, in_app, resolution):
    cid = _log(client, mgr["cust_a1"])["id"]
    _drive(client, cid, "in_progress")
    before = _state(in_app, cid)
    body = {} if resolution is None else {"resolution": resolution}
    response = _move(client, cid, "resolved", **body)
    assert response.status_code == 422
    assert "resolution" in response.json["error"]["fields"]
    assert _state(in_app, cid) == before


def test_satisfaction_outside_closing_is_refused(client, mgr, in_app):
    cid = _log(client, mgr["cust_a1"])["id"]
    before = _state(in_app, cid)
    response = _move(client, cid, "in_progress", satisfaction=5)
    assert response.status_code == 422
    assert "satisfaction" in response.json["error"]["fields"]
    assert _state(in_app, cid) == before


def test_unknown_status_is_422(client, mgr):
    cid = _log(client, mgr["cust_a1"])["id"]
    response = _move(client, cid, "escalated")
    assert response.status_code == 422
    assert "to" in response.json["error"]["fields"]


@pytest.mark.parametrize("reopened_from", ["resolved", "informed", "closed"])
def test_reopen_counts_and_clears_the_outcome(client, mgr, reopened_from):
    cid = _log(client, mgr["cust_a1"])["id"]
    _drive(client, cid, reopened_from)
    response = _move(client, cid, "in_progress", note="Drops again")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "in_progress"
    assert body["reopen_count"] == 1
    assert body["resolution"] is None
    assert body["resolved_at"] is None
    assert body["satisfaction"] is None
    assert body["closed_at"] is None
    last = body["events"][-1]
    assert (last["from_status"], last["to_status"]) == (reopened_from, "in_progress")
    assert last["note"] == "Drops again"
    # The satisfaction given at closing (4 in LOOP) stays in the history, as a number.
    assert last["prior_satisfaction"] == (4 if reopened_from == "closed" else None)
    # The earlier resolution is kept in its event.
    assert "Replaced the optical modem" in [e["resolution"] for e in body["events"]]


def test_reopened_complaint_goes_round_again(client, mgr):
    cid = _log(client, mgr["cust_a1"])["id"]
    _drive(client, cid, "closed")
    _move(client, cid, "in_progress")
    _move(client, cid, "resolved", resolution="Moved the line to fibre")
    _move(client, cid, "informed")
    _move(client, cid, "closed", satisfaction=2)
    _move(client, cid, "in_progress")
    body = _move(client, cid, "resolved", resolution="Engineer visit").json
    assert body["reopen_count"] == 2
    assert body["resolution"] == "Engineer visit"
    assert len(body["events"]) == 1 + 4 + 4 + 2
    assert [e["prior_satisfaction"] for e in body["events"] if e["prior_satisfaction"]] == [4, 2]


def test_service_transition_takes_the_time_it_is_given(app, mgr, in_app):
    """The sync push replays a phone's step with the phone's time."""
    from server.auth.models import User
    from server.complaints import services

    at = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    with in_app():
        actor = db.session.get(User, mgr["mgr_a1"].id)
        complaint = services.create_complaint(
            actor,
            db.session.get_one(Customer, mgr["cust_a1"].id),
            category="billing",
            severity=Severity.HIGH,
            intake_channel=IntakeChannel.PHONE,
            description="Charged twice",
            received_at=at - timedelta(hours=2),
            now=at,
        )
        services.transition_complaint(actor, complaint, ComplaintStatus.IN_PROGRESS, at=at)
        event = services.transition_complaint(
            actor, complaint, ComplaintStatus.RESOLVED, resolution="Refunded", at=at
        )
        # gold (24 h) x high (1.0), counted from the receipt two hours earlier.
        assert complaint.deadline_at == at + timedelta(hours=22)
        assert complaint.resolved_at == at
        assert event.at == at
        assert event.from_status == ComplaintStatus.IN_PROGRESS


# --- notes ------------------------------------------------------------------------


def test_notes_are_appended_and_change_no_status(client, mgr):
    cid = _log(client, mgr["cust_a1"])["id"]
    _drive(client, cid, "in_progress")
    first = client.post(f"{API}/{cid}/notes", json={"note": "Customer called again"})
    assert first.status_code == 201
    second = client.post(f"{API}/{cid}/notes", json={"note": "Engineer booked for Friday"})
    body = second.json
    assert body["status"] == "in_progress"
    notes = [(e["to_status"], e["note"]) for e in body["events"][-2:]]
    assert notes == [(None, "Customer called again"), (None, "Engineer booked for Friday")]
    assert len(body["events"]) == 4
    # There is no way to change or remove a note.
    event_id = body["events"][-1]["id"]
    assert client.patch(f"{API}/{cid}/notes/{event_id}", json={"note": "x"}).status_code in (
        404,
        405,
    )
    assert client.delete(f"{API}/{cid}/notes/{event_id}").status_code in (404, 405)
    assert client.get(f"{API}/{cid}").json["events"] == body["events"]


def test_blank_note_is_422(client, mgr, in_app):
    cid = _log(client, mgr["cust_a1"])["id"]
    before = _state(in_app, cid)
    response = client.post(f"{API}/{cid}/notes", json={"note": "  "})
    assert response.status_code == 422
    assert "note" in response.json["error"]["fields"]
    assert _state(in_app, cid) == before


# --- listing ----------------------------------------------------------------------


def _ago(**delta) -> str:
    return _iso((utcnow() - timedelta(**delta)).replace(microsecond=0))


@pytest.fixture
def planted(client, auth, team_setup):
    """Complaints of team A's two managers, logged by their lead.

    a1_late:   cust_a1 (gold, medium => 48 h), received 3 days ago: overdue by a day.
    a1_fresh:  cust_a1, received now: due in 48 hours.
    a2_late:   cust_a2, received 5 days ago: overdue by 3 days (the oldest deadline).
    a2_done:   cust_a2, received 4 days ago, then resolved: late, but not overdue.
    b1_late:   cust_b1, another team, received 2.5 days ago: overdue by half a day.
    """
    auth.login(team_setup["lead_a"].username)
    rows = {
        "a1_late": _log(client, team_setup["cust_a1"], received_at=_ago(days=3)),
        "a1_fresh": _log(client, team_setup["cust_a1"]),
        "a2_late": _log(client, team_setup["cust_a2"], received_at=_ago(days=5)),
        "a2_done": _log(client, team_setup["cust_a2"], received_at=_ago(days=4)),
    }
    _drive(client, rows["a2_done"]["id"], "resolved")
    auth.login(team_setup["lead_b"].username)
    rows["b1_late"] = _log(client, team_setup["cust_b1"], received_at=_ago(days=2, hours=12))
    return {k: v["id"] for k, v in rows.items()}


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [c["id"] for c in response.json["items"]]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("mgr_a1", ["a1_late"]),
        ("mgr_a2", ["a2_late"]),
        ("lead_a", ["a2_late", "a1_late"]),
        ("lead_b", ["b1_late"]),
        ("admin", ["a2_late", "a1_late", "b1_late"]),
    ],
)
def test_overdue_list_per_role(client, auth, team_setup, planted, who, expected):
    auth.login(team_setup[who].username)
    response = client.get(f"{API}/overdue")
    assert _ids(response) == [planted[name] for name in expected]
    assert response.json["total"] == len(expected)
    assert all(item["overdue"] for item in response.json["items"])


def test_lead_sees_who_owns_each_overdue_complaint(client, auth, team_setup, planted):
    auth.login(team_setup["lead_a"].username)
    items = client.get(f"{API}/overdue").json["items"]
    owners = [item["owner"]["display_name"] for item in items]
    assert owners == [team_setup["mgr_a2"].display_name, team_setup["mgr_a1"].display_name]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["a2_late", "a2_done", "a1_late", "a1_fresh"]),
        ({"overdue": "true"}, ["a2_late", "a1_late"]),
        ({"overdue": "false"}, ["a2_done", "a1_fresh"]),
        ({"status": "resolved"}, ["a2_done"]),
        ({"status": "received,resolved"}, ["a2_late", "a2_done", "a1_late", "a1_fresh"]),
        ({"open": "true"}, ["a2_late", "a2_done", "a1_late", "a1_fresh"]),
        ({"open": "false"}, []),
        ({"customer_id": "{cust_a1}"}, ["a1_late", "a1_fresh"]),
        ({"owner_id": "{mgr_a2}"}, ["a2_late", "a2_done"]),
        ({"per_page": "1", "page": "2"}, ["a2_done"]),
    ],
)
def test_list_filters_ordered_by_deadline(client, auth, team_setup, planted, query, expected):
    auth.login(team_setup["lead_a"].username)
    query = {
        k: v.format(**{n: getattr(r, "id", None) for n, r in team_setup.items()})
        for k, v in query.items()
    }
    response = client.get(API, query_string=query)
    assert _ids(response) == [planted[name] for name in expected]
    if "page" not in query:
        assert response.json["total"] == len(expected)
    else:
        assert response.json["total"] == 4


def test_closed_complaints_are_not_open(client, auth, team_setup, planted):
    auth.login(team_setup["lead_a"].username)
    _drive(client, planted["a1_fresh"], "closed")
    assert _ids(client.get(API, query_string={"open": "false"})) == [planted["a1_fresh"]]


@pytest.mark.parametrize("query", [{"status": "lost"}, {"overdue": "maybe"}, {"colour": "red"}])
def test_bad_list_filters_are_422(client, mgr, query):
    response = client.get(API, query_string=query)
    assert response.status_code == 422
    assert next(iter(query)) in response.json["error"]["fields"]


# --- who may --------------------------------------------------------------------

# The target is always a complaint of mgr_a1's customer cust_a1.
ACTORS = {
    "manager": ("mgr_a1", True),
    "colleague": ("mgr_a2", False),
    "lead_own": ("lead_a", True),
    "lead_other": ("lead_b", False),
    "admin": ("admin", True),
}
ENDPOINTS = {
    "log": ("POST", API, "body", 201),
    "read": ("GET", API + "/{id}", None, 200),
    "transition": ("POST", API + "/{id}/transition", {"to": "in_progress"}, 200),
    "note": ("POST", API + "/{id}/notes", {"note": "Called back"}, 201),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("actor", list(ACTORS))
def test_permission_matrix(client, auth, team_setup, in_app, actor, endpoint):
    auth.login(team_setup["mgr_a1"].username)
    cid = _log(client, team_setup["cust_a1"])["id"]
    username, allowed = ACTORS[actor]
    auth.login(team_setup[username].username)
    method, path, body, ok_status = ENDPOINTS[endpoint]
    if body == "body":
        body = _body(team_setup["cust_a1"])
    before = _state(in_app, cid)
    with in_app():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))
    response = client.open(path.format(id=cid), method=method, json=body)
    assert response.status_code == (ok_status if allowed else 404)
    if not allowed:
        assert _state(in_app, cid) == before
        with in_app():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == count


@pytest.mark.parametrize("who", ["mgr_a2", "lead_b"])
def test_others_do_not_see_it_in_lists(client, auth, team_setup, who):
    auth.login(team_setup["mgr_a1"].username)
    _log(client, team_setup["cust_a1"], received_at=_ago(days=10))
    auth.login(team_setup[who].username)
    assert _ids(client.get(API)) == []
    assert _ids(client.get(f"{API}/overdue")) == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", API, None),
        ("GET", API + "/overdue", None),
        ("POST", API, "body"),
        ("GET", API + "/{id}", None),
        ("POST", API + "/{id}/transition", {"to": "in_progress"}),
        ("POST", API + "/{id}/notes", {"note": "hello"}),
    ],
)
def test_every_endpoint_needs_sign_in(client, team_setup, in_app, method, path, body):
    if body == "body":
        body = _body(team_setup["cust_a1"])
    response = client.open(path.format(id=uuid.uuid4()), method=method, json=body)
    assert response.status_code == 401
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def _migration_0012():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent.parent / "migrations/versions/0012_complaint_event_facts.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("note", "from_status", "to_status", "expected"),
    [
        (
            "Resolution: Replaced the modem",
            "in_progress",
            "resolved",
            (None, "Replaced the modem", None),
        ),
        (
            "Called twice\nResolution: Two lines\nof resolution",
            "in_progress",
            "resolved",
            ("Called twice", "Two lines\nof resolution", None),
        ),
        (
            "Drops again\nSatisfaction before reopening: 4",
            "closed",
            "in_progress",
            ("Drops again", None, 4),
        ),
        ("Satisfaction before reopening: 2", "closed", "in_progress", (None, None, 2)),
        # A note that only mentions the words is the user's own: left as it is.
        ("Resolution: pending", "received", "in_progress", ("Resolution: pending", None, None)),
        (None, "informed", "closed", (None, None, None)),
    ],
)
def test_migration_0012_splits_the_old_prose_into_values(note, from_status, to_status, expected):
    assert _migration_0012().split_note(note, from_status, to_status) == expected
