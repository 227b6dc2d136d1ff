"""The UMAP tab: a run reports its stage and "Epoch N / M", then lays out every point."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import shown_method, wait_settled
from tests.browser.story_data import N

# A fresh worker compiles umap-learn's numba code (about 40 s alone, more on a busy machine) unless
# the warm-up got there first.
UMAP_TIMEOUT_MS = 300_000


def test_umap_run_counts_epochs_and_lays_out_every_point(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-umap")
    expect(page.locator("#umap-state")).to_have_text(f"Press Run to lay out these {N} points with UMAP.")
    page.fill("#umap-neighbors", "10")
    page.fill("#umap-seed", "3")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/projections")) as posted:
        page.press("#umap-seed", "Enter")  # Enter in a field runs, like the Run button
    assert posted.value.post_data_json["params"] == {
        "dimensions": 2, "n_neighbors": 10, "min_dist": 0.1, "metric": "cosine", "seed": 3,
    }

    box = page.locator("#umap-runbox")
    expect(box).to_have_attribute("data-state", "done", timeout=UMAP_TIMEOUT_MS)
    expect(page.locator("#umap-counter")).to_have_text(re.compile(r"^Epoch (\d+) / \1$"))
    expect(page.locator("#umap-state")).to_have_text("Done")
    expect(page.locator("#umap-elapsed")).to_have_text(re.compile(r"^\d+\.\d s$"))
    expect(page.locator("#umap-progress")).to_have_attribute("aria-valuenow", "100")
    wait_settled(page)
    assert shown_method(page) == "umap"
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", str(N))
    expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points")


def test_an_empty_umap_seed_is_sent_as_none(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-umap")
    page.click("#umap-dimensions button[data-value='3']")
    page.select_option("#umap-metric", "euclidean")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/projections")) as posted:
        page.click("#umap-run")
    assert posted.value.post_data_json["params"] == {
        "dimensions": 3, "n_neighbors": 15, "min_dist": 0.1, "metric": "euclidean", "seed": None,
    }
    expect(page.locator("#umap-stop")).to_be_enabled()
    page.click("#umap-stop")
    expect(page.locator("#umap-runbox")).to_have_attribute("data-state", "cancelled")
    expect(page.locator("#umap-run")).to_be_enabled()
