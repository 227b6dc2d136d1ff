"""The smaller things a new user hit: the plot says what it is computing after an upload and then
confirms, a first-view hint that goes at the first touch of the plot, whole names in the dataset
and component menus, Clear selection that keeps the search, and a share box that selects all and
says "Copied"."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.story_data import N, ORANGE, StoryData

TSV = "text/tab-separated-values"
LONG_NAME = "glove-wiki-gigaword-50d-first-10k"  # a typical long upload name (33 characters)

# Every text #plot-message shows, in order (a MutationObserver: a short PCA can come and go
# between two polls of an assertion).
RECORD_MESSAGES = """() => {
    const box = document.getElementById('plot-message');
    window.__plotMessages = [];
    const note = () => {
        const last = window.__plotMessages[window.__plotMessages.length - 1];
        const now = box.hidden ? '' : box.textContent;
        if (now !== last) window.__plotMessages.push(now);
    };
    new MutationObserver(note).observe(box, { attributes: true, childList: true, characterData: true, subtree: true });
}"""

# Whether a <select>'s chosen text fits inside it (its box less the padding and the arrow).
FITS = """(select) => {
    const style = getComputedStyle(select);
    const context = document.createElement('canvas').getContext('2d');
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = select.selectedOptions[0].textContent;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
    return { text, width: context.measureText(text).width, room, title: select.title };
}"""


def test_an_upload_shows_progress_then_a_confirmation_and_the_hint_goes_at_the_first_touch(
    page: Page, live_server, dataset_id: str, story: StoryData
) -> None:
    open_projector(page, live_server.url, dataset_id)
    message = page.locator("#plot-message")
    hint = page.locator("#first-hint")
    expect(message).to_have_text(f"Showing {N} points")  # the first view's confirmation ...
    expect(message).to_be_hidden(timeout=15_000)  # ... fades after a moment, and the hint takes its place
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("scroll to zoom")
    page.evaluate(RECORD_MESSAGES)
    page.click("#load-button")
    page.fill("#upload-name", LONG_NAME)
    page.set_input_files("#upload-vectors", files=[{"name": "v.tsv", "mimeType": TSV, "buffer": story.vectors_tsv}])
    page.set_input_files("#upload-metadata", files=[{"name": "m.tsv", "mimeType": TSV, "buffer": story.metadata_tsv}])
    page.click("#upload-submit")

    page.wait_for_function(f"() => window.__plotMessages.includes('Showing {N} points')", timeout=60_000)
    expect(message).to_be_hidden(timeout=15_000)
    shown = page.evaluate("window.__plotMessages")
    print(f"plot messages: {shown}")
    computing = [text for text in shown if text.startswith(f"Loaded {N} points. Computing PCA…")]
    assert computing, shown
    after = shown[shown.index(computing[0]):]
    assert f"Showing {N} points" in after and "Loading…" not in after, shown

    # The new dataset's long name fits its menu whole (and is its title).
    fit = page.eval_on_selector("#dataset-select", FITS)
    assert fit["text"] == LONG_NAME and fit["title"] == LONG_NAME
    assert fit["width"] <= fit["room"], fit
    # So do the component names of the X/Y/Z menus.
    for axis in ("#axis-x", "#axis-y", "#axis-z"):
        fit = page.eval_on_selector(axis, FITS)
        assert fit["text"].startswith("Component #") and fit["width"] <= fit["room"], (axis, fit)

    # The hint is back (nothing touched the plot); a drag on the plot sends it away.
    expect(hint).to_be_visible(timeout=15_000)
    box = page.locator("canvas.scatter-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.8)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.75, steps=4)
    page.mouse.up()
    expect(hint).to_be_hidden()
    page.reload()  # gone for good in this browser
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=60_000)
    expect(page.locator("#plot-message")).to_have_text(f"Showing {N} points")
    expect(hint).to_be_hidden()


def test_clear_keeps_the_search_and_the_share_box_selects_all_and_copies(page: Page, live_server, dataset_id: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    open_projector(page, live_server.url, dataset_id)
    clear = page.locator("#clear-button")
    expect(clear).to_be_disabled()  # nothing selected yet

    page.fill("#search-input", "orange")
    page.press("#search-input", "Enter")
    expect(page.locator("#match-count")).to_have_text("1 match")
    expect(clear).to_be_enabled()
    page.click("#clear-button")
    assert page.evaluate("window.__projector.store.get().selection") == []
    expect(page.locator("#search-input")).to_have_value("orange")
    expect(page.locator("#match-count")).to_have_text("1 match")
    expect(clear).to_be_disabled()
    page.locator("#match-list li").first.click()  # the kept match selects again
    expect(page.locator("#selected-label")).to_have_text("orange")
    assert page.evaluate("window.__projector.store.get().selection") == [ORANGE]
    expect(clear).to_be_enabled()

    page.click("#share-button")
    link = page.locator("#share-link")
    page.wait_for_function("() => document.getElementById('share-link').value.includes('/v/')")
    value = link.input_value()
    page.click("#share-message")  # away from the field (inside the popover, which stays open) ...
    page.evaluate("() => { const f = document.getElementById('share-link'); f.setSelectionRange(0, 0); f.blur(); }")
    link.focus()  # ... and back: the whole link is selected
    selected = page.evaluate("() => { const f = document.getElementById('share-link'); return [f.selectionStart, f.selectionEnd]; }")
    assert selected == [0, len(value)]
    fits = page.eval_on_selector("#share-link", "f => f.scrollWidth <= f.clientWidth")
    assert fits, "the share link is cut off"
    copy = page.locator("#share-copy")
    expect(copy).to_have_text("Copy")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == value
    expect(copy).to_have_text("Copy", timeout=10_000)  # back after a moment
