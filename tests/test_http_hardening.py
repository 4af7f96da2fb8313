"""Browser protections, bad input and faults (issue 11, items 2, 6 and 7).

Every failure the issue quotes has a test here: 500s for a page past 2**63, a seq of
2**70, JSON nested 1,000 deep and U+0000 (PostgreSQL); a text/plain PATCH that
answered 200 and saved nothing; 405 without Allow; a CSV import racing a manager's
edit (StaleDataError, a 500); an unreachable database (a 500, not a 503); the first
request after PostgreSQL dropped the pool's connections.
"""

import io
import json
import uuid
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from config import ProductionConfig, TestConfig
from server import create_app
from server.auth.models import Role
from server.customers.models import Customer, MonthlySpend
from server.errors import ApiError
from server.extensions import db
from server.http import json_depth, nul_fields
from server.timeutil import local_today
from server.transaction import keep_on_failure, unit_of_work

POSTGRES = TestConfig.SQLALCHEMY_DATABASE_URI.startswith("postgresql")
postgres_only = pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture(autouse=True)
def dist(app, monkeypatch, tmp_path):
    """A built web client of the tests' own (webclient/dist may not be built)."""
    (tmp_path / "index.html").write_text('<!doctype html><div id="app"></div>')
    (tmp_path / "console.html").write_text('<!doctype html><div id="console"></div>')
    monkeypatch.setitem(app.config, "WEBCLIENT_DIST", str(tmp_path))
    return tmp_path


@pytest.fixture
def manager(make_user, auth):
    user = make_user(Role.MANAGER, username="hardening_mgr")
    auth.login("hardening_mgr")
    return user


@pytest.fixture
def admin(make_user, auth):
    user = make_user(Role.ADMIN, username="hardening_admin")
    auth.login("hardening_admin")
    return user


@pytest.fixture
def customer(admin, make_customer):
    return make_customer(name="王芳")


def _name(in_app, customer_id) -> str:
    with in_app():
        return db.session.get(Customer, customer_id).name


# --- headers --------------------------------------------------------------------------


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(
        [*part.split(" ", 1), ""][:2] for part in (p.strip() for p in policy.split(";")) if part
    )


@pytest.mark.parametrize(
    "path", ["/", "/console", "/api/v1/openapi.json", "/api/v1/auth/me", "/api/v1/nowhere"]
)
def test_every_answer_carries_the_browser_protections(client, path):
    with client.get(path) as response:
        assert response.status_code in (200, 401, 404)
    csp = _csp(response)
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # Development and test speak plain HTTP: HSTS there would lock a browser out.
    assert "Strict-Transport-Security" not in response.headers


def test_api_answers_with_personal_data_are_never_stored(client, customer):
    response = client.get(f"/api/v1/customers/{customer.id}")
    assert response.status_code == 200
    assert response.json["name"] == "王芳"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_web_client_keeps_its_own_cache_rules(client):
    # no-store is for the API; the app shell must stay cacheable or it cannot work offline.
    with client.get("/") as response:
        assert response.headers["Cache-Control"] == "no-cache"


def test_hsts_in_production_only(monkeypatch):
    class Production(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        RATELIMIT_STORAGE_URI = "memory://"
        REDIS_URL = None

    app = create_app(Production)
    response = app.test_client().get("/api/v1/openapi.json", base_url="https://fieldbook.test")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_405_says_which_methods_are_allowed(client, customer):
    response = client.put(f"/api/v1/customers/{customer.id}", json={"name": "x"})
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH"}


# --- media types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"name": "李雷"}'),
        ("application/x-www-form-urlencoded", "name=%E6%9D%8E%E9%9B%B7"),
        ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="name"'),
    ],
)
def test_a_json_write_sent_as_anything_else_is_refused_with_415(
    client, in_app, customer, content_type, body
):
    # The issue: with a valid CSRF token this answered 200 and saved nothing.
    response = client.patch(
        f"/api/v1/customers/{customer.id}", data=body, content_type=content_type
    )
    assert response.status_code == 415, response.json
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert "application/json" in response.json["error"]["message"]
    assert _name(in_app, customer.id) == "王芳"


def test_json_writes_still_work(client, in_app, customer):
    response = client.patch(
        f"/api/v1/customers/{customer.id}",
        data=json.dumps({"name": "李雷"}),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 200, response.json
    assert _name(in_app, customer.id) == "李雷"


def test_bodiless_posts_need_no_content_type(client, manager):
    assert client.post("/api/v1/auth/logout").status_code in (200, 204)


CSV = "external_no,kind,name,phone,tier\nH001,individual,张三,13800001111,gold\n"


@pytest.mark.parametrize("how", ["multipart", "text/csv"])
def test_csv_imports_keep_taking_their_uploads(client, admin, how):
    if how == "multipart":
        response = client.post(
            "/api/v1/imports/customers",
            data={"file": (io.BytesIO(CSV.encode()), "customers.csv")},
            content_type="multipart/form-data",
        )
    else:
        response = client.post("/api/v1/imports/customers", data=CSV, content_type="text/csv")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 1
    # ...and nothing else: a JSON body is not a CSV.
    refused = client.post("/api/v1/imports/customers", data=CSV, content_type="text/plain")
    assert refused.status_code == 415


# --- bounds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=9223372036854775808", "page"),
        ("page=9223372036854775807", "page"),
        ("page=2147483648", "page"),
        ("per_page=18446744073709551616", "per_page"),
        ("page=-9223372036854775809", "page"),
    ],
)
def test_page_numbers_past_what_sql_holds_are_field_errors(client, customer, query, field):
    response = client.get(f"/api/v1/customers?{query}")
    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == [field]


def test_a_far_page_within_bounds_is_just_empty(client, customer):
    response = client.get("/api/v1/customers?page=2147483647&per_page=200")
    assert response.status_code == 200
    assert response.json["items"] == []
    assert response.json["total"] == 1


def test_a_seq_past_bigint_is_a_field_error(client, manager):
    response = client.post(
        "/api/v1/sync/push",
        json={
            "device_id": str(uuid.uuid4()),
            "schema_version": 2,
            "mutations": [
                {
                    "id": str(uuid.uuid4()),
                    "seq": 2**70,
                    "name": "create_task",
                    "args": {"id": str(uuid.uuid4()), "title": "回访"},
                }
            ],
        },
    )
    assert response.status_code == 422, response.json
    assert "seq" in response.json["error"]["fields"]["mutations"]["0"]


def test_a_version_past_integer_is_a_field_error(client, customer):
    response = client.patch(
        f"/api/v1/customers/{customer.id}", json={"name": "李雷", "version": 2**31}
    )
    assert response.status_code == 422
    assert "version" in response.json["error"]["fields"]


def _nested(depth: int) -> str:
    return '{"name": ' + "[" * depth + "]" * depth + "}"


def test_json_nested_1000_deep_is_refused_before_parsing(client, in_app, customer):
    response = client.patch(
        f"/api/v1/customers/{customer.id}", data=_nested(1000), content_type="application/json"
    )
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "too_deep"
    assert "32 levels" in response.json["error"]["message"]
    assert _name(in_app, customer.id) == "王芳"


def test_json_within_the_depth_limit_reaches_validation(client, customer):
    response = client.patch(
        f"/api/v1/customers/{customer.id}", data=_nested(30), content_type="application/json"
    )
    assert response.status_code == 422
    assert "name" in response.json["error"]["fields"]


def test_json_depth_counts_structure_not_strings():
    assert json_depth(b'{"a": [1, {"b": []}]}', 2) == 3
    assert json_depth(b'{"a": "[[[[[[{{{{{{\\"]]]]"}', 2) == 1
    assert json_depth(b"[" * 100 + b"]" * 100, 10) == 11  # stops counting past the limit
    assert json_depth(b"[[]]", 32) == 0  # too few brackets to bother


# --- U+0000 ----------------------------------------------------------------------------


def test_nul_in_a_body_string_is_a_field_error(client, in_app, customer):
    # On PostgreSQL this was a 500: text columns cannot hold U+0000.
    response = client.patch(f"/api/v1/customers/{customer.id}", json={"name": "王\x00芳"})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "name": ["Must not contain the NUL character (U+0000)."]
    }
    assert _name(in_app, customer.id) == "王芳"


def test_nul_in_a_nested_body_string_names_its_path(client, customer):
    response = client.post(
        "/api/v1/customers/assign",
        json={"customer_ids": [str(customer.id)], "reason": "ok", "notes": [{"x": "\x00"}]},
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["notes.0.x"]


def test_nul_in_the_query_string_is_a_field_error(client, customer):
    response = client.get("/api/v1/customers?q=%E7%8E%8B%00")
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["q"]


def test_nul_in_an_uploaded_file_name_is_a_field_error(client, make_user, customer):
    # On PostgreSQL the file name reached the assignment history's reason: a 500.
    make_user(Role.MANAGER, username="hardening_upload_mgr")
    csv = "external_no,kind,name,phone,tier,manager\nH002,individual,张三,13800001111,gold,"
    response = client.post(
        "/api/v1/imports/customers",
        data={"file": (io.BytesIO(f"{csv}hardening_upload_mgr\n".encode()), "a\x00.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == ["file"]


def test_an_upload_part_without_a_name_is_the_imports_own_refusal(client, admin):
    # Found by schemathesis: a multipart part with no name reached the NUL check as a
    # None key, a 500.
    body = b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n"
    response = client.post(
        "/api/v1/imports/customers", data=body, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 422, response.json
    assert "file" in response.json["error"]["fields"]


def test_days_far_outside_any_calendar_in_use_are_field_errors(client, admin):
    # Found by schemathesis: six months before 0001-01-02 is no date (a 500 on the trend).
    response = client.get("/api/v1/reviews/trend?months=1&until=0001-01-02")
    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == ["until"]
    response = client.get("/api/v1/tasks?due_before=9999-12-31")
    assert list(response.json["error"]["fields"]) == ["due_before"]
    assert client.get("/api/v1/reviews/trend?months=1&until=2026-11-30").status_code == 200


def test_nul_fields_walks_keys_lists_and_objects():
    assert nul_fields({"a": ["ok", {"b": "x\x00"}], "c\x00": 1, "d": 2}) == {
        "a.1.b": ["Must not contain the NUL character (U+0000)."],
        "_schema": ["Must not contain the NUL character (U+0000)."],
    }
    assert nul_fields({"a": "ok", "b": [1, None, True]}) == {}


# --- optimistic-lock races -------------------------------------------------------------


@contextmanager
def a_concurrent_edit_of(customer_id):
    """Someone else's write lands between this request's read and its UPDATE.

    The other writer's UPDATE runs on the database, outside this request's session (as
    a second session's would), just before the request's own flush writes the row.
    """

    def bump(_mapper, connection, target):
        if target.id == customer_id:
            connection.execute(
                sa.update(Customer.__table__)
                .where(Customer.__table__.c.id == customer_id)
                .values(version=Customer.__table__.c.version + 1)
            )

    event.listen(Customer, "before_update", bump)
    try:
        yield
    finally:
        event.remove(Customer, "before_update", bump)


def test_an_edit_racing_another_write_is_a_409_conflict(client, in_app, customer):
    with a_concurrent_edit_of(customer.id):
        response = client.patch(f"/api/v1/customers/{customer.id}", json={"name": "李雷"})
    assert response.status_code == 409, response.json
    assert response.json["error"]["code"] == "conflict"
    assert "Reload" in response.json["error"]["message"]
    assert _name(in_app, customer.id) == "王芳"


def test_a_csv_import_racing_a_managers_edit_is_a_409_conflict(client, in_app, customer):
    # The issue: on PostgreSQL this answered 500 (imports/services.py, StaleDataError).
    csv = (
        "external_no,kind,name,phone,tier\n"
        f"{customer.external_no},individual,王芳芳,13800002222,gold\n"
    )
    with a_concurrent_edit_of(customer.id):
        response = client.post("/api/v1/imports/customers", data=csv, content_type="text/csv")
    assert response.status_code == 409, response.json
    assert response.json["error"]["code"] == "conflict"
    assert _name(in_app, customer.id) == "王芳"


# --- faults ----------------------------------------------------------------------------


@pytest.fixture
def own_session(monkeypatch):
    """Flask-SQLAlchemy's own session, for apps of a test's own on their own engine.

    The suite's fixtures bind `db.session` to the test database's connection, which an
    app pointed elsewhere would silently use.
    """
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))


def _app_on(url: str, **engine_options):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {**TestConfig.SQLALCHEMY_ENGINE_OPTIONS, **engine_options}

    return create_app(Config)


def _assert_database_unavailable(response):
    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "database_unavailable"
    assert "database" in response.json["error"]["message"]
    assert response.headers["Retry-After"]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/fieldbook",  # nothing listens on port 1
        "sqlite:////nonexistent-fieldbook-dir/fieldbook.db",
    ],
    ids=["postgresql-closed-port", "sqlite-missing-dir"],
)
def test_an_unreachable_database_is_a_503(own_session, url):
    app = _app_on(url)
    response = app.test_client().post(
        "/api/v1/auth/login", json={"username": "anyone", "password": "whatever-it-is"}
    )
    _assert_database_unavailable(response)
    with app.app_context():
        db.engine.dispose()


def _terminate_connections(app_name: str) -> int:
    engine = sa.create_engine(TestConfig.SQLALCHEMY_DATABASE_URI)
    with engine.begin() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": app_name},
        ).scalar_one()
    engine.dispose()
    return killed


@postgres_only
@pytest.mark.committed
@pytest.mark.parametrize("pre_ping", [True, False], ids=["pre-ping", "without-pre-ping"])
def test_the_first_request_after_postgres_dropped_the_pool_works(
    app, make_user, monkeypatch, pre_ping
):
    make_user(Role.MANAGER, username="restart_mgr")
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))  # own_session, after
    name = f"fieldbook-restart-{pre_ping}"
    other = _app_on(
        TestConfig.SQLALCHEMY_DATABASE_URI,
        pool_pre_ping=pre_ping,
        connect_args={"application_name": name},
    )
    client = other.test_client()
    login = client.post(
        "/api/v1/auth/login",
        json={"username": "restart_mgr", "password": "correct-horse-battery"},
    )
    assert login.status_code == 200
    client.environ_base["HTTP_X_CSRF_TOKEN"] = login.json["csrf_token"]
    assert client.get("/api/v1/auth/me").status_code == 200

    assert _terminate_connections(name) >= 1  # as a database restart would
    response = client.get("/api/v1/auth/me")
    if pre_ping:
        assert response.status_code == 200, response.json
    else:
        # What pre-ping saves a worker from; still a clear 503, never a 500.
        _assert_database_unavailable(response)
        assert client.get("/api/v1/auth/me").status_code == 200
    with other.app_context():
        db.engine.dispose()


# --- the OpenAPI document --------------------------------------------------------------


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec["components"][kind][name]
    return node


def _conforms(spec: dict, schema: dict, value) -> bool:
    """Enough of JSON Schema for the error shape: types, required, closed objects."""
    schema = _resolve(spec, schema)
    kinds = {"object": dict, "string": str, "integer": int, "array": list}
    if "type" in schema and not isinstance(value, kinds[schema["type"]]):
        return value is None and schema.get("nullable", False)
    if schema.get("type") == "object":
        props = schema.get("properties", {})
        if not set(schema.get("required", [])) <= set(value):
            return False
        if schema.get("additionalProperties") is False and not set(value) <= set(props):
            return False
        return all(_conforms(spec, props[k], v) for k, v in value.items() if k in props)
    return True


def _error_schemas(spec: dict, operation: dict) -> list[dict]:
    schemas = []
    for status, response in operation["responses"].items():
        if status == "default" or status[0] in "45":
            schemas.append(_resolve(spec, response)["content"]["application/json"]["schema"])
    return schemas


def test_every_error_response_in_the_document_has_the_shape_the_api_sends(client):
    spec = client.get("/api/v1/openapi.json").json
    documented = set()
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                schemas = _error_schemas(spec, operation)
                assert schemas, operation.get("operationId")
                documented.update(s["$ref"] for s in schemas)
    assert documented == {"#/components/schemas/ErrorResponse"}


def test_real_error_answers_conform_to_the_documented_error_schema(client, customer):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/customers/{customer_id}"]["patch"]
    [*schemas] = _error_schemas(spec, operation)
    answers = [
        client.patch(f"/api/v1/customers/{customer.id}", json={"name": ""}),  # 422
        client.patch(f"/api/v1/customers/{customer.id}", data="x", content_type="text/plain"),
        client.patch("/api/v1/customers/00000000-0000-0000-0000-000000000000", json={}),  # 404
        client.put(f"/api/v1/customers/{customer.id}", json={}),  # 405
    ]
    assert [a.status_code for a in answers] == [422, 415, 404, 405]
    for answer in answers:
        assert all(_conforms(spec, schema, answer.json) for schema in schemas), answer.json
    # ...and the check can fail: flask-smorest's own error shape does not conform.
    assert not _conforms(spec, schemas[0], {"code": 422, "status": "Unprocessable Entity"})


def test_amounts_are_decimal_strings_in_the_document_and_in_the_answer(client, in_app, customer):
    spec = client.get("/api/v1/openapi.json").json
    total = spec["components"]["schemas"]["Spend"]["properties"]["total"]["items"]
    assert (total["type"], total["format"]) == ("string", "decimal")
    with in_app():
        month = local_today().replace(day=1)
        db.session.add(
            MonthlySpend(
                customer_id=customer.id, month=month, service="mobile", amount=Decimal("128.50")
            )
        )
        db.session.commit()
    spend = client.get(f"/api/v1/customers/{customer.id}").json["spend"]
    assert "128.50" in spend["total"]


def test_a_failed_request_on_an_unreachable_database_keeps_its_own_error(own_session):
    # The sliding session expiry is re-applied after a rollback (keep_on_failure); with
    # the database gone that failed too, and replaced the request's 503 with a 500.
    app = _app_on("postgresql+psycopg://postgres@127.0.0.1:1/fieldbook")
    with app.test_request_context("/api/v1/auth/me"):
        keep_on_failure(lambda: db.session.execute(sa.text("SELECT 1")))
        with pytest.raises(ApiError, match="the request's own"), unit_of_work():
            raise ApiError(409, "the request's own error")
        db.engine.dispose()


def test_a_pushed_mutation_with_nul_is_refused_alone_with_a_field_error(client, manager):
    # The REST check would refuse a whole push; the push refuses just that mutation, and
    # the phone's queue moves on (the same on SQLite, which could store it, and PostgreSQL).
    def task(seq: int, title: str) -> dict:
        args = {"id": str(uuid.uuid4()), "title": title}
        return {"id": str(uuid.uuid4()), "seq": seq, "name": "create_task", "args": args}

    answer = client.post(
        "/api/v1/sync/push",
        json={
            "device_id": str(uuid.uuid4()),
            "schema_version": 2,
            "mutations": [task(1, "回访\x00客户"), task(2, "回访客户")],
        },
    )
    assert answer.status_code == 200, answer.json
    first, second = answer.json["results"]
    assert (first["status"], first["http_status"]) == ("rejected", 422)
    assert first["fields"] == {"title": ["Must not contain the NUL character (U+0000)."]}
    assert second["status"] == "applied"


@postgres_only
@pytest.mark.committed
def test_a_csv_import_racing_an_edit_in_another_session_is_a_409_on_postgresql(
    client, make_user, auth, make_customer, in_app
):
    # The case as it happened: two sessions on PostgreSQL, each committing.
    make_user(Role.ADMIN, username="hardening_race_admin")
    auth.login("hardening_race_admin")
    customer = make_customer(name="王芳")
    table = Customer.__table__
    other = sa.create_engine(TestConfig.SQLALCHEMY_DATABASE_URI)

    def a_manager_saves_first(_mapper, _connection, target):
        if target.id == customer.id:
            with other.begin() as conn:
                conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
                conn.execute(
                    sa.update(table)
                    .where(table.c.id == customer.id)
                    .values(name="李雷", version=table.c.version + 1)
                )

    csv = (
        "external_no,kind,name,phone,tier\n"
        f"{customer.external_no},individual,王芳芳,13800002222,gold\n"
    )
    event.listen(Customer, "before_update", a_manager_saves_first)
    try:
        response = client.post("/api/v1/imports/customers", data=csv, content_type="text/csv")
    finally:
        event.remove(Customer, "before_update", a_manager_saves_first)
        other.dispose()
    assert response.status_code == 409, response.json
    assert response.json["error"]["code"] == "conflict"
    assert _name(in_app, customer.id) == "李雷"  # the manager's edit stands, whole
