"""The status line under the map: "Points: N | Dimension: D | <projection> <2D|3D>", with
"N of M" once a subset is isolated."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.label_helpers import CLUSTER, DIM, SPREAD, select_centre_with_neighbors, upload_cluster_dataset
from tests.browser.projection_helpers import FIRST_RUN_TIMEOUT_MS

TOTAL = CLUSTER + SPREAD


def test_status_line_follows_points_dimension_and_projection(page: Page, live_server) -> None:
    dataset, _ = upload_cluster_dataset(live_server.url, "status-line")
    open_projector(page, live_server.url, dataset)
    line = page.locator("#status-line")
    expect(line).to_be_visible()
    expect(line).to_have_text(f"Points: {TOTAL} | Dimension: {DIM} | PCA 3D")

    page.click("#dims-toggle button[data-mode='2d']")
    expect(line).to_have_text(f"Points: {TOTAL} | Dimension: {DIM} | PCA 2D")

    # Isolate the centre point and its 20 neighbours.
    select_centre_with_neighbors(page, 20)
    page.click("#isolate-button")
    expect(line).to_have_text(f"Points: {CLUSTER} of {TOTAL} | Dimension: {DIM} | PCA 2D", timeout=FIRST_RUN_TIMEOUT_MS)
    page.click("#dims-toggle button[data-mode='3d']")
    expect(line).to_have_text(f"Points: {CLUSTER} of {TOTAL} | Dimension: {DIM} | PCA 3D")

    # Back to all points, then another projection: a Custom layout (2D).
    page.click("#show-all-button")
    expect(line).to_have_text(f"Points: {TOTAL} | Dimension: {DIM} | PCA 3D", timeout=FIRST_RUN_TIMEOUT_MS)
    page.click("#tab-custom")
    page.fill("#custom-left", "near")
    page.fill("#custom-right", "far")
    page.press("#custom-right", "Enter")
    expect(page.locator("#custom-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
    expect(line).to_have_text(f"Points: {TOTAL} | Dimension: {DIM} | Custom 2D")


