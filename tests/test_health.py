"""Health checks a load balancer can call without signing in (docs/deploy.md)."""

import pytest


def test_liveness_answers_without_a_session_and_sets_no_cookie(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {}}
    assert "Set-Cookie" not in response.headers


def test_ready_when_the_database_and_redis_answer(client):
    response = client.get("/api/v1/health/ready")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    assert "Set-Cookie" not in response.headers


@pytest.fixture
def redis_down(app):
    before = app.config["REDIS_URL"]
    # Nothing listens on port 1: the ping is refused at once.
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    yield
    app.config["REDIS_URL"] = before


def test_not_ready_names_the_check_that_failed_and_not_why(client, redis_down, caplog):
    response = client.get("/api/v1/health/ready")
    assert response.status_code == 503
    assert response.json == {
        "error": {
            "code": "not_ready",
            "message": "Not ready: redis did not answer.",
            "fields": {},
            "checks": {"database": "ok", "redis": "failed"},
        }
    }
    # The reason is for the operator's log, not for whoever asks.
    assert "redis failed" in caplog.text
    assert "127.0.0.1:1" not in response.get_data(as_text=True)
