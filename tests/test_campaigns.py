"""Campaigns and offers: defining, the segment, launching (a job on the real queue), outcomes.

team_setup: teams A and B, each with a lead and two managers with two gold customers
each, an admin, and one unassigned customer.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from server.campaigns.models import CampaignTarget
from server.customers.models import Customer, MonthlySpend, Stage
from server.extensions import db
from server.jobs.models import Job
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.warnings.models import ChurnWarning, WarningSource, WarningStatus
from tests.sync_helpers import settle

API = "/api/v1/campaigns"
# 2026-06-10 10:00 in Shanghai; the campaign runs through June.
NOW = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def campaign_body(**overrides) -> dict:
    body = {
        "name": "宽带续约 Broadband renewal",
        "kind": "retention",
        "offer": "12 months of 1000M broadband at the 500M price",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-30",
    }
    body.update(overrides)
    return body


def create(client, **overrides) -> dict:
    response = client.post(API, json=campaign_body(**overrides))
    assert response.status_code == 201, response.json
    return response.json


def launched(client, run_jobs, **overrides) -> dict:
    campaign = create(client, **overrides)
    job = client.post(f"{API}/{campaign['id']}/launch")
    assert job.status_code == 202, job.json
    assert job.json["status"] == "queued"
    run_jobs()
    done = client.get(f"/api/v1/jobs/{job.json['id']}").json
    assert (done["status"], done["progress"]) == ("done", 100), done
    return client.get(f"{API}/{campaign['id']}").json | {"job": done}


def targets(in_app, campaign_id) -> list[CampaignTarget]:
    with in_app():
        return list(
            db.session.scalars(
                sa.select(CampaignTarget).where(
                    CampaignTarget.campaign_id == uuid.UUID(campaign_id)
                )
            )
        )


# --- defining ---------------------------------------------------------------------


def test_a_lead_defines_a_draft_for_their_own_team(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    campaign = create(client, team_id=None)
    assert (campaign["status"], campaign["team_id"]) == ("draft", str(team_setup["team_a"].id))
    other = client.post(API, json=campaign_body(team_id=str(team_setup["team_b"].id)))
    assert (other.status_code, list(other.json["error"]["fields"])) == (422, ["team_id"])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on": "2026-05-31"}, "ends_on"),
        ({"kind": "lottery"}, "kind"),
        ({"name": "   "}, "name"),
        ({"segment": {"spend_min": "300", "spend_max": "100"}}, "segment"),
        ({"segment": {"stages": ["asleep"]}}, "segment"),
        ({"segment": {"tiers": ["gold", "titanium"]}}, "segment"),
        ({"offer": "x" * 1001}, "offer"),
    ],
)
def test_bad_definitions_are_422_naming_the_field(client, auth, team_setup, fields, field):
    auth.login(team_setup["admin"].username)
    response = client.post(API, json=campaign_body(**fields))
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_a_manager_may_not_define_or_launch(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    campaign = create(client)
    auth.login(team_setup["mgr_a1"].username)
    assert client.post(API, json=campaign_body()).status_code == 403
    assert client.post(f"{API}/{campaign['id']}/launch").status_code == 403
    # Before launch nothing targets their customers: the draft is not theirs to see.
    assert client.get(f"{API}/{campaign['id']}").status_code == 404


def test_another_teams_lead_does_not_see_a_teams_campaign(client, auth, team_setup):
    auth.login(team_setup["lead_a"].username)
    campaign = create(client)
    auth.login(team_setup["lead_b"].username)
    assert client.get(f"{API}/{campaign['id']}").status_code == 404
    assert client.post(f"{API}/{campaign['id']}/launch").status_code == 404
    assert campaign["id"] not in [c["id"] for c in client.get(API).json["items"]]


# --- the segment ------------------------------------------------------------------


def test_the_segment_narrows_by_tier_stage_warning_spend_and_list(
    client, auth, in_app, team_setup, make_customer
):
    rows = team_setup
    diamond = make_customer(manager=rows["mgr_a1"], tier="diamond")
    warned = make_customer(manager=rows["mgr_a2"], stage=Stage.WARNING)
    churned = make_customer(manager=rows["mgr_a2"], stage=Stage.CHURNED)
    with in_app():
        db.session.add(
            ChurnWarning(
                customer_id=warned.id,
                status=WarningStatus.OPEN,
                source=WarningSource.MANUAL,
                reasons=[],
                finding_keys=[],
                opened_at=NOW,
            )
        )
        for customer, amount in ((diamond, "380.00"), (rows["cust_a1"], "95.50")):
            db.session.add(
                MonthlySpend(
                    customer_id=customer.id,
                    month=date(2026, 5, 1),
                    service="mobile",
                    amount=Decimal(amount),
                )
            )
        db.session.commit()
    auth.login(rows["lead_a"].username)

    def preview(segment) -> int:
        campaign = create(client, segment=segment)
        return client.get(f"{API}/{campaign['id']}/preview").json["targets"]

    # Team A: 4 gold + diamond + warned (churned never counts); team B's are out of reach.
    assert preview({}) == 6
    assert preview({"tiers": ["diamond"]}) == 1
    assert preview({"stages": ["warning"]}) == 1
    assert preview({"open_warning": True}) == 1
    assert preview({"open_warning": False}) == 5
    assert preview({"spend_min": "100.00"}) == 1
    assert preview({"spend_min": "90", "spend_max": "100"}) == 1
    assert preview({"customer_ids": [str(rows["cust_a1"].id), str(rows["cust_b1"].id)]}) == 1
    assert churned.id  # made, and left out


# --- launching --------------------------------------------------------------------


def test_launching_targets_the_segment_and_plans_a_contact_for_each_manager(
    client, auth, in_app, team_setup, make_customer, run_jobs
):
    rows = team_setup
    diamond = make_customer(manager=rows["mgr_a1"], tier="diamond")
    auth.login(rows["lead_a"].username)
    campaign = launched(client, run_jobs)
    assert campaign["status"] == "launched"
    assert campaign["job"]["result"] == {"targets": 5}
    made = targets(in_app, campaign["id"])
    expected = {rows[k].id for k in ("cust_a1", "cust_a1_2", "cust_a2", "cust_a2_2")} | {diamond.id}
    assert {t.customer_id for t in made} == expected
    with in_app():
        plans = {p.customer_id: p for p in db.session.scalars(sa.select(CarePlan))}
        managers = {c.id: c.manager_id for c in db.session.scalars(sa.select(Customer))}
    for target in made:
        plan = plans[target.customer_id]
        assert target.plan_id == plan.id
        assert (plan.purpose, plan.owner_id) == (Purpose.RETENTION, managers[target.customer_id])
        # Launched on the 10th: due from today to the campaign's end.
        assert (plan.due_from, plan.due_to) == (date(2026, 6, 10), date(2026, 6, 30))
        assert plan.title == "宽带续约 Broadband renewal"
    # Diamond is seen in person, gold called.
    assert plans[diamond.id].channel == Channel.VISIT
    assert plans[rows["cust_a1"].id].channel == Channel.PHONE
    again = client.post(f"{API}/{campaign['id']}/launch")
    assert (again.status_code, again.json["error"]["code"]) == (409, "campaign_not_draft")


def test_running_the_launch_again_makes_nothing_twice(client, auth, in_app, team_setup, run_jobs):
    from server.campaigns.services import _run_launch
    from server.jobs.services import Progress

    auth.login(team_setup["lead_a"].username)
    campaign = launched(client, run_jobs)
    with in_app():
        job = db.session.get(Job, uuid.UUID(campaign["job"]["id"]))
        assert _run_launch(job, Progress(job)) == {"targets": 4}
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignTarget)) == 4
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CarePlan)) == 4


def test_an_admin_campaign_for_everyone_reaches_every_team(
    client, auth, in_app, team_setup, run_jobs
):
    auth.login(team_setup["admin"].username)
    campaign = launched(client, run_jobs, kind="privilege", segment={"tiers": ["gold"]})
    # 8 managed gold customers; the unassigned one has no manager to contact it.
    assert len(targets(in_app, campaign["id"])) == 8
    with in_app():
        assert {p.purpose for p in db.session.scalars(sa.select(CarePlan))} == {Purpose.MARKETING}


# --- outcomes ---------------------------------------------------------------------


@pytest.fixture
def running(client, auth, in_app, team_setup, run_jobs):
    auth.login(team_setup["lead_a"].username)
    campaign = launched(client, run_jobs)
    made = {t.customer_id: t for t in targets(in_app, campaign["id"])}
    auth.login(team_setup["mgr_a1"].username)
    return campaign, made[team_setup["cust_a1"].id]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"outcome": "contracted"}, ["contract_months"]),
        ({"outcome": "contracted", "contract_months": 0}, ["contract_months"]),
        ({"outcome": "declined"}, ["decline_reason"]),
        ({"outcome": "took_part", "decline_reason": "no"}, ["decline_reason"]),
        ({"outcome": "offered", "contract_months": 12}, ["contract_months"]),
        ({"outcome": "maybe"}, ["outcome"]),
        ({"outcome": "offered", "outcome_at": "2026-06-10T10:00:00"}, ["outcome_at"]),
    ],
)
def test_a_bad_outcome_is_422_and_records_nothing(client, in_app, running, body, fields):
    _, target = running
    response = client.post(f"{API}/targets/{target.id}/outcome", json=body)
    assert response.status_code == 422
    assert sorted(response.json["error"]["fields"]) == fields
    with in_app():
        assert db.session.get(CampaignTarget, target.id).outcome is None


def test_a_contract_recorded_at_the_phones_time_completes_the_plan(client, in_app, running):
    _, target = running
    at = NOW - timedelta(hours=3)
    response = client.post(
        f"{API}/targets/{target.id}/outcome",
        json={"outcome": "contracted", "contract_months": 24, "outcome_at": at.isoformat()},
    )
    assert response.status_code == 200, response.json
    assert (response.json["outcome"], response.json["contract_months"]) == ("contracted", 24)
    assert datetime.fromisoformat(response.json["outcome_at"]) == at
    with in_app():
        plan = db.session.get(CarePlan, target.plan_id)
        assert (plan.status, plan.completed_at) == (PlanStatus.DONE, at)


def test_not_reached_leaves_the_plan_open(client, in_app, running):
    _, target = running
    assert (
        client.post(
            f"{API}/targets/{target.id}/outcome", json={"outcome": "not_reached"}
        ).status_code
        == 200
    )
    with in_app():
        assert db.session.get(CarePlan, target.plan_id).status == PlanStatus.PLANNED


def test_a_closed_campaign_refuses_outcomes(client, auth, team_setup, running):
    campaign, target = running
    auth.login(team_setup["lead_a"].username)
    assert client.post(f"{API}/{campaign['id']}/close").json["status"] == "closed"
    auth.login(team_setup["mgr_a1"].username)
    late = client.post(f"{API}/targets/{target.id}/outcome", json={"outcome": "offered"})
    assert (late.status_code, late.json["error"]["code"]) == (409, "campaign_closed")


def test_other_managers_targets_are_not_found(client, auth, team_setup, running):
    campaign, target = running
    auth.login(team_setup["mgr_a2"].username)
    response = client.post(f"{API}/targets/{target.id}/outcome", json={"outcome": "offered"})
    assert response.status_code == 404
    mine = client.get(f"{API}/{campaign['id']}/targets").json
    assert mine["total"] == 2
    assert str(target.id) not in [t["id"] for t in mine["items"]]
    auth.login(team_setup["mgr_b1"].username)
    assert client.get(f"{API}/{campaign['id']}").status_code == 404


def test_the_funnel_counts_each_step_per_manager(client, auth, in_app, team_setup, running):
    campaign, _ = running
    rows = team_setup
    made = {t.customer_id: t for t in targets(in_app, campaign["id"])}
    outcomes = {
        "cust_a1": {"outcome": "contracted", "contract_months": 12},
        "cust_a1_2": {"outcome": "declined", "decline_reason": "Too expensive"},
    }
    for key, body in outcomes.items():
        assert (
            client.post(f"{API}/targets/{made[rows[key].id].id}/outcome", json=body).status_code
            == 200
        )
    auth.login(rows["mgr_a2"].username)
    assert (
        client.post(
            f"{API}/targets/{made[rows['cust_a2'].id].id}/outcome", json={"outcome": "not_reached"}
        ).status_code
        == 200
    )
    auth.login(rows["lead_a"].username)
    funnel = client.get(f"{API}/{campaign['id']}/funnel").json
    total = funnel["total"]
    assert (total["targets"], total["reached"], total["contracted"]) == (4, 2, 1)
    assert (total["declined"], total["not_reached"], total["pending"]) == (1, 1, 1)
    by_manager = {row["key"]: row for row in funnel["managers"]}
    a1, a2 = by_manager[str(rows["mgr_a1"].id)], by_manager[str(rows["mgr_a2"].id)]
    assert (a1["targets"], a1["reached"], a1["pending"]) == (2, 2, 0)
    assert (a2["targets"], a2["reached"], a2["not_reached"], a2["pending"]) == (2, 0, 1, 1)
    # A manager's funnel covers their own customers only.
    auth.login(rows["mgr_a2"].username)
    assert client.get(f"{API}/{campaign['id']}/funnel").json["total"]["targets"] == 2


# --- sync -------------------------------------------------------------------------


def test_the_phone_records_an_outcome_offline_once(client, in_app, running):
    _, target = running
    device = str(uuid.uuid4())
    done_at = NOW - timedelta(days=1)
    mutation = {
        "id": str(uuid.uuid4()),
        "seq": 1,
        "name": "record_campaign_outcome",
        "args": {"id": str(target.id), "outcome": "took_part"},
        "client_time": done_at.isoformat(),
    }
    body = {"device_id": device, "schema_version": 2, "mutations": [mutation]}
    first = client.post("/api/v1/sync/push", json=body).json["results"][0]
    again = client.post("/api/v1/sync/push", json=body).json["results"][0]
    assert (first["status"], first["record"]["outcome"]) == ("applied", "took_part")
    assert again == first
    with in_app():
        row = db.session.get(CampaignTarget, target.id)
        assert (row.outcome.value, row.outcome_at, row.version) == ("took_part", done_at, 2)


@pytest.mark.committed
def test_campaign_rows_reach_the_phones_of_the_managers_they_target(
    app, client, auth, team_setup, running
):
    settle(app)
    campaign, target = running
    pulled = client.get(
        "/api/v1/sync/pull", query_string={"device_id": str(uuid.uuid4()), "limit": 2000}
    )
    assert pulled.status_code == 200, pulled.json
    changes = pulled.json["changes"]
    assert [c["id"] for c in changes if c["entity"] == "campaigns"] == [campaign["id"]]
    mine = {c["id"] for c in changes if c["entity"] == "campaign_targets"}
    assert str(target.id) in mine and len(mine) == 2
    customers = {c["row"]["customer_id"] for c in changes if c["entity"] == "campaign_targets"}
    assert customers == {str(team_setup["cust_a1"].id), str(team_setup["cust_a1_2"].id)}
