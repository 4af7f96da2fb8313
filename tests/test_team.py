"""Users and teams administration: permissions, validation, session revocation, team views."""

import uuid

import pytest
import sqlalchemy as sa

from server.auth.models import DeviceSession, Role, User
from server.customers.models import Customer
from server.extensions import db
from server.team.models import Team
from tests.conftest import PASSWORD, AuthActions

NEW_PASSWORD = "a-brand-new-secret"

# Who acts, as keys of the `team_setup` rows. The target of every per-record request
# is team A or one of its members, so "lead_own" leads the target team.
ACTORS = {"manager": "mgr_a1", "lead_own": "lead_a", "lead_other": "lead_b", "admin": "admin"}

# (method, path, body, {actor: expected status}); {placeholders} are `team_setup` rows.
ENDPOINTS = [
    (
        "GET",
        "/api/v1/users",
        None,
        {"manager": 403, "lead_own": 200, "lead_other": 200, "admin": 200},
    ),
    (
        "POST",
        "/api/v1/users",
        {"username": "newbie", "display_name": "Newbie", "role": "manager", "password": PASSWORD},
        {"manager": 403, "lead_own": 403, "lead_other": 403, "admin": 201},
    ),
    (
        "GET",
        "/api/v1/users/{mgr_a2}",
        None,
        {"manager": 403, "lead_own": 403, "lead_other": 403, "admin": 200},
    ),
    (
        "PATCH",
        "/api/v1/users/{mgr_a2}",
        {"display_name": "Renamed"},
        {"manager": 403, "lead_own": 403, "lead_other": 403, "admin": 200},
    ),
    (
        "POST",
        "/api/v1/users/{mgr_a2}/password",
        {"password": NEW_PASSWORD},
        {"manager": 403, "lead_own": 403, "lead_other": 403, "admin": 204},
    ),
    (
        "GET",
        "/api/v1/teams",
        None,
        {"manager": 403, "lead_own": 200, "lead_other": 200, "admin": 200},
    ),
    (
        "POST",
        "/api/v1/teams",
        {"name": "Team New"},
        {"manager": 403, "lead_own": 403, "lead_other": 403, "admin": 201},
    ),
    (
        "GET",
        "/api/v1/teams/{team_a}",
        None,
        {"manager": 404, "lead_own": 200, "lead_other": 404, "admin": 200},
    ),
    (
        "PATCH",
        "/api/v1/teams/{team_a}",
        {"name": "Team Renamed"},
        {"manager": 403, "lead_own": 403, "lead_other": 403, "admin": 200},
    ),
    (
        "DELETE",
        "/api/v1/teams/{empty_team}",
        None,
        {"manager": 403, "lead_own": 403, "lead_other": 403, "admin": 204},
    ),
]

MATRIX = [
    pytest.param(method, path, body, actor, expected[actor], id=f"{method} {path} as {actor}")
    for method, path, body, expected in ENDPOINTS
    for actor in ACTORS
]


@pytest.fixture
def rows(team_setup, make_team):
    return {**team_setup, "empty_team": make_team("Empty team")}


def _path(template: str, rows: dict) -> str:
    return template.format(**{name: getattr(row, "id", None) for name, row in rows.items()})


def _snapshot(in_app) -> tuple:
    """Everything an administration request could change."""
    with in_app():
        users = db.session.execute(
            sa.select(
                User.username,
                User.display_name,
                User.role,
                User.team_id,
                User.active,
                User.phone,
                User.password_hash,
            ).order_by(User.username)
        ).all()
        teams = db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name)).all()
        revoked = db.session.scalar(
            sa.select(sa.func.count()).where(DeviceSession.revoked_at.is_not(None))
        )
        return users, teams, revoked


def _find_password_keys(value) -> list[str]:
    if isinstance(value, dict):
        found = [k for k in value if "password" in k]
        return found + [k for v in value.values() for k in _find_password_keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in _find_password_keys(v)]
    return []


@pytest.mark.parametrize(("method", "path", "body", "actor", "expected"), MATRIX)
def test_permission_matrix(client, auth, rows, in_app, method, path, body, actor, expected):
    assert auth.login(rows[ACTORS[actor]].username).status_code == 200
    before = _snapshot(in_app)
    response = client.open(_path(path, rows), method=method, json=body)
    assert response.status_code == expected
    if expected >= 400:
        assert _snapshot(in_app) == before
    elif response.data:
        assert _find_password_keys(response.json) == []


@pytest.mark.parametrize(
    ("method", "path", "body"), [pytest.param(m, p, b, id=f"{m} {p}") for m, p, b, _ in ENDPOINTS]
)
def test_every_endpoint_needs_sign_in(client, rows, method, path, body):
    response = client.open(_path(path, rows), method=method, json=body)
    assert response.status_code == 401


# --- listing users ---------------------------------------------------------------------------


def _usernames(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [u["username"] for u in response.json]


def test_lead_lists_only_their_own_teams_members(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    expected = sorted(team_setup[k].username for k in ("lead_a", "mgr_a1", "mgr_a2"))
    assert _usernames(client.get("/api/v1/users")) == expected
    # Asking for another team does not widen the view.
    other = client.get("/api/v1/users", query_string={"team_id": str(team_setup["team_b"].id)})
    assert _usernames(other) == []


def test_admin_lists_everyone_ordered_by_username(client, auth, team_setup, make_user):
    make_user(Role.MANAGER, username="aaa_first")
    auth.login(team_setup["admin"].username)
    names = _usernames(client.get("/api/v1/users"))
    assert len(names) == 8
    assert names[0] == "aaa_first"
    assert names == sorted(names)


def test_list_filters(client, auth, team_setup, make_user, in_app):
    make_user(Role.MANAGER, username="liu_wei", display_name="刘伟 Liu Wei")
    gone = make_user(Role.MANAGER, username="gone_mgr", team=team_setup["team_b"])
    with in_app():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    auth.login(team_setup["admin"].username)

    def names(**query):
        return _usernames(client.get("/api/v1/users", query_string=query))

    assert names(role="lead") == sorted(
        [team_setup["lead_a"].username, team_setup["lead_b"].username]
    )
    assert names(team_id=str(team_setup["team_b"].id), active="false") == ["gone_mgr"]
    assert len(names(team_id=str(team_setup["team_b"].id), active="true")) == 3
    assert names(q="刘伟") == ["liu_wei"]
    assert names(q="LIU w") == ["liu_wei"]
    assert names(q="Wei", role="lead") == []
    # LIKE wildcards in q are searched for literally.
    make_user(Role.MANAGER, username="wang_ai")
    make_user(Role.MANAGER, username="wangxai")
    assert names(q="%") == []
    assert names(q="g_a") == ["wang_ai"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"role": "boss"}, "role"), ({"active": "maybe"}, "active"), ({"team_id": "x"}, "team_id")],
)
def test_list_rejects_bad_filters(client, auth, team_setup, query, field):
    auth.login(team_setup["admin"].username)
    response = client.get("/api/v1/users", query_string=query)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]


# --- creating users --------------------------------------------------------------------------


def test_admin_creates_a_manager_who_can_sign_in(app, client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    response = client.post(
        "/api/v1/users",
        json={
            "username": "new.mgr-1",
            "display_name": " 新经理 ",
            "role": "manager",
            "password": "ten-chars!",
            "team_id": str(team_setup["team_a"].id),
            "phone": "+86 138-0000-1111",
        },
    )
    assert response.status_code == 201
    body = response.json
    assert body["username"] == "new.mgr-1"
    assert body["display_name"] == "新经理"
    assert body["role"] == "manager"
    assert body["team"] == {"id": str(team_setup["team_a"].id), "name": team_setup["team_a"].name}
    assert body["phone"] == "+86 138-0000-1111"
    assert body["active"] is True
    assert _find_password_keys(body) == []
    fresh = AuthActions(app.test_client())
    assert fresh.login("new.mgr-1", "ten-chars!").status_code == 200


def test_created_user_with_taken_username_is_409(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    body = {
        "username": team_setup["mgr_a1"].username,
        "display_name": "Copy",
        "role": "manager",
        "password": PASSWORD,
    }
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 409
    assert list(response.json["error"]["fields"]) == ["username"]


def test_second_lead_for_a_team_is_refused_on_create(client, auth, team_setup, in_app):
    auth.login(team_setup["admin"].username)
    before = _snapshot(in_app)
    response = client.post(
        "/api/v1/users",
        json={
            "username": "lead_two",
            "display_name": "Second lead",
            "role": "lead",
            "password": PASSWORD,
            "team_id": str(team_setup["team_a"].id),
        },
    )
    assert response.status_code == 409
    assert list(response.json["error"]["fields"]) == ["team_id"]
    assert _snapshot(in_app) == before


VALID_NEW_USER = {
    "username": "valid_user",
    "display_name": "Valid",
    "role": "manager",
    "password": PASSWORD,
}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        pytest.param(None, {"username", "display_name", "role", "password"}, id="empty body"),
        pytest.param({"username": "ab"}, {"username"}, id="username too short"),
        pytest.param({"username": "a" * 41}, {"username"}, id="username too long"),
        pytest.param({"username": "Wang"}, {"username"}, id="username uppercase"),
        pytest.param({"username": "wang li"}, {"username"}, id="username space"),
        pytest.param({"username": 12345}, {"username"}, id="username not a string"),
        pytest.param({"display_name": ""}, {"display_name"}, id="display_name empty"),
        pytest.param({"display_name": "   "}, {"display_name"}, id="display_name blank"),
        pytest.param({"display_name": "x" * 81}, {"display_name"}, id="display_name too long"),
        pytest.param({"role": "superuser"}, {"role"}, id="unknown role"),
        pytest.param({"role": None}, {"role"}, id="role null"),
        pytest.param({"password": "nine-char"}, {"password"}, id="password too short"),
        pytest.param({"password": "p" * 201}, {"password"}, id="password too long"),
        pytest.param({"password": 12345678901}, {"password"}, id="password not a string"),
        pytest.param({"team_id": "team-a"}, {"team_id"}, id="team_id not a uuid"),
        pytest.param({"team_id": 7}, {"team_id"}, id="team_id a number"),
        pytest.param({"team_id": str(uuid.uuid4())}, {"team_id"}, id="team_id unknown team"),
        pytest.param({"phone": "1" * 21}, {"phone"}, id="phone too long"),
        pytest.param({"phone": "call me"}, {"phone"}, id="phone letters"),
        pytest.param({"is_superuser": True}, {"is_superuser"}, id="unknown field"),
        pytest.param({"id": str(uuid.uuid4())}, {"id"}, id="id is not writable"),
    ],
)
def test_create_user_rejects_bad_input(client, auth, team_setup, in_app, changes, fields):
    auth.login(team_setup["admin"].username)
    body = {} if changes is None else {**VALID_NEW_USER, **changes}
    before = _snapshot(in_app)
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == fields
    assert _snapshot(in_app) == before


def test_admin_with_a_team_is_refused(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    body = {**VALID_NEW_USER, "role": "admin", "team_id": str(team_setup["team_a"].id)}
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["team_id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/users/{mgr_a2}"),
        ("POST", "/api/v1/users/{mgr_a2}/password"),
        ("POST", "/api/v1/teams"),
        ("PATCH", "/api/v1/teams/{team_a}"),
    ],
)
def test_malformed_json_is_400(client, auth, team_setup, in_app, method, path):
    auth.login(team_setup["admin"].username)
    before = _snapshot(in_app)
    response = client.open(
        _path(path, team_setup), method=method, data='{"name": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json["error"]["fields"]) == ["json"]
    assert _snapshot(in_app) == before


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("POST", "/api/v1/users", "_schema"),
        ("PATCH", "/api/v1/users/{mgr_a2}", "_schema"),
        ("POST", "/api/v1/teams", "_schema"),
    ],
)
def test_json_that_is_not_an_object_is_422(client, auth, team_setup, method, path, field):
    auth.login(team_setup["admin"].username)
    response = client.open(_path(path, team_setup), method=method, json=["name"])
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]


# --- changing users --------------------------------------------------------------------------


def _sign_in_elsewhere(app, username: str, password: str = PASSWORD):
    """The target user's own phone, signed in."""
    phone = app.test_client()
    assert AuthActions(phone).login(username, password).status_code == 200
    assert phone.get("/api/v1/auth/me").status_code == 200
    return phone


@pytest.mark.parametrize(
    ("changes", "signed_out"),
    [
        pytest.param({"role": "lead"}, True, id="role change"),
        pytest.param({"active": False}, True, id="deactivation"),
        pytest.param({"team_id": "{team_b}"}, True, id="team change"),
        pytest.param({"team_id": None}, True, id="team removed"),
        pytest.param({"display_name": "王经理", "phone": "13900000000"}, False, id="name edit"),
        pytest.param({"role": "manager", "active": True}, False, id="same values"),
    ],
)
def test_changes_that_alter_access_sign_the_user_out(
    app, client, auth, team_setup, make_team, make_user, changes, signed_out
):
    # A team without a lead, so that a pure role change to lead is allowed.
    target = make_user(Role.MANAGER, team=make_team("Leaderless"))
    phone = _sign_in_elsewhere(app, target.username)
    auth.login(team_setup["admin"].username)
    body = {k: (str(team_setup["team_b"].id) if v == "{team_b}" else v) for k, v in changes.items()}
    response = client.patch(f"/api/v1/users/{target.id}", json=body)
    assert response.status_code == 200, response.json
    assert phone.get("/api/v1/auth/me").status_code == (401 if signed_out else 200)
    # The admin's own session is untouched.
    assert client.get("/api/v1/auth/me").status_code == 200


def test_patch_returns_the_saved_user(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    target = team_setup["mgr_a2"]
    response = client.patch(
        f"/api/v1/users/{target.id}",
        json={"display_name": "李经理", "phone": "", "team_id": str(team_setup["team_b"].id)},
    )
    assert response.status_code == 200
    user = response.json["user"]
    assert user["display_name"] == "李经理"
    assert user["phone"] is None
    assert user["team"]["id"] == str(team_setup["team_b"].id)
    assert response.json["warnings"] == []
    again = client.get(f"/api/v1/users/{target.id}").json
    assert again == user


def test_password_reset_signs_out_and_only_the_new_password_works(app, client, auth, team_setup):
    target = team_setup["mgr_a2"]
    phone = _sign_in_elsewhere(app, target.username)
    auth.login(team_setup["admin"].username)
    response = client.post(f"/api/v1/users/{target.id}/password", json={"password": NEW_PASSWORD})
    assert response.status_code == 204
    assert response.data == b""
    assert phone.get("/api/v1/auth/me").status_code == 401
    fresh = AuthActions(app.test_client())
    assert fresh.login(target.username, PASSWORD).status_code == 401
    assert fresh.login(target.username, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "password"),
        ({"password": "short"}, "password"),
        ({"password": "p" * 201}, "password"),
        ({"password": 12345678901}, "password"),
        ({"password": None}, "password"),
        ({"password": NEW_PASSWORD, "force": True}, "force"),
    ],
)
def test_password_reset_rejects_bad_input(client, auth, team_setup, in_app, body, field):
    auth.login(team_setup["admin"].username)
    before = _snapshot(in_app)
    target = team_setup["mgr_a2"]
    response = client.post(f"/api/v1/users/{target.id}/password", json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert _snapshot(in_app) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"display_name": ""}, "display_name", id="display_name empty"),
        pytest.param({"display_name": "x" * 81}, "display_name", id="display_name too long"),
        pytest.param({"display_name": 5}, "display_name", id="display_name number"),
        pytest.param({"display_name": None}, "display_name", id="display_name null"),
        pytest.param({"role": "boss"}, "role", id="unknown role"),
        pytest.param({"role": None}, "role", id="role null"),
        pytest.param({"active": "yes"}, "active", id="active string"),
        pytest.param({"active": 0}, "active", id="active number"),
        pytest.param({"active": None}, "active", id="active null"),
        pytest.param({"team_id": "x"}, "team_id", id="team_id not a uuid"),
        pytest.param({"team_id": str(uuid.uuid4())}, "team_id", id="team_id unknown team"),
        pytest.param({"phone": "1" * 21}, "phone", id="phone too long"),
        pytest.param({"password": NEW_PASSWORD}, "password", id="password not patchable"),
        pytest.param({"username": "renamed"}, "username", id="username not patchable"),
    ],
)
def test_patch_user_rejects_bad_input(client, auth, team_setup, in_app, body, field):
    auth.login(team_setup["admin"].username)
    before = _snapshot(in_app)
    response = client.patch(f"/api/v1/users/{team_setup['mgr_a2'].id}", json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert _snapshot(in_app) == before


def test_unknown_user_is_404(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    missing = uuid.uuid4()
    assert client.get(f"/api/v1/users/{missing}").status_code == 404
    assert client.patch(f"/api/v1/users/{missing}", json={"active": False}).status_code == 404
    response = client.post(f"/api/v1/users/{missing}/password", json={"password": NEW_PASSWORD})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({"role": "lead"}, "role"), ({"role": "manager"}, "role"), ({"active": False}, "active")],
)
def test_admin_cannot_demote_or_deactivate_themself(client, auth, team_setup, in_app, body, field):
    admin = team_setup["admin"]
    auth.login(admin.username)
    before = _snapshot(in_app)
    response = client.patch(f"/api/v1/users/{admin.id}", json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert response.json["error"]["message"].endswith("ask another admin.")
    assert _snapshot(in_app) == before
    assert client.get("/api/v1/auth/me").json["user"]["role"] == "admin"


def test_admin_may_edit_their_own_name_and_demote_another_admin(
    client, auth, team_setup, make_user
):
    admin = team_setup["admin"]
    other = make_user(Role.ADMIN, username="second_admin")
    auth.login(admin.username)
    mine = client.patch(f"/api/v1/users/{admin.id}", json={"display_name": "Boss", "active": True})
    assert mine.status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 200
    theirs = client.patch(f"/api/v1/users/{other.id}", json={"role": "manager"})
    assert theirs.status_code == 200
    assert theirs.json["user"]["role"] == "manager"


def test_one_lead_per_team_on_patch(client, auth, team_setup, make_team, in_app):
    auth.login(team_setup["admin"].username)
    before = _snapshot(in_app)
    promote = client.patch(f"/api/v1/users/{team_setup['mgr_a1'].id}", json={"role": "lead"})
    assert promote.status_code == 409
    assert list(promote.json["error"]["fields"]) == ["team_id"]
    move = client.patch(
        f"/api/v1/users/{team_setup['lead_b'].id}", json={"team_id": str(team_setup["team_a"].id)}
    )
    assert move.status_code == 409
    assert _snapshot(in_app) == before
    # Moving the lead to a team without one is fine, and frees team B for a new lead.
    new_team = make_team("Team C")
    moved = client.patch(
        f"/api/v1/users/{team_setup['lead_b'].id}", json={"team_id": str(new_team.id)}
    )
    assert moved.status_code == 200
    promoted = client.patch(f"/api/v1/users/{team_setup['mgr_b1'].id}", json={"role": "lead"})
    assert promoted.status_code == 200


def test_admin_role_and_a_team_do_not_mix(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    target = team_setup["mgr_a2"].id
    with_team = client.patch(f"/api/v1/users/{target}", json={"role": "admin"})
    assert with_team.status_code == 422
    assert list(with_team.json["error"]["fields"]) == ["team_id"]
    promoted = client.patch(f"/api/v1/users/{target}", json={"role": "admin", "team_id": None})
    assert promoted.status_code == 200
    assert promoted.json["user"]["team"] is None


@pytest.mark.parametrize(
    "body",
    [{"active": False}, {"role": "admin", "team_id": None}],
    ids=["deactivated", "no longer a manager"],
)
def test_a_manager_who_stops_serving_with_customers_warns_and_keeps_them(
    client, auth, team_setup, in_app, body
):
    target = team_setup["mgr_a1"]
    auth.login(team_setup["admin"].username)
    response = client.patch(f"/api/v1/users/{target.id}", json=body)
    assert response.status_code == 200
    assert response.json["warnings"] == [{"code": "has_customers", "count": 2}]
    with in_app():
        kept = db.session.scalar(sa.select(sa.func.count()).where(Customer.manager_id == target.id))
    assert kept == 2


def test_deactivating_a_manager_without_customers_has_no_warning(
    client, auth, team_setup, make_user
):
    idle = make_user(Role.MANAGER, team=team_setup["team_a"])
    auth.login(team_setup["admin"].username)
    response = client.patch(f"/api/v1/users/{idle.id}", json={"active": False})
    assert response.status_code == 200
    assert response.json["warnings"] == []


def test_deactivated_user_cannot_sign_in_until_reactivated(app, client, auth, team_setup):
    target = team_setup["mgr_b2"]
    auth.login(team_setup["admin"].username)
    client.patch(f"/api/v1/users/{target.id}", json={"active": False})
    assert AuthActions(app.test_client()).login(target.username).status_code == 401
    client.patch(f"/api/v1/users/{target.id}", json={"active": True})
    assert AuthActions(app.test_client()).login(target.username).status_code == 200


# --- teams -----------------------------------------------------------------------------------


def test_lead_sees_only_their_own_team(client, auth, team_setup):
    auth.login(team_setup["lead_b"].username)
    response = client.get("/api/v1/teams")
    assert [t["name"] for t in response.json] == [team_setup["team_b"].name]
    assert response.json[0]["lead"]["username"] == team_setup["lead_b"].username
    assert response.json[0]["member_count"] == 3


def test_admin_lists_all_teams_by_name(client, auth, team_setup, make_team):
    make_team("AAA empty")
    auth.login(team_setup["admin"].username)
    response = client.get("/api/v1/teams")
    assert [(t["name"], t["member_count"]) for t in response.json] == [
        ("AAA empty", 0),
        (team_setup["team_a"].name, 3),
        (team_setup["team_b"].name, 3),
    ]
    assert response.json[0]["lead"] is None


def test_team_detail_shows_members_and_portfolio_sizes(
    app, client, auth, team_setup, make_customer, monkeypatch
):
    monkeypatch.setitem(app.config, "PORTFOLIO_CAPACITY", 300)
    make_customer(manager=team_setup["mgr_a1"])
    auth.login(team_setup["lead_a"].username)
    response = client.get(f"/api/v1/teams/{team_setup['team_a'].id}")
    assert response.status_code == 200
    body = response.json
    assert body["name"] == team_setup["team_a"].name
    assert body["lead"]["id"] == str(team_setup["lead_a"].id)
    assert body["member_count"] == 3
    members = {m["username"]: m for m in body["members"]}
    mgr_a1, mgr_a2, lead_a = (team_setup[k].username for k in ("mgr_a1", "mgr_a2", "lead_a"))
    assert [m["username"] for m in body["members"]] == sorted(members)
    assert (members[mgr_a1]["portfolio_size"], members[mgr_a1]["capacity"]) == (3, 300)
    assert (members[mgr_a2]["portfolio_size"], members[mgr_a2]["capacity"]) == (2, 300)
    assert members[lead_a]["role"] == "lead"
    assert members[lead_a]["portfolio_size"] is None
    assert _find_password_keys(body) == []


def test_team_detail_counts_portfolios_in_one_query(app, client, auth, team_setup, make_user):
    for _ in range(3):
        make_user(Role.MANAGER, team=team_setup["team_a"])
    auth.login(team_setup["admin"].username)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if "customers" in statement:
            statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        response = client.get(f"/api/v1/teams/{team_setup['team_a'].id}")
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert len(response.json["members"]) == 6
    assert len(statements) == 1


def test_unknown_team_is_404(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    missing = uuid.uuid4()
    assert client.get(f"/api/v1/teams/{missing}").status_code == 404
    assert client.patch(f"/api/v1/teams/{missing}", json={"name": "X"}).status_code == 404
    assert client.delete(f"/api/v1/teams/{missing}").status_code == 404


def test_create_and_rename_team(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    created = client.post("/api/v1/teams", json={"name": "  东区一组 "})
    assert created.status_code == 201
    assert created.json["name"] == "东区一组"
    assert created.json["members"] == []
    assert created.json["lead"] is None
    renamed = client.patch(f"/api/v1/teams/{created.json['id']}", json={"name": "东区二组"})
    assert renamed.status_code == 200
    assert renamed.json["name"] == "东区二组"
    # Renaming to its own name is not a clash with itself.
    same = client.patch(f"/api/v1/teams/{created.json['id']}", json={"name": "东区二组"})
    assert same.status_code == 200


def test_team_name_taken_is_409(client, auth, team_setup, in_app):
    auth.login(team_setup["admin"].username)
    taken = team_setup["team_b"].name
    before = _snapshot(in_app)
    created = client.post("/api/v1/teams", json={"name": taken})
    renamed = client.patch(f"/api/v1/teams/{team_setup['team_a'].id}", json={"name": taken})
    for response in (created, renamed):
        assert response.status_code == 409
        assert list(response.json["error"]["fields"]) == ["name"]
    assert _snapshot(in_app) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 81}, "name"),
        ({"name": 5}, "name"),
        ({"name": None}, "name"),
        ({"name": "Fine", "lead_id": str(uuid.uuid4())}, "lead_id"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_team_writes_reject_bad_input(client, auth, team_setup, in_app, method, body, field):
    auth.login(team_setup["admin"].username)
    path = "/api/v1/teams" if method == "POST" else f"/api/v1/teams/{team_setup['team_a'].id}"
    before = _snapshot(in_app)
    response = client.open(path, method=method, json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert _snapshot(in_app) == before


def test_team_with_members_cannot_be_deleted(
    client, auth, team_setup, make_user, make_team, in_app
):
    team = make_team("Only a deactivated member")
    member = make_user(Role.MANAGER, team=team)
    with in_app():
        db.session.get(User, member.id).active = False
        db.session.commit()
    auth.login(team_setup["admin"].username)
    for t in (team_setup["team_a"], team):
        response = client.delete(f"/api/v1/teams/{t.id}")
        assert response.status_code == 409
        assert client.get(f"/api/v1/teams/{t.id}").status_code == 200
    # Once the member is moved out, the empty team can go.
    assert client.patch(f"/api/v1/users/{member.id}", json={"team_id": None}).status_code == 200
    assert client.delete(f"/api/v1/teams/{team.id}").status_code == 204
    assert client.get(f"/api/v1/teams/{team.id}").status_code == 404


def test_membership_is_set_through_the_user(client, auth, team_setup, make_team):
    team = make_team("Team D")
    auth.login(team_setup["admin"].username)
    mover = team_setup["mgr_a2"]
    client.patch(f"/api/v1/users/{mover.id}", json={"team_id": str(team.id)})
    detail = client.get(f"/api/v1/teams/{team.id}").json
    assert [m["username"] for m in detail["members"]] == [mover.username]
    assert detail["members"][0]["portfolio_size"] == 2
    old = client.get(f"/api/v1/teams/{team_setup['team_a'].id}").json
    assert mover.username not in [m["username"] for m in old["members"]]
