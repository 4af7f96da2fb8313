"""Accounts in the browser (issue 11, item 1): a manager changes their own password on
the phone, an admin changes theirs in the console, and an admin unlocks a locked
account from the console's Users screen."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEZONE
from tests.e2e.pages import Console

NEW_PASSWORD = "a-fresh-Secret-2026"


@pytest.fixture
def console(browser, live_server) -> Iterator[Console]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="en-US",
        timezone_id=TIMEZONE,
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    yield Console(context, live_server)
    context.close()


def _login_status(playwright, live_server, username: str, password: str) -> int:
    request = playwright.request.new_context(base_url=live_server.url)
    try:
        return request.post(
            "/api/v1/auth/login", data={"username": username, "password": password}
        ).status
    finally:
        request.dispose()


def test_a_manager_changes_their_password_on_the_phone(
    phone, manager, api, live_server, playwright
):
    other_device = api(manager["username"])
    p = phone().open()
    p.sign_in(manager["username"])
    p.go("/settings")
    p.testid("password-open").click()
    form = p.testid("password-form")
    form.locator('[name="current"]').fill(live_server.password)
    form.locator('[name="next"]').fill("1234567890")
    form.locator('[name="again"]').fill("1234567890")
    form.locator('[type="submit"]').click()
    expect(form.locator("#password-next-error")).to_be_visible()

    form.locator('[name="next"]').fill(NEW_PASSWORD)
    form.locator('[name="again"]').fill(NEW_PASSWORD)
    form.locator('[type="submit"]').click()
    expect(p.testid("password-changed")).to_be_visible()

    # This phone stays signed in; the other device is signed out; the new password works.
    assert p.fetch_json("/api/v1/auth/me")["user"]["username"] == manager["username"]
    assert other_device._request.get("/api/v1/auth/me").status == 401
    assert _login_status(playwright, live_server, manager["username"], NEW_PASSWORD) == 200


def test_an_admin_unlocks_a_locked_account_in_the_console(
    console, manager, api, live_server, playwright
):
    # Ten wrong current passwords lock the account, like ten wrong sign-ins.
    stolen = api(manager["username"])
    for n in range(10):
        stolen._request.post(
            "/api/v1/auth/password",
            data={"current_password": f"guess-{n}", "new_password": NEW_PASSWORD},
            headers={"X-CSRF-Token": stolen._csrf or ""},
        )
    locked = _login_status(playwright, live_server, manager["username"], live_server.password)
    assert locked == 423

    c = console
    c.sign_in(live_server.admin)
    c.nav("Users")
    row = c.page.locator(f'[data-testid="user-row"][data-username="{manager["username"]}"]')
    expect(row.get_by_test_id("user-locked")).to_be_visible()
    c.shot("users-locked")
    row.get_by_test_id("unlock-user").click()
    expect(row.get_by_test_id("user-locked")).to_have_count(0)
    status = _login_status(playwright, live_server, manager["username"], live_server.password)
    assert status == 200


def test_an_admin_changes_their_own_password_in_the_console(console, api, live_server, playwright):
    # An admin of this test's own: the seeded admin's password is every other test's.
    api(live_server.admin).post(
        "/api/v1/users",
        {
            "username": "e2e_admin_pw",
            "display_name": "Password Admin",
            "role": "admin",
            "password": live_server.password,
        },
    )
    c = console
    c.sign_in("e2e_admin_pw")
    c.testid("change-password").click()
    dialog = c.testid("password-dialog")
    dialog.locator('[name="password_current"]').fill("not-my-password")
    dialog.locator('[name="password_next"]').fill(NEW_PASSWORD)
    dialog.locator('[name="password_again"]').fill(NEW_PASSWORD)
    dialog.get_by_test_id("password-submit").click()
    expect(dialog.get_by_text("This is not your current password.")).to_be_visible()
    c.shot("password-dialog")

    dialog.locator('[name="password_current"]').fill(live_server.password)
    dialog.get_by_test_id("password-submit").click()
    expect(dialog.get_by_text("Password changed.", exact=False)).to_be_visible()
    assert _login_status(playwright, live_server, "e2e_admin_pw", NEW_PASSWORD) == 200
