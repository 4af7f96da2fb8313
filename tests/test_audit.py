"""The audit trail: recorded with the change it describes, append-only, read by admins."""

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import DBAPIError

from server.audit.models import AuditEvent
from server.audit.services import record
from server.customers.models import AssignmentHistory
from server.extensions import db
from tests.conftest import _empty_tables
from tests.test_indicators import at, june  # noqa: F401  (a fixture)
from tests.test_review_exports import export
from tests.test_sync_conflicts import CONFLICTS, _task_conflict, setup  # noqa: F401  (a fixture)


def _events(in_app, action: str | None = None) -> list[AuditEvent]:
    """Events oldest first: those with this action, or all but sign-ins (auth.*, which
    every test's login adds: tests/test_account_security.py covers them)."""
    with in_app():
        stmt = sa.select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        else:
            stmt = stmt.where(AuditEvent.action.not_like("auth.%"))
        return list(db.session.scalars(stmt))


# --- append-only, in the database ---------------------------------------------------


def _refused(statement: str | sa.Executable) -> str:
    """Run `statement` in a savepoint; return the database's refusal message."""
    if isinstance(statement, str):
        statement = sa.text(statement)
    with pytest.raises(DBAPIError) as refused, db.session.begin_nested():
        db.session.execute(statement)
    return str(refused.value.orig)


def test_the_database_refuses_to_update_or_delete_audit_events(in_app, make_user):
    admin = make_user("admin")
    with in_app():
        record("test.something", actor=admin, details={"n": 1})
        db.session.flush()
        event_id = db.session.scalar(sa.select(AuditEvent.id))
        mine = AuditEvent.id == event_id
        assert "append-only" in _refused(
            sa.update(AuditEvent).where(mine).values(action="test.other")
        )
        assert "append-only" in _refused(sa.delete(AuditEvent).where(mine))
        assert "append-only" in _refused("DELETE FROM audit_events")
        assert db.session.scalar(sa.select(AuditEvent.action)) == "test.something"


def test_the_database_refuses_to_update_or_delete_assignment_history(
    client, auth, team_setup, in_app
):
    # The issue: "assignment_history can be updated and deleted in the database".
    auth.login(team_setup["lead_a"].username)
    customer = team_setup["cust_a1"]
    moved = client.post(
        f"/api/v1/customers/{customer.id}/assign",
        json={"manager_id": str(team_setup["mgr_a2"].id), "reason": "Moved"},
    )
    assert moved.status_code == 200, moved.json
    with in_app():
        entry_id = db.session.scalar(
            sa.select(AssignmentHistory.id).where(AssignmentHistory.customer_id == customer.id)
        )
        mine = AssignmentHistory.id == entry_id
        assert "append-only" in _refused(
            sa.update(AssignmentHistory).where(mine).values(reason="rewritten")
        )
        assert "append-only" in _refused(sa.delete(AssignmentHistory).where(mine))
        assert "append-only" in _refused("UPDATE assignment_history SET reason = 'x'")
        assert db.session.get(AssignmentHistory, entry_id).reason == "Moved"


@pytest.mark.postgres_only
def test_postgresql_refuses_to_truncate_the_append_only_tables(in_app):
    with in_app():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        assert "append-only" in _refused("TRUNCATE audit_events")
        assert "append-only" in _refused("TRUNCATE assignment_history CASCADE")


# --- record() -----------------------------------------------------------------------


def test_record_outside_a_request_is_the_system(in_app):
    with in_app():
        record("test.nightly", target_type="customer", target_id=uuid.UUID(int=7))
        db.session.flush()
        event = db.session.scalar(sa.select(AuditEvent))
    assert event.actor_id is None
    assert event.actor_username is None
    assert event.target_id == "00000000-0000-0000-0000-000000000007"
    assert event.details == {}
    assert event.ip is None


# --- the admin API ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "lead"])
def test_only_admins_read_the_audit_trail(client, auth, make_user, role):
    make_user(role, username="someone")
    auth.login("someone")
    response = client.get("/api/v1/audit")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_admins_filter_the_audit_trail_newest_first(client, auth, make_user, in_app):
    admin = make_user("admin", username="root")
    other = make_user("admin", username="other")
    now = datetime.now(UTC)
    with in_app():
        for minutes, action, actor in [
            (30, "team.user_role", admin),
            (20, "imports.customers", other),
            (10, "team.user_deactivated", admin),
        ]:
            db.session.add(
                AuditEvent(
                    at=now - timedelta(minutes=minutes),
                    action=action,
                    actor_id=actor.id,
                    actor_username=actor.username,
                    target_type="user",
                    target_id=str(other.id),
                    details={},
                )
            )
        db.session.commit()
    auth.login("root")

    def actions(**query):
        response = client.get("/api/v1/audit", query_string=query)
        assert response.status_code == 200, response.json
        return [e["action"] for e in response.json["items"] if e["action"] != "auth.sign_in"]

    assert actions() == ["team.user_deactivated", "imports.customers", "team.user_role"]
    assert actions(action="team") == ["team.user_deactivated", "team.user_role"]
    assert actions(action="team.user_role") == ["team.user_role"]
    assert actions(actor_id=str(other.id)) == ["imports.customers"]
    assert actions(target_type="user", target_id=str(other.id), per_page=1) == [
        "team.user_deactivated"
    ]
    since = (now - timedelta(minutes=25)).isoformat()
    until = (now - timedelta(minutes=15)).isoformat()
    assert actions(**{"from": since, "to": until}) == ["imports.customers"]
    page = client.get(
        "/api/v1/audit", query_string={"target_id": str(other.id), "per_page": 2, "page": 2}
    ).json
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 1)


def test_a_mistyped_or_backwards_filter_is_refused(client, auth, make_user):
    make_user("admin", username="root")
    auth.login("root")
    assert client.get("/api/v1/audit?actor=root").status_code == 422
    response = client.get(
        "/api/v1/audit",
        query_string={"from": "2026-12-02T10:00:00+00:00", "to": "2026-12-01T10:00:00+00:00"},
    )
    assert response.status_code == 422
    assert "to" in response.json["error"]["fields"]


@pytest.mark.committed
def test_committed_tests_clean_up_past_the_triggers_and_leave_them_in_place(
    client, auth, team_setup, in_app
):
    # `committed` tests end by emptying every table (tests/conftest.py::_empty_tables),
    # append-only ones included; the triggers must be in force again afterwards.
    auth.login(team_setup["lead_a"].username)
    customer = team_setup["cust_a1"]
    moved = client.post(
        f"/api/v1/customers/{customer.id}/assign",
        json={"manager_id": str(team_setup["mgr_a2"].id), "reason": "Moved"},
    )
    assert moved.status_code == 200, moved.json
    with in_app():
        record("test.committed")
        db.session.commit()
        _empty_tables()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentHistory)) == 0
        record("test.after_cleanup")
        db.session.commit()
        assert "append-only" in _refused("DELETE FROM audit_events")


# --- what each domain records --------------------------------------------------------


def _details(event: AuditEvent) -> dict:
    return {k: v for k, v in event.details.items() if k != "reason"}


def test_assignments_record_one_event_per_action_with_count_and_reason(
    client, auth, team_setup, in_app
):
    rows = team_setup
    lead, a1, a2 = rows["lead_a"], rows["mgr_a1"], rows["mgr_a2"]
    auth.login(lead.username)

    def post(path: str, body: dict) -> dict:
        response = client.post(path, json=body)
        assert response.status_code == 200, response.json
        return response.json

    # cust_a1 goes to mgr_a2.
    post(
        f"/api/v1/customers/{rows['cust_a1'].id}/assign",
        {"manager_id": str(a2.id), "reason": "Closer to home"},
    )
    # Back to mgr_a1 with cust_a1_2 (already theirs) and the unassigned one; a dry run
    # first, which records nothing.
    ids = [str(rows[n].id) for n in ("cust_a1", "cust_a1_2", "unassigned")]
    bulk = {"customer_ids": ids, "manager_id": str(a1.id), "reason": "Back"}
    assert post("/api/v1/customers/assign", bulk | {"dry_run": True})["assigned"] == 2
    assert post("/api/v1/customers/assign", bulk)["assigned"] == 2
    # Each to its own: cust_a1 to mgr_a2, cust_a2 (mgr_a2's) to mgr_a1, one to the pool.
    moves = [
        {"customer_id": str(rows["cust_a1"].id), "manager_id": str(a2.id)},
        {"customer_id": str(rows["cust_a2"].id), "manager_id": str(a1.id)},
        {"customer_id": str(rows["unassigned"].id), "manager_id": None},
    ]
    assert (
        post("/api/v1/customers/reassign", {"moves": moves, "reason": "Rebalance"})["assigned"] == 3
    )
    # mgr_a1 leaves with cust_a1_2 and cust_a2, both to mgr_a2, the team's only other.
    handover = {"manager_id": str(a1.id), "reason": "Leaving", "dry_run": False}
    assert post(f"/api/v1/teams/{rows['team_a'].id}/handover", handover)["assigned"] == 2

    events = [e for e in _events(in_app) if e.action.startswith("customers.")]
    assert [(e.action, e.target_type, e.target_id, e.details) for e in events] == [
        (
            "customers.assign",
            "customer",
            str(rows["cust_a1"].id),
            {
                "count": 1,
                "unchanged": 0,
                "reason": "Closer to home",
                "from_manager_id": str(a1.id),
                "to_manager_id": str(a2.id),
            },
        ),
        (
            "customers.assign_bulk",
            "user",
            str(a1.id),
            {"count": 2, "unchanged": 1, "reason": "Back", "to_manager_id": str(a1.id)},
        ),
        (
            "customers.reassign",
            None,
            None,
            {"count": 3, "unchanged": 0, "reason": "Rebalance", "managers": 3},
        ),
        (
            "customers.handover",
            "user",
            str(a1.id),
            {"count": 2, "unchanged": 0, "reason": "Leaving", "receivers": 1},
        ),
    ]
    assert {(e.actor_id, e.actor_username, e.ip) for e in events} == {
        (lead.id, lead.username, "127.0.0.1")
    }
    assert all(e.device_id is not None for e in events)


def test_role_team_and_active_changes_of_users_are_recorded(
    client, auth, team_setup, make_user, in_app
):
    rows = team_setup
    admin = rows["admin"]
    auth.login(admin.username)
    manager = rows["mgr_a1"]
    url = f"/api/v1/users/{manager.id}"
    assert client.patch(url, json={"display_name": "Renamed"}).status_code == 200
    assert client.patch(url, json={"team_id": str(rows["team_b"].id)}).status_code == 200
    assert client.patch(url, json={"role": "lead", "team_id": None}).status_code == 200
    assert client.patch(url, json={"active": False}).status_code == 200
    # Refused (422): nothing is recorded, as nothing changed.
    assert client.patch(f"/api/v1/users/{admin.id}", json={"active": False}).status_code == 422

    events = [e for e in _events(in_app) if e.target_id == str(manager.id)]
    team_a, team_b = rows["team_a"].name, rows["team_b"].name
    name = manager.username
    assert [(e.action, e.details) for e in events] == [
        ("team.user_team", {"username": name, "from": team_a, "to": team_b}),
        ("team.user_role", {"username": name, "from": "manager", "to": "lead"}),
        ("team.user_team", {"username": name, "from": team_b, "to": None}),
        ("team.user_deactivated", {"username": name}),
    ]
    assert {(e.actor_id, e.target_type) for e in events} == {(admin.id, "user")}
    assert _events(in_app, "team.user_created") == []


def test_creating_users_and_teams_is_recorded(client, auth, make_user, in_app):
    admin = make_user("admin", username="root")
    auth.login("root")
    team = client.post("/api/v1/teams", json={"name": "East"}).json
    created = client.post(
        "/api/v1/users",
        json={
            "username": "newbie",
            "display_name": "New",
            "role": "manager",
            "password": "a long enough passphrase 42",
            "team_id": team["id"],
        },
    )
    assert created.status_code == 201, created.json
    assert client.patch(f"/api/v1/teams/{team['id']}", json={"name": "East 2"}).status_code == 200
    events = [(e.action, e.target_id, e.details) for e in _events(in_app)]
    assert events == [
        ("team.team_created", team["id"], {"name": "East"}),
        (
            "team.user_created",
            created.json["id"],
            {"username": "newbie", "role": "manager", "team": "East"},
        ),
        ("team.team_renamed", team["id"], {"from": "East", "to": "East 2"}),
    ]
    assert {e.actor_id for e in _events(in_app)} == {admin.id}


def test_imports_record_the_file_and_the_counts(client, auth, make_user, make_team, in_app):
    team = make_team()
    make_user("manager", username="mgr_wang", team=team)
    make_user("manager", username="mgr_li", team=team)
    admin = make_user("admin", username="root")
    auth.login("root")
    csv = (
        "external_no,kind,name,tier,manager\n"
        "C100,individual,王芳,gold,mgr_wang\n"
        "C101,individual,李雷,gold,\n"
        "C102,individual,韩梅梅,nosuchtier,\n"
    ).encode()

    def upload(what: str, data: bytes, name: str, partial: bool):
        return client.post(
            f"/api/v1/imports/{what}" + ("?partial=true" if partial else ""),
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    # All or nothing, and refused: nothing written, nothing recorded.
    assert upload("customers", csv, "crm-0601.csv", partial=False).status_code == 422
    assert _events(in_app) == []
    assert upload("customers", csv, "crm-0601.csv", partial=True).status_code == 200
    again = csv.replace(b"gold,mgr_wang", b"gold,mgr_li")  # C100 changes manager
    assert upload("customers", again, "crm-0602.csv", partial=True).status_code == 200
    spend = b"external_no,month,service,amount\nC100,2026-05,mobile,128.00\nC999,2026-05,mobile,1\n"
    assert upload("spend", spend, "billing-05.csv", partial=True).status_code == 200

    events = _events(in_app)
    assert [(e.action, e.actor_id, e.details) for e in events] == [
        (
            "imports.customers",
            admin.id,
            {
                "file": "crm-0601.csv",
                "partial": True,
                "created": 2,
                "updated": 0,
                "unchanged": 0,
                "skipped": 1,
                "reassigned": 0,
            },
        ),
        (
            "imports.customers",
            admin.id,
            {
                "file": "crm-0602.csv",
                "partial": True,
                "created": 0,
                "updated": 1,
                "unchanged": 1,
                "skipped": 1,
                "reassigned": 1,
            },
        ),
        (
            "imports.spend",
            admin.id,
            {
                "file": "billing-05.csv",
                "partial": True,
                "created": 1,
                "updated": 0,
                "unchanged": 0,
                "skipped": 1,
            },
        ),
    ]


def test_an_import_from_the_command_line_is_the_systems(runner, in_app, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text("external_no,kind,name,tier\nC200,individual,王芳,gold\n", encoding="utf-8")
    result = runner.invoke(args=["import", "customers", str(path)])
    assert result.exit_code == 0, result.output
    [event] = _events(in_app)
    assert (event.action, event.actor_id, event.details["file"], event.details["created"]) == (
        "imports.customers",
        None,
        "crm.csv",
        1,
    )


@pytest.fixture
def in_july():
    """The clock of test_indicators' `june` (its own is autouse: not imported here)."""
    with time_machine.travel(at(7, 5, 10), tick=False):
        yield


def test_a_review_export_is_recorded_as_its_requester(
    in_july,
    client,
    auth,
    run_jobs,
    in_app,
    june,  # noqa: F811  (the fixture imported above)
):
    auth.login(june["admin"].username)
    done, _data = export(
        client, run_jobs, team_id=str(june["team_a"].id), unmasked=True, language="en"
    )
    [event] = _events(in_app, "reviews.export")
    assert (event.actor_id, event.actor_username) == (june["admin"].id, june["admin"].username)
    assert (event.target_type, event.target_id) == ("job", done["id"])
    assert event.details == {
        "format": "xlsx",
        "team_id": str(june["team_a"].id),
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-30",
        "rows": done["result"]["rows"],
        "unmasked": True,
    }


def test_resolving_a_conflict_is_recorded_without_the_values(
    client,
    auth,
    setup,  # noqa: F811  (the fixture imported above)
    in_app,
):
    task, conflict = _task_conflict(client, auth, setup)
    auth.login(setup["lead_a"].username)
    response = client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "restored"})
    assert response.status_code == 200, response.json
    # The same choice again changes nothing and records nothing.
    client.post(f"{CONFLICTS}/{conflict['id']}/resolve", json={"choice": "restored"})
    [event] = _events(in_app, "sync.conflict_resolved")
    assert (event.actor_id, event.target_type, event.target_id) == (
        setup["lead_a"].id,
        "sync_conflict",
        conflict["id"],
    )
    assert event.details == {
        "choice": "restored",
        "kind": "field",
        "entity": "tasks",
        "row_id": task["id"],
        "customer_id": str(setup["cust_a1"].id),
        "field": "title",
        "mutation": "update_task",
        "author_id": str(setup["mgr_a1"].id),
    }
