"""Properties every API route must have, checked by walking the URL map.

Each domain's tests check its own permission matrix in detail; these make sure no
route was forgotten: a new endpoint is covered the moment it is registered.
"""

import uuid

import pytest

from config import TestConfig
from server import create_app

PUBLIC = {
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/health/ready"),
}


def _api_routes():
    app = create_app(TestConfig)
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<uuid:{arg}>", str(uuid.uuid4())).replace(f"<{arg}>", "x")
            routes.append((method, rule.rule, path))
    return routes


ROUTES = _api_routes()
WRITE_ROUTES = [r for r in ROUTES if r[0] != "GET" and (r[0], r[1]) not in PUBLIC]


def test_the_api_has_routes_to_check():
    assert len(ROUTES) > 20


@pytest.mark.parametrize(("method", "rule", "path"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_anonymous_requests_get_401(client, method, rule, path):
    if (method, rule) in PUBLIC:
        pytest.skip("public endpoint")
    response = client.open(path, method=method, json={"junk": 1})
    assert response.status_code == 401, response.json
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "rule", "path"), WRITE_ROUTES, ids=[f"{m} {r}" for m, r, _ in WRITE_ROUTES]
)
def test_writes_without_the_csrf_header_get_403(client, auth, make_user, method, rule, path):
    make_user("admin", username="root")
    auth.login("root")
    del client.environ_base["HTTP_X_CSRF_TOKEN"]
    response = client.open(path, method=method, json={})
    assert response.status_code == 403, response.json
    assert response.json["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize(
    ("method", "rule", "path"),
    [r for r in ROUTES if "<uuid:" in r[1]],
    ids=[f"{m} {r}" for m, r, _ in ROUTES if "<uuid:" in r],
)
def test_unknown_ids_get_404_not_500(client, auth, make_user, method, rule, path):
    make_user("admin", username="root")
    auth.login("root")
    response = client.open(path, method=method, json={})
    # Validation of the body may come first (422); what must never happen is a
    # 500 or a success on a record that does not exist.
    assert response.status_code in (404, 422), response.json


def test_openapi_document_lists_every_route(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    expected = set()
    for method, rule, _ in ROUTES:
        if rule == "/api/v1/openapi.json":
            continue
        path = rule
        for arg in ("<uuid:", "<"):
            while arg in path:
                start = path.index(arg)
                end = path.index(">", start)
                name = path[start + len(arg) : end]
                path = path[:start] + "{" + name + "}" + path[end + 1 :]
        expected.add((method, path))
    assert expected - documented == set()


@pytest.mark.parametrize(("method", "rule", "path"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_api_answers_are_not_stored_and_carry_the_browser_protections(
    client, auth, make_user, method, rule, path
):
    make_user("admin", username="root")
    auth.login("root")
    response = client.open(path, method=method, json={})
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "rule", "path"), WRITE_ROUTES, ids=[f"{m} {r}" for m, r, _ in WRITE_ROUTES]
)
def test_writes_with_a_body_that_is_not_json_get_415(client, auth, make_user, method, rule, path):
    # CSV imports also take multipart and text/csv (tests/test_http_hardening.py), not this.
    make_user("admin", username="root")
    auth.login("root")
    response = client.open(path, method=method, data='{"name": "x"}', content_type="text/plain")
    assert response.status_code == 415, response.json
    assert response.json["error"]["code"] == "unsupported_media_type"


INT64 = 2**63


def _integers_taken_in(spec: dict):
    """(where, schema) of every integer an operation takes: parameters and request bodies."""
    components = spec["components"]["schemas"]

    def walk(schema: dict, where: str, seen: frozenset):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                yield from walk(components[name], f"{where}>{name}", seen | {name})
            return
        if schema.get("type") == "integer":
            yield where, schema
        for key, sub in schema.get("properties", {}).items():
            yield from walk(sub, f"{where}.{key}", seen)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from walk(schema[key], f"{where}[]", seen)
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key, []):
                yield from walk(sub, where, seen)

    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict):
                continue
            where = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                yield from walk(param.get("schema", {}), f"{where} {param['name']}", frozenset())
            for media in op.get("requestBody", {}).get("content", {}).values():
                yield from walk(media.get("schema", {}), f"{where} body", frozenset())


def test_every_integer_a_request_sends_is_bounded_to_what_sql_holds(client):
    # A page of 2**63 or a seq of 2**70 reached the database and answered 500.
    spec = client.get("/api/v1/openapi.json").json
    found = list(_integers_taken_in(spec))
    assert any("seq" in where for where, _ in found)
    unbounded = [
        where
        for where, schema in found
        if schema.get("minimum", -INT64 - 1) < -INT64 or schema.get("maximum", INT64) >= INT64
    ]
    assert unbounded == []
