"""Supervised layouts in the t-SNE and UMAP tabs: "Supervise with" a column and its weight go into
the run's request, and a shared link brings the form back as it was."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import FIRST_RUN_TIMEOUT_MS, wait_settled
from tests.browser.share_helpers import fresh_page, wait_ready

PROJECTIONS = re.compile(r"/api/datasets/[^/]+/projections$")


def is_projection_post(request) -> bool:
    """A request that starts a projection job."""
    return request.method == "POST" and bool(PROJECTIONS.search(request.url))


def option_texts(page: Page, select: str) -> list[str]:
    return page.eval_on_selector_all(f"{select} option", "options => options.map(o => o.textContent)")


def share_link(page: Page) -> str:
    """Share the view on screen and return its /v/ link."""
    page.click("#share-button")
    page.wait_for_function("() => document.getElementById('share-link').value.includes('/v/')")
    link = page.input_value("#share-link")
    page.keyboard.press("Escape")
    return link


def choose_supervision(page: Page, method: str, weight_field: str, weight: str) -> None:
    """In `method`'s tab: check the empty form, then supervise with "category" at `weight`."""
    page.click(f"#tab-{method}")
    expect(page.locator(f"#{method}-supervise")).to_have_value("")
    assert option_texts(page, f"#{method}-supervise") == ["none", "word", "category", "score"]
    expect(page.locator(weight_field)).to_be_disabled()  # no column: the weight does not count
    expect(page.locator(weight_field)).to_have_value("0.5")
    page.select_option(f"#{method}-supervise", "category")
    expect(page.locator(weight_field)).to_be_enabled()
    page.fill(weight_field, weight)


def test_supervise_with_a_column_runs_and_a_shared_link_restores_the_form(
    browser: Browser, page: Page, live_server, dataset_id: str, page_errors
) -> None:
    # A snapshot request can cross the job's end: a 404 the page ignores but the browser logs.
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, dataset_id)

    # UMAP: the request carries the column and the weight. (Stopped at once: a fresh worker would
    # first compile umap-learn for ~40 s; the supervised UMAP itself is tested in test_umap.py.)
    choose_supervision(page, "umap", "#umap-target-weight", "0.3")
    with page.expect_request(is_projection_post) as posted:
        page.click("#umap-run")
    body = posted.value.post_data_json
    assert body["method"] == "umap"
    assert body["params"]["supervise_column"] == "category" and body["params"]["target_weight"] == 0.3
    expect(page.locator("#umap-stop")).to_be_enabled()
    page.click("#umap-stop")
    expect(page.locator("#umap-runbox")).to_have_attribute("data-state", "cancelled")

    # t-SNE: run it supervised, share it, and open the link in another browser.
    choose_supervision(page, "tsne", "#tsne-supervise-factor", "0.9")
    page.fill("#tsne-iterations", "250")
    with page.expect_request(is_projection_post) as posted:
        page.click("#tsne-run")
    body = posted.value.post_data_json
    assert body["method"] == "tsne"
    assert body["params"]["supervise_column"] == "category" and body["params"]["supervise_factor"] == 0.9
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
    wait_settled(page)
    job = page.evaluate("window.__projector.store.get().coords.job")
    server = httpx.get(f"{live_server.url}/api/projections/{job}").json()
    assert server["extras"]["supervised"] == {"labelled": 300, "classes": 4}
    link = share_link(page)

    with fresh_page(browser) as (other, errors):
        errors.allow(r"status of 404")
        other.goto(link)
        wait_ready(other)
        expect(other.locator("#projection-tabs .tab.active")).to_have_attribute("data-method", "tsne")
        expect(other.locator("#tsne-supervise")).to_have_value("category")
        expect(other.locator("#tsne-supervise option:checked")).to_have_text("category")
        expect(other.locator("#tsne-supervise-factor")).to_have_value("0.9")
        expect(other.locator("#tsne-supervise-factor")).to_be_enabled()
        expect(other.locator("#tsne-iterations")).to_have_value("250")
        # Run from the restored form: the same parameters, so the server answers its cached result.
        with other.expect_response(lambda r: is_projection_post(r.request)) as answer:
            other.click("#tsne-run")
        assert answer.value.status == 200 and answer.value.json()["id"] == job

    # Back to "none": the weight is greyed out and the request carries no supervision.
    page.click("#tab-tsne")
    page.select_option("#tsne-supervise", "")
    expect(page.locator("#tsne-supervise-factor")).to_be_disabled()
    with page.expect_request(is_projection_post) as posted:
        page.click("#tsne-run")
    assert "supervise_column" not in posted.value.post_data_json["params"]
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
