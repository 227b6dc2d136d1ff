"""The UMAP tab: a run reports its stage and "Epoch N / M", shows its layout moving, then lays out
every point."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import shown_method, wait_settled
from tests.browser.story_data import N
from tests.datagen import clustered, metadata_tsv, vectors_tsv, words

# A fresh worker compiles umap-learn's numba code (about 40 s alone, more on a busy machine) unless
# the warm-up got there first.
UMAP_TIMEOUT_MS = 300_000
# Enough points that UMAP's 500 epochs last several seconds on a quiet machine (0.35 s for 300
# points), so that several snapshots, at most one every 250 ms, reach the page before the end. With
# 2000 points a loaded CI machine once drew only one before the end.
MOVING_N = 5000

# Every intermediate UMAP layout the scene reports drawn, in order: its seq and a checksum.
RECORD_LAYOUTS = """() => {
    window.__umapLayouts = [];
    window.__projector.store.subscribe(['drawn'], ({ drawn }) => {
        if (!drawn || drawn.method !== 'umap') return;
        let sum = 0;
        for (let i = 0; i < drawn.data.length; i += 1) sum += Math.abs(drawn.data[i]) * ((i % 7) + 1);
        window.__umapLayouts.push({ seq: drawn.seq, sum });
    });
}"""


@pytest.fixture
def moving_dataset(live_server) -> str:
    """MOVING_N points in 4 clusters, with a word column."""
    vectors, _ = clustered(MOVING_N, 16, clusters=4, seed=5)
    meta = metadata_tsv([[w] for w in words(MOVING_N)], None)
    answer = httpx.post(
        f"{live_server.url}/api/datasets",
        files={"vectors": ("v.tsv", vectors_tsv(vectors)), "metadata": ("m.tsv", meta)},
        data={"name": "umap moving"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_umap_run_counts_epochs_shows_the_layout_moving_and_lays_out_every_point(
    page: Page, live_server, moving_dataset: str, page_errors
) -> None:
    # A snapshot request can cross the job's end (the server then has none to give): a 404 the
    # page ignores, but which the browser logs.
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, moving_dataset)
    page.click("#tab-umap")
    expect(page.locator("#umap-state")).to_have_text(f"Press Run to lay out these {MOVING_N} points with UMAP.")
    page.fill("#umap-neighbors", "10")
    page.fill("#umap-seed", "3")
    page.evaluate(RECORD_LAYOUTS)
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/projections")) as posted:
        page.press("#umap-seed", "Enter")  # Enter in a field runs, like the Run button
    assert posted.value.post_data_json["params"] == {
        "dimensions": 2, "n_neighbors": 10, "min_dist": 0.1, "metric": "cosine", "seed": 3, "pca_dims": None,
    }

    box = page.locator("#umap-runbox")
    expect(box).to_have_attribute("data-state", "done", timeout=UMAP_TIMEOUT_MS)
    expect(page.locator("#umap-counter")).to_have_text(re.compile(r"^Epoch (\d+) / \1$"))
    expect(page.locator("#umap-state")).to_have_text("Done")
    expect(page.locator("#umap-elapsed")).to_have_text(re.compile(r"^\d+\.\d s$"))
    expect(page.locator("#umap-progress")).to_have_attribute("aria-valuenow", "100")
    wait_settled(page)
    assert shown_method(page) == "umap"
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", str(MOVING_N))
    expect(page.locator("#showing")).to_have_text(f"Showing {MOVING_N} of {MOVING_N} points")

    # The layout moved on screen during the run: two or more different intermediate layouts
    # were drawn before the final one.
    layouts = page.evaluate("window.__umapLayouts")
    seqs = [layout["seq"] for layout in layouts]
    print(f"UMAP layouts drawn: {seqs}")
    assert "final" in seqs
    before_end = layouts[: seqs.index("final")]
    assert len({round(layout["sum"], 3) for layout in before_end}) >= 2, layouts


def test_an_empty_umap_seed_is_sent_as_none(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-umap")
    page.click("#umap-dimensions button[data-value='3']")
    # No UMAP in 2D either: the tab still invites a first run.
    expect(page.locator("#umap-state")).to_have_text(f"Press Run to lay out these {N} points with UMAP.")
    page.select_option("#umap-metric", "euclidean")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/projections")) as posted:
        page.click("#umap-run")
    assert posted.value.post_data_json["params"] == {
        "dimensions": 3, "n_neighbors": 15, "min_dist": 0.1, "metric": "euclidean", "seed": None, "pca_dims": None,
    }
    expect(page.locator("#umap-stop")).to_be_enabled()
    page.click("#umap-stop")
    expect(page.locator("#umap-runbox")).to_have_attribute("data-state", "cancelled")
    expect(page.locator("#umap-run")).to_be_enabled()
