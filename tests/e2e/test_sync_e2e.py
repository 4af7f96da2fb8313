"""Two phones and a team lead against one server: conflicts lose nothing, and a
customer reassigned away leaves the phone."""

import re

from playwright.sync_api import expect

from tests.e2e.pages import poll


def test_two_phones_edit_one_task_offline_the_conflict_shows_both_and_the_choice_holds(
    phone, manager, api, live_server
):
    task_id = manager["task_id"]
    first, second = phone().open(), phone().open()
    first.sign_in(manager["username"])
    second.sign_in(manager["username"])

    first.set_online(False)
    second.set_online(False)
    first.edit_task_title(task_id, "Call back: roaming refund agreed")
    second.edit_task_title(task_id, "Call back: send the roaming invoice")
    first.set_online(True)
    first.wait_synced()
    second.set_online(True)
    second.wait_synced()

    # The second phone's edit came later in server order: it is stored, and the
    # first phone's title it replaced is what the conflict keeps.
    second.go("/sync")
    conflict = second.page.locator('[data-testid="result-item"][data-status="conflict"]')
    expect(conflict).to_have_count(1)
    expect(conflict.get_by_test_id("conflict-kept-value")).to_have_text(
        "Call back: send the roaming invoice"
    )
    expect(conflict.get_by_test_id("conflict-lost-value")).to_have_text(
        "Call back: roaming refund agreed"
    )

    conflict.get_by_test_id("conflict-choice-restored").click()

    me = api(manager["username"])
    title = poll(
        lambda: me.get(f"/api/v1/tasks/{task_id}")["title"], "Call back: roaming refund agreed"
    )
    assert title == "Call back: roaming refund agreed"
    resolved = me.get("/api/v1/sync/conflicts", status="resolved")["items"]
    assert [(c["row_id"], c["field"], c["resolution"]) for c in resolved] == [
        (task_id, "title", "restored")
    ]
    # Both phones end with the restored title.
    second.wait_synced()
    expect(
        second.page.locator('[data-testid="result-item"][data-status="conflict"]')
    ).to_have_count(0)
    first.sync_now()
    first.go(f"/tasks/{task_id}")
    expect(first.page.locator(f'[data-testid="task-item"][data-id="{task_id}"]')).to_contain_text(
        "Call back: roaming refund agreed"
    )


def test_a_customer_the_lead_reassigns_away_is_gone_from_the_phone_after_the_next_sync(
    phone, manager, api, live_server
):
    colleague = live_server.take_manager()
    moved = manager["customers"][2]
    p = phone().open()
    p.sign_in(manager["username"])
    p.go("/customers")
    expect(p.customer_rows()).to_have_count(4)

    lead = api(live_server.lead)
    lead.post(
        f"/api/v1/customers/{moved['id']}/assign",
        {"manager_id": colleague["id"], "reason": "Closer to the colleague's district"},
    )
    p.sync_now()

    p.go("/customers")
    expect(p.customer_rows()).to_have_count(3)
    expect(p.page.locator(f'[data-testid="customer-row"][data-id="{moved["id"]}"]')).to_have_count(
        0
    )
    p.go(f"/customers/{moved['id']}")
    expect(p.testid("customer-card")).to_have_count(0)
    expect(p.page.get_by_role("heading", level=1)).to_contain_text(
        re.compile("not (found|on this phone)", re.I)
    )
