"""The churn warnings API: manual flags, the manager's answer, resolution, lists, scope."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from server.auth.models import User
from server.customers.models import Customer, Stage
from server.extensions import db
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.warnings.models import ChurnWarning, Outcome, WarningSource, WarningStatus
from server.warnings.services import resolve_warning

API = "/api/v1/warnings"
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
REASON = {
    "code": "service_drop",
    "service": "broadband",
    "drop_pct": 25.0,
    "reference": "200.00",
    "current": "150.00",
    "month": "2026-10",
    "text_zh": "宽带月费较前三个月均值下降25.0%（200.00 → 150.00）",  # noqa: RUF001
    "text_en": "Broadband monthly fee down 25.0% against the mean of the previous 3 months",
}


@pytest.fixture
def make_warning(in_app):
    """An open warning (customer moved to the warning stage), or a closed one."""

    def factory(
        customer,
        *,
        status=WarningStatus.OPEN,
        opened_at=T0,
        answered=False,
        previous_stage=Stage.MATURITY,
    ) -> ChurnWarning:
        with in_app():
            warning = ChurnWarning(
                customer_id=customer.id,
                status=status,
                source=WarningSource.SPEND_RULE,
                reasons=[REASON],
                finding_keys=["service_drop:broadband:2026-10"],
                opened_at=opened_at,
                previous_stage=previous_stage,
            )
            if answered:
                warning.cause_analysis = "宽带被竞争对手低价抢走"
                warning.retention_plan = "赠送三个月宽带提速"
                warning.answered_at = opened_at + timedelta(days=1)
            if status != WarningStatus.OPEN:
                warning.resolved_at = opened_at + timedelta(days=2)
            else:
                db.session.get(Customer, customer.id).stage = Stage.WARNING
            db.session.add(warning)
            db.session.commit()
            return warning

    return factory


def load(in_app, model, row_id):
    with in_app():
        return db.session.get(model, row_id)


def warnings_of(in_app, customer) -> list[ChurnWarning]:
    with in_app():
        return list(
            db.session.scalars(
                sa.select(ChurnWarning)
                .where(ChurnWarning.customer_id == customer.id)
                .order_by(ChurnWarning.created_at)
            )
        )


def plans_of(in_app, customer) -> list[CarePlan]:
    with in_app():
        return list(
            db.session.scalars(sa.select(CarePlan).where(CarePlan.customer_id == customer.id))
        )


# --- who may do what ------------------------------------------------------------

# Every request targets mgr_a1's customer cust_a1, in team A.
ACTORS = {
    "manager_own": "mgr_a1",
    "manager_other": "mgr_a2",
    "lead_own": "lead_a",
    "lead_other": "lead_b",
    "admin": "admin",
}
OK_FOR_SCOPE = {
    "manager_own": True,
    "manager_other": False,
    "lead_own": True,
    "lead_other": False,
    "admin": True,
}

# (method, path, body, status when allowed); {w} is cust_a1's open warning.
ENDPOINTS = [
    ("GET", f"{API}/{{w}}", None, 200),
    (
        "POST",
        f"{API}/{{w}}/answer",
        {"cause_analysis": "资费比竞争对手高", "retention_plan": "推荐融合套餐"},
        200,
    ),
    ("POST", f"{API}/{{w}}/resolve", {"outcome": "churned", "exit_reason": "携号转网"}, 200),
    (
        "POST",
        API,
        {"customer_id": "{cust_a1}", "reason": "competitor", "note": "联通上门推销"},
        201,
    ),
]


def _fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
def test_permissions(
    client, auth, team_setup, make_warning, in_app, actor, method, path, body, allowed
):
    warning = make_warning(team_setup["cust_a1"])
    ids = {"w": warning.id, "cust_a1": team_setup["cust_a1"].id}
    auth.login(team_setup[ACTORS[actor]].username)

    response = client.open(_fill(path, ids), method=method, json=_fill(body, ids))

    expected = allowed if OK_FOR_SCOPE[actor] else 404
    assert response.status_code == expected, response.json
    if expected == 404:
        assert response.json["error"]["code"] == "not_found"
        after = load(in_app, ChurnWarning, warning.id)
        assert (after.version, after.status, after.reasons) == (1, WarningStatus.OPEN, [REASON])
        assert plans_of(in_app, team_setup["cust_a1"]) == []


@pytest.mark.parametrize("actor", list(ACTORS))
def test_lists_show_only_warnings_of_visible_customers(
    client, auth, team_setup, make_warning, actor
):
    warning = make_warning(team_setup["cust_a1"])
    auth.login(team_setup[ACTORS[actor]].username)

    response = client.get(API)

    assert response.status_code == 200
    ids = [item["id"] for item in response.json["items"]]
    assert ids == ([str(warning.id)] if OK_FOR_SCOPE[actor] else [])


def test_signed_out_users_get_401(client, team_setup, make_warning):
    warning = make_warning(team_setup["cust_a1"])

    assert client.get(API).status_code == 401
    assert client.get(f"{API}/{warning.id}").status_code == 401


def test_an_unknown_warning_is_404(client, auth, team_setup):
    auth.login(team_setup["admin"].username)

    response = client.get(f"{API}/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.json["error"]["message"] == "Warning not found."


# --- manual flags ---------------------------------------------------------------


def test_a_manual_flag_opens_a_warning_naming_the_note(client, auth, team_setup, in_app):
    customer, manager = team_setup["cust_a1"], team_setup["mgr_a1"]
    auth.login(manager.username)

    response = client.post(
        API,
        json={
            "customer_id": str(customer.id),
            "reason": "competitor",
            "note": "电信上门推销千兆宽带",
        },
    )

    assert response.status_code == 201, response.json
    body = response.json
    assert (body["status"], body["source"], body["previous_stage"]) == (
        "open",
        "manual",
        "maturity",
    )
    assert body["raised_by_id"] == str(manager.id)
    assert body["customer"]["id"] == str(customer.id)
    assert body["customer"]["stage"] == "warning"
    [reason] = body["reasons"]
    assert reason["code"] == "competitor"
    assert reason["note"] == "电信上门推销千兆宽带"
    assert reason["text_zh"] == "竞争对手接触客户：电信上门推销千兆宽带"  # noqa: RUF001
    assert reason["text_en"] == "Approached by a competitor: 电信上门推销千兆宽带"
    assert load(in_app, Customer, customer.id).stage == Stage.WARNING


def test_a_manual_flag_joins_the_open_warning(client, auth, team_setup, make_warning, in_app):
    customer = team_setup["cust_a1"]
    warning = make_warning(customer, previous_stage=Stage.INTRODUCTION)
    auth.login(team_setup["lead_a"].username)

    response = client.post(
        API,
        json={
            "customer_id": str(customer.id),
            "reason": "intent_to_leave",
            "note": "合约到期后想换",
        },
    )

    assert response.status_code == 201
    assert response.json["id"] == str(warning.id)
    assert [r["code"] for r in response.json["reasons"]] == ["service_drop", "intent_to_leave"]
    assert response.json["reasons"][1]["text_en"] == (
        "Customer stated an intent to leave: 合约到期后想换"
    )
    # Joining keeps what the warning was opened with.
    assert response.json["source"] == "spend_rule"
    assert response.json["previous_stage"] == "introduction"
    assert len(warnings_of(in_app, customer)) == 1


def test_a_flag_sent_twice_with_its_client_id_is_recorded_once(client, auth, team_setup, in_app):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    client_id = uuid.uuid4()
    body = {
        "id": str(client_id),
        "customer_id": str(customer.id),
        "reason": "other",
        "note": "不接电话",
    }

    first = client.post(API, json=body)
    second = client.post(API, json=body)

    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"] == str(client_id)
    assert len(second.json["reasons"]) == 1
    assert second.json["version"] == first.json["version"]


def test_a_replayed_flag_that_joined_a_warning_is_not_added_again(
    client, auth, team_setup, make_warning
):
    customer = team_setup["cust_a1"]
    warning = make_warning(customer)
    auth.login(team_setup["mgr_a1"].username)
    body = {
        "id": str(uuid.uuid4()),
        "customer_id": str(customer.id),
        "reason": "other",
        "note": "x",
    }

    client.post(API, json=body)
    again = client.post(API, json=body)

    assert again.json["id"] == str(warning.id)
    assert len(again.json["reasons"]) == 2


def test_a_flag_reusing_another_customers_warning_id_is_a_conflict(
    client, auth, team_setup, make_warning, in_app
):
    other = make_warning(team_setup["cust_a1_2"])
    auth.login(team_setup["mgr_a1"].username)
    body = {
        "id": str(other.id),
        "customer_id": str(team_setup["cust_a1"].id),
        "reason": "other",
        "note": "x",
    }

    response = client.post(API, json=body)

    assert response.status_code == 409
    assert warnings_of(in_app, team_setup["cust_a1"]) == []


def test_a_churned_customer_cannot_be_flagged(client, auth, team_setup, make_customer, in_app):
    gone = make_customer(manager=team_setup["mgr_a1"], stage=Stage.CHURNED)
    auth.login(team_setup["mgr_a1"].username)

    response = client.post(API, json={"customer_id": str(gone.id), "reason": "other", "note": "x"})

    assert response.status_code == 409
    assert response.json["error"]["code"] == "customer_churned"
    assert warnings_of(in_app, gone) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"note": None}, "note"),
        ({"note": "   "}, "note"),
        ({"note": "长" * 1001}, "note"),
        ({"reason": "bored"}, "reason"),
        ({"reason": None}, "reason"),
        ({"customer_id": "not-a-uuid"}, "customer_id"),
        ({"id": "nope"}, "id"),
        ({"stage": "warning"}, "stage"),
    ],
)
def test_a_bad_flag_is_422_naming_the_field_and_changes_nothing(
    client, auth, team_setup, in_app, change, field
):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    body = {"customer_id": str(customer.id), "reason": "competitor", "note": "有人来挖"} | change
    body = {key: value for key, value in body.items() if value is not None}

    response = client.post(API, json=body)

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert warnings_of(in_app, customer) == []
    assert load(in_app, Customer, customer.id).stage == Stage.MATURITY


def test_flagging_an_unknown_customer_is_404(client, auth, team_setup):
    auth.login(team_setup["admin"].username)

    response = client.post(
        API, json={"customer_id": str(uuid.uuid4()), "reason": "other", "note": "x"}
    )

    assert response.status_code == 404


# --- the manager's answer -------------------------------------------------------


def test_the_answer_is_saved_and_may_be_rewritten_while_open(
    client, auth, team_setup, make_warning
):
    warning = make_warning(team_setup["cust_a1"])
    manager = team_setup["mgr_a1"]
    auth.login(manager.username)

    first = client.post(
        f"{API}/{warning.id}/answer",
        json={"cause_analysis": "宽带资费偏高", "retention_plan": "推荐融合套餐"},
    )
    second = client.post(
        f"{API}/{warning.id}/answer",
        json={
            "cause_analysis": "宽带资费偏高、网速不稳",
            "retention_plan": "上门测速并提速",
            "version": 2,
        },
    )

    assert first.status_code == 200
    assert first.json["answered_by_id"] == str(manager.id)
    assert first.json["answered_at"] is not None
    assert second.status_code == 200, second.json
    assert second.json["cause_analysis"] == "宽带资费偏高、网速不稳"
    assert second.json["retention_plan"] == "上门测速并提速"
    assert second.json["version"] == 3
    assert second.json["status"] == "open"


def test_an_answer_on_a_stale_version_is_a_conflict(client, auth, team_setup, make_warning, in_app):
    warning = make_warning(team_setup["cust_a1"], answered=True)
    auth.login(team_setup["mgr_a1"].username)

    response = client.post(
        f"{API}/{warning.id}/answer",
        json={"cause_analysis": "新分析", "retention_plan": "新方案", "version": 7},
    )

    assert response.status_code == 409
    assert response.json["error"]["code"] == "version_conflict"
    assert response.json["error"]["current"]["cause_analysis"] == "宽带被竞争对手低价抢走"
    assert load(in_app, ChurnWarning, warning.id).cause_analysis == "宽带被竞争对手低价抢走"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"retention_plan": "方案"}, "cause_analysis"),
        ({"cause_analysis": "分析", "retention_plan": ""}, "retention_plan"),
        ({"cause_analysis": "分" * 4001, "retention_plan": "方案"}, "cause_analysis"),
        ({"cause_analysis": "分析", "retention_plan": "方案", "version": "two"}, "version"),
    ],
)
def test_a_bad_answer_is_422_naming_the_field(
    client, auth, team_setup, make_warning, in_app, body, field
):
    warning = make_warning(team_setup["cust_a1"])
    auth.login(team_setup["mgr_a1"].username)

    response = client.post(f"{API}/{warning.id}/answer", json=body)

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    after = load(in_app, ChurnWarning, warning.id)
    assert (after.cause_analysis, after.version) == (None, 1)


def test_a_resolved_warning_cannot_be_answered(client, auth, team_setup, make_warning):
    warning = make_warning(team_setup["cust_a1"], status=WarningStatus.RETAINED, answered=True)
    auth.login(team_setup["mgr_a1"].username)

    response = client.post(
        f"{API}/{warning.id}/answer", json={"cause_analysis": "a", "retention_plan": "b"}
    )

    assert response.status_code == 409
    assert response.json["error"]["code"] == "warning_resolved"


# --- resolution -----------------------------------------------------------------


def test_retained_needs_the_cause_analysis_first(client, auth, team_setup, make_warning, in_app):
    customer = team_setup["cust_a1"]
    warning = make_warning(customer)
    auth.login(team_setup["mgr_a1"].username)

    response = client.post(f"{API}/{warning.id}/resolve", json={"outcome": "retained"})

    assert response.status_code == 409
    assert response.json["error"]["code"] == "analysis_required"
    assert load(in_app, ChurnWarning, warning.id).status == WarningStatus.OPEN
    assert load(in_app, Customer, customer.id).stage == Stage.WARNING


def test_retained_returns_the_customer_to_the_stage_before_the_warning(
    client, auth, team_setup, make_warning, in_app
):
    customer = team_setup["cust_a1"]
    warning = make_warning(customer, answered=True, previous_stage=Stage.INTRODUCTION)
    auth.login(team_setup["mgr_a1"].username)

    response = client.post(
        f"{API}/{warning.id}/resolve", json={"outcome": "retained", "note": "已办理提速"}
    )

    assert response.status_code == 200, response.json
    assert response.json["status"] == "retained"
    assert response.json["resolution_note"] == "已办理提速"
    assert response.json["resolved_at"] is not None
    assert response.json["resolved_by_id"] == str(team_setup["mgr_a1"].id)
    assert response.json["customer"]["stage"] == "introduction"
    assert load(in_app, Customer, customer.id).stage == Stage.INTRODUCTION
    assert plans_of(in_app, customer) == []


def test_retained_without_an_earlier_stage_returns_to_maturity(
    client, auth, team_setup, make_warning, in_app
):
    customer = team_setup["cust_a1"]
    warning = make_warning(customer, answered=True, previous_stage=None)
    auth.login(team_setup["mgr_a1"].username)

    client.post(f"{API}/{warning.id}/resolve", json={"outcome": "retained"})

    assert load(in_app, Customer, customer.id).stage == Stage.MATURITY


def test_churned_moves_the_customer_out_and_plans_a_win_back_call(
    client, auth, team_setup, make_warning, in_app
):
    customer, manager = team_setup["cust_a1"], team_setup["mgr_a1"]
    # Not answered: a customer may leave before the analysis is written.
    warning = make_warning(customer)
    auth.login(team_setup["lead_a"].username)

    response = client.post(
        f"{API}/{warning.id}/resolve",
        json={"outcome": "churned", "exit_reason": "携号转网到竞争对手", "note": "挽留未果"},
    )

    assert response.status_code == 200, response.json
    assert response.json["status"] == "churned"
    assert response.json["exit_reason"] == "携号转网到竞争对手"
    assert load(in_app, Customer, customer.id).stage == Stage.CHURNED
    [plan] = plans_of(in_app, customer)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert (plan.purpose, plan.channel, plan.status) == (
        Purpose.WIN_BACK,
        Channel.PHONE,
        PlanStatus.PLANNED,
    )
    assert plan.owner_id == manager.id
    assert plan.generation_key == f"winback:{warning.id}"
    assert (plan.due_from, plan.due_to) == (today + timedelta(days=30), today + timedelta(days=60))


def test_the_win_back_window_runs_30_to_60_local_days_after_churn(team_setup, make_warning, in_app):
    customer = team_setup["cust_a1"]
    warning = make_warning(customer)
    # 18:00 UTC is 02:00 the next day in Shanghai: the window counts from 2026-11-16.
    at = datetime(2026, 11, 15, 18, 0, tzinfo=UTC)
    with in_app():
        actor = db.session.get(User, team_setup["admin"].id)
        row = db.session.get_one(ChurnWarning, warning.id)
        resolve_warning(actor, row, Outcome.CHURNED, exit_reason="搬家", at=at)
        db.session.commit()

    [plan] = plans_of(in_app, customer)
    assert (plan.due_from, plan.due_to) == (date(2026, 12, 16), date(2027, 1, 15))
    assert load(in_app, ChurnWarning, warning.id).resolved_at == at


def test_churned_without_an_exit_reason_is_422_and_changes_nothing(
    client, auth, team_setup, make_warning, in_app
):
    customer = team_setup["cust_a1"]
    warning = make_warning(customer)
    auth.login(team_setup["mgr_a1"].username)

    response = client.post(f"{API}/{warning.id}/resolve", json={"outcome": "churned"})

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["exit_reason"]
    assert load(in_app, ChurnWarning, warning.id).status == WarningStatus.OPEN
    assert load(in_app, Customer, customer.id).stage == Stage.WARNING
    assert plans_of(in_app, customer) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "outcome"),
        ({"outcome": "open"}, "outcome"),
        ({"outcome": "churned", "exit_reason": "长" * 301}, "exit_reason"),
        ({"outcome": "retained", "version": 0}, "version"),
    ],
)
def test_a_bad_resolution_is_422_naming_the_field(
    client, auth, team_setup, make_warning, in_app, body, field
):
    warning = make_warning(team_setup["cust_a1"], answered=True)
    auth.login(team_setup["mgr_a1"].username)

    response = client.post(f"{API}/{warning.id}/resolve", json=body)

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert load(in_app, ChurnWarning, warning.id).status == WarningStatus.OPEN


@pytest.mark.parametrize("outcome", ["retained", "churned"])
def test_a_resolved_warning_cannot_be_resolved_again(
    client, auth, team_setup, make_warning, in_app, outcome
):
    customer = team_setup["cust_a1"]
    warning = make_warning(customer, answered=True)
    auth.login(team_setup["mgr_a1"].username)
    first = client.post(f"{API}/{warning.id}/resolve", json={"outcome": "retained"})

    again = client.post(
        f"{API}/{warning.id}/resolve", json={"outcome": outcome, "exit_reason": "携号转网"}
    )

    assert first.status_code == 200
    assert again.status_code == 409
    assert again.json["error"]["code"] == "warning_resolved"
    assert load(in_app, Customer, customer.id).stage == Stage.MATURITY
    assert plans_of(in_app, customer) == []


def test_a_resolution_on_a_stale_version_is_a_conflict(
    client, auth, team_setup, make_warning, in_app
):
    warning = make_warning(team_setup["cust_a1"], answered=True)
    auth.login(team_setup["mgr_a1"].username)

    response = client.post(
        f"{API}/{warning.id}/resolve", json={"outcome": "retained", "version": 2}
    )

    assert response.status_code == 409
    assert response.json["error"]["code"] == "version_conflict"
    assert load(in_app, ChurnWarning, warning.id).status == WarningStatus.OPEN


def test_after_retention_a_new_flag_opens_a_new_warning(
    client, auth, team_setup, make_warning, in_app
):
    customer = team_setup["cust_a1"]
    old = make_warning(customer, answered=True)
    auth.login(team_setup["mgr_a1"].username)
    client.post(f"{API}/{old.id}/resolve", json={"outcome": "retained"})

    response = client.post(
        API, json={"customer_id": str(customer.id), "reason": "competitor", "note": "又有人来"}
    )

    assert response.json["id"] != str(old.id)
    assert response.json["previous_stage"] == "maturity"
    assert [w.status for w in warnings_of(in_app, customer)] == [
        WarningStatus.RETAINED,
        WarningStatus.OPEN,
    ]


# --- lists ----------------------------------------------------------------------


@pytest.fixture
def three_warnings(team_setup, make_warning):
    """cust_a1: retained (opened day 3); cust_a1_2: open (day 1); cust_a2: open (day 2)."""
    return {
        "retained": make_warning(
            team_setup["cust_a1"],
            status=WarningStatus.RETAINED,
            answered=True,
            opened_at=T0 + timedelta(days=3),
        ),
        "open_old": make_warning(team_setup["cust_a1_2"], opened_at=T0 + timedelta(days=1)),
        "open_new": make_warning(team_setup["cust_a2"], opened_at=T0 + timedelta(days=2)),
    }


def listed(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_the_list_shows_open_warnings_first_then_the_newest(
    client, auth, team_setup, three_warnings
):
    w = {name: str(row.id) for name, row in three_warnings.items()}
    auth.login(team_setup["lead_a"].username)

    response = client.get(API)

    assert listed(response) == [w["open_new"], w["open_old"], w["retained"]]
    assert response.json["total"] == 3


def test_the_list_filters(client, auth, team_setup, three_warnings):
    w = {name: str(row.id) for name, row in three_warnings.items()}
    auth.login(team_setup["lead_a"].username)

    assert listed(client.get(API, query_string={"status": "retained"})) == [w["retained"]]
    assert listed(client.get(API, query_string={"status": "open,retained"})) == [
        w["open_new"],
        w["open_old"],
        w["retained"],
    ]
    assert listed(
        client.get(API, query_string={"customer_id": str(team_setup["cust_a1_2"].id)})
    ) == [w["open_old"]]
    assert listed(client.get(API, query_string={"manager_id": str(team_setup["mgr_a1"].id)})) == [
        w["open_old"],
        w["retained"],
    ]
    paged = client.get(API, query_string={"per_page": 1, "page": 2})
    assert listed(paged) == [w["open_old"]]
    assert (paged.json["total"], paged.json["pages"]) == (3, 3)


def test_a_manager_lists_only_their_customers_warnings(client, auth, team_setup, three_warnings):
    auth.login(team_setup["mgr_a2"].username)

    assert listed(client.get(API)) == [str(three_warnings["open_new"].id)]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"status": "snoozed"}, "status"), ({"page": 0}, "page"), ({"sort": "name"}, "sort")],
)
def test_a_bad_list_query_is_422(client, auth, team_setup, query, field):
    auth.login(team_setup["lead_a"].username)

    response = client.get(API, query_string=query)

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]


def test_churned_customers_are_listed_with_why_they_left(
    client, auth, team_setup, make_warning, make_customer
):
    mgr = team_setup["mgr_a1"]
    customer = team_setup["cust_a1"]
    warning = make_warning(customer)
    # Churned before Fieldbook kept warnings: listed, without a reason, after the others.
    older = make_customer(manager=mgr, stage=Stage.CHURNED, name="老流失客户")
    auth.login(mgr.username)
    client.post(f"{API}/{warning.id}/resolve", json={"outcome": "churned", "exit_reason": "出国"})

    response = client.get(f"{API}/churned")

    assert response.status_code == 200
    items = response.json["items"]
    assert [item["customer"]["id"] for item in items] == [str(customer.id), str(older.id)]
    assert items[0]["exit_reason"] == "出国"
    assert items[0]["churned_at"] is not None
    assert items[0]["last_warning"]["id"] == str(warning.id)
    assert items[0]["last_warning"]["status"] == "churned"
    assert (items[1]["exit_reason"], items[1]["last_warning"]) == (None, None)
    assert response.json["total"] == 2

    # Someone else's churned customers stay out of sight.
    auth.login(team_setup["mgr_a2"].username)
    assert client.get(f"{API}/churned").json["items"] == []


def test_churned_cancels_the_open_care_plans_and_keeps_the_finished_ones(
    team_setup, make_warning, in_app
):
    customer = team_setup["cust_a1"]
    warning = make_warning(customer)
    with in_app():
        for status in (PlanStatus.PLANNED, PlanStatus.MISSED, PlanStatus.DONE):
            db.session.add(
                CarePlan(
                    customer_id=customer.id,
                    owner_id=customer.manager_id,
                    purpose=Purpose.ROUTINE,
                    channel=Channel.PHONE,
                    title=status.value,
                    due_from=date(2026, 11, 20),
                    due_to=date(2026, 11, 27),
                    status=status,
                )
            )
        db.session.commit()
        actor = db.session.get(User, team_setup["admin"].id)
        row = db.session.get_one(ChurnWarning, warning.id)
        resolve_warning(actor, row, Outcome.CHURNED, exit_reason="搬家")
        db.session.commit()

    statuses = sorted((p.title, p.status.value) for p in plans_of(in_app, customer))
    win_back = [p for p in plans_of(in_app, customer) if p.purpose == Purpose.WIN_BACK]
    assert [p.status for p in win_back] == [PlanStatus.PLANNED]
    assert ("done", "done") in statuses
    assert ("planned", "cancelled") in statuses
    assert ("missed", "cancelled") in statuses
