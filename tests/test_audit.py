"""The audit trail: recorded with the change it describes, append-only, read by admins."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from server.audit.models import AuditEvent
from server.audit.services import record
from server.customers.models import AssignmentHistory
from server.extensions import db
from tests.conftest import _empty_tables


def _events(in_app, action: str | None = None) -> list[AuditEvent]:
    with in_app():
        stmt = sa.select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
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
        return [e["action"] for e in response.json["items"]]

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
    page = client.get("/api/v1/audit", query_string={"per_page": 2, "page": 2}).json
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
