"""Metadata is text: markup in labels renders literally in every place it appears, never as HTML."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.story_data import XSS_BOLD, XSS_IMG, XSS_ROWS

INJECTED = "#match-list img, #match-list b, #neighbor-list img, #neighbor-list b, .scatter-overlay img, .scatter-overlay b, #selected-label *"


def test_markup_in_metadata_is_shown_as_text(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)

    page.fill("#search-input", "<")
    matches = page.locator("#match-list li")
    expect(matches).to_have_count(2)
    assert sorted(matches.all_text_contents()) == sorted([XSS_IMG, XSS_BOLD])

    matches.filter(has_text="onerror").click()
    expect(page.locator("#selected-label")).to_have_text(XSS_IMG)

    page.fill("#search-input", "orange")
    expect(page.locator("#match-list li")).to_have_count(1)
    page.locator("#match-list li").first.click()
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    for row, text in XSS_ROWS.items():
        expect(page.locator(f"#neighbor-list li[data-row='{row}'] .result-label")).to_have_text(text)
    labels = page.eval_on_selector_all(".point-label", "els => els.map(e => e.textContent)")
    assert XSS_IMG in labels and XSS_BOLD in labels

    for row, text in XSS_ROWS.items():
        at = page.evaluate("row => window.__projector.screenPositionOf(row)", row)
        page.mouse.move(at["x"], at["y"])
        expect(page.locator("#hover-card")).to_have_text(text)

    assert page.locator(INJECTED).count() == 0
    assert page.evaluate("window.__xss") is None
