"""A push that fails, in one mutation or as a whole, loses and doubles nothing.

docs/sync.md, Push: a mutation that fails unexpectedly is isolated in its savepoint,
answered `failed` (retryable), counted, and after MAX_ATTEMPTS rejected for good and
kept for the admins, while the rest of the queue moves on. A push interrupted before
its answer, by a database error or by a server restart is retried with the same
result and no double.
"""

import contextlib
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from server.extensions import db
from server.models_base import utcnow
from server.sync import push as sync_push
from server.sync.models import SyncDevice, SyncFailedMutation, SyncMutation
from server.tasks.models import Task
from server.visits.models import Visit
from tests.sync_live import LiveSync, signed_in
from tests.test_sync_push import complaint_args, count, load, mutation, push, pushed, visit_args

FAILED = "/api/v1/sync/failed"
ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


@pytest.fixture
def mgr(auth, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    return team_setup


def _break(monkeypatch, name: str, fail) -> None:
    """Make mutation `name` run `fail` first (an injected bug), then the real thing."""
    real = sync_push.MUTATIONS[name]

    def broken(user, m, former):
        fail(m)
        return real.run(user, m, former)

    monkeypatch.setitem(
        sync_push.MUTATIONS, name, sync_push.Kind(broken, real.entity, real.customer_of)
    )


def _crash(m) -> None:
    raise RuntimeError("a bug, not a refusal")


def test_a_crashing_mutation_is_isolated_and_the_rest_of_the_batch_applies(
    client, mgr, in_app, monkeypatch
):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    _break(monkeypatch, "log_complaint", _crash)
    complaint = complaint_args(customer)
    answer = pushed(
        client,
        device,
        mutation(1, "log_visit", visit_args(customer)),
        mutation(2, "log_complaint", complaint),
        mutation(3, "log_visit", visit_args(customer)),
    )
    assert [r["status"] for r in answer["results"]] == ["applied", "failed", "applied"]
    failed = answer["results"][1]
    assert (failed["code"], failed["retryable"], failed["attempts"]) == ("server_error", True, 1)
    assert answer["last_acknowledged_seq"] == 3
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 2
    with in_app():
        [kept] = db.session.scalars(sa.select(SyncFailedMutation)).all()
        assert (kept.seq, kept.name, kept.args, kept.attempts) == (2, "log_complaint", complaint, 1)
        assert kept.error == "RuntimeError: a bug, not a refusal"
        assert kept.gave_up_at is None
        # Not acknowledged as done: no stored result, so a retry tries it again.
        assert db.session.get(SyncMutation, (device, 2)) is None


def test_a_failing_mutation_is_failed_for_good_after_three_attempts(
    client, auth, mgr, in_app, monkeypatch
):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    _break(monkeypatch, "log_complaint", _crash)
    complaint = mutation(2, "log_complaint", complaint_args(customer))
    first = mutation(1, "log_visit", visit_args(customer))
    answers = [pushed(client, device, first, complaint)["results"][1] for _ in range(3)]
    assert [(a["status"], a["code"], a["attempts"]) for a in answers] == [
        ("failed", "server_error", 1),
        ("failed", "server_error", 2),
        ("rejected", "mutation_failed", 3),
    ]
    assert answers[2]["retryable"] is False
    # From now on the stored answer, whatever happens to the bug; the queue moved on.
    monkeypatch.undo()
    assert pushed(client, device, complaint)["results"][0] == answers[2]
    after = pushed(client, device, mutation(3, "log_visit", visit_args(customer)))
    assert after["results"][0]["status"] == "applied"
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 2

    # The manager sees their own; an admin sees everyone's; others are refused.
    [mine] = client.get(f"{FAILED}/mine").json["items"]
    assert (mine["seq"], mine["status"], mine["attempts"]) == (2, "failed", 3)
    assert mine["args"] == complaint["args"]
    refused = client.get(FAILED)
    assert refused.status_code == 403
    auth.login(mgr["lead_a"].username)
    assert client.get(FAILED).status_code == 403
    auth.login(mgr["admin"].username)
    [listed] = client.get(FAILED).json["items"]
    assert (listed["device_id"], listed["username"]) == (str(device), mgr["mgr_a1"].username)
    assert listed["error"] == "RuntimeError: a bug, not a refusal"
    assert client.get(FAILED, query_string={"status": "retrying"}).json["items"] == []


def test_a_mutation_that_fails_once_then_succeeds_applies_once(client, mgr, in_app, monkeypatch):
    customer, device = mgr["cust_a1"], uuid.uuid4()
    _break(monkeypatch, "log_visit", _crash)
    visit = mutation(1, "log_visit", visit_args(customer))
    assert pushed(client, device, visit)["results"][0]["status"] == "failed"
    monkeypatch.undo()  # the bug is fixed (a new release)
    again = pushed(client, device, visit)
    assert again["results"][0]["status"] == "applied"
    assert pushed(client, device, visit) == again
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 1
    with in_app():
        kept = db.session.scalar(sa.select(SyncFailedMutation))
        assert (kept.attempts, kept.settled_at is not None) == (1, True)


def test_a_database_error_mid_batch_is_isolated_and_the_retry_applies_once(
    client, mgr, in_app, monkeypatch
):
    # A statement the database refuses (not a business rule): on PostgreSQL the
    # transaction would be aborted without the savepoint, on both it must not leak.
    customer, device = mgr["cust_a1"], uuid.uuid4()

    def bad_sql(m) -> None:
        db.session.execute(sa.text("SELECT no_such_column FROM no_such_table"))

    _break(monkeypatch, "create_task", bad_sql)
    task_id = str(uuid.uuid4())
    batch = [
        mutation(1, "log_visit", visit_args(customer)),
        mutation(
            2, "create_task", {"id": task_id, "title": "Call", "customer_id": str(customer.id)}
        ),
        mutation(3, "log_visit", visit_args(customer)),
    ]
    answer = pushed(client, device, *batch)
    assert [r["status"] for r in answer["results"]] == ["applied", "failed", "applied"]
    assert load(in_app, Task, task_id) is None
    monkeypatch.undo()
    retried = pushed(client, device, *batch)
    assert [r["status"] for r in retried["results"]] == ["applied"] * 3
    assert retried["results"][0] == answer["results"][0]
    assert load(in_app, Task, task_id).title == "Call"
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 2
    assert count(in_app, Task, Task.id == uuid.UUID(task_id)) == 1


def test_a_visit_in_year_one_at_plus_fourteen_is_a_field_error_not_a_crash(client, mgr, in_app):
    # Issue 11: 0001-01-01T00:00:00+14:00 overflowed when converted to UTC and failed
    # the whole push, blocking the outbox for ever, on both databases.
    customer, device = mgr["cust_a1"], uuid.uuid4()
    answer = pushed(
        client,
        device,
        mutation(1, "log_visit", visit_args(customer, started_at="0001-01-01T00:00:00+14:00")),
        mutation(2, "log_visit", visit_args(customer)),
    )
    first, second = answer["results"]
    assert (first["status"], first["code"], list(first["fields"])) == (
        "rejected",
        "validation_error",
        ["started_at"],
    )
    assert second["status"] == "applied"
    assert answer["last_acknowledged_seq"] == 2


def test_a_title_with_nul_never_blocks_the_queue(client, mgr, in_app):
    # Issue 11: on PostgreSQL a U+0000 in a create_task title crashed the whole push.
    # It is a field error at the schema level (refused) or, if anything lets it
    # through to the database, an isolated failure: never a blocked queue.
    customer, device = mgr["cust_a1"], uuid.uuid4()
    answer = pushed(
        client,
        device,
        mutation(
            1,
            "create_task",
            {"id": str(uuid.uuid4()), "title": "Call\u0000back", "customer_id": str(customer.id)},
        ),
        mutation(2, "log_visit", visit_args(customer)),
    )
    first, second = answer["results"]
    # SQLite stores a NUL like any character; PostgreSQL's text cannot hold one.
    allowed = ("rejected", "failed") if ON_POSTGRES else ("rejected", "failed", "applied")
    assert first["status"] in allowed, first
    assert second["status"] == "applied"
    assert answer["last_acknowledged_seq"] == 2
    applied = 1 if first["status"] == "applied" else 0
    assert count(in_app, Task, Task.customer_id == customer.id) == applied


# --- interrupted pushes ---------------------------------------------------------------


def _batch(customer) -> list[dict]:
    task_id = str(uuid.uuid4())
    complaint = complaint_args(customer)
    return [
        mutation(1, "log_visit", visit_args(customer)),
        mutation(2, "log_complaint", complaint),
        mutation(3, "add_complaint_note", {"id": complaint["id"], "note": "Called back"}),
        mutation(
            4, "create_task", {"id": task_id, "title": "Draft", "customer_id": str(customer.id)}
        ),
        mutation(
            5,
            "update_task",
            {"id": task_id, "changes": {"title": "Final"}, "base": {"title": "Draft"}},
            base_version=1,
        ),
    ]


def test_an_answer_lost_on_the_way_back_is_answered_again_identically(client, mgr, in_app):
    # The server committed; the connection dropped before the phone read the answer.
    customer, device = mgr["cust_a1"], uuid.uuid4()
    batch = _batch(customer)
    lost = push(client, device, *batch)
    assert lost.status_code == 200  # (the phone never saw this)
    retried = pushed(client, device, *batch)
    assert retried == lost.json
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 1
    task = load(in_app, Task, batch[3]["args"]["id"])
    assert (task.title, task.version) == ("Final", 2)


def test_a_push_whose_commit_fails_is_rolled_back_whole_and_the_retry_applies_once(
    client, mgr, in_app, monkeypatch
):
    # The database fails as a whole (the commit, or a lost connection): nothing of the
    # batch is kept or acknowledged, and the same batch sent again applies once.
    customer, device = mgr["cust_a1"], uuid.uuid4()
    batch = _batch(customer)

    def gone(m) -> None:
        raise sa.exc.OperationalError(
            "SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True
        )

    _break(monkeypatch, "add_complaint_note", gone)
    refused = push(client, device, *batch)
    assert (refused.status_code, refused.json["error"]["code"]) == (503, "database_unavailable")
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 0
    assert load(in_app, SyncDevice, device) is None
    monkeypatch.undo()
    answer = pushed(client, device, *batch)
    assert [r["status"] for r in answer["results"]] == ["applied"] * 5
    assert count(in_app, Visit, Visit.customer_id == customer.id) == 1
    assert load(in_app, Task, batch[3]["args"]["id"]).version == 2


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request, tmp_path):
    if request.param == "postgresql" and not ON_POSTGRES:
        pytest.skip("the PostgreSQL pass runs this on a database of its own")
    server = LiveSync(tmp_path, managers=1, customers=2, sqlite=request.param == "sqlite")
    server.start()
    yield server
    server.close()


def _counts(live: LiveSync, customer_id: str) -> tuple[int, int, int, int]:
    engine = sa.create_engine(live.db_url)
    try:
        with engine.connect() as conn:

            def rows(table: str) -> int:
                where = (
                    "customer_id = :c"
                    if table != "complaint_events"
                    else ("complaint_id IN (SELECT id FROM complaints WHERE customer_id = :c)")
                )
                # uuids are stored as 32 hex digits on SQLite, as uuid on PostgreSQL
                c = uuid.UUID(customer_id)
                value = c.hex if conn.dialect.name == "sqlite" else c
                return conn.execute(
                    sa.text(f"SELECT count(*) FROM {table} WHERE {where}"), {"c": value}
                ).scalar_one()

            return (rows("visits"), rows("complaints"), rows("complaint_events"), rows("tasks"))
    finally:
        engine.dispose()


def _push_live(session, live: LiveSync, device: uuid.UUID, batch: list[dict]):
    return session.post(
        f"{live.url}/api/v1/sync/push",
        json={"device_id": str(device), "schema_version": 2, "mutations": batch},
        timeout=60,
    )


def _live_batch(customer_id: str) -> list[dict]:
    task_id, complaint_id = str(uuid.uuid4()), str(uuid.uuid4())
    started = (utcnow() - timedelta(hours=1)).isoformat()
    return [
        mutation(
            1,
            "log_visit",
            {
                "id": str(uuid.uuid4()),
                "customer_id": customer_id,
                "channel": "phone",
                "purpose": "routine",
                "started_at": started,
            },
        ),
        mutation(
            2,
            "log_complaint",
            {
                "id": complaint_id,
                "customer_id": customer_id,
                "category": "broadband",
                "severity": "medium",
                "intake_channel": "in_person",
                "description": "Drops every evening",
            },
        ),
        mutation(3, "add_complaint_note", {"id": complaint_id, "note": "Called back"}),
        mutation(4, "create_task", {"id": task_id, "title": "Draft", "customer_id": customer_id}),
    ]


# One visit, one complaint with its intake event and a note, one task.
ONCE = (1, 1, 2, 1)


def test_a_push_answered_then_retried_after_a_restart_answers_the_same(live):
    manager = live.seed["managers"][0]
    customer = manager["customers"][0]
    session, device = signed_in(live, manager["username"]), uuid.uuid4()
    batch = _live_batch(customer)
    first = _push_live(session, live, device, batch)
    assert first.status_code == 200, first.text
    live.kill()  # the answer is lost with the process; the phone retries later
    live.start()
    retried = _push_live(session, live, device, batch)
    assert retried.status_code == 200, retried.text
    assert retried.json() == first.json()
    assert _counts(live, customer) == ONCE


def test_a_push_cut_off_by_a_crash_and_retried_applies_everything_once(live):
    # The server process dies while pushes are in flight: whatever it had committed
    # stays, the rest was rolled back with the connection; the retried pushes after
    # the restart apply what is missing, once.
    manager = live.seed["managers"][0]
    session = signed_in(live, manager["username"])
    customers = manager["customers"]
    devices = [(uuid.uuid4(), _live_batch(customers[i % 2])) for i in range(6)]
    pool = ThreadPoolExecutor(max_workers=6)
    pending = [pool.submit(_push_live, session, live, d, b) for d, b in devices]
    time.sleep(0.15)
    live.kill()
    for future in pending:
        # The connection dropped: the phone never got an answer.
        with contextlib.suppress(requests.RequestException):
            future.result()
    pool.shutdown()
    live.start()
    for device, batch in devices:
        answer = _push_live(session, live, device, batch)
        assert answer.status_code == 200, answer.text
        assert [r["status"] for r in answer.json()["results"]] == ["applied"] * 4
    total = [sum(x) for x in zip(*(_counts(live, c) for c in customers), strict=True)]
    assert total == [3 * n * 2 for n in ONCE]


def test_client_time_far_in_the_past_is_kept_not_a_failure(client, mgr, in_app):
    customer = mgr["cust_a1"]
    old = (utcnow() - timedelta(days=400)).isoformat()
    answer = pushed(
        client, uuid.uuid4(), mutation(1, "log_visit", visit_args(customer), client_time=old)
    )
    assert answer["results"][0]["status"] == "applied"
