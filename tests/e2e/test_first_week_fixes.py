"""A manager's first week, at 360x640: what waits offline is listed, long text is
counted and refused rather than cut, the card and header fit the screen, and local
reminders are shown once, only after the manager turned them on."""

from playwright.sync_api import expect

from tests.e2e.pages import poll

# Reads one row of the phone's `meta` table (IndexedDB "fieldbook").
META = """key => new Promise((resolve) => {
  const open = indexedDB.open("fieldbook");
  open.onsuccess = () => {
    const get = open.result.transaction("meta").objectStore("meta").get(key);
    get.onsuccess = () => resolve(get.result ? get.result.value : null);
  };
})"""


def test_offline_the_sync_centre_lists_what_waits_and_says_nothing_untrue(phone, manager):
    p = phone().open()
    p.sign_in(manager["username"])
    p.set_online(False)

    p.go(f"/tasks/{manager['task_id']}")
    p.testid("task-complete").click()
    p.go(f"/complaints/{manager['complaint_id']}")
    p.page.locator('textarea[name="note"]').fill("Called back, still offline.")
    p.testid("complaint-add-note").click()
    p.expect_pending(2)

    p.go("/sync")
    waiting = p.testid("waiting-item")
    expect(waiting).to_have_count(2)
    expect(waiting.nth(0)).to_contain_text("Call back about the roaming bill · Amber Li")
    expect(waiting.nth(1)).to_contain_text("Birch Wang")
    expect(p.testid("sync-no-results")).not_to_contain_text("accepted")

    p.set_online(True)
    p.wait_synced()
    expect(p.testid("sync-waiting")).to_have_count(0)
    expect(p.testid("sync-no-results")).to_have_text("Nothing: every change was accepted.")


def test_card_and_header_fit_360_px_and_long_text_is_refused_not_cut(phone, manager):
    p = phone().open()
    p.sign_in(manager["username"])
    customer = manager["customers"][0]
    card = p.open_customer(customer["id"])

    brand = p.page.locator(".fb-brand")
    assert brand.evaluate("e => e.scrollWidth <= e.clientWidth"), "the app's name is cut"
    # Call, Message, Log visit, Log complaint: each on one line, two a row.
    for button in p.page.locator(".fb-quick .fb-button").all():
        assert button.bounding_box()["height"] == 44, button.text_content()
    phone_link = card.locator(f'a[href="tel:{customer["phone"]}"]').last
    assert phone_link.bounding_box()["height"] >= 44

    # A task opened from the card stays under Customers in the tab bar.
    card.get_by_role("link", name="Call back about the roaming bill").click()
    current = p.page.locator('.fb-tabbar [aria-current="page"]')
    expect(current).to_have_text("Customers")

    # 4,100 characters pasted into a 4,000-character note: kept whole, counted, refused.
    p.go(f"/complaints/{manager['complaint_id']}")
    note = p.page.locator('textarea[name="note"]')
    note.fill("x" * 4100)
    p.testid("complaint-add-note").click()
    box = p.page.locator("form:has(textarea[name=note])")
    expect(box.get_by_test_id("field-count")).to_have_text("4,100 / 4,000")
    expect(box.get_by_role("alert").first).to_have_text(
        "Too long: at most 4,000 characters. Shorten it by 100."
    )
    assert note.evaluate("e => e.value.length") == 4100
    p.expect_pending(0)
    # Emptied and given up: "Required." does not stay behind.
    note.fill("")
    p.testid("complaint-add-note").click()
    expect(box.get_by_role("alert").first).to_have_text("Required.")
    note.focus()
    p.page.locator("#complaint-title").click()
    expect(box.get_by_role("alert").first).to_be_hidden()


def test_reminders_only_once_turned_on_and_each_thing_once(phone, manager):
    # Dahlia Sun's birthday is today (tests/e2e/seed.py).
    dahlia = manager["customers"][3]
    p = phone().open()
    p.context.grant_permissions(["notifications"])
    p.sign_in(manager["username"])
    p.wait_for_service_worker()
    assert p.page.evaluate(META, "reminders_shown") is None

    p.go("/settings")
    toggle = p.testid("reminders-toggle")
    expect(toggle).not_to_be_checked()
    toggle.check()
    expect(toggle).to_be_checked()
    # The phone's day (its zone is the server's, tests/e2e/conftest.py).
    today = p.page.evaluate("new Intl.DateTimeFormat('en-CA').format(new Date())")
    shown = {f"birthday:{dahlia['id']}:{today}": today}
    assert poll(lambda: p.page.evaluate(META, "reminders_shown"), shown) == shown
    titles = (
        "navigator.serviceWorker.ready"
        ".then(r => r.getNotifications()).then(n => n.map(x => x.title))"
    )
    assert p.page.evaluate(titles) == ["Birthday today: Dahlia Sun"]

    # Opened again: nothing shown twice.
    p.reopen()
    p.wait_synced()
    assert p.page.evaluate(META, "reminders_shown") == shown
    assert p.page.evaluate(titles) == ["Birthday today: Dahlia Sun"]

    # Turned off: the setting says so, and stays off after a reload.
    p.go("/settings")
    p.testid("reminders-toggle").uncheck()
    p.page.reload()
    expect(p.testid("reminders-toggle")).not_to_be_checked()
