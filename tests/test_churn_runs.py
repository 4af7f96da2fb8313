"""Training runs on Fieldbook's own history and the model warnings they raise
(server/churn/services.py): recorded whole, activated only when better than the spend
rule alone, deterministic, and their warnings carry the tree's path in both languages,
are answered like any warning and reach the manager's phone."""

import pickle

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.churn import services
from server.churn.learn import Settings
from server.churn.models import RunStatus
from server.extensions import db
from server.warnings.models import ChurnWarning, WarningSource, WarningStatus
from tests.churn_history import make_history, month
from tests.sync_helpers import Device, settle, signed_in


@pytest.fixture
def managers(make_user):
    return [make_user(Role.MANAGER) for _ in range(4)]


def test_a_run_is_recorded_whole_and_activated_when_it_beats_the_rules(
    in_app, managers, churn_config
):
    with in_app():
        make_history(managers)
        (run,) = services.train_runs(Settings())
        db.session.flush()
        assert run.segment == "all"
        assert run.status == RunStatus.ACTIVE, run.metrics
        assert run.trained_from == month(1)  # the first month with one before it
        assert (run.tested_from, run.tested_to) == (month(11), month(13))
        assert run.window_months == 1 and run.warnings_per_manager == 5
        m = run.metrics
        assert set(m["models"]) == {"tree", "bayes", "logistic", "boosting"}
        assert m["combination"]["auc"] > m["rules"]["auc"]
        assert m["combination"]["at_k"]["recall"] > m["rules"]["at_k"]["recall"]
        assert m["lift_over_rules"] >= 1
        assert m["rows"]["test_leavers"] > 0 and m["rows"]["train_leavers"] > 0
        for name in m["models"]:
            assert "brier" in m["models"][name]["calibration"]
        assert run.importances["tree"]  # the features it split on
        assert run.rules and run.settings["combine"] == "union"
        models = pickle.loads(run.model)
        assert models.rules() == run.rules


def test_training_is_deterministic(in_app, managers, churn_config):
    with in_app():
        make_history(managers)
        first = services.train_runs(Settings(seed=3))[0]
        second = services.train_runs(Settings(seed=3))[0]
        assert first.metrics == second.metrics
        assert first.rules == second.rules
        # The newer run took over; the older one is kept, retired.
        db.session.refresh(first)
        assert (first.status, second.status) == (RunStatus.RETIRED, RunStatus.ACTIVE)


def test_a_run_no_better_than_the_rules_is_not_activated(in_app, managers, churn_config):
    with in_app():
        make_history(managers, rule_perfect=True)
        (run,) = services.train_runs(Settings())
        assert run.status == RunStatus.NOT_ACTIVATED
        assert run.not_activated_reason == "worse_than_rules"
        assert run.metrics["rules"]["auc"] == 1.0
        with pytest.raises(Exception, match="No active churn model"):
            services.predict()


def test_too_little_history_is_refused_with_a_reason(in_app, managers, churn_config):
    with in_app():
        with pytest.raises(Exception, match="Training needs") as raised:
            services.train_runs(Settings())
        assert raised.value.code == "not_enough_history"


def test_predictions_open_model_warnings_with_the_trees_path(in_app, managers, churn_config):
    with in_app():
        make_history(managers)
        (run,) = services.train_runs(Settings(members=("tree",)))
        counts = services.predict(month(14))
        assert counts["month"] == "2026-03"
        assert 0 < counts["customers_flagged"] <= 5 * len(managers)
        warnings = list(
            db.session.scalars(
                sa.select(ChurnWarning).where(ChurnWarning.source == WarningSource.MODEL)
            )
        )
        assert len(warnings) == counts["warnings_opened"] + counts["warnings_joined"]
        models = pickle.loads(run.model)
        for warning in warnings:
            (reason,) = [r for r in warning.reasons if r["code"] == "model"]
            assert reason["band"] in ("high", "medium", "low")
            assert reason["text_zh"].startswith("流失模型预测风险")
            assert reason["text_en"].startswith("Churn model:")
            for condition in reason["path"]:
                assert condition["text_zh"] and condition["text_en"]
                assert condition["text_en"] in reason["text_en"]
        # Again for the same month: nothing new (the finding's key is the month).
        again = services.predict(month(14))
        assert again["reasons_added"] == 0
        assert models.settings.members == ("tree",)


def test_a_model_warning_is_answered_like_any_warning(client, auth, in_app, managers, churn_config):
    with in_app():
        make_history(managers)
        services.train_runs(Settings())
        services.predict(month(14))
        warning = db.session.scalar(
            sa.select(ChurnWarning).where(ChurnWarning.source == WarningSource.MODEL).limit(1)
        )
        owner = warning.customer.manager_id
        username = next(m.username for m in managers if m.id == owner)
        warning_id, version = warning.id, warning.version
        db.session.commit()
    auth.login(username)
    response = client.post(
        f"/api/v1/warnings/{warning_id}/answer",
        json={
            "cause_analysis": "宽带资费比对手贵",
            "retention_plan": "赠送提速",
            "version": version,
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["source"] == "model"
    assert response.json["status"] == WarningStatus.OPEN


@pytest.mark.committed
def test_model_warnings_reach_the_managers_phone(app, in_app, managers, churn_config):
    with in_app():
        make_history(managers, customers=200)
        services.train_runs(Settings())
        services.predict(month(14))
        warning = db.session.scalar(
            sa.select(ChurnWarning).where(ChurnWarning.source == WarningSource.MODEL).limit(1)
        )
        owner = next(m for m in managers if m.id == warning.customer.manager_id)
        warning_id = str(warning.id)
        db.session.commit()
    settle(app)
    device = Device(signed_in(app, owner.username))
    device.sync(limit=2000)
    row = device.rows["churn_warnings"][warning_id]
    assert row["source"] == "model"
    (reason,) = [r for r in row["reasons"] if r["code"] == "model"]
    assert reason["text_zh"] and reason["text_en"] and reason["path"]


def test_a_large_training_table_is_a_weighted_sample_of_the_stayers(
    app, in_app, managers, churn_config
):
    app.config["CHURN_MAX_TRAINING_ROWS"] = 1500
    try:
        with in_app():
            make_history(managers)
            (run,) = services.train_runs(Settings())
            rows = run.metrics["rows"]
            # Every leaver kept; the stayers sampled and weighted to stand for all.
            assert rows["train"] < 1700 < rows["train_weighted"]
            assert rows["train_weighted"] == pytest.approx(3800, rel=0.15)
            assert run.metrics["combination"]["auc"] > 0.8
    finally:
        app.config["CHURN_MAX_TRAINING_ROWS"] = 1_000_000


@pytest.mark.parametrize(
    ("min_rows", "min_leavers", "segments"),
    [
        # Enough everywhere: a model per kind and tier group.
        (50, 1, ["individual/top", "individual/rest", "organisation/top", "organisation/rest"]),
        # Too few leavers among organisations' tier groups (14 and 21), enough per kind.
        (50, 30, ["individual", "organisation"]),
        # Too few leavers among organisations (35): one model.
        (50, 40, ["all"]),
    ],
)
def test_a_model_per_segment_where_the_data_is_enough(
    app, in_app, managers, churn_config, min_rows, min_leavers, segments
):
    saved = app.config["CHURN_SEGMENT_MIN_ROWS"], app.config["CHURN_SEGMENT_MIN_LEAVERS"]
    app.config["CHURN_SEGMENT_MIN_ROWS"], app.config["CHURN_SEGMENT_MIN_LEAVERS"] = (
        min_rows,
        min_leavers,
    )
    try:
        with in_app():
            make_history(managers, customers=600)
            runs = services.train_runs(Settings(members=("tree",)))
            assert [run.segment for run in runs] == segments
            # The segments share the training rows out, each row to one segment.
            assert sum(run.metrics["rows"]["train"] for run in runs) == 5494
            # Activating one segment's run never retires another's of the same training.
            db.session.flush()
            for run in runs:
                db.session.refresh(run)
                assert run.status != RunStatus.RETIRED
            # Each active segment predicts only for its own customers.
            if any(run.status == RunStatus.ACTIVE for run in runs):
                counts = services.predict(month(14))
                assert counts["customers_flagged"] > 0
    finally:
        app.config["CHURN_SEGMENT_MIN_ROWS"], app.config["CHURN_SEGMENT_MIN_LEAVERS"] = saved
