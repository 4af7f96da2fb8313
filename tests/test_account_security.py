"""Accounts resist abuse (issue 11, item 1): throttling, lock-out, constant-cost refusal,
password rules, self-service change, absolute session lifetime, `__Host-` cookies."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import argon2
import pytest
import redis
import sqlalchemy as sa
import time_machine
from argon2 import PasswordHasher

from config import ProductionConfig, TestConfig
from server import create_app
from server.audit.models import AuditEvent
from server.auth.models import DeviceSession, Role, SignInFailures
from server.extensions import db
from server.models_base import utcnow
from tests.conftest import PASSWORD

LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "a-new-Secret-of-mine"


def _login(client, username, password=PASSWORD, **headers):
    return client.post(LOGIN, json={"username": username, "password": password}, headers=headers)


@pytest.fixture
def no_throttle(app, monkeypatch):
    """Lift the per-account and per-address throttles to look at the lock-out alone."""
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "10000 per minute")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "10000 per minute")


# --- lock-out --------------------------------------------------------------------------------


def test_fifty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(
    client, make_user, in_app, no_throttle
):
    """The issue: 50 wrong passwords in 9.6 s, all 401, then the right one worked."""
    start = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    make_user(username="target")
    with time_machine.travel(start, tick=False) as clock:
        answers = [_login(client, "target", f"guess-{n}") for n in range(50)]
        assert [a.status_code for a in answers[:9]] == [401] * 9
        assert {a.status_code for a in answers[9:]} == {423}
        locked = answers[9].json["error"]
        assert locked["code"] == "account_locked"
        assert locked["locked_until"] == "2026-12-02T13:15:00+00:00"
        assert "2026-12-02 13:15 UTC" in locked["message"]

        right = _login(client, "target")
        assert right.status_code == 423
        assert right.json["error"]["locked_until"] == "2026-12-02T13:15:00+00:00"
        # Every refusal was rolled back with its request, yet the count was kept; the
        # attempts during the lock were not counted and did not extend it.
        with in_app():
            state = db.session.get(SignInFailures, "target")
            assert (state.failures, state.locked_until) == (10, start + timedelta(minutes=15))

        clock.shift(timedelta(minutes=15, seconds=1))
        assert _login(client, "target").status_code == 200
        with in_app():
            assert db.session.get(SignInFailures, "target") is None


def test_after_a_lock_runs_out_the_next_wrong_password_locks_again(client, make_user, no_throttle):
    start = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    make_user(username="again")
    with time_machine.travel(start, tick=False) as clock:
        for n in range(10):
            _login(client, "again", f"guess-{n}")
        clock.shift(timedelta(minutes=16))
        relock = _login(client, "again", "guess-10")
        assert relock.status_code == 423
        assert relock.json["error"]["locked_until"] == "2026-12-02T13:31:00+00:00"


def test_an_unknown_username_is_locked_exactly_like_a_real_one(client, make_user, no_throttle):
    make_user(username="real")
    with time_machine.travel(datetime(2026, 12, 2, 13, 0, tzinfo=UTC), tick=False):
        real = [_login(client, "real", "wrong-password") for _ in range(11)]
        ghost = [_login(client, "ghost", "wrong-password") for _ in range(11)]
    assert [r.status_code for r in real] == [g.status_code for g in ghost]
    assert [r.json for r in real] == [g.json for g in ghost]


def test_a_right_password_clears_the_count(client, make_user, no_throttle, in_app):
    make_user(username="forgetful")
    for n in range(9):
        assert _login(client, "forgetful", f"guess-{n}").status_code == 401
    assert _login(client, "forgetful").status_code == 200
    for n in range(9):
        assert _login(client, "forgetful", f"guess-{n}").status_code == 401
    with in_app():
        assert db.session.get(SignInFailures, "forgetful").failures == 9


def test_an_admin_sees_the_lock_and_lifts_it(app, client, auth, team_setup, no_throttle):
    target = team_setup["mgr_a1"]
    phone = app.test_client()
    for n in range(10):
        _login(phone, target.username, f"guess-{n}")
    assert _login(phone, target.username).status_code == 423

    auth.login(team_setup["admin"].username)
    listed = {u["username"]: u for u in client.get("/api/v1/users").json}
    assert listed[target.username]["locked_until"] is not None
    assert listed[team_setup["mgr_a2"].username]["locked_until"] is None
    assert client.get(f"/api/v1/users/{target.id}").json["locked_until"] is not None

    unlocked = client.post(f"/api/v1/users/{target.id}/unlock")
    assert unlocked.status_code == 200
    assert unlocked.json["locked_until"] is None
    assert _login(phone, target.username).status_code == 200


def test_only_an_admin_may_unlock(app, client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    response = client.post(f"/api/v1/users/{team_setup['mgr_a1'].id}/unlock")
    assert response.status_code == 403


def test_an_admin_password_reset_also_lifts_the_lock(app, client, auth, team_setup, no_throttle):
    target = team_setup["mgr_a2"]
    phone = app.test_client()
    for n in range(10):
        _login(phone, target.username, f"guess-{n}")
    auth.login(team_setup["admin"].username)
    reset = client.post(f"/api/v1/users/{target.id}/password", json={"password": NEW_PASSWORD})
    assert reset.status_code == 204
    assert _login(phone, target.username, NEW_PASSWORD).status_code == 200


# --- throttling ------------------------------------------------------------------------------


def test_refused_sign_ins_for_one_username_are_throttled(client, make_user):
    make_user(username="slowed")
    make_user(username="bystander")
    answers = [_login(client, "slowed", f"guess-{n}") for n in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    error = answers[5].json["error"]
    assert error["code"] == "too_many_attempts"
    assert 1 <= error["retry_after"] <= 60
    assert answers[5].headers["Retry-After"] == str(error["retry_after"])
    # Even the right password waits; another account from the same address does not.
    assert _login(client, "slowed").status_code == 429
    assert _login(client, "bystander").status_code == 200


def test_refused_sign_ins_from_one_address_are_throttled(client, make_user, monkeypatch, app):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per minute")
    make_user(username="office")
    # Successful sign-ins are not counted: a whole office behind one address signs in.
    for _ in range(5):
        assert _login(client, "office").status_code == 200
    for name in ("a1", "a2", "a3"):
        assert _login(client, name, "x" * 10).status_code == 401
    assert _login(client, "a4", "x" * 10).status_code == 429
    # Another address is not affected, and a forged X-Forwarded-For changes nothing
    # while no proxy is configured (PROXY_HOPS = 0).
    forged = _login(client, "a5", "x" * 10, **{"X-Forwarded-For": "198.51.100.7"})
    assert forged.status_code == 429
    other = client.post(
        LOGIN,
        json={"username": "a5", "password": "x" * 10},
        environ_base={"REMOTE_ADDR": "198.51.100.8"},
    )
    assert other.status_code == 401


class _BehindOneProxy(TestConfig):
    PROXY_HOPS = 1
    LOGIN_LIMIT_PER_ADDRESS = "2 per minute"


def test_behind_a_proxy_the_forwarded_address_is_throttled():
    proxied = create_app(_BehindOneProxy)
    client = proxied.test_client()

    def attempt(forwarded):
        return _login(
            client, f"user-{uuid.uuid4().hex[:8]}", "x" * 10, **{"X-Forwarded-For": forwarded}
        )

    assert attempt("203.0.113.5").status_code == 401
    # A client's own X-Forwarded-For entry comes first; the proxy appends the real one.
    assert attempt("10.9.9.9, 203.0.113.5").status_code == 401
    assert attempt("203.0.113.5").status_code == 429
    assert attempt("203.0.113.6").status_code == 401


def _redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_throttle_counts_are_shared_by_workers_on_redis():
    """Two apps (two gunicorn workers) on one Redis count against the same limit."""
    prefix = f"fieldbook-test-limits-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    class OnRedis(TestConfig):
        RATELIMIT_STORAGE_URI = _redis_url()
        RATELIMIT_KEY_PREFIX = prefix
        LOGIN_LIMIT_PER_ACCOUNT = "3 per minute"

    worker_1, worker_2 = create_app(OnRedis).test_client(), create_app(OnRedis).test_client()
    connection = redis.Redis.from_url(_redis_url())
    try:
        assert _login(worker_1, "shared", "x" * 10).status_code == 401
        assert _login(worker_2, "shared", "x" * 10).status_code == 401
        assert _login(worker_1, "shared", "x" * 10).status_code == 401
        assert _login(worker_2, "shared", "x" * 10).status_code == 429
        assert connection.keys(f"*{prefix}*account:shared*")
    finally:
        for key in connection.scan_iter(f"*{prefix}*"):
            connection.delete(key)


def test_with_redis_unreachable_sign_in_works_and_is_throttled_in_memory():
    class RedisDown(TestConfig):
        RATELIMIT_STORAGE_URI = "redis://127.0.0.1:1/0"  # nothing listens there
        LOGIN_LIMIT_PER_ACCOUNT = "3 per minute"

    client = create_app(RedisDown).test_client()
    codes = [_login(client, "anyone", "x" * 10).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]


# --- constant cost for unknown usernames -----------------------------------------------------


def test_an_unknown_username_costs_one_verification_like_a_known_one(
    client, make_user, in_app, monkeypatch
):
    """The issue: an unknown username took twice as long (a hash made, then verified)."""
    user = make_user(username="known")
    _login(client, "warm-up-unknown", "wrong-password")  # the dummy hash is made once
    verified: list[str] = []
    hashed: list[str] = []
    real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

    def verify(self, hash_, password):
        verified.append(hash_ if isinstance(hash_, str) else hash_.decode())
        return real_verify(self, hash_, password)

    def hash_(self, password, *, salt=None):
        hashed.append(password)
        return real_hash(self, password, salt=salt)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    monkeypatch.setattr(PasswordHasher, "hash", hash_)

    assert _login(client, "known", "wrong-password").status_code == 401
    assert _login(client, "unknown", "wrong-password").status_code == 401
    assert hashed == []
    assert len(verified) == 2
    known_hash, dummy = verified
    assert known_hash == user.password_hash
    assert dummy != known_hash
    assert argon2.extract_parameters(dummy) == argon2.extract_parameters(known_hash)


# --- password rules --------------------------------------------------------------------------

WEAK = [
    pytest.param("aaaaaaaaaa", id="one character repeated"),
    pytest.param("1234567890", id="digits in a row"),
    pytest.param("password12", id="common password"),
    pytest.param(" " * 10, id="ten spaces"),
    pytest.param("short-pw", id="too short"),
    pytest.param("weakling-pass", id="contains the username"),
]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_at_creation(client, auth, team_setup, password):
    auth.login(team_setup["admin"].username)
    response = client.post(
        "/api/v1/users",
        json={
            "username": "weakling",
            "display_name": "Weak",
            "role": "manager",
            "password": password,
            "team_id": str(team_setup["team_a"].id),
        },
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["password"]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_at_an_admin_reset(
    client, auth, team_setup, make_user, password
):
    target = make_user(Role.MANAGER, username="weakling", team=team_setup["team_a"])
    auth.login(team_setup["admin"].username)
    response = client.post(f"/api/v1/users/{target.id}/password", json={"password": password})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["password"]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_at_a_self_service_change(client, auth, make_user, password):
    make_user(username="weakling")
    auth.login("weakling")
    response = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": password},
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["new_password"]
    assert _login(client, "weakling").status_code == 200


def test_the_shipped_list_is_thousands_of_common_passwords(app):
    from server.auth.passwords import common_passwords

    words = common_passwords()
    assert len(words) > 5000
    assert {"password12", "1234567890", "qwertyuiop"} <= words
    # The demo's and the tests' passwords are fine.
    assert "fieldbook-demo" not in words
    assert PASSWORD not in words


# --- self-service password change ------------------------------------------------------------


def test_changing_ones_password_signs_out_the_other_devices_only(app, client, auth, make_user):
    make_user(username="changer")
    auth.login("changer")
    other_phone = app.test_client()
    assert _login(other_phone, "changer").status_code == 200

    response = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 200
    assert other_phone.get("/api/v1/auth/me").status_code == 401
    fresh = app.test_client()
    assert _login(fresh, "changer").status_code == 401
    assert _login(fresh, "changer", NEW_PASSWORD).status_code == 200


def test_a_wrong_current_password_is_refused_and_counted(
    client, auth, make_user, in_app, no_throttle
):
    make_user(username="borrowed")
    auth.login("borrowed")
    wrong = client.post(
        "/api/v1/auth/password",
        json={"current_password": "not-my-password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert list(wrong.json["error"]["fields"]) == ["current_password"]
    with in_app():
        assert db.session.get(SignInFailures, "borrowed").failures == 1
    same = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD},
    )
    assert same.status_code == 422
    assert list(same.json["error"]["fields"]) == ["new_password"]


def test_a_stolen_session_cannot_guess_the_current_password_past_the_lock(
    client, auth, make_user, no_throttle
):
    make_user(username="stolen")
    auth.login("stolen")
    codes = [
        client.post(
            "/api/v1/auth/password",
            json={"current_password": f"guess-{n}", "new_password": NEW_PASSWORD},
        ).status_code
        for n in range(11)
    ]
    assert codes == [422] * 9 + [423, 423]
    right = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert right.status_code == 423


def test_changing_the_password_needs_a_signed_in_user_and_the_csrf_token(client, make_user):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password", json=body).status_code == 401
    make_user(username="csrf")
    assert _login(client, "csrf").status_code == 200
    assert client.post("/api/v1/auth/password", json=body).status_code == 403


# --- absolute session lifetime ---------------------------------------------------------------


def _age_session(in_app, days, *, expires_in=timedelta(days=10)):
    with in_app():
        ds = db.session.scalar(sa.select(DeviceSession))
        now = utcnow()
        ds.created_at = now - timedelta(days=days)
        ds.last_seen_at = now - timedelta(minutes=10)
        ds.expires_at = now + expires_in
        db.session.commit()


def test_a_session_created_400_days_ago_is_refused_even_if_it_slid(client, auth, make_user, in_app):
    """The issue: a session created 400 days ago still worked and kept sliding."""
    make_user(username="ancient")
    auth.login("ancient", remember=True)
    _age_session(in_app, 400)
    assert client.get("/api/v1/auth/me").status_code == 401


@pytest.mark.parametrize(
    ("remember", "age", "works"),
    [(True, 89, True), (True, 91, False), (False, 0.9, True), (False, 1.1, False)],
)
def test_sessions_live_90_days_remembered_and_1_day_otherwise(
    client, auth, make_user, in_app, remember, age, works
):
    make_user(username="aging")
    auth.login("aging", remember=remember)
    _age_session(in_app, age, expires_in=timedelta(hours=6))
    assert (client.get("/api/v1/auth/me").status_code == 200) is works


def test_sliding_stops_at_the_absolute_lifetime(client, auth, make_user, in_app):
    make_user(username="slider")
    auth.login("slider", remember=True)
    _age_session(in_app, 80)
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    with in_app():
        ds = db.session.scalar(sa.select(DeviceSession))
        assert ds.expires_at == ds.created_at + timedelta(days=90)


# --- __Host- cookies in production -----------------------------------------------------------


class _Production(ProductionConfig):
    """Production settings on the test database (check() runs only for ProductionConfig)."""

    SECRET_KEY = "production-test-secret-" + "x" * 16
    SQLALCHEMY_DATABASE_URI = TestConfig.SQLALCHEMY_DATABASE_URI
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = TestConfig.REDIS_URL


def test_production_cookies_carry_the_host_prefix(make_user):
    make_user(username="prod")
    app = create_app(_Production)
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "fieldbook.example"})
    response = client.post(LOGIN, json={"username": "prod", "password": PASSWORD, "remember": True})
    assert response.status_code == 200
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"__Host-fieldbook_session", "__Host-fieldbook_remember"}
    for header in cookies.values():
        attributes = [part.strip().lower() for part in header.split(";")]
        assert "secure" in attributes
        assert "path=/" in attributes
        assert "httponly" in attributes
        assert not any(a.startswith("domain=") for a in attributes)
    client.environ_base["HTTP_X_CSRF_TOKEN"] = response.json["csrf_token"]
    assert client.get("/api/v1/auth/me").status_code == 200
    # The remember cookie alone (a browser restart) still signs the phone in.
    client.delete_cookie("__Host-fieldbook_session", domain="fieldbook.example")
    assert client.get("/api/v1/auth/me").status_code == 200


def test_the_demo_and_the_tests_keep_plain_cookie_names(client, make_user):
    make_user(username="plain")
    response = _login(client, "plain")
    assert [c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie")] == ["session"]


# --- audit -----------------------------------------------------------------------------------


def _audit(in_app, prefix="auth."):
    with in_app():
        rows = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return [(e.action, e.actor_username, e.details) for e in rows]


def test_sign_ins_refusals_and_locks_are_audited_although_refused(
    app, client, auth, team_setup, in_app, no_throttle
):
    target = team_setup["mgr_a1"]
    name = target.username
    with time_machine.travel(datetime(2026, 12, 2, 13, 0, tzinfo=UTC), tick=False):
        assert _login(app.test_client(), name).status_code == 200
        stranger = app.test_client()
        for n in range(10):
            _login(stranger, name, f"guess-{n}")
        assert _login(stranger, name).status_code == 423
        _login(stranger, "nobody-at-all", "guess")
        events = _audit(in_app)
    assert sorted(events, key=repr) == sorted(
        [
            ("auth.sign_in", name, {}),
            *[
                ("auth.sign_in_failed", None, {"username": name, "failures": n})
                for n in range(1, 11)
            ],
            ("auth.locked", None, {"username": name, "locked_until": "2026-12-02T13:15:00+00:00"}),
            ("auth.sign_in_failed", None, {"username": name, "reason": "locked"}),
            ("auth.sign_in_failed", None, {"username": "nobody-at-all", "failures": 1}),
        ],
        key=repr,
    )

    admin = team_setup["admin"].username
    with time_machine.travel(datetime(2026, 12, 2, 13, 1, tzinfo=UTC), tick=False):  # locked
        auth.login(admin)
        client.post(f"/api/v1/users/{target.id}/unlock")
        client.post(f"/api/v1/users/{target.id}/password", json={"password": NEW_PASSWORD})
    later = _audit(in_app)
    assert ("auth.unlocked", admin, {"username": name}) in later
    assert ("auth.password_reset", admin, {"username": name, "signed_out_devices": 1}) in later


def test_a_password_change_is_audited(client, auth, make_user, in_app):
    make_user(username="auditee")
    auth.login("auditee")
    wrong = {"current_password": "not-it-at-all", "new_password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password", json=wrong).status_code == 422
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password", json=right).status_code == 204
    events = [e for e in _audit(in_app) if e[0] != "auth.sign_in"]
    assert sorted(events) == [
        ("auth.password_change_failed", "auditee", {"username": "auditee", "failures": 1}),
        ("auth.password_changed", "auditee", {"username": "auditee", "signed_out_devices": 0}),
    ]
