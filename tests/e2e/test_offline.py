"""The phone works without signal: the app and the portfolio open offline, and changes
made offline are kept across a closed page and reach the server exactly once."""

import re

from playwright.sync_api import expect


def test_app_and_portfolio_open_offline_after_one_signed_in_load(phone, manager):
    mine = manager["customers"]
    p = phone().open()
    p.sign_in(manager["username"])
    p.wait_for_service_worker()

    p.set_online(False)
    p.page.reload()

    expect(p.testid("sync-online")).to_have_text(re.compile("offline", re.I))
    p.go("/customers")
    expect(p.customer_rows()).to_have_count(4)
    p.search("cedar")
    expect(p.customer_rows()).to_have_count(1)
    expect(p.customer_rows()).to_contain_text("Cedar Zhou")
    p.search(mine[1]["phone"][-6:])
    expect(p.customer_rows()).to_have_count(1)
    expect(p.customer_rows()).to_contain_text("Birch Wang")
    p.customer_rows().click()
    expect(p.testid("customer-card")).to_contain_text("Birch Wang")


def test_offline_visit_and_complaint_survive_a_closed_page_and_reach_the_server_once(
    phone, manager, api, live_server
):
    # Dahlia Sun has no visit and no complaint of the seed's.
    customer = manager["customers"][3]
    admin = api(live_server.admin)
    p = phone().open()
    p.sign_in(manager["username"])
    p.wait_for_service_worker()

    p.set_online(False)
    p.log_visit(customer["id"], notes="Talked about the family plan, offline.")
    p.log_complaint(customer["id"], description="No signal in the basement, reported offline.")
    p.expect_pending(2)

    p.reopen()
    p.expect_pending(2)
    assert _visits(admin, customer) == []
    assert _complaints(admin, customer) == []

    p.set_online(True)
    p.wait_synced()
    visits = _visits(admin, customer)
    complaints = _complaints(admin, customer)
    assert [v["notes"] for v in visits] == ["Talked about the family plan, offline."]
    assert [c["description"] for c in complaints] == [
        "No signal in the basement, reported offline."
    ]

    # Another sync, and another tab, send nothing twice.
    p.reopen()
    p.sync_now()
    assert len(_visits(admin, customer)) == 1
    assert len(_complaints(admin, customer)) == 1


def _visits(api, customer) -> list[dict]:
    return api.get("/api/v1/visits", customer_id=customer["id"])["items"]


def _complaints(api, customer) -> list[dict]:
    return api.get("/api/v1/complaints", customer_id=customer["id"])["items"]
