"""Today, triaged, on a 360x640 phone: a busy manager's day fits in under three screens;
plans are rescheduled, snoozed and skipped and a task and a plan are created offline,
and each change reaches the server exactly once after the sync."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import TIMEZONE

SCREEN = 640


def back_on_today(p) -> None:
    """A saved form returns to Today (its fold of routine contact closed again)."""
    expect(p.testid("section-today")).to_be_visible()
    fold = p.testid("section-today").get_by_test_id("fold-more")
    if fold.count():
        fold.locator("summary").click()


def test_a_busy_day_is_triaged_and_planned_offline(phone, live_server, api):
    busy = live_server.busy_today
    rescheduled, snoozed, skipped = busy["plans"]
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    p = phone()
    p.sign_in(busy["username"])
    p.wait_for_service_worker()  # the forms' chunks open offline
    page = p.page
    p.go("/today")
    due = p.testid("section-today")
    expect(due).to_be_visible()
    # Due today first, eight shown; the overdue three; the week and later folded.
    expect(due.get_by_test_id("agenda-item")).to_have_count(8)
    expect(p.testid("section-overdue").get_by_test_id("agenda-item")).to_have_count(3)
    expect(p.testid("section-week")).not_to_have_attribute("open", "")
    expect(p.testid("section-later")).to_contain_text("120")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3 * SCREEN, height
    # Routine contact comes last: the three plans are among the rest of today's.
    due.get_by_test_id("fold-more").locator("summary").click()
    for plan_id in busy["plans"]:
        expect(due.locator(f'[data-key="plan:{plan_id}"]')).to_be_visible()

    p.set_online(False)
    # Reschedule: a new window, from the day after tomorrow.
    due.locator(f'[data-key="plan:{rescheduled}"]').get_by_test_id("plan-actions").click()
    form = p.testid("reschedule-form")
    start, end = today + timedelta(days=2), today + timedelta(days=4)
    form.locator('[name="due_from"]').fill(start.isoformat())
    form.locator('[name="due_to"]').fill(end.isoformat())
    p.testid("reschedule-save").click()
    back_on_today(p)
    expect(due.locator(f'[data-key="plan:{rescheduled}"]')).to_have_count(0)
    # Snooze to tomorrow.
    p.go(f"/plans/{snoozed}")
    p.testid("snooze-day").click()
    back_on_today(p)
    expect(due.locator(f'[data-key="plan:{snoozed}"]')).to_have_count(0)
    # Skip with a reason; "other" without a note is refused first.
    p.go(f"/plans/{skipped}")
    skip = p.testid("skip-form")
    skip.locator('input[value="other"]').check()
    p.testid("skip-save").click()
    expect(skip.get_by_role("alert").filter(has_text="Say why")).to_be_visible()
    skip.locator('input[value="unreachable"]').check()
    skip.locator('[name="skip_note"]').fill("No answer, twice")
    p.testid("skip-save").click()
    back_on_today(p)
    expect(due.locator(f'[data-key="plan:{skipped}"]')).to_have_count(0)
    # A task from Today, for a customer picked by name; a past due date is refused.
    p.testid("new-task").click()
    task = p.testid("new-task-form")
    task.locator('[name="customer_search"]').fill(busy["customer"]["name"])
    task.get_by_test_id("customer-match").first.click()
    expect(task.get_by_test_id("picked-customer")).to_contain_text(busy["customer"]["name"])
    task.locator('[name="title"]').fill("Bring the signed renewal")
    task.locator('[name="due_date"]').fill((today - timedelta(days=1)).isoformat())
    p.testid("task-create").click()
    expect(task.get_by_role("alert").filter(has_text="past").first).to_be_visible()
    task.locator('[name="due_date"]').fill(today.isoformat())
    p.testid("task-create").click()
    back_on_today(p)
    expect(due.get_by_text("Bring the signed renewal")).to_be_visible()
    # A plan for the same customer, a renewal due within the week.
    p.testid("new-plan").click()
    plan = p.testid("new-plan-form")
    plan.locator('[name="customer_search"]').fill(busy["customer"]["name"])
    plan.get_by_test_id("customer-match").first.click()
    plan.locator('[name="purpose"]').select_option("contract_expiry")
    plan.locator('[name="due_to"]').fill(end.isoformat())
    p.testid("plan-create").click()
    expect(p.testid("section-today")).to_be_visible()
    p.expect_pending(5)

    p.set_online(True)
    p.sync_now()
    p.expect_pending(0)

    server = api(busy["username"])
    plans = {pid: server.get(f"/api/v1/plans/{pid}") for pid in busy["plans"]}
    assert (plans[rescheduled]["due_from"], plans[rescheduled]["due_to"]) == (
        start.isoformat(),
        end.isoformat(),
    )
    assert plans[snoozed]["due_to"] == (today + timedelta(days=1)).isoformat()
    assert (
        plans[skipped]["status"],
        plans[skipped]["skip_reason"],
        plans[skipped]["skip_note"],
    ) == ("cancelled", "unreachable", "No answer, twice")
    # Each change applied once: one edit each, one task.
    assert [plans[pid]["version"] for pid in busy["plans"]] == [2, 2, 2]
    tasks = server.get("/api/v1/tasks", per_page=100)["items"]
    made = [t for t in tasks if t["title"] == "Bring the signed renewal"]
    assert len(made) == 1
    assert (made[0]["customer"]["id"], made[0]["due_date"]) == (
        busy["customer"]["id"],
        date.isoformat(today),
    )
    renewals = server.get(
        "/api/v1/plans", customer_id=busy["customer"]["id"], purpose="contract_expiry"
    )["items"]
    assert [(r["due_from"], r["due_to"], r["title"]) for r in renewals] == [
        (today.isoformat(), end.isoformat(), "合约到期续约")
    ]
