"""The monthly feature table (server/churn/features.py): what was known at each month's
end, and who left after it. The leakage test adds the future to the database and
checks that no feature of the past moves, and that it would catch a late cutoff."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from server.auth.models import Role
from server.campaigns.models import Campaign, CampaignKind, CampaignStatus, CampaignTarget
from server.campaigns.models import Outcome as CampaignOutcome
from server.churn.features import features_at, labels_at, load_history, month_cutoff
from server.complaints.models import Complaint, ComplaintCategory, IntakeChannel, Severity
from server.customers.models import MonthlySpend
from server.extensions import db
from server.plans.models import Channel, Purpose
from server.visits.models import CustomerResponse, LocationStatus, Visit
from server.warnings.models import ChurnWarning, WarningSource, WarningStatus

FIRST, LAST = date(2025, 1, 1), date(2025, 12, 1)
OCTOBER = date(2025, 10, 1)
# The end of October in Shanghai: 2025-10-31 16:00 UTC.
CUTOFF = datetime(2025, 10, 31, 16, 0, tzinfo=UTC)


def months(first=FIRST, last=LAST):
    month = first
    while month <= last:
        yield month
        month += relativedelta(months=1)


@pytest.fixture
def world(in_app, make_user, make_customer):
    """Three customers billed all year. `dropping` has its broadband halved in October
    and no bill in December (it left); `steady` and `quiet` stay."""
    manager = make_user(Role.MANAGER)
    dropping = make_customer(manager=manager, contract_end_date=date(2026, 1, 31))
    steady = make_customer(manager=manager)
    quiet = make_customer(manager=manager, tier="crystal")
    with in_app():
        for month in months():
            for customer, broadband in ((dropping, 200), (steady, 150), (quiet, 100)):
                if customer is dropping and month == date(2025, 12, 1):
                    continue
                if customer is dropping and month >= OCTOBER:
                    broadband = 100
                for service, amount in (("mobile", 80), ("broadband", broadband)):
                    db.session.add(
                        MonthlySpend(
                            customer_id=customer.id,
                            month=month,
                            service=service,
                            amount=Decimal(amount),
                        )
                    )
        db.session.commit()
    return {"manager": manager, "dropping": dropping, "steady": steady, "quiet": quiet}


def add_complaint(customer, manager, received, *, resolved=None, satisfaction=None, severe=False):
    category = db.session.scalar(sa.select(ComplaintCategory).limit(1))
    db.session.add(
        Complaint(
            customer_id=customer.id,
            owner_id=manager.id,
            category_id=category.id,
            severity=Severity.HIGH if severe else Severity.MEDIUM,
            intake_channel=IntakeChannel.PHONE,
            description="信号差",
            received_at=received,
            deadline_at=received + timedelta(hours=48),
            logged_by_id=manager.id,
            resolved_at=resolved,
            closed_at=resolved,
            satisfaction=satisfaction,
        )
    )


def add_visit(customer, manager, at, negative=False):
    db.session.add(
        Visit(
            customer_id=customer.id,
            manager_id=manager.id,
            channel=Channel.VISIT,
            purpose=Purpose.ROUTINE,
            started_at=at,
            location_status=LocationStatus.UNVERIFIED,
            customer_response=CustomerResponse.NEGATIVE if negative else None,
        )
    )


def add_warning(customer, opened, *, closed=None, status=WarningStatus.OPEN):
    db.session.add(
        ChurnWarning(
            customer_id=customer.id,
            status=status,
            source=WarningSource.SPEND_RULE,
            reasons=[],
            finding_keys=[],
            opened_at=opened,
            resolved_at=closed,
        )
    )


def add_campaign_outcome(customer, at, outcome):
    campaign = Campaign(
        name=f"Keep {customer.id}",
        kind=CampaignKind.RETENTION,
        offer="话费八折",
        starts_on=date(2025, 1, 1),
        ends_on=date(2026, 12, 31),
        status=CampaignStatus.DRAFT,
    )
    db.session.add(campaign)
    db.session.flush()
    db.session.add(
        CampaignTarget(
            campaign_id=campaign.id, customer_id=customer.id, outcome=outcome, outcome_at=at
        )
    )


@pytest.fixture
def past(world, in_app):
    """What happened by the end of October (one second before the cutoff included)."""
    w = world
    with in_app():
        add_complaint(w["dropping"], w["manager"], CUTOFF - timedelta(days=20), severe=True)
        add_complaint(
            w["dropping"],
            w["manager"],
            CUTOFF - timedelta(days=200),
            resolved=CUTOFF - timedelta(days=190),
            satisfaction=2,
        )
        add_visit(w["steady"], w["manager"], CUTOFF - timedelta(days=10))
        add_visit(w["dropping"], w["manager"], CUTOFF - timedelta(days=95), negative=True)
        add_warning(w["quiet"], CUTOFF - timedelta(seconds=1))
        add_campaign_outcome(w["dropping"], CUTOFF - timedelta(days=30), CampaignOutcome.DECLINED)
        db.session.commit()
    return w


def october(in_app) -> pd.DataFrame:
    with in_app():
        history = load_history(OCTOBER, LAST)
        frame = features_at(history, OCTOBER)
        frame.index = [history.ids[i] for i in frame.index]
        return frame


def test_features_say_what_was_known_at_the_months_end(past, in_app):
    frame = october(in_app)
    d, s, q = (frame.loc[past[name].id] for name in ("dropping", "steady", "quiet"))
    assert d["spend_broadband"] == 100 and d["spend_total"] == 180
    assert d["spend_broadband_change_3m"] == pytest.approx(-0.5)
    assert d["spend_worst_service_change"] == pytest.approx(-0.5)
    assert d["rule_spend_drop"] == 1 and s["rule_spend_drop"] == 0
    assert d["complaints_3m"] == 1 and d["complaints_12m"] == 2
    assert d["complaints_severe_12m"] == 1
    assert d["complaints_unresolved"] == 1  # the recent one
    assert d["complaint_worst_satisfaction_12m"] == 2
    assert s["days_since_contact"] == pytest.approx(10)
    assert np.isnan(q["days_since_contact"])
    assert d["visits_negative_6m"] == 1
    assert q["warning_open"] == 1 and d["warning_open"] == 0
    assert d["campaigns_declined_12m"] == 1
    assert d["months_to_contract_end"] == pytest.approx(3, abs=0.1)
    assert q["tier"] == "crystal" and d["kind"] == "individual"


def test_labels_follow_the_window(past, in_app):
    with in_app():
        history = load_history(OCTOBER, LAST)
        rows = features_at(history, OCTOBER).index
        left = dict(
            zip((history.ids[i] for i in rows), labels_at(history, OCTOBER, rows, 1), strict=True)
        )
        assert left[past["dropping"].id] == 0  # still billed in November
        rows_nov = features_at(history, date(2025, 11, 1)).index
        november = labels_at(history, date(2025, 11, 1), rows_nov, 1)
        assert (
            dict(zip((history.ids[i] for i in rows_nov), november, strict=True))[
                past["dropping"].id
            ]
            == 1
        )
        two = labels_at(history, OCTOBER, rows, 2)
        assert dict(zip((history.ids[i] for i in rows), two, strict=True))[past["dropping"].id] == 1
        # December's window has no bills yet: nothing to learn from it.
        assert labels_at(history, LAST, features_at(history, LAST).index, 1) is None


def add_the_future(w):
    """Everything here happens after October's end: none of it may change October."""
    after = CUTOFF
    add_complaint(w["steady"], w["manager"], after, severe=True)
    add_visit(w["quiet"], w["manager"], after + timedelta(hours=1), negative=True)
    add_warning(
        w["steady"],
        after + timedelta(days=1),
        closed=after + timedelta(days=3),
        status=WarningStatus.RETAINED,
    )
    add_campaign_outcome(w["steady"], after + timedelta(days=2), CampaignOutcome.CONTRACTED)
    # The complaint open at October's end is resolved, badly, in November.
    recent = db.session.scalar(
        sa.select(Complaint)
        .where(Complaint.customer_id == w["dropping"].id)
        .order_by(Complaint.received_at.desc())
    )
    recent.resolved_at = recent.closed_at = after + timedelta(days=4)
    recent.satisfaction = 1
    # The quiet customer's warning is closed as churned in November.
    warning = db.session.scalar(
        sa.select(ChurnWarning).where(ChurnWarning.customer_id == w["quiet"].id)
    )
    warning.status, warning.resolved_at = WarningStatus.CHURNED, after + timedelta(days=5)


def moved_by_the_future(past, in_app, cutoff=month_cutoff) -> list[str]:
    """The October features that change when the future is added, computed with `cutoff`."""

    def frame():
        with in_app():
            history = load_history(OCTOBER, LAST)
            history.cutoff = cutoff
            return features_at(history, OCTOBER)

    before = frame()
    with in_app():
        add_the_future(past)
        db.session.commit()
    after = frame()
    return [name for name in before.columns if not before[name].equals(after[name])]


def test_no_feature_of_the_past_moves_when_the_future_is_added(past, in_app):
    assert moved_by_the_future(past, in_app) == []


def test_the_leakage_test_catches_a_feature_that_looks_past_the_cutoff(past, in_app):
    def a_week_late(month):
        return month_cutoff(month) + 7 * 86_400

    moved = moved_by_the_future(past, in_app, cutoff=a_week_late)
    assert {"complaints_3m", "complaints_unresolved", "warning_open", "visits_negative_6m"} <= set(
        moved
    )
