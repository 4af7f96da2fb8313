"""The churn runs API (server/churn/routes.py): admins list and read the recorded runs
and start training and prediction as jobs; managers and leads are refused."""

import uuid

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.churn import services
from server.churn.learn import Settings
from server.churn.models import ChurnRun
from server.extensions import db
from server.warnings.models import ChurnWarning, WarningSource
from tests.churn_history import make_history


@pytest.fixture
def managers(make_user):
    return [make_user(Role.MANAGER) for _ in range(4)]


@pytest.fixture
def admin(make_user, auth):
    user = make_user(Role.ADMIN, display_name="运营管理员")
    auth.login(user.username)
    return user


def _job(client, job_id: str) -> dict:
    response = client.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize("role", [Role.MANAGER, Role.LEAD])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/churn/runs"),
        ("GET", f"/api/v1/churn/runs/{uuid.UUID(int=1)}"),
        ("POST", "/api/v1/churn/train"),
        ("POST", "/api/v1/churn/predict"),
    ],
)
def test_only_admins_may_see_or_start_churn_runs(client, auth, make_user, role, method, path):
    user = make_user(role)
    auth.login(user.username)
    response = client.open(path, method=method, json={} if method == "POST" else None)
    assert response.status_code == 403, response.json
    assert response.json["error"]["code"] == "forbidden"


def test_runs_are_listed_newest_first_without_the_model(
    client, in_app, admin, managers, churn_config
):
    with in_app():
        make_history(managers)
        first = services.train_runs(Settings(seed=1), db.session.get(type(admin), admin.id))[0]
        second = services.train_runs(Settings(combine="intersection", seed=2))[0]
        first_id, second_id = str(first.id), str(second.id)
        db.session.commit()
    page = client.get("/api/v1/churn/runs?per_page=1")
    assert page.status_code == 200, page.json
    assert (page.json["total"], page.json["pages"], page.json["page"]) == (2, 2, 1)
    (newest,) = page.json["items"]
    assert newest["id"] == second_id
    assert newest["settings"]["combine"] == "intersection"
    assert newest["created_by"] is None  # not started by anyone (as from the command line)
    assert "model" not in newest and "rules" not in newest
    older = client.get("/api/v1/churn/runs?page=2&per_page=1").json["items"][0]
    assert older["id"] == first_id
    assert older["created_by"] == {"id": str(admin.id), "display_name": "运营管理员"}
    # Both trained on the same months: the newer took over, the older is retired.
    assert (newest["status"], older["status"]) == ("active", "retired")
    assert (older["trained_from"], older["tested_from"], older["tested_to"]) == (
        "2025-02-01",
        "2025-12-01",
        "2026-02-01",
    )
    figures = newest["figures"]
    assert figures["auc"] > figures["rules_auc"]
    assert 0 <= figures["precision"] <= 1 and 0 <= figures["rules_recall"] <= 1
    assert figures["lift_over_rules"] >= 1


def test_a_run_is_read_with_everything_it_recorded(client, in_app, admin, managers, churn_config):
    with in_app():
        make_history(managers)
        (run,) = services.train_runs(Settings(members=("tree", "logistic"), tree_depth=3))
        run_id = str(run.id)
        recorded = (run.metrics, run.importances, run.rules)
        db.session.commit()
    response = client.get(f"/api/v1/churn/runs/{run_id}")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["metrics"], body["importances"], body["rules"]) == recorded
    assert body["settings"]["members"] == ["tree", "logistic"]
    assert body["settings"]["tree_depth"] == 3
    assert body["window_months"] == 1 and body["warnings_per_manager"] == 5
    assert body["figures"]["auc"] == recorded[0]["combination"]["auc"]
    assert "model" not in body
    assert client.get(f"/api/v1/churn/runs/{uuid.uuid4()}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"members": ["tree", "forest"]}, "members"),
        ({"members": []}, "members"),
        ({"members": ["tree", "tree"]}, "members"),
        ({"combine": "both"}, "combine"),
        ({"tree_depth": 40}, "tree_depth"),
        ({"seed": -1}, "seed"),
        ({"window": 0}, "window"),
    ],
)
def test_bad_training_settings_are_refused_naming_the_field(client, admin, body, field):
    response = client.post("/api/v1/churn/train", json=body)
    assert response.status_code == 422, response.json
    assert set(response.json["error"]["fields"]) == {field}


def test_training_and_prediction_run_as_jobs(
    client, in_app, admin, managers, churn_config, run_jobs
):
    with in_app():
        make_history(managers)
        db.session.commit()
    response = client.post(
        "/api/v1/churn/train",
        json={"members": ["tree", "boosting"], "combine": "intersection", "tree_depth": 3},
    )
    assert response.status_code == 202, response.json
    assert (response.json["kind"], response.json["status"]) == ("churn_train", "queued")
    run_jobs()
    done = _job(client, response.json["id"])
    assert (done["status"], done["error"]) == ("done", None), done
    assert done["result"]["activated"] == 1
    (run_id,) = done["result"]["runs"]
    run = client.get(f"/api/v1/churn/runs/{run_id}").json
    assert run["created_by"]["id"] == str(admin.id)
    assert run["settings"] == {
        "members": ["tree", "boosting"],
        "combine": "intersection",
        "tree_depth": 3,
        "min_leaf_share": 0.01,
        "seed": 0,
    }
    assert run["status"] == "active"

    response = client.post("/api/v1/churn/predict", json={"month": "2026-03-17"})
    assert response.status_code == 202, response.json
    run_jobs()
    done = _job(client, response.json["id"])
    assert done["status"] == "done", done
    assert done["result"]["month"] == "2026-03"
    with in_app():
        warnings = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ChurnWarning)
            .where(ChurnWarning.source == WarningSource.MODEL)
        )
    assert warnings == done["result"]["warnings_opened"] + done["result"]["warnings_joined"] > 0


def test_a_training_window_is_kept_with_the_run(
    client, in_app, admin, managers, churn_config, run_jobs
):
    with in_app():
        make_history(managers)
        db.session.commit()
    response = client.post("/api/v1/churn/train", json={"window": 2})
    run_jobs()
    done = _job(client, response.json["id"])
    assert done["status"] == "done", done
    with in_app():
        run = db.session.get(ChurnRun, uuid.UUID(done["result"]["runs"][0]))
        # A two-month window labels one month fewer at the end.
        assert (run.window_months, run.tested_to.isoformat()) == (2, "2026-01-01")


def test_training_without_history_fails_as_a_job_with_the_reason(client, admin, run_jobs):
    response = client.post("/api/v1/churn/train", json={})
    assert response.status_code == 202
    run_jobs()
    done = _job(client, response.json["id"])
    assert done["status"] == "failed"
    assert "Training needs" in done["error"]
