"""The churn model screen (admins): an admin trains a model on the seeded history (the
"History team", tests/e2e/seed.py), follows the job, and finds the run listed with its
figures beside the rules' and its tree's rules in words."""

import re

from playwright.sync_api import expect

from tests.e2e.test_console_accessibility import _open


def test_an_admin_trains_a_churn_model_and_sees_the_run(browser, live_server):
    c = _open(browser, live_server, "en-US")
    try:
        c.open()
        c.sign_in(live_server.admin)
        c.wait_ready()
        c.nav("Churn model")
        expect(c.page.get_by_role("heading", level=1)).to_have_text("Churn model")

        form = c.testid("churn-train")
        # Each way of combining says what it costs.
        expect(form).to_contain_text("catches more leavers, at more retention cost")
        expect(form).to_contain_text("fewer warnings, and surer ones")
        form.get_by_label("Logistic regression").check()
        form.get_by_test_id("combine-intersection").check()
        form.locator('[name="tree_depth"]').select_option("3")
        before = c.testid("churn-run").count()
        form.get_by_test_id("churn-train-start").click()

        job = form.get_by_test_id("job")
        expect(job).to_be_visible()
        expect(job).to_have_attribute("data-status", "done", timeout=120_000)
        expect(form.get_by_test_id("churn-train-result")).to_contain_text("1 run(s)")

        runs = c.testid("churn-run")
        expect(runs).to_have_count(before + 1)
        newest = runs.first
        expect(newest).to_contain_text("Admin")  # who ran it
        expect(newest).to_contain_text("All customers")
        expect(newest.locator("td").nth(4)).to_contain_text(re.compile(r"\d\.\d{3} \(\d\.\d{3}\)"))

        newest.get_by_role("link").click()
        c.wait_ready()
        detail = c.testid("churn-run-detail")
        expect(detail).to_contain_text("Decision tree, Naive Bayes, Logistic regression")
        expect(detail).to_contain_text("Intersection")
        expect(c.testid("churn-metric")).to_have_count(6)
        expect(c.testid("churn-rule").first).to_be_visible()
        # The rules are worded, not codes.
        expect(c.testid("churn-rules")).not_to_contain_text("_3m")
        expect(c.testid("churn-importances").locator("li").first).to_be_visible()
    finally:
        c.context.close()
