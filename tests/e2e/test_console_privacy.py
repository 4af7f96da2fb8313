"""A lead or an admin sees a customer's personal details masked in the console, reveals
them on the record, and an admin exports all that is held about the customer and erases
it with its number typed (docs/security.md, personal data)."""

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEZONE
from tests.e2e.pages import Console


@pytest.fixture
def console(browser, live_server) -> Iterator[Console]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="en-US",
        timezone_id=TIMEZONE,
        base_url=live_server.url,
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    yield Console(context, live_server)
    context.close()


def _masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def test_an_admin_reveals_exports_and_erases_a_customer(console, manager, live_server, api):
    customer = manager["customers"][0]
    c = console
    c.open()
    c.sign_in(live_server.admin)
    c.go(f"/console/assign?manager_id={manager['id']}")
    c.page.get_by_test_id("customer-link").filter(has_text=customer["name"]).click()
    c.wait_ready()

    profile = c.testid("customer-profile")
    expect(profile).to_have_attribute("data-masked", "true")
    expect(profile).to_contain_text(_masked(customer["phone"]))
    expect(profile).not_to_contain_text(customer["phone"])

    c.testid("reveal").click()
    expect(profile).to_have_attribute("data-masked", "false")
    expect(profile).to_contain_text(customer["phone"])

    with c.page.expect_download() as download:
        c.testid("export-personal-data").click()
    held = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert held["customer"]["phone"] == customer["phone"]
    log = c.testid("access-log")
    expect(log.locator("tr[data-kind]")).to_have_count(3)  # view, reveal, export
    expect(log).to_contain_text("Revealed")

    c.testid("erase").click()
    dialog = c.testid("erase-dialog")
    submit = dialog.get_by_test_id("erase-submit")
    expect(submit).to_be_disabled()
    dialog.get_by_test_id("erase-confirm").fill("not the number")
    expect(submit).to_be_disabled()
    number = api(live_server.admin).get(f"/api/v1/customers/{customer['id']}")["external_no"]
    dialog.get_by_test_id("erase-confirm").fill(number)
    submit.click()
    expect(c.page.get_by_role("heading", level=1)).to_have_text(re.compile(f"已删除客户 {number}"))
    expect(profile).not_to_contain_text(customer["name"])
    expect(c.testid("reveal")).to_have_count(0)
    gone = api(live_server.admin).get(f"/api/v1/customers/{customer['id']}")
    assert (gone["phone"], gone["name"]) == (None, f"已删除客户 {number}")


def test_a_lead_sees_customers_masked_in_the_list_and_has_no_admin_actions(console, live_server):
    team = live_server.console
    c = console
    c.open()
    c.sign_in(team["lead"])
    c.go("/console/assign")
    first = c.page.get_by_test_id("customer-row").first
    expect(first).to_be_visible()
    c.page.get_by_test_id("customer-link").first.click()
    c.wait_ready()
    profile = c.testid("customer-profile")
    expect(profile).to_have_attribute("data-masked", "true")
    expect(profile).to_contain_text(re.compile(r"\*{4}"))  # the address, to its district
    expect(c.testid("reveal")).to_be_visible()
    expect(c.testid("personal-data")).to_have_count(0)
