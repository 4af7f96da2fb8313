"""Every console screen passes axe-core's checks, in English and in Chinese, at the
desktop size; with CONSOLE_SHOTS=<folder> it also leaves a screenshot of each there
(and of the dashboard at the tablet size)."""

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEZONE
from tests.e2e.pages import Console
from tests.e2e.test_accessibility import _axe, _readable

SHOTS = os.environ.get("CONSOLE_SHOTS")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _open(browser, live_server, locale: str, width: int = 1280, height: int = 800) -> Console:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale=locale,
        timezone_id=TIMEZONE,
        base_url=live_server.url,
    )
    context.set_default_timeout(15_000)
    return Console(context, live_server)


def _shot(c: Console, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        c.page.wait_for_timeout(300)  # charts draw on the next frame
        c.page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _churn_run(admin) -> str:
    """A churn run to show: the first one recorded, else one trained now on the seeded
    history (a job the server runs after answering)."""
    runs = admin.get("/api/v1/churn/runs", per_page=1)["items"]
    if runs:
        return runs[0]["id"]
    job = admin.post("/api/v1/churn/train", {})
    deadline = time.monotonic() + 120
    while (job := admin.get(f"/api/v1/jobs/{job['id']}"))["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
    assert job["status"] == "done", job
    return job["result"]["runs"][0]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_console_screen_passes_axe(browser, live_server, api, locale):
    lang = "zh" if locale == "zh-CN" else "en"
    team = live_server.console
    busy = team["managers"]["e2e_busy"]
    found: dict[str, list[dict]] = {}

    c = _open(browser, live_server, locale)
    c.open()
    expect(c.testid("login-form")).to_be_visible()
    found["Sign-in"] = _axe(c.page)
    _shot(c, f"{lang}-00-sign-in")
    c.sign_in(team["lead"])
    c.wait_ready()
    if lang == "zh":
        expect(c.page.get_by_role("heading", level=1)).to_contain_text(CJK)

    lead = api(team["lead"])
    campaign = lead.get("/api/v1/campaigns", per_page=1)["items"] or [
        lead.post(
            "/api/v1/campaigns",
            {
                "name": f"Axe draft ({lang})",
                "kind": "marketing",
                "offer": "A new data pack.",
                "segment": {"tiers": ["gold"]},
                "starts_on": "2026-01-01",
                "ends_on": "2099-12-31",
            },
        )
    ]
    lead_screens = [
        ("Dashboard", "/console", "01-dashboard"),
        ("Manager", f"/console/managers/{busy}", "02-manager"),
        ("Assignment", "/console/assign", "03-assign"),
        ("Handover", "/console/assign/handover", "04-handover"),
        ("Rebalance", "/console/assign/rebalance", "05-rebalance"),
        ("At risk", "/console/at-risk", "06-at-risk"),
        ("Campaigns", "/console/campaigns", "07-campaigns"),
        ("New campaign", "/console/campaigns/new", "08-campaign-new"),
        ("Campaign", f"/console/campaigns/{campaign[0]['id']}", "09-campaign"),
        ("Reviews", "/console/reviews", "10-reviews"),
    ]
    for name, path, shot in lead_screens:
        c.go(path)
        if name == "Assignment":
            # With a selection, the move bar is on screen too.
            c.testid("customer-row").first.locator("input[type=checkbox]").check()
            expect(c.testid("move-bar")).to_be_visible()
        if name == "Rebalance":
            c.testid("propose").click()
            c.wait_ready()
        found[name] = _axe(c.page)
        _shot(c, f"{lang}-{shot}")
    if lang == "en":
        c.go(f"/console/assign?manager_id={busy}")
        c.testid("history-button").first.click()
        expect(c.testid("history-item").first).to_be_visible()
        found["History dialog"] = _axe(c.page)
        _shot(c, f"{lang}-03b-history")
    c.context.close()

    admin = _open(browser, live_server, locale)
    admin.open()
    admin.sign_in(live_server.admin)
    admin.wait_ready()
    customer = api(live_server.admin).get("/api/v1/customers", manager_id=busy, per_page=1)
    run = _churn_run(api(live_server.admin))
    for name, path, shot in [
        ("Users", "/console/admin/users", "11-users"),
        ("Teams", "/console/admin/teams", "12-teams"),
        ("Tiers", "/console/admin/tiers", "13-tiers"),
        ("Categories", "/console/admin/categories", "14-categories"),
        ("Periods", "/console/admin/periods", "15-periods"),
        ("Imports", "/console/admin/imports", "16-imports"),
        ("Audit trail", "/console/admin/audit", "16c-audit"),
        ("Failed phone changes", "/console/admin/sync-failed", "16e-sync-failed"),
        ("Churn model", "/console/admin/churn", "16f-churn"),
        ("Churn run", f"/console/admin/churn/runs/{run}", "16g-churn-run"),
        ("Customer (admin)", f"/console/customers/{customer['items'][0]['id']}", "16d-customer"),
        ("Dashboard (admin)", "/console", "17-dashboard-admin"),
    ]:
        admin.go(path)
        found[name] = _axe(admin.page)
        _shot(admin, f"{lang}-{shot}")
    admin.context.close()

    if lang == "en":
        tablet = _open(browser, live_server, locale, 768, 1024)
        tablet.open()
        tablet.sign_in(team["lead"])
        tablet.wait_ready()
        found["Dashboard (tablet)"] = _axe(tablet.page)
        _shot(tablet, "en-01-dashboard-768x1024")
        tablet.context.close()

    report = _readable({screen: v for screen, v in found.items() if v})
    assert not report, f"axe-core found violations:\n{report}"
