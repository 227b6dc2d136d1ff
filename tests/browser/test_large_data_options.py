"""The t-SNE and UMAP tabs' options for large, wide data: "PCA first" (what auto does to this dataset,
said under the field, and the value sent, which the job ran with and is keyed by) and "Fit on a
sample of" N rows (sent, refused below 100, and every point drawn once the rest is placed)."""

from __future__ import annotations

import io
import re

import numpy as np
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.datagen import clustered

PROJECTIONS = re.compile(r"/api/datasets/[^/]+/projections$")


def upload(live_server, dim: int) -> str:
    buffer = io.BytesIO()
    np.save(buffer, clustered(150, dim, seed=dim)[0].astype(np.float32))
    with live_server.client() as client:
        r = client.post("/api/datasets", files={"vectors": ("v.npy", buffer.getvalue())}, data={"name": f"{dim}-d"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def run(page: Page, method: str) -> dict:
    with page.expect_response(lambda r: r.request.method == "POST" and bool(PROJECTIONS.search(r.url))) as answer:
        page.click(f"#{method}-run")
    assert answer.value.ok, answer.value.text()
    return {"sent": answer.value.request.post_data_json["params"], "job": answer.value.json()}


def test_pca_first_says_what_it_does_and_sends_it(page: Page, live_server, page_errors) -> None:
    page_errors.allow(r"status of 404")  # a snapshot asked for as a short run ends (as in test_tsne_tab)
    wide = upload(live_server, 120)
    open_projector(page, live_server.url, wide)
    page.click("#tab-tsne")
    hint = page.locator("#tsne-pca-hint")
    expect(hint).to_have_text("auto: 120 dimensions → 50 principal components, then the layout")
    page.fill("#tsne-iterations", "50")
    page.fill("#tsne-perplexity", "10")
    auto = run(page, "tsne")
    assert auto["sent"]["pca_dims"] is None and auto["job"]["params"]["pca_dims"] == 50
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=120_000)

    page.fill("#tsne-pca-dims", "8")
    expect(hint).to_have_text("120 dimensions → 8 principal components, then the layout")
    eight = run(page, "tsne")
    assert eight["sent"]["pca_dims"] == 8 and eight["job"]["params"]["pca_dims"] == 8
    assert eight["job"]["id"] != auto["job"]["id"]
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=120_000)

    page.fill("#tsne-pca-dims", "0")
    expect(hint).to_have_text("off, the layout uses all 120 dimensions")
    page.fill("#tsne-pca-dims", "900")
    page.click("#tsne-run")
    expect(page.locator("#tsne-runbox")).to_contain_text("PCA first: enter 0 (off) to 512 components")

    narrow = upload(live_server, 30)
    open_projector(page, live_server.url, narrow)
    page.click("#tab-umap")
    expect(page.locator("#umap-pca-hint")).to_have_text("auto: off, the layout uses all 30 dimensions")


def test_fit_on_a_sample_places_every_point(page: Page, live_server, page_errors) -> None:
    page_errors.allow(r"status of 404")
    dataset = upload(live_server, 40)
    open_projector(page, live_server.url, dataset)
    page.click("#tab-tsne")
    page.fill("#tsne-iterations", "50")
    page.fill("#tsne-perplexity", "10")
    page.fill("#tsne-sample", "50")
    page.click("#tsne-run")
    expect(page.locator("#tsne-runbox")).to_contain_text("Sample: enter at least 100 rows")
    page.fill("#tsne-sample", "100")
    sampled = run(page, "tsne")
    assert sampled["sent"]["sample"] == 100 and sampled["job"]["params"]["sample"] == 100
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=120_000)
    canvas = page.locator("canvas.scatter-canvas")
    expect(canvas).to_have_attribute("data-points", "150")
    expect(page.locator("#status-line")).to_contain_text("Points: 150 | Dimension: 40 | t-SNE")
