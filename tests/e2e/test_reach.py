"""Finding and reaching a customer from the phone: pinyin search, near me, map links,
and the offer to log a call after a tel: tap (issue 13, items 4 to 6)."""

import re

from playwright.sync_api import expect


def test_pinyin_search_near_me_and_the_map_links(phone, manager, api, live_server):
    customers = manager["customers"]
    renamed = customers[1]["id"]
    lead = api(live_server.lead)
    # A Chinese name, as most are: the server spells it (name_pinyin) for the phone.
    lead.send("PATCH", f"/api/v1/customers/{renamed}", {"name": "陈静"})

    me = phone().open()
    me.sign_in(manager["username"])
    me.go("/customers")
    me.search("chen")
    expect(me.customer_rows()).to_have_count(1)
    expect(me.customer_rows().first).to_have_attribute("data-id", renamed)
    me.search("c")
    expect(me.customer_rows().filter(has_text="陈静")).to_have_count(1)
    me.search("")

    # The phone is at 30.26, 120.17 (the fixture's); the seed put the first customer
    # nearest, a kilometre or so south, and each next one 0.001 degree of longitude
    # (about 96 m) further east.
    me.testid("portfolio-sort").select_option("distance")
    rows = me.customer_rows()
    expect(rows).to_have_count(len(customers))
    assert [rows.nth(i).get_attribute("data-id") for i in range(len(customers))] == [
        c["id"] for c in customers
    ]
    expect(rows.first.get_by_test_id("row-detail")).to_have_text(re.compile(r"^[\d.,]+ k?m away$"))

    # The card's address opens the map apps at the customer's coordinates.
    me.open_customer(customers[0]["id"])
    amap = me.testid("map-amap")
    expect(amap).to_have_attribute("href", re.compile(r"^https://uri\.amap\.com/marker\?"))
    expect(me.testid("map-geo")).to_have_attribute("href", re.compile(r"^geo:30\.2\d*,120\.17"))

    # Refused: the list says why, and how to allow it.
    refused = phone()
    refused.context.clear_permissions()
    refused.open()
    refused.sign_in(manager["username"])
    refused.go("/customers")
    refused.testid("portfolio-sort").select_option("distance")
    expect(refused.testid("near-me-error")).to_contain_text("Allow location")
    expect(refused.customer_rows()).to_have_count(0)


def test_after_a_call_from_the_card_the_app_offers_to_log_it_offline(phone, manager):
    customer = manager["customers"][0]
    me = phone().open()
    me.sign_in(manager["username"])
    me.set_online(False)
    me.open_customer(customer["id"])
    prompt = me.testid("callback-prompt")

    # Nothing is offered until the manager comes back from the dialer.
    me.testid("call-link").click()
    expect(prompt).to_have_count(0)
    me.page.evaluate("dispatchEvent(new Event('blur')); dispatchEvent(new Event('focus'))")
    expect(prompt).to_contain_text(f"You called {customer['name']}")

    prompt.get_by_test_id("callback-log").click()
    form = me.testid("visit-form")
    expect(form).to_be_visible()
    expect(form.locator('[name="channel"]')).to_have_value("phone")
    expect(prompt).to_have_count(0)
