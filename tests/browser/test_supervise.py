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
UMAP_TIMEOUT_MS = 300_000  # a fresh worker compiles umap-learn's numba code first


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


def run_supervised(page: Page, method: str, weight_field: str, weight: str, fields: dict[str, str], timeout: float) -> dict:
    """In `method`'s tab: supervise with "category" at `weight`, Run, wait for the result; the request body."""
    page.click(f"#tab-{method}")
    expect(page.locator(f"#{method}-supervise")).to_have_value("")
    assert option_texts(page, f"#{method}-supervise") == ["none", "word", "category", "score"]
    expect(page.locator(weight_field)).to_be_disabled()  # no column: the weight does not count
    expect(page.locator(weight_field)).to_have_value("0.5")
    page.select_option(f"#{method}-supervise", "category")
    expect(page.locator(weight_field)).to_be_enabled()
    page.fill(weight_field, weight)
    for selector, value in fields.items():
        page.fill(selector, value)
    with page.expect_request(is_projection_post) as posted:
        page.click(f"#{method}-run")
    expect(page.locator(f"#{method}-runbox")).to_have_attribute("data-state", "done", timeout=timeout)
    wait_settled(page)
    return posted.value.post_data_json


def test_supervise_with_a_column_runs_and_a_shared_link_restores_the_form(
    browser: Browser, page: Page, live_server, dataset_id: str, page_errors
) -> None:
    # A snapshot request can cross the job's end: a 404 the page ignores but the browser logs.
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, dataset_id)

    body = run_supervised(page, "tsne", "#tsne-supervise-factor", "0.9", {"#tsne-iterations": "250"}, FIRST_RUN_TIMEOUT_MS)
    assert body["method"] == "tsne"
    assert body["params"]["supervise_column"] == "category" and body["params"]["supervise_factor"] == 0.9
    job = page.evaluate("window.__projector.store.get().coords.job")
    server = httpx.get(f"{live_server.url}/api/projections/{job}").json()
    assert server["extras"]["supervised"] == {"labelled": 300, "classes": 4}
    tsne_link = share_link(page)

    body = run_supervised(page, "umap", "#umap-target-weight", "0.3", {"#umap-neighbors": "10"}, UMAP_TIMEOUT_MS)
    assert body["method"] == "umap"
    assert body["params"]["supervise_column"] == "category" and body["params"]["target_weight"] == 0.3
    umap_link = share_link(page)

    for link, method, weight_field, param, weight in (
        (tsne_link, "tsne", "#tsne-supervise-factor", "supervise_factor", "0.9"),
        (umap_link, "umap", "#umap-target-weight", "target_weight", "0.3"),
    ):
        with fresh_page(browser) as (other, errors):
            errors.allow(r"status of 404")
            other.goto(link)
            wait_ready(other)
            expect(other.locator("#projection-tabs .tab.active")).to_have_attribute("data-method", method)
            expect(other.locator(f"#{method}-supervise")).to_have_value("category")
            expect(other.locator(f"#{method}-supervise option:checked")).to_have_text("category")
            expect(other.locator(weight_field)).to_have_value(weight)
            expect(other.locator(weight_field)).to_be_enabled()
            # Run again from the restored form: the same parameters, so the server's cached result.
            with other.expect_response(lambda r: is_projection_post(r.request)) as answer:
                other.click(f"#{method}-run")
            assert answer.value.status == 200
            sent = answer.value.request.post_data_json["params"]
            assert sent["supervise_column"] == "category" and sent[param] == float(weight)

    # Back to "none": the weight is greyed out and the request carries no supervision.
    page.click("#tab-tsne")
    page.select_option("#tsne-supervise", "")
    expect(page.locator("#tsne-supervise-factor")).to_be_disabled()
    with page.expect_request(is_projection_post) as posted:
        page.click("#tsne-run")
    assert "supervise_column" not in posted.value.post_data_json["params"]
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
