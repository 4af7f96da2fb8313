"""Work that completes plans: a visit completes the plan it fulfils, and a campaign's
outcome, recorded offline, completes the campaign's plan and reaches the server once."""

from playwright.sync_api import expect

from tests.e2e.pages import poll


def test_a_visit_logged_from_the_card_completes_the_due_routine_plan(phone, manager, api):
    # Amber Li has a routine plan due today ("Quarterly visit").
    customer = manager["customers"][0]
    plan_id = manager["plan_id"]
    p = phone().open()
    p.sign_in(manager["username"])
    p.wait_for_service_worker()

    p.set_online(False)
    form = p.open_visit_form(customer["id"])
    # Nobody touches the select: the matching rule picked the routine plan due today.
    expect(form.locator('[name="plan_id"]')).to_have_value(plan_id)
    p.save_visit(form, notes="Quarterly visit, offline.", privileges=True)

    expect(p.plan_item(plan_id)).to_have_attribute("data-status", "done")
    expect(p.plan_item(plan_id)).to_have_count(1)
    visit = p.testid("visit-item").filter(has_text="privileges explained")
    expect(visit).to_have_count(1)
    p.expect_pending(1)

    p.set_online(True)
    p.wait_synced()
    me = api(manager["username"])
    status = poll(lambda: me.get(f"/api/v1/plans/{plan_id}")["status"], "done")
    assert status == "done"
    [logged] = me.get("/api/v1/visits", customer_id=customer["id"])["items"]
    assert logged["privileges_explained"] is True
    assert logged["notes"] == "Quarterly visit, offline."
    # After the sync the phone holds the server's row: still done, nothing pending.
    p.open_customer(customer["id"])
    expect(p.plan_item(plan_id)).to_have_attribute("data-status", "done")


def test_a_campaign_outcome_recorded_offline_reaches_the_server_once(phone, manager, api):
    birch = manager["customers"][1]
    target_id = manager["target_id"]
    p = phone().open()
    p.sign_in(manager["username"])
    p.wait_for_service_worker()

    p.set_online(False)
    p.go("/today")
    # Due when the campaign ends, a month away: under "Later", folded.
    p.testid("section-later").locator("summary").click()
    campaign = p.page.locator('[data-testid="agenda-item"][data-type="campaign"]')
    expect(campaign).to_have_count(1)
    campaign.get_by_role("link").click()
    expect(p.testid("campaign-target")).to_have_attribute("data-id", target_id)
    p.record_campaign_outcome(outcome="contracted", months=12)

    # Back on Today: the campaign's plan is done, so it is off the agenda.
    expect(p.page.locator('[data-testid="agenda-item"][data-type="campaign"]')).to_have_count(0)
    card = p.open_customer(birch["id"])
    item = card.locator(f'[data-testid="campaign-item"][data-id="{target_id}"]')
    expect(item).to_have_attribute("data-outcome", "contracted")
    expect(item).to_contain_text("12 months")
    p.expect_pending(1)

    p.reopen()
    p.expect_pending(1)
    me = api(manager["username"])
    assert _target(me, manager)["outcome"] is None

    p.set_online(True)
    p.wait_synced()
    target = _target(me, manager)
    assert (target["outcome"], target["contract_months"], target["version"]) == (
        "contracted",
        12,
        2,
    )
    assert me.get(f"/api/v1/plans/{manager['target_plan_id']}")["status"] == "done"

    # Another tab and another sync record nothing twice.
    p.reopen()
    p.sync_now()
    assert _target(me, manager)["version"] == 2


def _target(api, manager) -> dict:
    items = api.get(f"/api/v1/campaigns/{manager['campaign_id']}/targets")["items"]
    [target] = [t for t in items if t["id"] == manager["target_id"]]
    return target
