"""Every "today" is the operator's (Asia/Shanghai), not UTC's or the server's.

Between 00:00 and 08:00 Beijing time on the 1st, UTC is still in the previous month:
a "today" taken in UTC would leave the current month out of the 12-month spend
window and put the day's work on yesterday.
"""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from server.customers.models import MonthlySpend
from server.extensions import db
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from tests.sync_helpers import Device, signed_in

# 2026-03-01 00:30 in Shanghai is still 2026-02-28 16:30 in UTC.
HALF_PAST_MIDNIGHT_ON_THE_1ST = datetime(2026, 2, 28, 16, 30, tzinfo=UTC)


def _bills(in_app, customer, months: list[date]) -> None:
    with in_app():
        db.session.add_all(
            MonthlySpend(customer_id=customer.id, month=m, service="mobile", amount=Decimal(100))
            for m in months
        )
        db.session.commit()


def test_the_spend_window_includes_the_local_month(client, auth, in_app, team_setup):
    customer = team_setup["cust_a1"]
    _bills(in_app, customer, [date(2025, 3, 1), date(2025, 4, 1), date(2026, 3, 1)])
    with time_machine.travel(HALF_PAST_MIDNIGHT_ON_THE_1ST, tick=False):
        auth.login(team_setup["mgr_a1"].username)
        spend = client.get(f"/api/v1/customers/{customer.id}").json["spend"]
    assert (spend["months"][0], spend["months"][-1]) == ("2025-04", "2026-03")
    assert (spend["total"][0], spend["total"][-1]) == ("100.00", "100.00")
    assert spend["total"][1:-1] == [None] * 10


def test_the_agenda_day_is_the_local_day(client, auth, in_app, team_setup):
    customer, manager = team_setup["cust_a1"], team_setup["mgr_a1"]
    with in_app():
        for title, day in (
            ("due on the 1st", date(2026, 3, 1)),
            ("due the day before", date(2026, 2, 28)),
        ):
            db.session.add(
                CarePlan(
                    customer_id=customer.id,
                    owner_id=manager.id,
                    purpose=Purpose.ROUTINE,
                    channel=Channel.PHONE,
                    title=title,
                    due_from=day,
                    due_to=day,
                    status=PlanStatus.PLANNED,
                )
            )
        db.session.commit()
    with time_machine.travel(HALF_PAST_MIDNIGHT_ON_THE_1ST, tick=False):
        auth.login(manager.username)
        agenda = client.get("/api/v1/agenda").json
    assert agenda["date"] == "2026-03-01"
    today = {item["title"]: item["overdue"] for item in agenda["today"]}
    assert today == {"due on the 1st": False, "due the day before": True}
    assert agenda["week"] == []


@pytest.mark.committed
def test_a_pull_keeps_the_local_months_spend(app, in_app, team_setup):
    customer = team_setup["cust_a1"]
    _bills(in_app, customer, [date(2025, 3, 1), date(2025, 4, 1), date(2026, 3, 1)])
    with time_machine.travel(HALF_PAST_MIDNIGHT_ON_THE_1ST):
        device = Device(signed_in(app, team_setup["mgr_a1"].username), uuid.uuid4())
        device.sync()
    months = sorted(row["month"] for row in device.rows["monthly_spend"].values())
    assert months == ["2025-04-01", "2026-03-01"]
