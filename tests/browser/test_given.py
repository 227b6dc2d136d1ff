"""Bring your own coordinates in the page: a Parquet with x, y opens on the Given tab and draws exactly
those coordinates (the /coords bytes the page fetched equal the file's); the layout is selectable,
exportable and shared by link; a coordinates-only dataset says its neighbours are in the given space."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from playwright.sync_api import Browser, Page, expect

from embedding_projector.jobs.given_results import store_given
from tests.browser.share_helpers import fresh_page, wait_ready
from tests.datagen import clustered, words

N = 200


def upload(server, files: dict) -> dict:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        answer = client.post("/api/datasets", files=files)
    assert answer.status_code == 201, answer.text
    return answer.json()


def parquet_with_xy() -> tuple[bytes, np.ndarray]:
    vectors = clustered(N, 8)[0]
    coords = np.random.default_rng(7).uniform(-20, 20, size=(N, 2)).astype(np.float32)
    buf = io.BytesIO()
    pq.write_table(pa.table({
        "word": words(N),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 8),
        "x": coords[:, 0], "y": coords[:, 1],
    }), buf)
    return buf.getvalue(), coords


def watch_coords(page: Page) -> list[bytes]:
    """The bodies of every /coords response the page receives, in order."""
    bodies: list[bytes] = []
    page.on("response", lambda r: bodies.append(r.body()) if r.url.endswith("/coords") and r.ok else None)
    return bodies


def projection_posts(page: Page) -> list[str]:
    """The methods of the projections the page asks for."""
    methods: list[str] = []
    page.on("request", lambda r: methods.append(r.post_data_json["method"])
            if r.method == "POST" and r.url.endswith("/projections") else None)
    return methods


def screen_x(page: Page, row: int) -> float:
    return page.evaluate("(row) => window.__projector.screenPositionOf(row).x", row)


def screen_y(page: Page, row: int) -> float:
    return page.evaluate("(row) => window.__projector.screenPositionOf(row).y", row)


def on_given_tab(page: Page) -> None:
    expect(page.locator("#tab-given")).to_be_visible()
    expect(page.locator("#tab-given")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#given-layout")).to_have_value("x,y")
    expect(page.locator("#given-layout option:checked")).to_have_text("x, y (2D)")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    expect(page.locator("#sphereize-toggle")).to_be_disabled()  # given coordinates are not computed
    expect(page.locator("#status-line")).to_have_text(f"Points: {N} | Dimension: 8 | Given 2D")


def test_given_layout_opens_shows_exact_coordinates_exports_and_shares(
    browser: Browser, page: Page, live_server, tmp_path: Path
) -> None:
    body, coords = parquet_with_xy()
    info = upload(live_server, {"vectors": ("layout.parquet", body)})
    fetched = watch_coords(page)
    asked = projection_posts(page)
    page.goto(f"{live_server.url}/?dataset={info['id']}")
    wait_ready(page)
    on_given_tab(page)
    assert asked == ["given"]  # opened on the given layout: no PCA computed
    assert fetched[-1] == coords.astype("<f4").tobytes()
    # Drawn where the file says: the point furthest right (up) in the file is furthest right (up) on screen.
    left, right = int(np.argmin(coords[:, 0])), int(np.argmax(coords[:, 0]))
    low, high = int(np.argmin(coords[:, 1])), int(np.argmax(coords[:, 1]))
    assert screen_x(page, left) < screen_x(page, low) < screen_x(page, right)
    assert screen_y(page, high) < screen_y(page, left) < screen_y(page, low)  # screen y grows downwards
    expect(page.locator("#given-note")).to_have_text("Coordinates as given from the columns x, y, shown in 2D; never recomputed.")

    # Exportable: the coordinate columns are x, y, then the metadata.
    page.select_option("#coords-format", "tsv")
    with page.expect_download() as download:
        page.click("#download-coords")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].split("\t")[:3] == ["x", "y", "word"]
    assert np.array_equal(np.array(lines[1].split("\t")[:2], dtype=np.float32), coords[0])

    # Selectable like any other result: PCA, then back to the kept given layout without a new fetch.
    page.click("#tab-pca")
    page.wait_for_function("() => window.__projector.store.get().coords?.method === 'pca'")
    wait_ready(page)
    expect(page.locator("#tab-given")).to_be_visible()
    count = len(fetched)
    page.click("#tab-given")
    page.wait_for_function("() => window.__projector.store.get().coords?.method === 'given'")
    wait_ready(page)
    on_given_tab(page)
    assert len(fetched) == count

    # Shared: the link opens the given layout in a fresh browser, fetched by id, never recomputed.
    page.click("#share-button")
    page.wait_for_function("() => document.getElementById('share-link').value.includes('/v/')")
    link = page.input_value("#share-link")
    with fresh_page(browser) as (other, _):
        got = watch_coords(other)
        posted = projection_posts(other)
        other.goto(link)
        wait_ready(other)
        on_given_tab(other)
        assert posted == [] and got == [coords.astype("<f4").tobytes()]

    # Isolating on the Given tab shows the given coordinates of those points (no PCA of them).
    page.fill("#search-input", words(N)[5])
    page.press("#search-input", "Enter")
    page.locator("#match-list li").first.click()
    page.locator("#neighbor-count").fill("20")
    page.locator("#neighbor-count").press("Enter")
    expect(page.locator("#neighbor-list li")).to_have_count(20)
    page.click("#isolate-button")
    page.wait_for_function("() => window.__projector.store.get().coords?.rows?.length === 21")
    wait_ready(page)
    rows = page.evaluate("() => Array.from(window.__projector.store.get().coords.rows)")
    assert asked[-1] == "given" and fetched[-1] == coords[rows].astype("<f4").tobytes()
    expect(page.locator("#status-line")).to_have_text(f"Points: 21 of {N} | Dimension: 8 | Given 2D")


def test_coords_only_dataset_has_only_the_given_tab_and_says_where_neighbours_are(page: Page, live_server) -> None:
    coords = np.random.default_rng(3).uniform(-5, 5, size=(N, 2)).astype(np.float32)
    tsv = "label\tx\ty\n" + "".join(f"p{i}\t{x!r}\t{y!r}\n" for i, (x, y) in enumerate(coords.tolist()))
    page.goto(live_server.url)
    wait_ready(page)
    fetched = watch_coords(page)
    asked = projection_posts(page)
    # The Load dialog takes a metadata file alone when it has x, y columns.
    page.click("#load-button")
    page.set_input_files("#upload-metadata", files=[{"name": "points.tsv", "mimeType": "text/tab-separated-values",
                                                      "buffer": tsv.encode()}])
    page.click("#upload-submit")
    expect(page.locator("#upload-dialog")).to_be_hidden()
    page.wait_for_function("() => window.__projector.store.get().coords?.method === 'given'")
    wait_ready(page)
    expect(page.locator("#dataset-info")).to_have_text(f"{N} points × 2 dimensions")
    expect(page.locator("#tab-given")).to_have_attribute("aria-selected", "true")
    for method in ("pca", "tsne", "umap", "custom"):
        expect(page.locator(f"#tab-{method}")).to_be_hidden()
    expect(page.locator("#sphereize-option")).to_be_hidden()  # no vectors to sphereize
    assert asked == ["given"] and fetched == [coords.tobytes()]

    page.fill("#search-input", "p17")
    page.press("#search-input", "Enter")
    page.locator("#match-list li").first.click()
    expect(page.locator("#neighbor-space")).to_have_text(
        "Neighbours are computed in the given 2D space: this dataset has no vectors.")
    expect(page.locator("#neighbor-metric")).to_have_value("euclidean")
    # Its x and y are the layout: the Edit box offers only the other columns.
    assert page.eval_on_selector_all("#edit-column option", "os => os.map(o => o.value)") == ["label"]
    nearest = int(np.argsort(np.linalg.norm(coords - coords[17], axis=1))[1])
    expect(page.locator("#neighbor-list li").first).to_have_attribute("data-row", str(nearest))


def test_a_given_result_of_any_source_restores_by_job_id(page: Page, live_server) -> None:
    # As a TensorBoard bookmark import stores it: a given result whose source is not a column.
    vectors = clustered(N, 4)[0]
    tsv = "".join("\t".join(repr(float(v)) for v in row) + "\n" for row in vectors.tolist())
    info = upload(live_server, {"vectors": ("plain.tsv", tsv.encode())})
    coords = np.random.default_rng(9).normal(size=(N, 3)).astype(np.float32)
    job = store_given(live_server.data_dir / "results", info["id"], info["fingerprint"], coords, "tensorboard:demo")
    # Awaited, not collected by a listener: the page now fetches the result while the metadata loads,
    # and a listener's body() could still be pending when the page is ready.
    with page.expect_response(lambda r: r.url.endswith("/coords")) as fetched:
        page.goto(f"{live_server.url}/?dataset={info['id']}&projection=given&job={job.id}")
    wait_ready(page)
    assert fetched.value.ok and fetched.value.body() == coords.tobytes()
    expect(page.locator("#tab-given")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#given-layout option:checked")).to_have_text("tensorboard:demo (3D)")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "3d")
