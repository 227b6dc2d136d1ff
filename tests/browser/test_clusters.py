"""Find clusters on the map: the "cluster" column coloured at once and listed in the legend, each
cluster's name drawn at the centre of its points (and kept there when zooming), density contours
under the points, and a shared view that brings the clusters back."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.browser.color_data import canvas_image
from tests.browser.conftest import FIRST_VIEW_TIMEOUT_MS, PageErrors, open_projector, watch_page
from tests.browser.projection_helpers import wait_settled
from tests.datagen import clustered, metadata_tsv, vectors_tsv

N = 300
PLANTED = ["zebra", "quartz", "violin"]
COMMON = ["report", "annual", "market", "review", "study", "notes"]

CLUSTERS_DONE = "() => window.__projector.store.get().clusters?.status === 'done'"

# Each cluster's members' mean screen position (in 2D the screen is linear in the layout, so this is
# where the cluster's centre is drawn) beside its label's box centre, both in page CSS px.
CENTRES = """() => {
    const s = window.__projector.store.get();
    return s.clusters.list.map((cluster) => {
        let x = 0, y = 0, n = 0, total = 0;
        s.clusters.codes.forEach((code, row) => {
            if (code !== cluster.id) return;
            total++;
            const at = window.__projector.screenPositionOf(row);
            if (!at) return;
            x += at.x; y += at.y; n++;
        });
        const node = document.querySelector(`.cluster-label[data-cluster="${cluster.id}"]`);
        const box = node && !node.hidden ? node.getBoundingClientRect() : null;
        return {
            label: cluster.label, members: n, total, x: x / n, y: y / n, text: node?.textContent ?? null,
            box: box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : null,
        };
    });
}"""


@pytest.fixture
def blobs_dataset(live_server) -> str:
    vectors, truth = clustered(N, 12, clusters=3, seed=4)
    rng = np.random.default_rng(2)
    rows = [[" ".join([PLANTED[t], *rng.choice(COMMON, size=2, replace=False)]), f"w{i}"] for i, t in enumerate(truth.tolist())]
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        r = client.post("/api/datasets", files={
            "vectors": ("blobs.tsv", vectors_tsv(vectors)), "metadata": ("meta.tsv", metadata_tsv(rows, ["title", "word"])),
        }, data={"name": "cluster blobs"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def check_labels_at_centres(page: Page, count: int) -> int:
    """Every cluster wholly on screen has its label drawn at its members' centre; how many were."""
    centres = page.evaluate(CENTRES)
    assert len(centres) == count
    whole = [c for c in centres if c["members"] == c["total"]]
    for c in whole:
        assert c["box"] is not None and c["text"] == c["label"], c
        print(f"{c['label']!r}: label at {c['box']}, members' centre ({c['x']:.1f}, {c['y']:.1f})")
        assert abs(c["box"]["x"] - c["x"]) <= 2 and abs(c["box"]["y"] - c["y"]) <= 2, c
    return len(whole)


def test_find_clusters_names_them_on_the_map_and_a_shared_link_restores_them(page: Page, live_server, blobs_dataset: str, browser, page_errors: PageErrors) -> None:
    open_projector(page, live_server.url, blobs_dataset)
    page.click("#dims-toggle button[data-mode='2d']")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    wait_settled(page)

    page.fill("#cluster-min-size", "20")
    page.select_option("#cluster-label-column", "title")
    page.click("#cluster-button")
    page.wait_for_function(CLUSTERS_DONE, timeout=60_000)
    expect(page.locator("#cluster-status")).to_have_text("3 clusters, 0 noise points")

    # Colour by offers "cluster" and shows it; the legend lists the clusters by their names.
    expect(page.locator("#color-by")).to_have_value("cluster")
    names = sorted(page.locator(".cluster-label").all_text_contents())
    assert [n.split(", ")[0] for n in names] == sorted(PLANTED), names  # c-TF-IDF: the planted word first
    expect(page.locator("#legend .legend-item")).to_have_count(3)
    assert sorted(page.locator("#legend .legend-value").all_text_contents()) == names
    assert check_labels_at_centres(page, 3) == 3

    # Zoomed in, the names stay at their clusters' centres, at the same pixel size.
    heights = {c: page.locator(f".cluster-label[data-cluster='{c}']").bounding_box()["height"] for c in range(3)}
    box = page.locator("canvas.scatter-canvas").bounding_box()
    z0 = page.evaluate("() => window.__projector.camera().zoom")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(4):
        page.mouse.wheel(0, -300)
    page.wait_for_function(f"() => window.__projector.camera().zoom > {z0 * 1.2}")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert check_labels_at_centres(page, 3) >= 1, "every cluster left the screen"
    shown = page.locator(".cluster-label:not([hidden])").first
    assert shown.bounding_box()["height"] == pytest.approx(heights[int(shown.get_attribute("data-cluster"))], abs=0.5)

    # Density: contour lines appear under the points.
    before, _ = canvas_image(page)
    page.check("#density-toggle")
    page.wait_for_function("() => Number(document.querySelector('canvas.scatter-canvas').dataset.contours) > 0")
    after, _ = canvas_image(page)
    changed = int((np.abs(np.asarray(before, dtype=int) - np.asarray(after, dtype=int)).sum(axis=2) > 30).sum())
    print(f"density contours changed {changed} pixels")
    assert changed > 200

    # The address names the clusters; opened elsewhere, it shows them again, coloured and named.
    page.wait_for_function("() => new URLSearchParams(location.search).get('clusters') !== null")
    job = page.evaluate("window.__projector.store.get().clusters.job")
    url = page.url
    assert f"clusters={job}" in url and "colorBy=cluster" in url
    other = browser.new_page(viewport={"width": 1280, "height": 800})
    watch_page(other, page_errors)  # its console errors fail the test too
    try:
        other.goto(url)
        other.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=FIRST_VIEW_TIMEOUT_MS)
        other.wait_for_function(CLUSTERS_DONE, timeout=30_000)
        expect(other.locator("#color-by")).to_have_value("cluster")
        expect(other.locator("#legend .legend-item")).to_have_count(3)
        assert sorted(other.locator(".cluster-label").all_text_contents()) == names
        wait_settled(other)
        assert check_labels_at_centres(other, 3) >= 1  # the shared camera: zoomed in
    finally:
        other.close()
