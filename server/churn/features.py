"""What Fieldbook knew about each customer at the end of each month, and whether they
left in the months after: the table the models learn from and predict on.

**Point in time.** A month's features use only what was known by its end (the first
instant of the next month in the operator's zone, `cutoff`): bills of that month and
before, complaints received by then (and resolved or rated by then, or else still
open), visits made by then, warnings opened and answered by then, campaign outcomes
recorded by then. tests/test_churn_features.py adds the future to a database and
checks that no feature of the past moves; and it checks that the check catches a
feature computed with a later cutoff.

Attributes kept only as they are now (the customer's tier, kind, activation date and
contract end) are treated as known all along; docs/churn.md says so.

**Population and label.** A month's rows are the customers billed in that month (the
seed's definition: "billed last month, predicted to have no bill next month"). One left
within the window (default one month) when they have no bill in the window's last
month, or a warning about them was closed as churned within the window. A month whose
window has no imported bills yet cannot be labelled: it is one to predict.

Everything is loaded once per table for the whole period and computed with numpy,
a month at a time: the cost follows the rows in the period, not a query per customer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app

from server.campaigns.models import CampaignTarget
from server.campaigns.models import Outcome as CampaignOutcome
from server.complaints.models import Complaint, Severity
from server.customers.models import Customer, MonthlySpend, Tier
from server.extensions import db
from server.timeutil import local_zone
from server.visits.models import CustomerResponse, Visit
from server.warnings.models import ChurnWarning, WarningStatus

# Bills before the first month to describe: a 12-month trend needs 12 months of them.
LOOKBACK_MONTHS = 12
TRENDS = (3, 6, 12)
SEVERE = (Severity.HIGH, Severity.CRITICAL)
DAY = 86_400
# How many rows a partition of a streamed query holds (memory stays flat).
PARTITION = 50_000

CATEGORICAL = ("tier", "kind")


def month_cutoff(month: date) -> float:
    """The end of `month` (the first instant of the next, local) as a UTC timestamp."""
    start = datetime.combine(month + relativedelta(months=1), datetime.min.time())
    return start.replace(tzinfo=local_zone()).astimezone(UTC).timestamp()


@dataclass
class History:
    """Every table's rows for the period, customers numbered 0..n-1 (`index`)."""

    months: list[date]  # the bill months, oldest first, consecutive
    ids: list[uuid.UUID]
    # per customer: tier, kind, interval, activation, contract_end, manager, stage
    customers: pd.DataFrame
    services: list[str]
    spend: np.ndarray  # [service, customer, month] amounts, 0 where no bill
    billed: np.ndarray  # [customer, month] any bill
    complaints: pd.DataFrame  # customer, received, resolved, closed, severe, satisfaction
    visits: pd.DataFrame  # customer, at, negative
    warnings: pd.DataFrame  # customer, opened, closed, churned, retained
    campaigns: pd.DataFrame  # customer, at, declined, contracted
    # The cutoff rule (tests swap it to prove the leakage test catches a late one).
    cutoff: Callable[[date], float] = month_cutoff

    def month_index(self, month: date) -> int:
        return self.months.index(month)


def _timestamp(value: datetime | None) -> float:
    return np.nan if value is None else value.timestamp()


def _stream(stmt: sa.Select) -> list[tuple]:
    rows: list[tuple] = []
    for partition in db.session.execute(stmt.execution_options(yield_per=PARTITION)).partitions():
        rows.extend(tuple(row) for row in partition)
    return rows


def load_history(first: date, last: date) -> History:
    """Bills from LOOKBACK_MONTHS before `first` to `last` (both month starts), and the
    events of the customers billed in them up to now."""
    start = first - relativedelta(months=LOOKBACK_MONTHS)
    month_rows = _stream(
        sa.select(
            MonthlySpend.customer_id, MonthlySpend.month, MonthlySpend.service, MonthlySpend.amount
        ).where(MonthlySpend.month >= start, MonthlySpend.month <= last)
    )
    months = []
    month = start
    while month <= last:
        months.append(month)
        month += relativedelta(months=1)
    month_at = {m: i for i, m in enumerate(months)}
    index: dict[uuid.UUID, int] = {}
    for customer_id, *_ in month_rows:
        index.setdefault(customer_id, len(index))
    services = sorted({row[2] for row in month_rows})
    service_at = {s: i for i, s in enumerate(services)}
    spend = np.zeros((len(services), len(index), len(months)), dtype=np.float32)
    billed = np.zeros((len(index), len(months)), dtype=bool)
    for customer_id, bill_month, service, amount in month_rows:
        c, m = index[customer_id], month_at[bill_month]
        spend[service_at[service], c, m] += float(amount)
        billed[c, m] = True
    del month_rows
    ids = list(index)
    customers = _customers(ids, index)
    return History(
        months=months,
        ids=ids,
        customers=customers,
        services=services,
        spend=spend,
        billed=billed,
        complaints=_events(
            sa.select(
                Complaint.customer_id,
                Complaint.received_at,
                Complaint.resolved_at,
                Complaint.closed_at,
                Complaint.severity.in_(SEVERE),
                Complaint.satisfaction,
            ),
            index,
            ["received", "resolved", "closed", "severe", "satisfaction"],
        ),
        visits=_events(
            sa.select(
                Visit.customer_id,
                Visit.started_at,
                Visit.customer_response == CustomerResponse.NEGATIVE,
            ),
            index,
            ["at", "negative"],
        ),
        warnings=_events(
            sa.select(
                ChurnWarning.customer_id,
                ChurnWarning.opened_at,
                ChurnWarning.resolved_at,
                ChurnWarning.status == WarningStatus.CHURNED,
                ChurnWarning.status == WarningStatus.RETAINED,
            ),
            index,
            ["opened", "closed", "churned", "retained"],
        ),
        campaigns=_events(
            sa.select(
                CampaignTarget.customer_id,
                CampaignTarget.outcome_at,
                CampaignTarget.outcome == CampaignOutcome.DECLINED,
                CampaignTarget.outcome == CampaignOutcome.CONTRACTED,
            ).where(CampaignTarget.outcome_at.is_not(None)),
            index,
            ["at", "declined", "contracted"],
        ),
    )


def _customers(ids: list[uuid.UUID], index: dict[uuid.UUID, int]) -> pd.DataFrame:
    n = len(ids)
    tier = np.full(n, None, dtype=object)
    kind = np.full(n, None, dtype=object)
    manager = np.full(n, None, dtype=object)
    stage = np.full(n, None, dtype=object)
    interval, activation, contract_end = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    stmt = sa.select(
        Customer.id,
        Tier.code,
        Customer.kind,
        Tier.contact_interval_days,
        Customer.activation_date,
        Customer.contract_end_date,
        Customer.manager_id,
        Customer.stage,
    ).join(Tier, Tier.id == Customer.tier_id)
    if n:
        for customer_id, code, customer_kind, days, activated, ends, owner, now in _stream(stmt):
            at = index.get(customer_id)
            if at is None:
                continue
            tier[at], kind[at], interval[at] = code, str(customer_kind), days
            manager[at], stage[at] = owner, str(now)
            activation[at] = _date_timestamp(activated)
            contract_end[at] = _date_timestamp(ends)
    return pd.DataFrame(
        {
            "tier": tier,
            "kind": kind,
            "interval": interval,
            "activation": activation,
            "contract_end": contract_end,
            # As they are now: whose top k a customer counts in, who may be predicted.
            "manager": manager,
            "stage": stage,
        }
    )


def _date_timestamp(value: date | None) -> float:
    if value is None:
        return np.nan
    return datetime.combine(value, datetime.min.time(), tzinfo=local_zone()).timestamp()


def _events(stmt: sa.Select, index: dict[uuid.UUID, int], names: list[str]) -> pd.DataFrame:
    """Rows of an event table for the customers in `index`: datetimes as timestamps,
    flags as booleans, numbers as floats (NaN for none)."""
    columns: dict[str, list] = {"customer": [], **{name: [] for name in names}}
    for customer_id, *values in _stream(stmt):
        at = index.get(customer_id)
        if at is None:
            continue
        columns["customer"].append(at)
        for name, value in zip(names, values, strict=True):
            if isinstance(value, datetime):
                value = value.timestamp()
            columns[name].append(np.nan if value is None else value)
    frame = pd.DataFrame(
        {name: np.asarray(values, dtype=float) for name, values in columns.items()}
    )
    frame["customer"] = frame["customer"].astype(np.int64)
    return frame


# --- features ----------------------------------------------------------------------


def _count(frame: pd.DataFrame, mask: np.ndarray, n: int, weights=None) -> np.ndarray:
    return np.bincount(frame["customer"].to_numpy()[mask], weights=weights, minlength=n)


def _latest(frame: pd.DataFrame, column: str, mask: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.nan)
    rows = frame.loc[mask, ["customer", column]]
    if len(rows):
        last = rows.groupby("customer")[column].max()
        out[last.index.to_numpy()] = last.to_numpy()
    return out


def _lowest(frame: pd.DataFrame, column: str, mask: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.nan)
    rows = frame.loc[mask, ["customer", column]].dropna()
    if len(rows):
        low = rows.groupby("customer")[column].min()
        out[low.index.to_numpy()] = low.to_numpy()
    return out


def _change(values: np.ndarray, m: int, n: int, full: bool) -> np.ndarray:
    """This month against the mean of the n before, as a share (-0.35: down 35%); NaN
    without a reference (or, when `full`, unless every reference month was billed)."""
    if m - n < 0:
        return np.full(values.shape[0], np.nan)
    reference = values[:, m - n : m]
    mean = reference.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = values[:, m] / mean - 1
    judged = (reference > 0).all(axis=1) if full else mean > 0
    return np.where(judged, change, np.nan)


def features_at(history: History, month: date) -> pd.DataFrame:
    """One row per customer billed in `month`, indexed by customer number."""
    m = history.month_index(month)
    if m < 1:
        raise ValueError("no bill month before this one: nothing to compare")
    n = len(history.ids)
    cutoff = history.cutoff(month)
    year_ago = history.cutoff(month - relativedelta(months=12))
    quarter_ago = history.cutoff(month - relativedelta(months=3))
    half_ago = history.cutoff(month - relativedelta(months=6))
    config = current_app.config
    reference_months = config["WARNING_REFERENCE_MONTHS"]

    total = history.spend.sum(axis=0)
    columns: dict[str, np.ndarray] = {"spend_total": total[:, m]}
    for span in TRENDS:
        columns[f"spend_change_{span}m"] = _change(total, m, span, full=False)
    worst_service = np.full(n, np.nan)
    rule_drop = (
        _change(total, m, reference_months, full=True) <= -config["WARNING_TOTAL_DROP_PCT"] / 100
    )
    for s, service in enumerate(history.services):
        values = history.spend[s]
        columns[f"spend_{service}"] = values[:, m]
        columns[f"spend_{service}_change_3m"] = _change(values, m, 3, full=False)
        judged = _change(values, m, reference_months, full=True)
        rule_drop |= judged <= -config["WARNING_SERVICE_DROP_PCT"] / 100
        worst_service = np.fmin(worst_service, judged)
    columns["spend_worst_service_change"] = worst_service

    complaints = history.complaints
    received = complaints["received"].to_numpy()
    known = received < cutoff
    resolved = complaints["resolved"].to_numpy()
    columns["complaints_3m"] = _count(complaints, known & (received >= quarter_ago), n)
    columns["complaints_12m"] = _count(complaints, known & (received >= year_ago), n)
    columns["complaints_severe_12m"] = _count(
        complaints, known & (received >= year_ago) & (complaints["severe"].to_numpy() > 0), n
    )
    unresolved = known & ~(resolved < cutoff)
    columns["complaints_unresolved"] = _count(complaints, unresolved, n)
    rated = complaints["closed"].to_numpy() < cutoff
    columns["complaint_worst_satisfaction_12m"] = _lowest(
        complaints, "satisfaction", known & rated & (received >= year_ago), n
    )

    visits = history.visits
    at = visits["at"].to_numpy()
    made = at < cutoff
    last = _latest(visits, "at", made, n)
    days_since = (cutoff - last) / DAY
    columns["days_since_contact"] = days_since
    columns["contact_gap_ratio"] = days_since / history.customers["interval"].to_numpy()
    columns["visits_negative_6m"] = _count(
        visits, made & (at >= half_ago) & (visits["negative"].to_numpy() > 0), n
    )
    columns["visits_6m"] = _count(visits, made & (at >= half_ago), n)

    customers = history.customers
    month_start = history.cutoff(month - relativedelta(months=1))
    columns["tenure_months"] = (month_start - customers["activation"].to_numpy()) / (30.44 * DAY)
    columns["months_to_contract_end"] = (customers["contract_end"].to_numpy() - cutoff) / (
        30.44 * DAY
    )

    warnings = history.warnings
    opened = warnings["opened"].to_numpy()
    closed = warnings["closed"].to_numpy()
    raised = opened < cutoff
    columns["warnings_12m"] = _count(warnings, raised & (opened >= year_ago), n)
    columns["warning_open"] = _count(warnings, raised & ~(closed < cutoff), n) > 0
    columns["warnings_retained_12m"] = _count(
        warnings,
        raised & (closed < cutoff) & (closed >= year_ago) & (warnings["retained"].to_numpy() > 0),
        n,
    )

    campaigns = history.campaigns
    answered = campaigns["at"].to_numpy()
    recent = (answered < cutoff) & (answered >= year_ago)
    columns["campaigns_declined_12m"] = _count(
        campaigns, recent & (campaigns["declined"].to_numpy() > 0), n
    )
    columns["campaigns_contracted_12m"] = _count(
        campaigns, recent & (campaigns["contracted"].to_numpy() > 0), n
    )
    columns["rule_spend_drop"] = rule_drop

    frame = pd.DataFrame(columns)
    for name in CATEGORICAL:
        frame[name] = customers[name].to_numpy()
    for name, values in list(frame.items()):
        if values.dtype == bool:
            frame[name] = values.astype(float)
    population = history.billed[:, m]
    return frame[population]


# Columns of a training table that are not features: when, whose, the answer, and
# the rule's verdict (the baseline the models are judged against).
NOT_FEATURES = frozenset({"month", "manager", "left", "rule_spend_drop"})


def numeric_features(frame: pd.DataFrame) -> list[str]:
    return [name for name in frame.columns if name not in CATEGORICAL and name not in NOT_FEATURES]


def labels_at(history: History, month: date, rows: pd.Index, window: int) -> np.ndarray | None:
    """1 for the customers in `rows` who left within `window` months after `month`;
    None when the window's last month has no bills imported yet."""
    m = history.month_index(month)
    if m + window >= len(history.months) or not history.billed[:, m + window].any():
        return None
    gone = ~history.billed[rows.to_numpy(), m + window]
    start, end = history.cutoff(month), history.cutoff(history.months[m + window])
    warnings = history.warnings
    closed = warnings["closed"].to_numpy()
    churned = (warnings["churned"].to_numpy() > 0) & (closed >= start) & (closed < end)
    said_left = _count(warnings, churned, len(history.ids))[rows.to_numpy()] > 0
    return (gone | said_left).astype(np.int8)
