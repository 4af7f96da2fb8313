"""My numbers (我的指标) on the phone: the server's figures, worded and formatted by the
client, and readable offline from the copy the last sync fetched."""

import re
from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import Locator, expect

from tests.e2e.pages import Phone

NO_DATA = "No data"


def test_my_numbers_show_what_the_server_computed_and_stay_readable_offline(phone, manager):
    p = phone().open()
    p.sign_in(manager["username"])
    p.wait_for_service_worker()
    # The same session as the phone's, right after the sync that fetched its copy.
    mine = p.fetch_json("/api/v1/reviews/me")
    current = mine["current"]

    # What the seed made sure of (seed.py `_month_so_far`), so each case is covered.
    assert current["score"] is not None
    assert current["figures"]["routine_care"]["value"] is not None
    assert current["figures"]["greetings_on_time"]["value"] is None
    assert current["figures"]["satisfaction"]["value"] == 4.0
    assert "greetings_on_time" in current["scores"]
    assert mine["show_rank"] is False

    p.open_my_numbers()
    _expect_numbers(p, mine)
    expect(p.indicator("greetings_on_time").get_by_test_id("indicator-current")).to_have_text(
        NO_DATA
    )
    expect(p.indicator("greetings_on_time").get_by_test_id("indicator-points")).to_have_text(
        NO_DATA
    )
    expect(p.indicator("satisfaction").get_by_test_id("indicator-current-answers")).to_have_text(
        "1 answer"
    )
    expect(p.testid("numbers-rank")).to_have_count(0)

    # Offline, the page reloaded: the screen (its own chunk) and the stored copy.
    p.set_online(False)
    p.page.reload()
    expect(p.testid("sync-online")).to_have_text(re.compile("offline", re.I))
    expect(p.testid("numbers-as-of")).to_be_visible()
    _expect_numbers(p, mine)


def test_my_numbers_speak_chinese_to_a_chinese_phone(phone, manager):
    p = phone(locale="zh-CN").open()
    p.sign_in(manager["username"])
    screen = p.open_my_numbers()
    expect(screen.get_by_role("heading", level=1)).to_have_text("我的指标")
    expect(p.indicator("greetings_on_time").get_by_test_id("indicator-current")).to_have_text(
        "暂无数据"
    )
    expect(p.indicator("routine_care")).to_contain_text("月客户例行关怀计划完成率")


def _expect_numbers(p: Phone, mine: dict) -> None:
    """The screen shows every figure of both periods and every point as the API gave them."""
    current, previous = mine["current"], mine["previous"]
    _expect_score(p.testid("numbers-score"), current["score"])
    _expect_score(p.testid("numbers-previous-score"), previous["score"])
    if current["score"] is not None:
        chart = p.testid("numbers-trend").get_by_role("img")
        expect(chart).to_have_attribute(
            "aria-label", re.compile(re.escape(_fixed(current["score"], 1)))
        )
    for code, figure in current["figures"].items():
        card = p.indicator(code)
        expect(card).to_have_count(1)
        _expect_figure(card.get_by_test_id("indicator-current"), figure)
        _expect_figure(card.get_by_test_id("indicator-previous"), previous["figures"][code])
        points = card.get_by_test_id("indicator-points")
        if code in current["scores"]:
            expect(card).to_have_attribute("data-weighted", "true")
            value = current["scores"][code]
            expect(points).to_have_text(NO_DATA if value is None else _fixed(value, 1))
        else:
            expect(card).to_have_attribute("data-weighted", "false")
            expect(points).to_have_count(0)


def _expect_score(cell: Locator, score: float | None) -> None:
    if score is None:
        expect(cell).to_have_text(NO_DATA)
        return
    expect(cell).to_have_text(f"{_fixed(score, 1)} / 100")
    assert float(cell.get_attribute("data-value") or "nan") == score


def _expect_figure(cell: Locator, figure: dict) -> None:
    value = figure["value"]
    if value is None:
        expect(cell).to_have_text(NO_DATA)
        return
    if figure["unit"] == "ratio":
        expect(cell).to_have_text(f"{_fixed(Decimal(value) * 100, 1)}%")
    elif figure["unit"] == "score":
        answers = sum(figure["details"].get("answers", {}).values())
        expect(cell).to_contain_text(_fixed(value, 2))
        expect(cell).to_contain_text(re.compile(rf"\b{answers} answers?\b"))
    else:
        expect(cell).to_have_text(f"{value:,.0f}")
    assert float(cell.get_attribute("data-value") or "nan") == value


def _fixed(value: float | Decimal, places: int) -> str:
    """As the phone's Intl.NumberFormat rounds: the exact value, half up."""
    return f"{Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):,}"
