"""Sphereize data: the checkbox puts "sphereize": true on every projection request (PCA at once,
isolated re-projections, Custom on Run), the PCA matches a numpy oracle of the sphereized data,
and unchecking brings back the kept raw result."""

from __future__ import annotations

import numpy as np
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import FIRST_RUN_TIMEOUT_MS
from tests.browser.story_data import StoryData

STATE = "window.__projector.store.get()"


def is_projection_post(request) -> bool:
    return request.method == "POST" and request.url.endswith("/projections")


def screen_coords(page: Page) -> np.ndarray:
    flat, n, d = page.evaluate(f"(() => {{ const c = {STATE}.coords; return [Array.from(c.data), c.n, c.d]; }})()")
    return np.asarray(flat, dtype=np.float32).reshape(n, d)


def oracle_variance(vectors: np.ndarray, k: int) -> np.ndarray:
    """Explained variance ratios of the PCA of the sphereized vectors (centred, then unit norm)."""
    x = vectors.astype(np.float64)
    x = x - x.mean(axis=0)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    x -= x.mean(axis=0)
    eig = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False)))[::-1]
    return eig[:k] / eig.sum()


def wait_shown(page: Page, sphereized: bool) -> None:
    page.wait_for_function(
        f"""() => {{
            const s = {STATE};
            return s.coords && s.coords.key.endsWith('|sphereized') === {str(sphereized).lower()}
                && s.drawn === s.coords && document.body.dataset.state === 'ready';
        }}"""
    )


def test_sphereize_reruns_pca_on_sphereized_data_and_back(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    raw = screen_coords(page)
    raw_variance = page.evaluate(f"{STATE}.variance")

    with page.expect_request(is_projection_post) as posted:
        page.check("#sphereize-toggle")
    body = posted.value.post_data_json
    assert body["method"] == "pca" and body["rows"] is None and body["sphereize"] is True
    wait_shown(page, True)
    sphered = screen_coords(page)
    assert sphered.shape == raw.shape
    assert np.abs(sphered - raw).max() > 1e-2, "the coordinates did not change"
    variance = np.asarray(page.evaluate(f"{STATE}.variance"))
    expected = oracle_variance(story.vectors, len(variance))
    print(f"explained variance, raw {np.round(raw_variance[:3], 4)}, sphereized {np.round(variance[:3], 4)}, oracle {np.round(expected[:3], 4)}")
    assert np.allclose(variance, expected, atol=1e-4)
    # Sphereized rows have unit norm after centring: the first components carry less than raw ones.
    assert not np.allclose(variance, raw_variance, atol=1e-3)

    # Off again: the request carries no sphereize, and the raw layout is back as it was.
    with page.expect_request(is_projection_post) as posted:
        page.uncheck("#sphereize-toggle")
    assert posted.value.post_data_json.get("sphereize", False) is False
    wait_shown(page, False)
    assert np.array_equal(screen_coords(page), raw)


def test_sphereize_travels_with_isolate_and_custom_runs(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.check("#sphereize-toggle")
    wait_shown(page, True)

    page.fill("#search-input", "orange")
    page.locator("#match-list li").first.click()
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    with page.expect_request(is_projection_post) as posted:
        page.click("#isolate-button")
    body = posted.value.post_data_json
    assert body["sphereize"] is True and len(body["rows"]) == 101
    page.wait_for_function(f"() => {STATE}.coords?.n === 101 && document.body.dataset.state === 'ready'")

    page.click("#tab-custom")
    page.fill("#custom-left", "orange")
    page.fill("#custom-right", "word1")
    with page.expect_request(is_projection_post) as posted:
        page.click("#custom-run")
    body = posted.value.post_data_json
    assert body["method"] == "custom" and body["sphereize"] is True and len(body["rows"]) == 101
    expect(page.locator("#custom-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
    page.wait_for_function(f"() => {STATE}.coords?.method === 'custom' && {STATE}.coords.key.endsWith('|custom|sphereized')")

    # Unsphereized, the Custom tab has no result of its own yet: Run is offered again.
    page.uncheck("#sphereize-toggle")
    expect(page.locator("#custom-runbox")).to_have_attribute("data-state", "idle")
