"""Page models: what a manager does on the phone, in the web client's own words.

Locators use the web client's stable data-testid hooks, form field names and
accessible roles, never CSS classes: a test breaks when behaviour
changes, not when styling does.
"""

import os
import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, expect

SYNC_TIMEOUT = 15_000
# The sync screen's answer to "sync now" when everything went through (en and zh-CN).
SYNCED = re.compile("Everything is up to date|已全部同步")


class Phone:
    """One phone: a browser context (its own IndexedDB, cookies, service worker)."""

    def __init__(self, context: BrowserContext, server):
        self.context = context
        self.server = server
        self.page: Page = context.new_page()

    # --- navigation -------------------------------------------------------------

    def open(self, route: str = "") -> "Phone":
        """Open the app (at a hash route such as "/customers"); reuses the open page."""
        if self.page.is_closed():
            self.page = self.context.new_page()
        self.page.goto("/" + (f"#{route}" if route else ""))
        return self

    def go(self, route: str) -> None:
        """Follow an in-app link (a hash change: no network, works offline)."""
        self.page.evaluate("route => { location.hash = route }", route)

    def reopen(self) -> None:
        """Close the page and open the app again in a new tab (same phone)."""
        self.page.close()
        self.page = self.context.new_page()
        self.page.goto("/")

    def testid(self, name: str) -> Locator:
        return self.page.get_by_test_id(name)

    # --- signing in ---------------------------------------------------------------

    def sign_in(self, username: str, *, remember: bool = True) -> None:
        """Sign in on the login screen and wait for the first full sync to finish."""
        if self.page.url == "about:blank":
            self.open()
        form = self.testid("login-form")
        # By name, not by label: the labels are in the phone's language.
        form.locator('[name="username"]').fill(username)
        form.locator('[name="password"]').fill(self.server.password)
        form.locator('[name="remember"]').set_checked(remember)
        form.locator('[type="submit"]').click()
        expect(form).to_have_count(0)
        self.wait_synced()

    def wait_for_service_worker(self) -> None:
        """Make sure the service worker controls the page (the app then opens offline).

        The first load installs it; a reload, still online, puts the page under it.
        """
        self.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        if not self.page.evaluate("navigator.serviceWorker.controller !== null"):
            self.page.reload()
            self.page.wait_for_function("navigator.serviceWorker.controller !== null")

    # --- sync ------------------------------------------------------------------------

    def set_online(self, online: bool) -> None:
        self.context.set_offline(not online)

    def pending(self) -> Locator:
        return self.testid("sync-pending")

    def expect_pending(self, count: int, timeout: int = SYNC_TIMEOUT) -> None:
        expect(self.pending()).to_have_text(str(count), timeout=timeout)

    def wait_synced(self, timeout: int = SYNC_TIMEOUT) -> None:
        """Nothing waiting, and a sync has finished (the bar shows its time)."""
        self.expect_pending(0, timeout)
        expect(self.testid("sync-last")).to_have_text(re.compile(r"\d"), timeout=timeout)

    def sync_now(self) -> None:
        """Sync at once from the sync screen, and wait until it says all is up to date."""
        self.go("/sync")
        button = self.testid("sync-now")
        outcome = self.page.get_by_role("status").filter(has_text=SYNCED)
        for _ in range(3):
            # Disabled while the engine syncs on its own; "busy" when another tab does.
            expect(button).to_be_enabled(timeout=SYNC_TIMEOUT)
            button.click()
            try:
                expect(outcome).to_be_visible(timeout=SYNC_TIMEOUT)
                return
            except AssertionError:
                continue
        expect(outcome).to_be_visible()

    # --- the portfolio -------------------------------------------------------------------

    def customer_rows(self) -> Locator:
        return self.testid("customer-row")

    def search(self, text: str) -> None:
        self.testid("customer-search").fill(text)

    def open_customer(self, customer_id: str) -> Locator:
        self.go(f"/customers/{customer_id}")
        card = self.testid("customer-card")
        expect(card).to_be_visible()
        return card

    # --- forms ---------------------------------------------------------------------------

    def open_visit_form(self, customer_id: str) -> Locator:
        """The visit form, opened from the customer card's "log visit" button."""
        self.open_customer(customer_id)
        self.testid("log-visit-button").click()
        form = self.testid("visit-form")
        expect(form).to_be_visible()
        return form

    def log_visit(self, customer_id: str, *, notes: str, privileges: bool = False) -> None:
        """Log an ad-hoc visit from the customer card (the plan select as the form chose)."""
        self.save_visit(self.open_visit_form(customer_id), notes=notes, privileges=privileges)

    def save_visit(self, form: Locator, *, notes: str, privileges: bool = False) -> None:
        """On the open visit form: check in, outcome and notes, check out, save."""
        form.get_by_test_id("check-in").click()
        expect(form.get_by_test_id("location-verdict")).to_be_visible()
        form.locator('[name="outcome"]').fill("Interested")
        form.locator('[name="notes"]').fill(notes)
        form.locator('[name="privileges_explained"]').set_checked(privileges)
        form.get_by_test_id("check-out").click()
        expect(form.get_by_test_id("check-out-status")).to_be_visible()
        form.get_by_test_id("visit-save").click()
        expect(self.testid("customer-card")).to_be_visible()

    def plan_item(self, plan_id: str) -> Locator:
        """A plan on the open customer card (open ones listed, done ones folded away)."""
        return self.page.locator(f'[data-testid="plan-item"][data-id="{plan_id}"]')

    def record_campaign_outcome(self, *, outcome: str, months: int | None = None) -> None:
        """On a campaign target's screen: choose what the customer did, and save."""
        form = self.testid("campaign-form")
        form.locator(f'[name="outcome"][value="{outcome}"]').check()
        if months is not None:
            form.locator('[name="contract_months"]').fill(str(months))
        form.get_by_test_id("campaign-save").click()
        expect(form).to_have_count(0)

    def log_complaint(self, customer_id: str, *, description: str) -> None:
        """Log a billing complaint from the customer card."""
        self.open_customer(customer_id)
        self.testid("log-complaint-button").click()
        form = self.testid("complaint-form")
        expect(form).to_be_visible()
        form.locator('[name="category"]').select_option("billing")
        form.locator('[name="description"]').fill(description)
        form.get_by_test_id("complaint-save").click()
        expect(self.testid("customer-card")).to_be_visible()

    def edit_task_title(self, task_id: str, title: str) -> None:
        self.go(f"/tasks/{task_id}")
        item = self.page.locator(f'[data-testid="task-item"][data-id="{task_id}"]')
        item.get_by_test_id("task-edit").click()
        form = item.get_by_test_id("task-edit-form")
        form.get_by_label(re.compile("title", re.I)).fill(title)
        form.get_by_test_id("task-save").click()
        expect(form).to_have_count(0)

    # --- my numbers ----------------------------------------------------------------------

    def open_my_numbers(self) -> Locator:
        """My numbers as a manager gets there: the "Me" tab, then its link."""
        self.go("/settings")
        self.testid("my-numbers-link").click()
        screen = self.testid("numbers-screen")
        expect(screen.get_by_test_id("numbers-as-of")).to_be_visible()
        return screen

    def indicator(self, code: str) -> Locator:
        """One indicator's card on the open My numbers screen."""
        return self.page.locator(f'[data-testid="indicator"][data-code="{code}"]')

    def fetch_json(self, path: str) -> Any:
        """GET `path` from the page, with the phone's own session cookie."""
        return self.page.evaluate(
            """async (path) => {
                const answer = await fetch(path, { credentials: "same-origin" });
                if (!answer.ok) throw new Error(`GET ${path}: ${answer.status}`);
                return answer.json();
            }""",
            path,
        )


class Api:
    """The server's REST API, signed in as someone (to check what reached the server)."""

    def __init__(self, playwright, base_url: str):
        self._request = playwright.request.new_context(base_url=base_url)
        self._csrf: str | None = None

    def login(self, username: str, password: str) -> None:
        answer = self._request.post(
            "/api/v1/auth/login",
            data={"username": username, "password": password, "remember": False},
        )
        assert answer.ok, answer.text()
        self._csrf = answer.json()["csrf_token"]

    def get(self, path: str, **params: Any) -> Any:
        answer = self._request.get(path, params=params or None)
        assert answer.ok, f"GET {path}: {answer.status} {answer.text()}"
        return answer.json()

    def post(self, path: str, body: dict) -> Any:
        answer = self._request.post(path, data=body, headers={"X-CSRF-Token": self._csrf or ""})
        assert answer.ok, f"POST {path}: {answer.status} {answer.text()}"
        return answer.json()

    def send(self, method: str, path: str, body: dict | None = None) -> int:
        """PATCH or DELETE with the CSRF token; the answer's status."""
        answer = self._request.fetch(
            path, method=method, data=body, headers={"X-CSRF-Token": self._csrf or ""}
        )
        assert answer.ok, f"{method} {path}: {answer.status} {answer.text()}"
        return answer.status

    def close(self) -> None:
        self._request.dispose()


def poll(read, expected, timeout: float = 10.0):
    """Read until the value is `expected` (or time runs out); returns the last value read.

    For state that settles on the server after the phone's sync answered.
    """
    deadline = time.monotonic() + timeout
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        value = read()
    return value


class Console:
    """The console for leads and admins (/console) in a desktop or tablet browser."""

    def __init__(self, context: BrowserContext, server):
        self.context = context
        self.server = server
        self.page: Page = context.new_page()

    def open(self, path: str = "/console") -> "Console":
        self.page.goto(path)
        return self

    def testid(self, name: str) -> Locator:
        return self.page.get_by_test_id(name)

    def sign_in(self, username: str) -> None:
        """Sign in on the console's own form (the same accounts as the phone app)."""
        if self.page.url == "about:blank":
            self.open()
        form = self.testid("login-form")
        form.locator('[name="username"]').fill(username)
        form.locator('[name="password"]').fill(self.server.password)
        form.locator('[type="submit"]').click()
        expect(form).to_have_count(0)

    def go(self, path: str) -> None:
        """Open a console address (a full page load: the console keeps nothing offline)."""
        self.page.goto(path)
        self.wait_ready()

    def nav(self, name: str) -> None:
        """Follow a link of the console's navigation by its visible name."""
        self.page.get_by_role("navigation").get_by_role("link", name=name).click()
        self.wait_ready()

    def wait_ready(self) -> None:
        """The screen's heading is there and nothing is loading any more."""
        expect(self.page.get_by_role("heading", level=1)).to_be_visible()
        expect(self.page.locator('[aria-busy="true"]')).to_have_count(0, timeout=15_000)

    def shot(self, name: str) -> None:
        """With CONSOLE_SHOTS=<folder>, leave a full-page screenshot there (for review)."""
        folder = os.environ.get("CONSOLE_SHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.wait_for_timeout(300)  # charts draw on the next frame
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    def capacity(self, name: str) -> Locator:
        return self.page.locator(f'[data-testid="capacity"][data-name="{name}"]').first

    def capacity_size(self, name: str) -> int:
        return int(self.capacity(name).get_attribute("data-size") or "-1")
