"""Inspector: search, the neighbour list against a numpy oracle, isolate, show all, clear."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.story_data import N, ORANGE, StoryData, check_neighbors

READ_NEIGHBORS = """els => els.map(e => [Number(e.dataset.row), Number(e.querySelector('.distance').textContent)])"""


def select_orange(page: Page) -> None:
    page.fill("#search-input", "orange")
    matches = page.locator("#match-list li")
    expect(page.locator("#match-count")).to_have_text("1 match")
    expect(matches).to_have_count(1)
    expect(matches.first).to_have_text("orange")
    matches.first.click()
    expect(page.locator("#selected-label")).to_have_text("orange")


def shown_neighbors(page: Page) -> list[tuple[int, float]]:
    return [tuple(x) for x in page.eval_on_selector_all("#neighbor-list li", READ_NEIGHBORS)]


def test_neighbors_match_the_numpy_oracle(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    select_orange(page)

    expect(page.locator("#neighbor-list li")).to_have_count(100)
    expect(page.locator("#neighbor-status")).to_have_text("100 nearest (cosine)")
    check_neighbors(shown_neighbors(page), story.vectors, ORANGE, "cosine", 100)
    assert page.evaluate("window.__projector.store.get().selection") == [ORANGE]

    page.select_option("#neighbor-metric", "euclidean")
    page.fill("#neighbor-count", "10")
    page.press("#neighbor-count", "Tab")
    expect(page.locator("#neighbor-status")).to_have_text("10 nearest (euclidean)")
    expect(page.locator("#neighbor-list li")).to_have_count(10)
    check_neighbors(shown_neighbors(page), story.vectors, ORANGE, "euclidean", 10)

    # Clicking a neighbour selects it, and its own neighbours load.
    first = shown_neighbors(page)[0][0]
    page.locator("#neighbor-list li").first.click()
    expect(page.locator("#selected-label")).to_have_text(story.words[first])
    expect(page.locator("#neighbor-status")).to_have_text("10 nearest (euclidean)")
    check_neighbors(shown_neighbors(page), story.vectors, first, "euclidean", 10)


def test_isolate_show_all_and_clear_selection(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    canvas = page.locator("canvas.scatter-canvas")
    expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points")
    select_orange(page)

    isolate = page.locator("#isolate-button")
    expect(isolate).to_have_text("Isolate 101 points")
    isolate.click()
    expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
    expect(canvas).to_have_attribute("data-points", "101")
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    isolated = page.evaluate("window.__projector.store.get().isolated")
    assert len(isolated) == 101 and ORANGE in isolated

    page.click("#show-all-button")
    expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points")
    expect(canvas).to_have_attribute("data-points", str(N))
    assert page.evaluate("window.__projector.store.get().isolated") is None

    page.click("#clear-button")
    expect(page.locator("#neighbor-list li")).to_have_count(0)
    expect(page.locator("#selected-point")).to_be_hidden()
    # The search stays: its text and its match, no longer selected.
    expect(page.locator("#search-input")).to_have_value("orange")
    expect(page.locator("#match-list li")).to_have_count(1)
    expect(page.locator("#clear-button")).to_be_disabled()
    expect(isolate).to_have_text("Isolate 0 points")
    expect(isolate).to_be_disabled()
    assert page.evaluate("window.__projector.store.get().selection") == []


def test_search_selects_all_matches_and_isolates_them(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.fill("#search-input", "word1")  # word1, word10..word19, word100..word199 (word11/15 are markup)
    expected = [i for i in range(N) if str(i).startswith("1") and i not in (11, 15)]
    expect(page.locator("#match-count")).to_have_text(f"{len(expected)} matches (first 100 shown)")
    expect(page.locator("#match-list li")).to_have_count(100)
    assert page.evaluate("window.__projector.store.get().selection") == expected
    expect(page.locator("#isolate-button")).to_have_text(f"Isolate {len(expected)} points")
    page.click("#isolate-button")
    expect(page.locator("#showing")).to_have_text(f"Showing {len(expected)} of {N} points")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", str(len(expected)))


def test_regex_search_and_invalid_regex(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.check("#search-regex")
    page.fill("#search-input", "^word2[0-9]$")
    expect(page.locator("#match-count")).to_have_text("10 matches")
    page.fill("#search-input", "word(")
    expect(page.locator("#search-message")).to_be_visible()
    expect(page.locator("#search-message")).to_contain_text("Invalid regular expression")
    expect(page.locator("#match-list li")).to_have_count(0)
    page.uncheck("#search-regex")
    expect(page.locator("#search-message")).to_be_hidden()
    expect(page.locator("#match-count")).to_have_text("0 matches")


def test_search_by_another_column(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.select_option("#search-by", "category")
    page.fill("#search-input", "FRUIT")  # case-insensitive substring
    count = story.categories.count("fruit")
    expect(page.locator("#match-count")).to_have_text(f"{count} matches")
