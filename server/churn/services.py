"""Training runs and monthly predictions on Fieldbook's own history.

`train`: the months whose window has bills are labelled; the last CHURN_TEST_MONTHS of
them are held out and the models learn from the earlier ones (train up to T, test on
later months). Each run is recorded with its months, settings, metrics, importances
and the tree's rules; it is activated only when it does better than the spend rule
alone, and it then retires the segment's previous run. One model per segment
(individual and organisation customers, each split into the top tiers and the rest)
when each has enough rows and leavers, else by kind, else one for all.

`predict`: the active runs score the customers billed in the latest month; each
manager's top CHURN_WARNINGS_PER_MANAGER by the combination (union or intersection of
the members' flags, as the run was trained) open or join a warning of source "model"
whose reason carries the tree's path in words (server/churn/reasons.py).
"""

from __future__ import annotations

import pickle
import uuid
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from server.auth.models import User
from server.churn import metrics
from server.churn.evaluate import judge
from server.churn.features import (
    CATEGORICAL,
    History,
    features_at,
    labels_at,
    load_history,
    numeric_features,
)
from server.churn.learn import Models, Settings, flagged, top_k, train
from server.churn.models import ChurnRun, RunStatus
from server.churn.reasons import band, worded
from server.customers.models import Customer, MonthlySpend, Stage
from server.errors import ApiError, not_found
from server.extensions import db
from server.jobs.models import Job
from server.jobs.services import Progress, handler, submit
from server.models_base import utcnow
from server.pagination import paginate
from server.warnings.models import WarningSource
from server.warnings.services import Finding, raise_findings

SEGMENTS = ("individual", "organisation")


def _bill_months() -> list[date]:
    return sorted(
        month.replace(day=1)
        for month in db.session.scalars(sa.select(MonthlySpend.month).distinct())
    )


def _table(history: History, months: list[date], window: int | None) -> pd.DataFrame:
    """The features of these months stacked, with `month`, `manager` and (given a
    window) `left` columns; the index is the customer number."""
    frames = []
    for month in months:
        frame = features_at(history, month)
        frame["month"] = month
        frame["manager"] = history.customers["manager"].to_numpy()[frame.index.to_numpy()]
        if window is not None:
            label = labels_at(history, month, frame.index, window)
            if label is None:
                continue
            frame["left"] = label
        frames.append(frame)
    return pd.concat(frames) if frames else pd.DataFrame()


def _groups(frame: pd.DataFrame) -> np.ndarray:
    """One group per manager and month: each manager works k warnings a month."""
    keys = frame["month"].astype(str) + "/" + frame["manager"].astype(str)
    return pd.factorize(keys)[0]


def _evaluate(models: Models, test: pd.DataFrame, k: int) -> dict:
    label = test["left"].to_numpy()
    groups = _groups(test)
    scores = models.scores(test)
    per_model, combination, combined = judge(label, scores, models.settings, k, groups)
    result: dict = {"models": per_model, "combination": combination}
    rule = test["rule_spend_drop"].to_numpy() > 0
    result["rules"] = {
        "auc": metrics.auc(label, rule.astype(float)),
        "at_k": metrics.at_k(label, rule),
    }
    # The same workload as the rules: as many warnings as they raised, the riskiest first.
    same_load = metrics.at_k(label, top_k(combined, int(rule.sum())))
    result["combination"]["at_rules_count"] = same_load
    rules_precision = result["rules"]["at_k"]["precision"]
    result["lift_over_rules"] = (
        same_load["precision"] / rules_precision if rules_precision else None
    )
    return result


def _better_than_rules(evaluation: dict) -> bool:
    """Better = ranks leavers better (ROC AUC) and, where the rules flag anyone, catches
    at least as many leavers with as many warnings as they raise."""
    model_auc = evaluation["combination"]["auc"]
    rules_auc = evaluation["rules"]["auc"]
    if model_auc is None or rules_auc is None or model_auc <= rules_auc:
        return False
    rules = evaluation["rules"]["at_k"]
    if not rules["flagged"]:
        return True
    return evaluation["combination"]["at_rules_count"]["precision"] >= rules["precision"]


def _importances(models: Models) -> dict:
    """The tree's importance of each feature (its encoded columns summed), largest first."""
    totals: dict[str, float] = {}
    for column, value in zip(models.encoder.columns, models.tree.feature_importances_, strict=True):
        totals[column.feature] = totals.get(column.feature, 0.0) + float(value)
    ranked = sorted(((v, f) for f, v in totals.items() if v > 0), reverse=True)
    return {"tree": {feature: round(value, 4) for value, feature in ranked}}


def _sample(rows: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, np.ndarray | None]:
    """At most CHURN_MAX_TRAINING_ROWS rows: every leaver, and a seeded sample of the
    stayers weighted up to stand for all of them (a province's year is ~5M rows)."""
    cap = current_app.config["CHURN_MAX_TRAINING_ROWS"]
    if len(rows) <= cap:
        return rows, None
    left = rows["left"].to_numpy() > 0
    keep_share = max(0.0, (cap - left.sum()) / max(1, (~left).sum()))
    rng = np.random.default_rng(seed)
    kept = left | (rng.random(len(rows)) < keep_share)
    weights = np.where(left, 1.0, 1.0 / keep_share if keep_share else 1.0)[kept]
    return rows[kept], weights


def segment_of(rows: pd.DataFrame, segment: str) -> np.ndarray:
    """Which rows a segment holds: "all", a kind ("individual"), or a kind and a tier
    group ("individual/top": CHURN_TOP_TIERS; "individual/rest": the others)."""
    if segment == "all":
        return np.ones(len(rows), dtype=bool)
    kind, _, group = segment.partition("/")
    held = rows["kind"].to_numpy() == kind
    if group:
        top = rows["tier"].isin(current_app.config["CHURN_TOP_TIERS"]).to_numpy()
        held &= top if group == "top" else ~top
    return held


def _segments(train_rows: pd.DataFrame, test_rows: pd.DataFrame) -> list[str]:
    """The finest segmentation whose every segment has enough to learn and to test
    from: kind and tier group, else kind, else all."""
    config = current_app.config

    def enough(segment: str) -> bool:
        part = train_rows[segment_of(train_rows, segment)]
        later = test_rows[segment_of(test_rows, segment)]
        return (
            len(part) >= config["CHURN_SEGMENT_MIN_ROWS"]
            and part["left"].sum() >= config["CHURN_SEGMENT_MIN_LEAVERS"]
            and later["left"].nunique() == 2
        )

    finer = [f"{kind}/{group}" for kind in SEGMENTS for group in ("top", "rest")]
    for level in (finer, list(SEGMENTS)):
        if all(enough(segment) for segment in level):
            return level
    return ["all"]


def train_runs(
    settings: Settings, user: User | None = None, window: int | None = None
) -> list[ChurnRun]:
    """Train, test and record a run per segment; activate those that beat the rules."""
    config = current_app.config
    window = window or config["CHURN_WINDOW_MONTHS"]
    test_months = config["CHURN_TEST_MONTHS"]
    k = config["CHURN_WARNINGS_PER_MANAGER"]
    months = _bill_months()
    labelled = [m for m in months if m + relativedelta(months=window) in months]
    # A month is described against the one before it at least.
    labelled = [m for m in labelled if m - relativedelta(months=1) in months]
    if len(labelled) < test_months + 2:
        raise ApiError(
            409,
            f"Training needs {test_months + 2} months whose next {window} month(s) are billed;"
            f" there are {len(labelled)}.",
            code="not_enough_history",
        )
    history = load_history(labelled[0], months[-1])
    table = _table(history, labelled, window)
    train_part = table[table["month"] < labelled[-test_months]]
    test_part = table[table["month"] >= labelled[-test_months]]
    for part, name in ((train_part, "training"), (test_part, "test")):
        if part["left"].nunique() < 2:
            raise ApiError(
                409,
                f"The {name} months hold no customer who left (or none who stayed).",
                code="one_class",
            )
    numeric = numeric_features(table)
    runs = []
    for segment in _segments(train_part, test_part):
        learn = train_part[segment_of(train_part, segment)]
        tested = test_part[segment_of(test_part, segment)]
        learn, weights = _sample(learn, settings.seed)
        models = train(
            learn, learn["left"].to_numpy(), numeric, list(CATEGORICAL), settings, weights
        )
        evaluation = _evaluate(models, tested, k)
        evaluation["rows"] = {
            "train": len(learn),
            "train_weighted": float(weights.sum()) if weights is not None else len(learn),
            "train_leavers": int(learn["left"].sum()),
            "test": len(tested),
            "test_leavers": int(tested["left"].sum()),
        }
        better = _better_than_rules(evaluation)
        run = ChurnRun(
            id=uuid.uuid4(),
            segment=segment,
            status=RunStatus.ACTIVE if better else RunStatus.NOT_ACTIVATED,
            not_activated_reason=None if better else "worse_than_rules",
            trained_from=labelled[0],
            trained_to=labelled[-test_months - 1],
            tested_from=labelled[-test_months],
            tested_to=labelled[-1],
            window_months=window,
            warnings_per_manager=k,
            settings=settings.as_dict(),
            metrics=evaluation,
            importances=_importances(models),
            rules=models.rules(),
            created_by_id=user.id if user else None,
            created_at=utcnow(),
            model=pickle.dumps(models, protocol=pickle.HIGHEST_PROTOCOL),
        )
        runs.append(run)
    if any(run.status == RunStatus.ACTIVE for run in runs):
        # The new segmentation replaces the old one whole: a segment whose new run did
        # not beat the rules has no model until the next training.
        db.session.execute(
            sa.update(ChurnRun)
            .where(ChurnRun.status == RunStatus.ACTIVE)
            .values(status=RunStatus.RETIRED)
        )
    db.session.add_all(runs)
    db.session.flush()
    return runs


def list_runs(*, page: int, per_page: int) -> Pagination:
    """Every recorded run, newest first (the pickled models stay unloaded)."""
    stmt = (
        sa.select(ChurnRun)
        .options(joinedload(ChurnRun.created_by))
        .order_by(ChurnRun.created_at.desc(), ChurnRun.id)
    )
    return paginate(stmt, page=page, per_page=per_page)


def get_run(run_id: uuid.UUID) -> ChurnRun:
    run = db.session.get(ChurnRun, run_id, options=[joinedload(ChurnRun.created_by)])
    if run is None:
        raise not_found("Run")
    return run


def active_runs() -> list[ChurnRun]:
    return list(db.session.scalars(sa.select(ChurnRun).where(ChurnRun.status == RunStatus.ACTIVE)))


def predict(month: date | None = None) -> dict:
    """Open or join model warnings for the month's riskiest customers of each manager."""
    runs = active_runs()
    if not runs:
        raise ApiError(409, "No active churn model: train one first.", code="no_active_model")
    months = _bill_months()
    month = month or (months[-1] if months else None)
    if month is None or month not in months:
        raise ApiError(409, "No bills for that month.", code="no_bills")
    history = load_history(month, month)
    table = _table(history, [month], None)
    assigned = history.customers["manager"].to_numpy()[table.index.to_numpy()] != None  # noqa: E711
    stage = history.customers["stage"].to_numpy()[table.index.to_numpy()]
    table = table[assigned & (stage != Stage.CHURNED.value)]
    findings: dict[uuid.UUID, list[Finding]] = {}
    label = month.strftime("%Y-%m")
    for run in runs:
        rows = table[segment_of(table, run.segment)]
        if rows.empty:
            continue
        models: Models = pickle.loads(run.model)  # our own database's bytes
        scores = models.scores(rows)
        groups = _groups(rows)
        chosen = flagged(
            scores,
            models.settings.members,
            models.settings.combine,
            run.warnings_per_manager,
            groups,
        )
        paths = models.reasons(rows[chosen])
        for number, tree_probability, path in zip(
            rows.index.to_numpy()[chosen], scores["tree"][chosen], paths, strict=True
        ):
            customer_id = history.ids[number]
            findings[customer_id] = [_model_finding(run, label, float(tree_probability), path)]
    customers = (
        {
            c.id: c
            for c in db.session.scalars(sa.select(Customer).where(Customer.id.in_(list(findings))))
        }
        if findings
        else {}
    )
    now = utcnow()
    opened, joined, reasons = raise_findings(
        findings,
        customers,
        sa.select(Customer.id).where(Customer.id.in_(list(findings))),
        now - relativedelta(months=1),
        now,
        lambda _found: WarningSource.MODEL,
    )
    return {
        "month": label,
        "customers_scored": len(table),
        "customers_flagged": len(findings),
        "warnings_opened": opened,
        "warnings_joined": joined,
        "reasons_added": reasons,
    }


def _model_finding(run: ChurnRun, month: str, probability: float, path: list[dict]) -> Finding:
    conditions = worded(path)
    level = band(probability)
    percent = f"{probability * 100:.0f}%"
    level_zh = {"high": "高", "medium": "中", "low": "低"}[level]
    zh_path = "；".join(c["text_zh"] for c in conditions)  # noqa: RUF001
    en_path = "; ".join(c["text_en"] for c in conditions)
    return Finding(
        key=f"model:{month}",
        reason={
            "code": "model",
            "month": month,
            "run_id": str(run.id),
            "segment": run.segment,
            "probability": round(probability, 3),
            "band": level,
            "path": conditions,
            "text_zh": f"流失模型预测风险{level_zh}（{percent}）：{zh_path}",  # noqa: RUF001
            "text_en": f"Churn model: {level} risk ({percent}): {en_path}",
        },
    )


# --- jobs --------------------------------------------------------------------------


def start_training(actor: User, settings: Settings, window: int | None = None) -> Job:
    return submit("churn_train", {"settings": settings.as_dict(), "window": window}, actor)


@handler("churn_train")
def _run_training(job: Job, progress: Progress) -> dict:
    settings = Settings(
        **{**job.params["settings"], "members": tuple(job.params["settings"]["members"])}
    )
    user = db.session.get(User, job.created_by_id) if job.created_by_id else None
    runs = train_runs(settings, user, job.params.get("window"))
    return {
        "runs": [str(run.id) for run in runs],
        "activated": sum(r.status == RunStatus.ACTIVE for r in runs),
    }


def start_prediction(actor: User, month: date | None) -> Job:
    return submit("churn_predict", {"month": month}, actor)


@handler("churn_predict")
def _run_prediction(job: Job, progress: Progress) -> dict:
    month = date.fromisoformat(job.params["month"]) if job.params.get("month") else None
    return predict(month)
