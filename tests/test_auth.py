"""Sign-in, device sessions, remember-me and CSRF."""

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from server.auth.models import DeviceSession, Role
from server.auth.services import revoke_all_sessions
from server.extensions import db
from server.models_base import utcnow
from tests.conftest import PASSWORD


def test_login_returns_user_and_csrf_token(client, auth, make_user):
    user = make_user(Role.MANAGER, username="wang")
    response = auth.login("wang")
    assert response.status_code == 200
    assert response.json["user"]["username"] == "wang"
    assert response.json["user"]["id"] == str(user.id)
    assert len(response.json["csrf_token"]) >= 32
    assert "password" not in response.json["user"]
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json["csrf_token"] == response.json["csrf_token"]


def test_wrong_password_and_unknown_user_get_the_same_401(client, make_user):
    make_user(username="li")
    wrong = client.post("/api/v1/auth/login", json={"username": "li", "password": "nope"})
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    assert wrong.json["error"]["code"] == "invalid_credentials"


def test_deactivated_user_cannot_sign_in(client, auth, make_user, in_app):
    user = make_user(username="gone")
    with in_app():
        db.session.get(type(user), user.id).active = False
        db.session.commit()
    assert auth.login("gone").status_code == 401


def test_me_without_session_is_401(client):
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_logout_ends_the_session_and_a_copied_cookie_stops_working(app, client, auth, make_user):
    make_user(username="zhao")
    auth.login("zhao", remember=True)
    copied = app.test_client()
    for cookie in client._cookies.values():
        copied.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    assert copied.get("/api/v1/auth/me").status_code == 200
    assert auth.logout().status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401
    assert copied.get("/api/v1/auth/me").status_code == 401


def test_remember_me_survives_losing_the_session_cookie(app, client, auth, make_user):
    make_user(username="sun")
    auth.login("sun", remember=True)
    # A phone that restarted the browser keeps only the persistent remember cookie.
    client.delete_cookie("session")
    assert client.get("/api/v1/auth/me").status_code == 200


def test_without_remember_me_losing_the_session_cookie_signs_out(client, auth, make_user):
    make_user(username="zhou")
    auth.login("zhou", remember=False)
    client.delete_cookie("session")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_remembered_session_lasts_weeks_and_expires_after_idle_limit(
    client, auth, make_user, in_app
):
    make_user(username="wu")
    response = auth.login("wu", remember=True)
    with in_app():
        ds = db.session.scalar(sa.select(DeviceSession))
        assert ds.expires_at - ds.created_at == timedelta(days=30)
        ds.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert response.status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401


def test_revoking_all_sessions_signs_every_device_out(app, client, auth, make_user, in_app):
    user = make_user(username="zheng")
    auth.login("zheng")
    other = app.test_client()
    other.post("/api/v1/auth/login", json={"username": "zheng", "password": PASSWORD})
    with in_app():
        assert revoke_all_sessions(user.id) == 2
        db.session.commit()
    assert client.get("/api/v1/auth/me").status_code == 401
    assert other.get("/api/v1/auth/me").status_code == 401


def test_write_without_csrf_header_is_rejected(client, auth, make_user):
    make_user(username="feng")
    auth.login("feng")
    del client.environ_base["HTTP_X_CSRF_TOKEN"]
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "csrf_failed"
    # Nothing happened: the session is still alive.
    assert client.get("/api/v1/auth/me").status_code == 200


def test_write_with_another_sessions_csrf_token_is_rejected(app, client, auth, make_user):
    make_user(username="chen")
    auth.login("chen")
    other = app.test_client()
    other_token = other.post(
        "/api/v1/auth/login", json={"username": "chen", "password": PASSWORD}
    ).json["csrf_token"]
    response = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": other_token})
    assert response.status_code == 403


def test_login_validation_errors_name_the_fields(client):
    response = client.post("/api/v1/auth/login", json={"username": 5})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"username", "password"}


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def _expires_at(in_app):
    with in_app():
        return db.session.scalar(sa.select(DeviceSession.expires_at))


def test_any_request_slides_the_idle_expiry_even_one_that_fails(client, auth, make_user, in_app):
    """Reading is activity: a user who only reads must not be signed out after 12 hours."""
    start = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)
    make_user(username="lin")
    with time_machine.travel(start, tick=False) as clock:
        auth.login("lin")
        assert _expires_at(in_app) == start + timedelta(hours=12)
        clock.shift(timedelta(hours=1))
        assert client.get("/api/v1/customers").status_code == 200
        assert _expires_at(in_app) == start + timedelta(hours=13)
        # A refused request is rolled back, but the slide is kept.
        clock.shift(timedelta(hours=1))
        assert client.get(f"/api/v1/customers/{uuid.uuid4()}").status_code == 404
        bad = client.patch(f"/api/v1/tasks/{uuid.uuid4()}", json={"title": ""})
        assert bad.status_code == 422
        assert _expires_at(in_app) == start + timedelta(hours=14)
        # Past the expiry the sign-in gave (12 h) and the first slide (13 h).
        clock.shift(timedelta(hours=11, minutes=30))
        assert client.get("/api/v1/auth/me").status_code == 200
        clock.shift(timedelta(hours=12, minutes=1))
        assert client.get("/api/v1/auth/me").status_code == 401
