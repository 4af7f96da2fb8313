"""Background jobs: queued on the real Redis queue after the request commits, run by a
worker, followed through the API; in-process without Redis (the demo)."""

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.jobs.models import Job, JobStatus
from server.jobs.services import handler, queue, submit
from server.plans.models import CarePlan
from server.transaction import unit_of_work


@handler("test_fails")
def _fails(job, progress):
    progress.checkpoint(40, "halfway")
    raise RuntimeError("the disk is full")


def _status(client, job_id) -> dict:
    response = client.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200
    return response.json


def test_plan_generation_runs_as_a_job_and_reports_its_counts(
    client, auth, in_app, team_setup, run_jobs
):
    auth.login(team_setup["admin"].username)
    # Mid-Autumn (25 Sep) and National Day (1 Oct) fall within the 30 days: every
    # assigned customer gets holiday greetings, whatever its (random) routine phase.
    response = client.post("/api/v1/plans/generate", json={"date": "2026-09-20"})
    assert response.status_code == 202, response.json
    assert _status(client, response.json["id"])["status"] == "queued"
    run_jobs()
    done = _status(client, response.json["id"])
    assert (done["status"], done["progress"], done["error"]) == ("done", 100, None)
    with in_app():
        made = db.session.scalar(sa.select(sa.func.count()).select_from(CarePlan))
    assert made >= 16  # two greetings for each of the eight assigned customers
    assert sum(v for k, v in done["result"].items() if k != "missed") == made, done
    # Idempotent: the same day again makes nothing.
    again = client.post("/api/v1/plans/generate", json={"date": "2026-09-20"}).json
    run_jobs()
    assert sum(v for k, v in _status(client, again["id"])["result"].items() if k != "missed") == 0


def test_the_warnings_scan_runs_as_a_job(client, auth, team_setup, run_jobs):
    auth.login(team_setup["admin"].username)
    response = client.post("/api/v1/warnings/scan", json={})
    assert response.status_code == 202
    run_jobs()
    done = _status(client, response.json["id"])
    assert done["status"] == "done"
    # team_setup's eight assigned customers, no bills: nothing to open.
    assert (done["result"]["customers_scanned"], done["result"]["warnings_opened"]) == (8, 0)


@pytest.mark.parametrize("path", ["/api/v1/plans/generate", "/api/v1/warnings/scan"])
@pytest.mark.parametrize("who", ["mgr_a1", "lead_a"])
def test_only_an_admin_starts_these_jobs(client, auth, team_setup, path, who):
    auth.login(team_setup[who].username)
    assert client.post(path, json={}).status_code == 403


def test_a_failing_job_says_why_and_keeps_its_progress(client, auth, in_app, team_setup, run_jobs):
    with in_app():
        user_id = team_setup["admin"].id
        with unit_of_work():
            job_id = submit(
                "test_fails", {}, db.session.get_one(type(team_setup["admin"]), user_id)
            ).id
    run_jobs()
    auth.login(team_setup["admin"].username)
    failed = _status(client, job_id)
    assert (failed["status"], failed["error"], failed["progress"]) == (
        "failed",
        "the disk is full",
        40,
    )
    assert failed["download_url"] is None


def test_a_job_is_queued_only_once_its_request_committed(app, in_app, team_setup):
    with in_app():
        connection_queue = queue()
        before = connection_queue.count
        with pytest.raises(RuntimeError), unit_of_work():
            submit("test_fails", {}, None)
            raise RuntimeError("the request failed after submitting")
        assert connection_queue.count == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_without_redis_a_job_runs_in_process_once_the_answer_is_sent(
    app, client, auth, in_app, team_setup, monkeypatch
):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    auth.login(team_setup["admin"].username)
    response = client.post("/api/v1/plans/generate", json={"date": str(date(2026, 3, 10))})
    assert response.status_code == 202
    job_id = uuid.UUID(response.json["id"])
    with in_app():
        assert db.session.get(Job, job_id).status == JobStatus.QUEUED
    response.close()  # the server has sent the answer: now the job runs
    with in_app():
        assert db.session.get(Job, job_id).status == JobStatus.DONE


def test_someone_elses_job_is_not_found(client, auth, team_setup, run_jobs):
    auth.login(team_setup["admin"].username)
    job = client.post("/api/v1/warnings/scan", json={}).json
    auth.login(team_setup["lead_a"].username)
    assert client.get(f"/api/v1/jobs/{job['id']}").status_code == 404
    assert client.get(f"/api/v1/jobs/{uuid.uuid4()}").status_code == 404
