"""The demo's year of leavers, and a churn model trained on it.

`seed_demo` lets the demo's churned customers (5%) leave across the whole year, most of
them with a full last bill: the spend rule sees only the ones whose bill fell first.
This adds what the rule cannot see: in the two months before leaving, most leavers
complained (often seriously, and were not satisfied), while a few stayers complained
once and were satisfied. Complaints go through the complaints' services, with their
times in the past, so the loop and its events are as in use.

`train_demo_model` then trains and predicts as `fieldbook churn train` and `predict`
would, so the demo's managers find model warnings beside the rules' ones.
"""

# ruff: noqa: RUF001 - the Chinese texts take full-width punctuation.

import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from server.auth.models import User
from server.churn.learn import Settings
from server.churn.services import predict, train_runs
from server.complaints.models import ComplaintStatus, IntakeChannel, Severity
from server.complaints.services import create_complaint, transition_complaint
from server.customers.models import Customer, MonthlySpend, Stage
from server.extensions import db
from server.timeutil import local_zone

# Of the leavers: who complained before leaving; of the stayers: who complained once.
LEAVER_COMPLAINED = 0.65
STAYER_COMPLAINED = 0.04
LEAVER_TEXTS = (
    ("network", "家中宽带晚上经常掉线，报修两次仍未解决", "更换光猫并调整端口"),
    ("billing", "套餐外流量费用过高，对账单有异议", "解释计费规则，退还部分费用"),
    ("service", "营业厅办理业务排队时间太长，态度冷淡", "已向营业厅反馈并致歉"),
    ("network", "小区信号差，电话经常打不通", "已提交基站优化工单"),
)
STAYER_TEXTS = (
    ("billing", "月初话费扣款与套餐不符", "核对后为合约优惠生效延迟，已补差额"),
    ("network", "宽带测速偏低", "上门检测后调整路由器设置"),
)


def _moment(rng: random.Random, month: date) -> datetime:
    """A working hour on a day of `month`, local time, as UTC."""
    day = month + timedelta(days=rng.randint(0, 26))
    local = datetime.combine(day, datetime.min.time(), tzinfo=local_zone()) + timedelta(
        hours=rng.uniform(9, 18)
    )
    return local.astimezone(UTC)


def _complain(
    rng: random.Random,
    manager: User,
    customer: Customer,
    text: tuple[str, str, str],
    severity: Severity,
    at: datetime,
    satisfaction: int | None,
) -> None:
    category, description, resolution = text
    complaint = create_complaint(
        manager,
        customer,
        category=category,
        severity=severity,
        intake_channel=rng.choice((IntakeChannel.PHONE, IntakeChannel.HOTLINE)),
        description=description,
        received_at=at,
        now=at + timedelta(minutes=rng.randint(5, 60)),
    )
    started = at + timedelta(hours=rng.uniform(1, 6))
    transition_complaint(manager, complaint, ComplaintStatus.IN_PROGRESS, at=started)
    if satisfaction is None:
        return  # never resolved: the customer left first
    resolved = started + timedelta(hours=rng.uniform(6, 60))
    transition_complaint(
        manager, complaint, ComplaintStatus.RESOLVED, resolution=resolution, at=resolved
    )
    informed = resolved + timedelta(hours=rng.uniform(1, 12))
    transition_complaint(manager, complaint, ComplaintStatus.INFORMED, at=informed)
    transition_complaint(
        manager,
        complaint,
        ComplaintStatus.CLOSED,
        satisfaction=satisfaction,
        at=informed + timedelta(hours=rng.uniform(1, 24)),
    )


def seed_churn_history(seed: int, now: datetime) -> dict:
    """Complaints before leaving (and a few among stayers); flushes. Returns counts."""
    rng = random.Random(f"{seed}/churn")
    managers = {u.id: u for u in db.session.scalars(sa.select(User))}
    last_bill = dict(
        db.session.execute(
            sa.select(MonthlySpend.customer_id, sa.func.max(MonthlySpend.month)).group_by(
                MonthlySpend.customer_id
            )
        ).all()
    )
    months = sorted(set(last_bill.values()))
    customers = list(
        db.session.scalars(
            sa.select(Customer)
            .where(Customer.manager_id.is_not(None))
            .order_by(Customer.external_no)
        )
    )
    leavers_complained = stayers_complained = complaints = 0
    for customer in customers:
        manager = managers[customer.manager_id]  # type: ignore[index]
        last = last_bill.get(customer.id)
        if last is None:
            continue
        if customer.stage == Stage.CHURNED:
            if rng.random() >= LEAVER_COMPLAINED:
                continue
            leavers_complained += 1
            for back in range(rng.choice((1, 2, 2))):
                complaints += 1
                at = _moment(rng, last - relativedelta(months=back))
                severity = rng.choice((Severity.HIGH, Severity.HIGH, Severity.MEDIUM))
                _complain(
                    rng,
                    manager,
                    customer,
                    rng.choice(LEAVER_TEXTS),
                    severity,
                    min(at, now - timedelta(days=1)),
                    rng.choice((None, 1, 2)),
                )
        elif customer.stage == Stage.MATURITY and rng.random() < STAYER_COMPLAINED:
            stayers_complained += 1
            complaints += 1
            at = _moment(rng, rng.choice(months[:-1]))
            _complain(
                rng,
                manager,
                customer,
                rng.choice(STAYER_TEXTS),
                rng.choice((Severity.LOW, Severity.MEDIUM)),
                at,
                rng.choice((3, 4, 5)),
            )
    db.session.flush()
    return {
        "leavers_complained": leavers_complained,
        "stayers_complained": stayers_complained,
        "complaints": complaints,
    }


def train_demo_model() -> dict:
    """Train (the union of the tree and logistic regression) and predict the latest month."""
    # The tree and logistic regression: on some days' demo data gradient boosting
    # ranked no better than chance (ROC AUC 0.5; not understood yet, see the stop-19
    # note), and a union is only as sure as its weakest member.
    runs = train_runs(Settings(members=("tree", "logistic")))
    active = [run for run in runs if run.status.value == "active"]
    counts = predict() if active else {"warnings_opened": 0}
    first = runs[0].metrics
    return {
        "runs": len(runs),
        "active": len(active),
        "auc": first["combination"]["auc"],
        "rules_auc": first["rules"]["auc"],
        "lift": first["lift_over_rules"],
        "warnings_opened": counts["warnings_opened"],
    }
