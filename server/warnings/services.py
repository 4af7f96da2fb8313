"""Churn early warning rules (流失预警): spend drops, complaint pressure, manual flags.

A warning must say why in words a manager can act on, so every finding becomes a
reason with a zh and an en sentence. The spend rule compares the scanned month with
the mean of the WARNING_REFERENCE_MONTHS months before it; a service is only judged
when it was billed in every one of those months (and a customer's total only when
every reference month has a bill), because a mean over one or two months would flag
customers who simply joined recently or changed plans.

A customer has at most one open warning: new findings join it. Every finding has a
key ("service_drop:broadband:2026-10"); a key already on the customer's open warning
or on one of their recently closed warnings is not raised again, which makes the
scan idempotent and keeps a retained customer from being flagged again by the same
month's bills.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import lazyload, selectinload

from server import events
from server.auth.models import User
from server.complaints.models import Complaint
from server.customers.models import Customer, MonthlySpend, Stage
from server.customers.services import set_stage, set_stage_in_bulk
from server.errors import ApiError, invalid
from server.extensions import db
from server.jobs.models import Job
from server.jobs.services import Progress, handler, submit
from server.models_base import bulk_update, check_version, utcnow
from server.pagination import paginate
from server.scope import visible, visible_customers
from server.timeutil import local_zone
from server.transaction import Checkpoints, in_chunks
from server.warnings.models import (
    ChurnWarning,
    ManualReason,
    Outcome,
    WarningSource,
    WarningStatus,
)
from server.warnings.schemas import ChurnWarningSchema

# Service codes of the billing export and how people call them.
SERVICE_NAMES = {
    "mobile": ("移动套餐", "Mobile plan"),
    "data": ("流量", "Data"),
    "broadband": ("宽带", "Broadband"),
    "iptv": ("互联网电视", "IPTV"),
    "fixed_line": ("固话", "Fixed line"),
    "group_sms": ("集团短信", "Group SMS"),
    "cloud": ("云业务", "Cloud services"),
}
_ZH_COUNTS = dict(enumerate("零一两三四五六七八九十", start=0)) | {11: "十一", 12: "十二"}

MANUAL_TEXTS = {
    ManualReason.COMPETITOR: ("竞争对手接触客户", "Approached by a competitor"),
    ManualReason.INTENT_TO_LEAVE: ("客户表示有离网意向", "Customer stated an intent to leave"),
    ManualReason.OTHER: ("其他流失迹象", "Other sign of leaving"),
}


def service_names(code: str) -> tuple[str, str]:
    return SERVICE_NAMES.get(code, (code, code))


# --- findings -------------------------------------------------------------------


@dataclass
class Finding:
    key: str
    reason: dict


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def _drop_pct(reference: Decimal, current: Decimal) -> Decimal:
    return (reference - current) / reference * 100


def _one_decimal(pct: Decimal) -> Decimal:
    return pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _drop_finding(
    code: str, service: str | None, month: date, reference: Decimal, current: Decimal
) -> Finding:
    n = current_app.config["WARNING_REFERENCE_MONTHS"]
    pct = _one_decimal(_drop_pct(reference, current))
    ref, cur = _money(reference), _money(current)
    label = month.strftime("%Y-%m")
    zh_n = _ZH_COUNTS.get(n, str(n))
    if service is None:
        zh_name, en_name = "月消费总额", "Total monthly fee"
    else:
        zh, en = service_names(service)
        zh_name, en_name = f"{zh}月费", f"{en} monthly fee"
    reason = {
        "code": code,
        "drop_pct": float(pct),
        "reference": ref,
        "current": cur,
        "month": label,
        # Chinese text takes full-width punctuation.
        "text_zh": f"{zh_name}较前{zh_n}个月均值下降{pct}%（{ref} → {cur}）",  # noqa: RUF001
        "text_en": (
            f"{en_name} down {pct}% against the mean of the previous {n} months ({ref} → {cur})"
        ),
    }
    if service is not None:
        reason["service"] = service
    key = f"{code}:{service}:{label}" if service else f"{code}:{label}"
    return Finding(key=key, reason=reason)


def spend_findings(month: date, bills: dict[date, dict[str, Decimal]]) -> list[Finding]:
    """The drops in `month` of one customer's `bills` ({month: {service: amount}}).

    A service missing from `month` but billed in every reference month fell to 0.
    """
    config = current_app.config
    n = config["WARNING_REFERENCE_MONTHS"]
    service_pct = Decimal(str(config["WARNING_SERVICE_DROP_PCT"]))
    total_pct = Decimal(str(config["WARNING_TOTAL_DROP_PCT"]))
    current = bills.get(month)
    if not current:
        return []
    reference_months = [month - relativedelta(months=k) for k in range(1, n + 1)]
    if not all(bills.get(m) for m in reference_months):
        return []
    found: list[Finding] = []
    services = sorted({s for m in reference_months for s in bills[m]})
    for service in services:
        if not all(service in bills[m] for m in reference_months):
            continue
        reference = sum((bills[m][service] for m in reference_months), Decimal(0)) / n
        now = current.get(service, Decimal(0))
        if reference > 0 and _drop_pct(reference, now) >= service_pct:
            found.append(_drop_finding("service_drop", service, month, reference, now))
    reference_total = (
        sum((sum(bills[m].values(), Decimal(0)) for m in reference_months), Decimal(0)) / n
    )
    total = sum(current.values(), Decimal(0))
    if reference_total > 0 and _drop_pct(reference_total, total) >= total_pct:
        found.append(_drop_finding("total_drop", None, month, reference_total, total))
    return found


def _complaint_finding(count: int, newest: datetime, now: datetime) -> Finding:
    days = current_app.config["WARNING_COMPLAINTS_DAYS"]
    return Finding(
        # The newest complaint names the finding: a later complaint is news, the same
        # ones seen again tomorrow are not.
        key=f"complaint_pressure:{newest.astimezone(local_zone()).isoformat()}",
        reason={
            "code": "complaint_pressure",
            "count": count,
            "days": days,
            "month": now.astimezone(local_zone()).strftime("%Y-%m"),
            "text_zh": f"近{days}天内投诉{count}次",
            "text_en": f"{count} complaints in the last {days} days",
        },
    )


# --- the scan -------------------------------------------------------------------


# Who is scanned: customers with a manager, not gone.
_SCANNED = sa.and_(Customer.manager_id.is_not(None), Customer.stage != Stage.CHURNED)


def _new_warning(customer: Customer, source: WarningSource, at: datetime, **fields) -> ChurnWarning:
    """A new open warning on `customer`; the caller moves the customer to the warning stage."""
    # A customer put in the warning stage by hand or by an import has no stage to go back to.
    previous = customer.stage if customer.stage not in (Stage.WARNING, Stage.CHURNED) else None
    warning = ChurnWarning(
        customer_id=customer.id,
        status=WarningStatus.OPEN,
        source=source,
        reasons=[],
        finding_keys=[],
        opened_at=at,
        previous_stage=previous,
        **fields,
    )
    db.session.add(warning)
    return warning


def _add_findings(warning: ChurnWarning, findings: list[Finding]) -> None:
    # New lists, not in-place appends: JSON columns only notice reassignment.
    warning.reasons = [*warning.reasons, *(f.reason for f in findings)]
    warning.finding_keys = [*warning.finding_keys, *(f.key for f in findings)]


def scan_warnings(
    month: date | None = None,
    now: datetime | None = None,
    customer_ids: list[uuid.UUID] | None = None,
) -> dict:
    """Evaluate the spend and complaint rules for every assigned, not churned customer.

    `month` defaults to the latest month with bills. Opens or joins warnings; flushes,
    never commits. A fixed number of queries whatever the number of customers.
    Returns counts: month, customers_scanned, warnings_opened, warnings_joined,
    reasons_added.
    """
    config = current_app.config
    now = now or utcnow()
    month = _month_to_judge(month)

    in_scope = _SCANNED
    if customer_ids is not None:
        in_scope = sa.and_(in_scope, Customer.id.in_(customer_ids))
    scope_ids = sa.select(Customer.id).where(in_scope)

    customers = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Customer).where(in_scope).options(lazyload(Customer.tier))
        )
    }

    bills: dict[uuid.UUID, dict[date, dict[str, Decimal]]] = {}
    if month is not None:
        n = config["WARNING_REFERENCE_MONTHS"]
        months = [month - relativedelta(months=k) for k in range(n + 1)]
        rows = db.session.execute(
            sa.select(
                MonthlySpend.customer_id,
                MonthlySpend.month,
                MonthlySpend.service,
                MonthlySpend.amount,
            ).where(MonthlySpend.month.in_(months), MonthlySpend.customer_id.in_(scope_ids))
        )
        for customer_id, bill_month, service, amount in rows:
            by_month = bills.setdefault(customer_id, {})
            by_month.setdefault(bill_month.replace(day=1), {})[service] = Decimal(amount)

    since = now - timedelta(days=config["WARNING_COMPLAINTS_DAYS"])
    pressure = db.session.execute(
        sa.select(Complaint.customer_id, sa.func.count(), sa.func.max(Complaint.received_at))
        .where(
            Complaint.received_at >= since,
            Complaint.received_at <= now,
            Complaint.customer_id.in_(scope_ids),
        )
        .group_by(Complaint.customer_id)
        .having(sa.func.count() >= config["WARNING_COMPLAINTS_COUNT"])
    ).all()

    # A closed warning can only hold a finding of this month's bills (or of these
    # complaints) if it was touched after the month began (or the window opened).
    touched_since = since
    if month is not None:
        touched_since = min(since, datetime.combine(month, datetime.min.time(), local_zone()))
    findings: dict[uuid.UUID, list[Finding]] = {}
    if month is not None:
        for customer_id, customer_bills in bills.items():
            found = spend_findings(month, customer_bills)
            if found:
                findings[customer_id] = found
    for customer_id, count, newest in pressure:
        findings.setdefault(customer_id, []).append(_complaint_finding(count, newest, now))

    opened, joined, reasons_added = raise_findings(
        findings, customers, scope_ids, touched_since, now, _rule_source
    )
    return {
        "month": month.strftime("%Y-%m") if month else None,
        "customers_scanned": len(customers),
        "warnings_opened": opened,
        "warnings_joined": joined,
        "reasons_added": reasons_added,
    }


def _rule_source(findings: list[Finding]) -> WarningSource:
    if all(f.reason["code"] == "complaint_pressure" for f in findings):
        return WarningSource.COMPLAINT_PRESSURE
    return WarningSource.SPEND_RULE


def raise_findings(
    findings: dict[uuid.UUID, list[Finding]],
    customers: dict[uuid.UUID, Customer],
    scope_ids: sa.Select,
    touched_since: datetime,
    now: datetime,
    source_of: Callable[[list[Finding]], WarningSource],
) -> tuple[int, int, int]:
    """Open a warning for each customer with findings, or join the open one; a finding
    already on it, or on a warning closed since `touched_since`, is not raised again.
    The rules' scan and the churn model's predictions both come through here.
    Returns (warnings opened, warnings joined, reasons added)."""
    open_warnings = {
        w.customer_id: w
        for w in db.session.scalars(
            sa.select(ChurnWarning).where(
                ChurnWarning.status == WarningStatus.OPEN,
                ChurnWarning.customer_id.in_(scope_ids),
            )
        )
    }
    seen: dict[uuid.UUID, set[str]] = {}
    for customer_id, keys in db.session.execute(
        sa.select(ChurnWarning.customer_id, ChurnWarning.finding_keys).where(
            ChurnWarning.status != WarningStatus.OPEN,
            ChurnWarning.customer_id.in_(scope_ids),
            ChurnWarning.updated_at >= touched_since,
        )
    ):
        seen.setdefault(customer_id, set()).update(keys)

    reasons_added = 0
    joined: list[tuple[ChurnWarning, list[Finding]]] = []
    opened: list[Customer] = []
    for customer_id, found in findings.items():
        customer = customers.get(customer_id)
        if customer is None:
            continue
        warning = open_warnings.get(customer_id)
        known = seen.get(customer_id, set()) | set(warning.finding_keys if warning else ())
        new = [f for f in found if f.key not in known]
        if not new:
            continue
        reasons_added += len(new)
        if warning is not None:
            joined.append((warning, new))
            continue
        _add_findings(_new_warning(customer, source_of(new), now), new)
        opened.append(customer)
    # New warnings go out in one batched INSERT; the ORM would UPDATE versioned rows
    # one by one, so stages and joined warnings are written in bulk statements instead.
    db.session.flush()
    set_stage_in_bulk([c.id for c in opened], Stage.WARNING, now)
    _join_in_bulk(joined, now)
    return len(opened), len(joined), reasons_added


def _month_to_judge(month: date | None) -> date | None:
    """The first day of `month`, by default of the latest month with bills."""
    if month is None:
        month = db.session.scalar(sa.select(sa.func.max(MonthlySpend.month)))
    return month.replace(day=1) if month is not None else None


SCAN_CHUNK = 2000


def start_scan(actor: User, month: date | None) -> Job:
    """Scan every customer's bills and complaints as a background job."""
    return submit("warnings_scan", {"month": month}, actor)


@handler("warnings_scan")
def _run_scan(job: Job, progress: Progress) -> dict:
    month = date.fromisoformat(job.params["month"]) if job.params.get("month") else None
    return scan_in_chunks(month, progress)


def scan_in_chunks(month: date | None, progress: Checkpoints) -> dict:
    """`scan_warnings(month)`, committed SCAN_CHUNK customers at a time; the same counts.

    So that no long write holds back the phones' pulls (docs/sync.md). The job and
    `fieldbook warnings scan` both run this. Idempotent (a finding already raised is
    not raised again), so a rerun after a crash midway finishes the work.
    """
    month = _month_to_judge(month)
    now = utcnow()
    ids = list(db.session.scalars(sa.select(Customer.id).where(_SCANNED).order_by(Customer.id)))
    totals: dict = {
        "month": month.strftime("%Y-%m") if month else None,
        "customers_scanned": 0,
        "warnings_opened": 0,
        "warnings_joined": 0,
        "reasons_added": 0,
    }
    for chunk in in_chunks(ids, SCAN_CHUNK, progress, "customers"):
        counts = scan_warnings(month=month, now=now, customer_ids=chunk)
        for key in totals.keys() - {"month"}:
            totals[key] += counts[key]
    return totals


def _join_in_bulk(joined: list[tuple[ChurnWarning, list[Finding]]], now: datetime) -> None:
    if not joined:
        return
    table = cast(sa.Table, ChurnWarning.__table__)
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("w_id"), table.c.version == sa.bindparam("w_version"))
        .values(
            reasons=sa.bindparam("w_reasons", type_=table.c.reasons.type),
            finding_keys=sa.bindparam("w_keys", type_=table.c.finding_keys.type),
            version=table.c.version + 1,
            updated_at=now,
        )
    )
    params = [
        {
            "w_id": warning.id,
            "w_version": warning.version,
            "w_reasons": [*warning.reasons, *(f.reason for f in new)],
            "w_keys": [*warning.finding_keys, *(f.key for f in new)],
        }
        for warning, new in joined
    ]
    result = cast(sa.CursorResult, db.session.execute(stmt, params))
    if result.rowcount != len(params):
        # Someone answered or flagged one of these warnings meanwhile: start over.
        raise ApiError(
            409, "Warnings changed while the scan ran; run it again.", code="version_conflict"
        )
    for warning, _new in joined:
        db.session.expire(warning)


# --- reading --------------------------------------------------------------------


def _customer_options():
    return selectinload(ChurnWarning.customer).selectinload(Customer.manager)


def list_warnings(
    user: User,
    *,
    status: list[WarningStatus] | None = None,
    customer_id: uuid.UUID | None = None,
    manager_id: uuid.UUID | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Pagination:
    """Warnings `user` may see: open ones first, then the newest."""
    stmt = visible(user, ChurnWarning)
    if status:
        stmt = stmt.where(ChurnWarning.status.in_(status))
    if customer_id is not None:
        stmt = stmt.where(ChurnWarning.customer_id == customer_id)
    if manager_id is not None:
        stmt = stmt.where(
            ChurnWarning.customer_id.in_(
                sa.select(Customer.id).where(Customer.manager_id == manager_id)
            )
        )
    return paginate(
        stmt.options(_customer_options()).order_by(
            (ChurnWarning.status != WarningStatus.OPEN),
            ChurnWarning.opened_at.desc(),
            ChurnWarning.id,
        ),
        page=page,
        per_page=per_page,
    )


@dataclass
class ChurnedCustomer:
    customer: Customer
    exit_reason: str | None
    churned_at: datetime | None
    last_warning: ChurnWarning | None


def list_churned(
    user: User, *, manager_id: uuid.UUID | None = None, page: int = 1, per_page: int = 50
) -> Pagination:
    """Churned customers `user` may see, most recently lost first, for win-back follow-up."""
    churned_at = (
        sa.select(sa.func.max(ChurnWarning.resolved_at))
        .where(
            ChurnWarning.customer_id == Customer.id,
            ChurnWarning.status == WarningStatus.CHURNED,
        )
        .correlate(Customer)
        .scalar_subquery()
    )
    stmt = visible_customers(user).where(Customer.stage == Stage.CHURNED)
    if manager_id is not None:
        stmt = stmt.where(Customer.manager_id == manager_id)
    result = paginate(
        stmt.options(selectinload(Customer.manager)).order_by(
            churned_at.is_(None), churned_at.desc(), Customer.name, Customer.id
        ),
        page=page,
        per_page=per_page,
    )
    customers: list[Customer] = result.items
    latest: dict[uuid.UUID, ChurnWarning] = {}
    if customers:
        for warning in db.session.scalars(
            sa.select(ChurnWarning)
            .where(ChurnWarning.customer_id.in_([c.id for c in customers]))
            .order_by(ChurnWarning.opened_at, ChurnWarning.id)
        ):
            latest[warning.customer_id] = warning
    items = []
    for customer in customers:
        last = latest.get(customer.id)
        churned = last if last is not None and last.status == WarningStatus.CHURNED else None
        items.append(
            ChurnedCustomer(
                customer=customer,
                exit_reason=churned.exit_reason if churned else None,
                churned_at=churned.resolved_at if churned else None,
                last_warning=last,
            )
        )
    result.items = items
    return result


# --- writing --------------------------------------------------------------------


def _check_open(warning: ChurnWarning) -> None:
    if warning.status != WarningStatus.OPEN:
        raise ApiError(
            409,
            f"This warning is already resolved ({warning.status.value}).",
            code="warning_resolved",
        )


def _check_version(warning: ChurnWarning, base_version: int | None) -> None:
    check_version(warning, base_version, "warning", lambda: ChurnWarningSchema().dump(warning))


def flag_customer(
    actor: User,
    customer: Customer,
    reason: ManualReason,
    note: str,
    *,
    id: uuid.UUID | None = None,  # the client's UUID, as in the sync protocol
    at: datetime | None = None,
) -> ChurnWarning:
    """A manager's report (competitor, intent to leave...): opens or joins the open warning.

    `customer` is locked by the caller. `id` makes the report idempotent: a report
    already recorded under it returns its warning unchanged.
    """
    at = at or utcnow()
    if id is not None:
        existing = db.session.get(ChurnWarning, id)
        if existing is not None:
            if existing.customer_id != customer.id:
                raise ApiError(409, "This id is already used by another warning.", code="conflict")
            return existing
        for earlier in db.session.scalars(
            sa.select(ChurnWarning).where(ChurnWarning.customer_id == customer.id)
        ):
            if f"manual:{id}" in earlier.finding_keys:
                return earlier
    if customer.stage == Stage.CHURNED:
        raise ApiError(
            409,
            "This customer has already left; follow up with a win-back plan instead.",
            code="customer_churned",
        )
    key = f"manual:{id or uuid.uuid4()}"
    zh, en = MANUAL_TEXTS[reason]
    finding = Finding(
        key=key,
        reason={
            "code": reason.value,
            "note": note,
            "by": str(actor.id),
            "at": at.isoformat(),
            "month": at.astimezone(local_zone()).strftime("%Y-%m"),
            "text_zh": f"{zh}：{note}",  # noqa: RUF001
            "text_en": f"{en}: {note}",
        },
    )
    warning = db.session.scalar(
        sa.select(ChurnWarning)
        .where(ChurnWarning.customer_id == customer.id, ChurnWarning.status == WarningStatus.OPEN)
        .with_for_update()
    )
    if warning is None:
        fields = {"raised_by_id": actor.id}
        if id is not None:
            fields["id"] = id
        warning = _new_warning(customer, WarningSource.MANUAL, at, **fields)
        set_stage(customer, Stage.WARNING)
    _add_findings(warning, [finding])
    db.session.flush()
    return warning


def answer_warning(
    actor: User, warning: ChurnWarning, answer: dict, *, at: datetime | None = None
) -> ChurnWarning:
    """The manager's cause analysis and retention plan; may be rewritten while open.

    `answer` (AnswerSchema) may leave out either text, which then stays as it was,
    and may carry the `version` it was written against.
    """
    answer = dict(answer)
    _check_open(warning)
    _check_version(warning, answer.pop("version", None))
    warning.cause_analysis = answer.get("cause_analysis", warning.cause_analysis)
    warning.retention_plan = answer.get("retention_plan", warning.retention_plan)
    warning.answered_at = at or utcnow()
    warning.answered_by_id = actor.id
    db.session.flush()
    return warning


def resolve_warning(
    actor: User,
    warning: ChurnWarning,
    outcome: Outcome,
    *,
    note: str | None = None,
    exit_reason: str | None = None,
    base_version: int | None = None,
    at: datetime | None = None,
) -> ChurnWarning:
    """Close a warning: retained (back to the earlier stage) or churned (win-back plan).

    Retained needs the cause analysis first: it is what the retention was built on.
    Churned does not: a customer may leave before the manager got to write it.
    """
    _check_open(warning)
    _check_version(warning, base_version)
    at = at or utcnow()
    customer = warning.customer
    if outcome == Outcome.RETAINED:
        if warning.answered_at is None:
            raise ApiError(
                409,
                "Write the cause analysis and retention plan first, then resolve as retained.",
                code="analysis_required",
            )
        warning.status = WarningStatus.RETAINED
        set_stage(customer, warning.previous_stage or Stage.MATURITY)
    else:
        if not exit_reason:
            raise invalid("exit_reason", "Say why the customer left.")
        warning.status = WarningStatus.CHURNED
        warning.exit_reason = exit_reason
        set_stage(customer, Stage.CHURNED)
    warning.resolved_at = at
    warning.resolved_by_id = actor.id
    warning.resolution_note = note
    db.session.flush()
    if outcome == Outcome.CHURNED:
        # Plans replace the customer's care with a win-back contact.
        events.customer_churned.send(customer, warning=warning, actor=actor, at=at)
    return warning


@events.customer_erased.connect
def _erase_warning_texts(customer: Customer, *, at: datetime, **_) -> int:
    """An erased customer's warnings keep their reasons, status and outcome (the
    retention figures count them); what the manager wrote goes."""
    return bulk_update(
        ChurnWarning,
        ChurnWarning.customer_id == customer.id,
        values={
            "cause_analysis": None,
            "retention_plan": None,
            "resolution_note": None,
            "exit_reason": None,
        },
        at=at,
    )
