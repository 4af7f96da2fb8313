"""The Content-Security-Policy (server/http.py) as Chromium applies it.

Every e2e test fails on a policy violation (conftest.py, `_nothing_refused_by_the_csp`),
so the phone app, its service worker and the console with its charts are shown to
work under the policy by the other tests; this one shows the policy bites, and that
such a refusal is noticed.
"""

import time


def _expect_violation(violations: list[str], page, words: str) -> None:
    """Wait for the browser to report this refusal (its console message comes later),
    then forget it: expected here, where any other test fails on one."""
    deadline = time.monotonic() + 5
    while not any(words in v for v in violations):
        assert time.monotonic() < deadline, f"no violation with {words!r}: {violations}"
        page.wait_for_timeout(100)  # Playwright delivers events while it waits
    violations.clear()


def test_an_injected_inline_script_is_refused_and_noticed(phone, csp_violations):
    p = phone().open()
    p.page.wait_for_selector("#app *")
    ran = p.page.evaluate(
        """() => {
            window.injected = false;
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            return window.injected;
        }"""
    )
    assert ran is False
    _expect_violation(csp_violations, p.page, "inline script")


def test_the_app_cannot_be_framed_by_another_site(browser, live_server, csp_violations):
    context = browser.new_context()
    page = context.new_page()
    page.set_content(f'<iframe src="{live_server.url}/" width="300" height="300"></iframe>')
    _expect_violation(csp_violations, page, "frame-ancestors 'none'")
    # A refused frame stays an empty document: the app's shell never loads in it.
    assert page.frames[1].evaluate("() => document.querySelector('#app') === null")
    context.close()
