"""The t-SNE tab's Dimension toggle: it shows the result kept for that choice without a new run, and
says "Press Run to compute the 3D layout" (or 2D) when there is none."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import FIRST_RUN_TIMEOUT_MS, shown_method, wait_settled
from tests.browser.test_tsne_tab import is_projection_post

SHOWN = "(() => { const c = window.__projector.store.get().coords; return [c.method, c.d, c.job, c.seq]; })()"


def run_to_the_end(page: Page) -> list:
    """Press Run on the t-SNE tab, wait for its final layout on screen; answer [method, d, job, seq]."""
    with page.expect_request(is_projection_post):
        page.click("#tsne-run")
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
    wait_settled(page)
    shown = page.evaluate(SHOWN)
    assert shown[3] == "final"
    return shown


def test_the_dimension_toggle_shows_the_kept_layout_or_invites_run(page: Page, live_server, dataset_id: str, page_errors) -> None:
    page_errors.allow(r"status of 404")  # a snapshot request crossing the job's end
    open_projector(page, live_server.url, dataset_id)
    canvas = page.locator("canvas.scatter-canvas")
    state = page.locator("#tsne-state")
    page.click("#tab-tsne")
    page.fill("#tsne-perplexity", "10")
    page.fill("#tsne-iterations", "100")
    page.click("#tsne-dimensions button[data-value='3']")
    three = run_to_the_end(page)
    assert three[:2] == ["tsne", 3]
    expect(canvas).to_have_attribute("data-mode", "3d")

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if is_projection_post(r) else None)

    # No 2D layout yet: the 3D one stays on screen, and the tab says what Run would do.
    page.click("#tsne-dimensions button[data-value='2']")
    expect(state).to_have_text("Press Run to compute the 2D layout.")
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "idle")
    expect(page.locator("#tsne-run")).to_be_enabled()
    assert page.evaluate(SHOWN) == three
    expect(canvas).to_have_attribute("data-mode", "3d")
    assert posts == []

    two = run_to_the_end(page)
    assert two[:2] == ["tsne", 2] and two[2] != three[2]
    expect(canvas).to_have_attribute("data-mode", "2d")
    posts.clear()

    # Both kept: the toggle switches between them at once, with no new run.
    page.click("#tsne-dimensions button[data-value='3']")
    expect(canvas).to_have_attribute("data-mode", "3d")
    wait_settled(page)
    assert page.evaluate(SHOWN) == three
    expect(state).to_have_text("Done")
    page.click("#tsne-dimensions button[data-value='2']")
    expect(canvas).to_have_attribute("data-mode", "2d")
    wait_settled(page)
    assert page.evaluate(SHOWN) == two
    expect(page.locator("#tsne-counter")).to_have_text("Iteration 100 / 100")

    # Another tab and back: the chosen dimensionality's layout returns.
    page.click("#tab-pca")
    wait_settled(page)
    assert shown_method(page) == "pca"
    page.click("#tab-tsne")
    wait_settled(page)
    assert page.evaluate(SHOWN) == two
    assert posts == []
