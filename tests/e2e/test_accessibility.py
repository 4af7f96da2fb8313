"""Every screen passes axe-core's checks (WCAG 2.x A/AA and axe's best practices), and
the app speaks Chinese to a zh-CN phone."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import WEBCLIENT

AXE = WEBCLIENT / "node_modules" / "axe-core" / "axe.min.js"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_screen_passes_axe(phone, manager):
    c = manager["customers"]
    p = phone()
    found: dict[str, list[dict]] = {}

    p.open()
    expect(p.testid("login-form")).to_be_visible()
    found["Login"] = _axe(p.page)

    p.sign_in(manager["username"])
    screens = [
        ("Today", "/today", "agenda-item"),
        ("Customers", "/customers", "customer-row"),
        ("Customer card", f"/customers/{c[0]['id']}", "customer-card"),
        ("Visit form", f"/customers/{c[0]['id']}/visit", "visit-form"),
        ("Complaint form", f"/customers/{c[0]['id']}/complaint", "complaint-form"),
        ("Complaint", f"/complaints/{manager['complaint_id']}", "complaint-detail"),
        ("Task", f"/tasks/{manager['task_id']}", "task-item"),
        ("Warning", f"/warnings/{manager['warning_id']}", "warning-detail"),
        ("Campaign outcome", f"/campaign-targets/{manager['target_id']}", "campaign-form"),
        ("Closed campaign", f"/campaign-targets/{manager['closed_target_id']}", "campaign-closed"),
        ("Plan: move or skip", f"/plans/{manager['plan_id']}", "skip-form"),
        ("New task", "/tasks/new", "new-task-form"),
        ("New plan", f"/plans/new?customer={c[0]['id']}", "new-plan-form"),
        ("Sync", "/sync", "sync-bar"),
        ("Settings", "/settings", "signout-button"),
        ("My numbers", "/me/numbers", "numbers-as-of"),
    ]
    for name, route, ready in screens:
        p.go(route)
        if ready:
            expect(p.testid(ready).first).to_be_visible()
        _wait_for_screen(p.page)
        found[name] = _axe(p.page)

    report = _readable({screen: v for screen, v in found.items() if v})
    assert not report, f"axe-core found violations:\n{report}"


def test_a_chinese_phone_gets_the_app_in_chinese(phone, manager):
    p = phone(locale="zh-CN").open()
    form = p.testid("login-form")
    expect(form).to_be_visible()
    expect(p.page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(form).to_contain_text(CJK)

    p.sign_in(manager["username"])
    p.go("/today")
    expect(p.page.get_by_role("heading", level=1)).to_contain_text(CJK)
    expect(p.testid("sync-online")).to_contain_text(CJK)
    assert _readable({"Today (zh-CN)": _axe(p.page)}) == ""


def _wait_for_screen(page: Page) -> None:
    """A screen has rendered its data when its heading is there and nothing is loading."""
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator('[aria-busy="true"]')).to_have_count(0)


def _axe(page: Page) -> list[dict]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        # Evaluated, not added as a <script>: the Content-Security-Policy refuses inline
        # scripts, and DevTools' evaluation is outside it.
        page.evaluate(AXE.read_text())
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html,
                                            summary: n.failureSummary })),
            }));
        }"""
    )


def _readable(found: dict[str, list[dict]]) -> str:
    lines = []
    for screen, violations in found.items():
        for v in violations:
            lines.append(f"{screen}: {v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"]:
                lines.append(f"    {node['target']}: {node['html'][:160]}")
                for line in (node["summary"] or "").splitlines():
                    lines.append(f"        {line}")
    return "\n".join(lines)
