"""The Custom tab: live match counts (substring and regex), a Left -> Right layout, Enter re-runs,
and the server's message when a pattern matches nothing."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import FIRST_RUN_TIMEOUT_MS, position, shown_method, wait_settled
from tests.browser.story_data import N, ORANGE, StoryData

RIGHT = 123  # "word123": the only row whose word contains "word123"


def test_match_counts_follow_the_patterns_as_you_type(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-custom")
    expect(page.locator("#custom-column")).to_have_value("word")  # the first text column
    left = page.locator("#custom-left-count")
    page.fill("#custom-left", "orange")
    expect(left).to_have_text("1 match")
    page.fill("#custom-left", "ORANGE")  # case-insensitive, like the server
    expect(left).to_have_text("1 match")
    page.fill("#custom-left", "word1")
    expect(left).to_have_text(f"{sum('word1' in w for w in story.words)} matches")
    page.fill("#custom-left", "xyz")
    expect(left).to_have_text("0 matches")
    expect(left).to_have_attribute("data-kind", "zero")

    page.check("#custom-regex")
    page.fill("#custom-left", r"^word1\d$")
    two_digits = sum(bool(re.fullmatch(r"word1\d", w)) for w in story.words)
    expect(left).to_have_text(f"{two_digits} matches")
    page.fill("#custom-left", "word(")
    expect(left).to_have_text("invalid regex")
    page.uncheck("#custom-regex")
    expect(left).to_have_text("0 matches")  # "word(" as plain text

    page.select_option("#custom-column", "category")
    page.fill("#custom-up", "fruit")
    expect(page.locator("#custom-up-count")).to_have_text(f"{story.categories.count('fruit')} matches")
    expect(page.locator("#custom-right-count")).to_have_text("")


def test_left_and_right_patterns_lay_the_points_out_left_to_right(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-custom")
    expect(page.locator("#custom-state")).to_have_text(f"Press Run to lay out these {N} points with Custom.")
    page.fill("#custom-left", "orange")
    page.fill("#custom-right", "word123")
    expect(page.locator("#custom-right-count")).to_have_text("1 match")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/projections")) as posted:
        page.press("#custom-right", "Enter")
    assert posted.value.post_data_json == {
        "method": "custom",
        "params": {"column": "word", "regex": False, "left": "orange", "right": "word123", "up": "", "down": ""},
        "rows": None,
    }
    expect(page.locator("#custom-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
    wait_settled(page)
    assert shown_method(page) == "custom"
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", str(N))
    assert position(page, ORANGE)["x"] < position(page, RIGHT)["x"]

    # Swapping the patterns and pressing Enter re-runs: the two points swap sides.
    page.fill("#custom-left", "word123")
    page.fill("#custom-right", "orange")
    page.press("#custom-left", "Enter")
    page.wait_for_function(
        "() => window.__projector.store.get().coords.method === 'custom'"
        " && document.getElementById('custom-runbox').dataset.state === 'done'"
    )
    page.wait_for_function(
        f"""() => {{
            const a = window.__projector.screenPositionOf({ORANGE});
            const b = window.__projector.screenPositionOf({RIGHT});
            return a && b && a.x > b.x;
        }}"""
    )
    wait_settled(page)
    assert position(page, ORANGE)["x"] > position(page, RIGHT)["x"]


def test_a_pattern_without_matches_shows_the_servers_message(page: Page, live_server, dataset_id: str, page_errors) -> None:
    page_errors.allow(r"status of 422")
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-custom")
    page.fill("#custom-left", "orange")
    page.click("#custom-run")
    expect(page.locator("#custom-error")).to_have_text("Enter a Left and a Right pattern")

    page.fill("#custom-right", "nothing-like-this")
    expect(page.locator("#custom-right-count")).to_have_text("0 matches")
    page.click("#custom-run")
    error = page.locator("#custom-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("nothing-like-this")
    expect(error).to_contain_text(re.compile("match", re.I))
    assert shown_method(page) == "pca"
