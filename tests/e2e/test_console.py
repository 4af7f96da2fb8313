"""The console for leads and admins (/console), at a desktop's 1280x800 and a tablet's
768x1024: a lead relieves an overloaded manager, launches a campaign and exports a
review; an admin creates a user and imports a CSV with bad rows; scope holds."""

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEZONE
from tests.e2e.pages import Console

SCREENS = {"desktop": (1280, 800), "tablet": (768, 1024)}


@pytest.fixture(params=list(SCREENS))
def screen(request) -> str:
    return request.param


@pytest.fixture
def console(browser, live_server, screen) -> Iterator[Callable[..., Console]]:
    """`console()` opens a fresh browser context at this test's screen size."""
    opened = []

    def open_console(locale: str = "en-US") -> Console:
        width, height = SCREENS[screen]
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            timezone_id=TIMEZONE,
            base_url=live_server.url,
            accept_downloads=True,
        )
        context.set_default_timeout(10_000)
        opened.append(context)
        return Console(context, live_server)

    yield open_console
    for context in opened:
        context.close()


def test_a_lead_moves_50_customers_off_an_overloaded_manager(console, live_server, screen, api):
    team = live_server.console
    busy, calm = team["managers"]["e2e_busy"], team["managers"]["e2e_calm2"]
    c = console()
    c.open()
    c.sign_in(team["lead"])
    c.wait_ready()

    # The dashboard flags the overloaded manager; the drill-down leads to their customers.
    row = c.page.locator(f'[data-testid="manager-row"][data-id="{busy}"]')
    expect(row.get_by_test_id("portfolio")).to_contain_text("over capacity")
    expect(c.capacity("Busy Bai")).to_contain_text("over capacity")
    row.get_by_role("link", name="Busy Bai").click()
    expect(c.testid("manager-detail")).to_be_visible()
    c.page.get_by_role("link", name=re.compile("Their customers")).click()
    c.wait_ready()
    expect(c.testid("customer-row")).to_have_count(50)
    before_busy, before_calm = c.capacity_size("Busy Bai"), c.capacity_size("Calm Cui")
    assert before_busy > 500

    first = c.testid("customer-row").first
    moved_id = first.get_attribute("data-id")
    moved_name = first.locator("th").inner_text().splitlines()[0]
    reason = f"Busy Bai is over capacity ({screen})"
    c.testid("select-page").check()
    bar = c.testid("move-bar")
    expect(bar).to_contain_text("50 selected")
    bar.get_by_test_id("move-target").select_option(calm)
    bar.get_by_test_id("move-reason").fill(reason)
    bar.get_by_test_id("move-check").click()
    expect(bar.get_by_test_id("move-preview")).to_contain_text("50 customers will move")
    c.shot(f"en-03c-move-checked-{screen}")
    bar.get_by_test_id("move-confirm").click()
    expect(c.page.get_by_role("status").filter(has_text="Moved 50 customers")).to_be_visible()

    # The bars follow the move, the list no longer holds them, the history says who and why.
    expect(c.capacity("Busy Bai")).to_have_attribute("data-size", str(before_busy - 50))
    expect(c.capacity("Calm Cui")).to_have_attribute("data-size", str(before_calm + 50))
    expect(c.page.locator(f'[data-testid="customer-row"][data-id="{moved_id}"]')).to_have_count(0)
    c.go(f"/console/assign?manager_id={calm}&q={quote(moved_name)}")
    moved = c.page.locator(f'[data-testid="customer-row"][data-id="{moved_id}"]')
    expect(moved.get_by_test_id("customer-manager")).to_have_text("Calm Cui")
    moved.get_by_test_id("history-button").click()
    history = c.testid("history")
    expect(history.get_by_test_id("history-item").first).to_contain_text("Busy Bai → Calm Cui")
    expect(history.get_by_test_id("history-item").first).to_contain_text(reason)
    history.get_by_test_id("history-close").click()
    expect(history).to_have_count(0)

    lead = api(team["lead"])
    [latest, *_] = lead.get(f"/api/v1/customers/{moved_id}/assignments")
    assert (latest["reason"], latest["to_manager"]["id"]) == (reason, calm)
    sizes = {
        m["id"]: m["portfolio_size"]
        for m in lead.get(f"/api/v1/teams/{team['team_id']}")["members"]
    }
    assert sizes[busy] == before_busy - 50


def test_a_lead_launches_a_campaign_and_follows_it(console, live_server, screen):
    c = console()
    c.open()
    c.sign_in(live_server.console["lead"])
    c.nav("Campaigns")
    c.testid("new-campaign").click()
    form = c.testid("campaign-form")
    name = f"Diamond care week ({screen})"
    form.locator('[name="name"]').fill(name)
    form.locator('[name="kind"]').select_option("privilege")
    form.locator('[name="offer"]').fill("A free lounge pass for diamond members.")
    form.get_by_label("Diamond").check()
    form.get_by_test_id("campaign-save").click()

    # The draft says whom it would reach before anything is launched.
    expect(c.page.get_by_role("heading", level=1)).to_have_text(name)
    expect(c.testid("preview-count")).to_have_attribute("data-count", "10")
    c.testid("launch").click()
    expect(c.testid("job")).to_be_visible()
    expect(c.testid("job")).to_have_attribute("data-status", "done", timeout=30_000)
    expect(c.testid("campaign-status")).to_have_text("Launched")
    expect(c.testid("funnel")).to_have_attribute("data-targets", "10")
    expect(c.testid("funnel-managers")).to_contain_text("Calm Chen")

    c.nav("Campaigns")
    row = c.testid("campaign-row").filter(has_text=name)
    expect(row).to_have_attribute("data-status", "launched")


def test_a_lead_exports_a_review_and_the_file_opens(console, live_server, screen, tmp_path: Path):
    c = console()
    c.open()
    c.sign_in(live_server.console["lead"])
    c.nav("Reviews")
    c.testid("period-picker").select_option("this_month")
    c.wait_ready()
    expect(c.testid("review-results")).to_contain_text("Busy Bai")
    form = c.testid("export-form")
    form.locator('[name="format"]').select_option("xlsx")
    form.locator('[name="language"]').select_option("en")
    form.get_by_test_id("export-start").click()
    expect(form.get_by_test_id("job")).to_have_attribute("data-status", "done", timeout=30_000)
    with c.page.expect_download() as download:
        form.get_by_test_id("export-download").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)

    book = openpyxl.load_workbook(path, read_only=True)
    cells = [
        str(v)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v
    ]
    assert any("Busy Bai" in cell for cell in cells)
    assert any("Calm Cui" in cell for cell in cells)
    # The export is listed with the earlier ones.
    expect(c.testid("export-record").first).to_contain_text("XLSX")
    c.shot(f"en-10b-review-exported-{screen}")


BAD_CSV = (
    "external_no,name,tier,address\n"
    "IMP-001,Linden Hu,gold,Hangzhou\n"
    "IMP-002,Maple Xu,silver,Hangzhou\n"
    "IMP-003,Oak Yu,crystal,Ningbo\n"
    "IMP-001,Linden Hu again,gold,Hangzhou\n"
)


def test_an_admin_creates_a_user_and_sees_an_imports_bad_rows(console, live_server, screen):
    c = console()
    c.open()
    c.sign_in(live_server.admin)
    c.nav("Users")
    new = c.testid("new-user")
    username = f"e2e_new_{screen}"
    new.locator('[name="username"]').fill(username)
    new.locator('[name="display_name"]').fill(f"New Manager {screen}")
    new.locator('[name="role"]').select_option("manager")
    new.locator('[name="team_id"]').select_option(label="Console team")
    new.locator('[name="password"]').fill("short")
    new.get_by_test_id("create-user").click()
    # The API's field message shows next to the field.
    expect(new.get_by_text(re.compile("Length must be between 10 and 200"))).to_be_visible()
    new.locator('[name="password"]').fill("a-long-enough-password")
    new.get_by_test_id("create-user").click()
    expect(c.page.locator(f'[data-testid="user-row"][data-username="{username}"]')).to_contain_text(
        "Console team"
    )

    c.nav("Imports")
    form = c.testid("import-form")
    form.locator('[name="kind"]').select_option("customers")
    form.locator('[name="file"]').set_input_files(
        {"name": "customers.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}
    )
    form.get_by_test_id("import-upload").click()
    expect(form.get_by_test_id("upload-progress").locator("progress")).to_have_attribute(
        "value", "100"
    )
    errors = c.testid("import-error")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_have_attribute("data-line", "3")
    expect(errors.nth(0)).to_contain_text("silver")
    expect(errors.nth(1)).to_have_attribute("data-line", "5")
    expect(errors.nth(1)).to_contain_text("external_no")
    c.shot(f"en-16b-import-errors-{screen}")
    with c.page.expect_download() as download:
        c.testid("errors-download").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "Line,Column,Problem"
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["3", "5"]


def test_a_lead_asking_for_another_teams_data_gets_not_found(console, live_server):
    c = console()
    c.open()
    c.sign_in(live_server.console["lead"])
    c.wait_ready()
    other_team, other_manager = live_server.team_id, live_server.pool[-1]["id"]
    for path in (
        f"/console?team={other_team}",
        f"/console/at-risk?team={other_team}",
        f"/console/managers/{other_manager}",
        "/console/admin/users",
    ):
        c.page.goto(path)
        expect(c.testid("not-found")).to_be_visible()
        expect(c.page.get_by_text("Busy Bai")).to_have_count(0)


def test_a_manager_signing_in_is_sent_to_the_phone_app(console, manager):
    c = console()
    c.open()
    c.sign_in(manager["username"])
    notice = c.testid("manager-notice")
    expect(notice).to_contain_text("for team leads and administrators")
    expect(notice.get_by_role("link", name="Open the phone app")).to_have_attribute("href", "/")


def test_the_phone_app_links_leads_to_the_console(phone, live_server):
    p = phone()
    p.open()
    p.sign_in(live_server.lead)
    link = p.testid("console-link")
    expect(link).to_have_attribute("href", "/console")
    link.click()
    expect(p.page).to_have_url(re.compile(r"/console$"))
    # The same session: the console opens signed in.
    expect(p.page.get_by_test_id("console-user")).to_contain_text("Lead")


def test_an_admin_reads_the_audit_trail_and_filters_it(console, live_server, screen):
    c = console()
    c.open()
    c.sign_in(live_server.admin)
    c.nav("Teams")
    form = c.testid("teams").locator("form").first
    form.locator('[name="name"]').fill(f"Audited team {screen}")
    form.locator('button[type="submit"]').click()
    # A team's name shows in its rename field.
    expect(c.page.get_by_label(f"New name for Audited team {screen}")).to_be_visible()

    c.nav("Audit trail")
    rows = c.testid("audit-row")
    # Newest first: the team just created, then (further down) this admin's sign-in.
    expect(rows.first).to_have_attribute("data-action", "team.team_created")
    expect(rows.first).to_contain_text(f"Audited team {screen}")
    expect(rows.first.locator("th")).to_have_text(live_server.admin)
    c.shot(f"en-18-audit-{screen}")

    filters = c.testid("audit-filters")
    filters.locator('[name="action"]').select_option("auth.sign_in")
    c.testid("audit-apply").click()
    expect(c.page).to_have_url(re.compile(r"action=auth\.sign_in"))
    expect(rows.first).to_have_attribute("data-action", "auth.sign_in")
    expect(
        c.page.locator('[data-testid="audit-row"]:not([data-action="auth.sign_in"])')
    ).to_have_count(0)
