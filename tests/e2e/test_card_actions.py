"""Every action of the customer card works offline on a 360x640 phone and reaches the
server once: the profile and its contacts edited, a churn risk flagged, a warning
answered and closed, a visit corrected (its history kept), and the warnings listed."""

import re

from playwright.sync_api import expect


def test_card_actions_made_offline_survive_a_closed_page_and_reach_the_server(
    phone, manager, api, live_server
):
    amber, _birch, cedar, dahlia = manager["customers"]
    admin = api(live_server.admin)
    # The admin sees personal data masked; the manager's own session sees it whole.
    own = api(manager["username"])
    # Dahlia Sun is a company for this test: only organisations have contacts.
    admin.send("PATCH", f"/api/v1/customers/{dahlia['id']}", {"kind": "organisation"})
    [visit] = admin.get("/api/v1/visits", customer_id=cedar["id"])["items"]
    [cedar_warning] = admin.get("/api/v1/warnings", customer_id=cedar["id"])["items"]

    p = phone().open()
    p.sign_in(manager["username"])
    p.wait_for_service_worker()
    p.set_online(False)

    # The profile, and a contact who becomes the decision maker.
    card = p.open_customer(dahlia["id"])
    card.get_by_test_id("edit-profile-button").click()
    form = p.testid("profile-form")
    form.locator('[name="address"]').fill("Hangzhou, Moganshan Road 88")
    form.locator('[name="industry"]').fill("Logistics")
    form.get_by_test_id("profile-save").click()
    expect(p.testid("customer-card")).to_contain_text("Moganshan Road 88")
    p.testid("contact-add").click()
    form = p.testid("contact-form")
    form.locator('[name="name"]').fill("Wu Gang")
    form.locator('[name="phone"]').fill("139 0000 1234")
    form.locator('[name="is_decision_maker"]').check()
    form.get_by_test_id("contact-save").click()
    expect(p.testid("customer-card")).to_contain_text("Wu Gang")

    # A churn risk flagged by hand on a customer without a warning.
    p.open_customer(amber["id"]).get_by_test_id("flag-risk-button").click()
    form = p.testid("flag-form")
    form.locator('[name="reason"][value="competitor"]').check()
    form.locator('[name="note"]').fill("Rival offered free broadband for a year.")
    form.get_by_test_id("flag-save").click()
    expect(p.testid("warning-item")).to_contain_text("Rival offered free broadband")

    # Cedar's warning: answered, then closed as retained.
    p.go(f"/warnings/{cedar_warning['id']}")
    form = p.testid("warning-form")
    form.locator('[name="cause_analysis"]').fill("A cheaper plan from a competitor.")
    form.locator('[name="retention_plan"]').fill("Offer the loyalty discount.")
    form.get_by_test_id("warning-save").click()
    outcome = p.testid("outcome-form")
    outcome.locator('[name="outcome"][value="retained"]').check()
    outcome.locator('[name="note"]').fill("Signed for two more years.")
    outcome.get_by_test_id("outcome-save").click()
    expect(p.testid("warning-closed")).to_contain_text("Retained")

    # Cedar's call, corrected: the correction waits in the history.
    p.open_customer(cedar["id"]).get_by_test_id("visit-link").click()
    form = p.testid("visit-correct-form")
    form.locator('[name="outcome"]').fill("Will renew in March")
    form.get_by_test_id("visit-correct-save").click()
    expect(p.testid("revision-pending")).to_contain_text("Will renew in March")

    # The warnings list: Amber's new one waits for an answer, Cedar's is closed.
    p.go("/today")
    p.testid("warnings-link").click()
    listed = p.testid("warnings-list")
    expect(listed.locator('[data-status="open"]')).to_contain_text("Amber Li")
    expect(listed.locator('[data-status="retained"]')).to_have_count(1)

    p.expect_pending(6)
    p.reopen()
    p.expect_pending(6)
    assert own.get(f"/api/v1/customers/{dahlia['id']}")["address"] != (
        "Hangzhou, Moganshan Road 88"
    )

    p.set_online(True)
    p.wait_synced()
    profile = own.get(f"/api/v1/customers/{dahlia['id']}")
    assert (profile["address"], profile["industry"]) == ("Hangzhou, Moganshan Road 88", "Logistics")
    assert [(c["name"], c["phone"], c["is_decision_maker"]) for c in profile["contacts"]] == [
        ("Wu Gang", "139 0000 1234", True)
    ]
    [amber_warning] = admin.get("/api/v1/warnings", customer_id=amber["id"])["items"]
    assert amber_warning["status"] == "open"
    assert amber_warning["reasons"][-1]["note"] == "Rival offered free broadband for a year."
    closed = admin.get(f"/api/v1/warnings/{cedar_warning['id']}")
    assert (closed["status"], closed["cause_analysis"], closed["resolution_note"]) == (
        "retained",
        "A cheaper plan from a competitor.",
        "Signed for two more years.",
    )
    corrected = admin.get(f"/api/v1/visits/{visit['id']}")
    assert corrected["outcome"] == "Will renew in March"
    assert [r["changes"]["outcome"]["new"] for r in corrected["revisions"]] == [
        "Will renew in March"
    ]

    # The pulled revision replaces the pending one in the visit's history; nothing twice.
    p.go(f"/visits/{visit['id']}")
    expect(p.testid("revision")).to_contain_text(re.compile("Will renew in March"))
    expect(p.testid("revision-pending")).to_have_count(0)
    p.sync_now()
    assert len(admin.get(f"/api/v1/visits/{visit['id']}")["revisions"]) == 1
