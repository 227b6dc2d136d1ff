"""Share: the user story's view (isolated neighbours of "orange", a 3-D t-SNE of them, colour, labels,
search, neighbour settings and a turned camera) opens the same in a fresh browser from its link,
with the stored t-SNE coordinates fetched by id, never re-run. The address bar mirrors the state too."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import FIRST_RUN_TIMEOUT_MS
from tests.browser.share_helpers import (
    PROJECTION_POST,
    assert_camera_close,
    fresh_page,
    legend_entries,
    query,
    select_orange_and_isolate,
    turn_camera,
    wait_query,
    wait_ready,
)
from tests.browser.story_data import N, ORANGE

SCREEN = """() => {
    const s = window.__projector.store.get();
    return {
        data: Array.from(s.coords.data), n: s.coords.n, d: s.coords.d, method: s.coords.method,
        job: s.coords.job, rows: s.coords.rows ? Array.from(s.coords.rows) : null,
        selection: [...s.selection], isolated: s.isolated ? [...s.isolated] : null,
    };
}"""


def run_tsne_3d(page: Page) -> None:
    """Run a short 3-D t-SNE on the points in view and wait for its final coordinates on screen."""
    page.click("#tab-tsne")
    page.click("#tsne-dimensions button[data-value='3']")
    page.fill("#tsne-perplexity", "10")
    page.fill("#tsne-iterations", "300")
    page.click("#tsne-run")
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
    page.wait_for_function(
        "() => { const c = window.__projector.store.get().coords; return c && c.method === 'tsne' && c.seq === 'final'; }"
    )
    wait_ready(page)


def inspector_state(page: Page) -> dict:
    """What the panels show: the fields a shared view must bring back."""
    return {
        "showing": page.inner_text("#showing"),
        "colorBy": page.input_value("#color-by"),
        "labelBy": page.input_value("#label-by"),
        "legend": legend_entries(page),
        "search": page.input_value("#search-input"),
        "searchBy": page.input_value("#search-by"),
        "regex": page.is_checked("#search-regex"),
        "neighborCount": page.input_value("#neighbor-count"),
        "metric": page.input_value("#neighbor-metric"),
        "neighbors": page.locator("#neighbor-list li").count(),
        "selected": page.inner_text("#selected-label"),
        "mode": page.get_attribute("canvas.scatter-canvas", "data-mode"),
        "tab": page.get_attribute("#projection-tabs .tab.active", "data-method"),
    }


def test_share_link_reopens_the_same_view_without_recomputing(
    browser: Browser, page: Page, live_server, dataset_id: str, page_errors
) -> None:
    # A snapshot request can cross the t-SNE job's end: a 404 the page ignores but the browser logs.
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, dataset_id)
    select_orange_and_isolate(page)
    run_tsne_3d(page)

    page.select_option("#search-by", "word")  # the search column, explicitly
    page.check("#search-regex")
    page.select_option("#color-by", "category")
    page.select_option("#label-by", "category")
    page.fill("#neighbor-count", "50")
    page.press("#neighbor-count", "Enter")
    page.locator("#neighbor-count").blur()
    page.select_option("#neighbor-metric", "euclidean")
    expect(page.locator("#neighbor-list li")).to_have_count(50)
    expect(page.locator("#neighbor-status")).to_have_text("50 nearest (euclidean)")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "3d")
    wait_query(page, colorBy="category", labelBy="category", neighbors="50", metric="euclidean",
               search="orange", searchColumn="word", regex="1", projection="tsne", dimensions="3")
    camera = turn_camera(page)

    # The address bar alone already names the whole view.
    address = query(page)
    here = page.evaluate(SCREEN)
    assert address["dataset"] == dataset_id
    assert address["job"] == here["job"] and here["method"] == "tsne" and here["d"] == 3 and here["n"] == 101
    assert address["selection"] == str(ORANGE)
    assert [int(r) for r in address["isolated"].split(",")] == here["rows"] == here["isolated"]
    assert len(address["camera"].split(",")) == 7
    shown = inspector_state(page)
    assert shown["showing"] == f"Showing 101 of {N} points"

    page.click("#share-button")
    expect(page.locator("#share-popover")).to_be_visible()
    page.wait_for_function("() => document.getElementById('share-link').value.includes('/v/')")
    link = page.input_value("#share-link")
    assert link.startswith(f"{live_server.url}/v/")
    expect(page.locator("#share-message")).to_have_text("Anyone with this link sees this view:")
    page.click("#share-copy")
    expect(page.locator("#share-copied")).not_to_have_text("")
    stored = httpx.get(f"{live_server.url}/api/views/{link.rsplit('/', 1)[1]}").json()
    assert stored["projection"]["job"] == here["job"] and stored["projection"]["method"] == "tsne"
    assert stored["projection"]["params"]["perplexity"] == 10

    with fresh_page(browser) as (other, _errors):
        starts: list[str] = []
        other.on("request", lambda r: starts.append(r.url) if r.method == "POST" and PROJECTION_POST.search(r.url) else None)
        coords_fetched: list[str] = []
        other.on("request", lambda r: coords_fetched.append(r.url) if r.url.endswith("/coords") else None)
        other.goto(link)
        wait_ready(other)
        expect(other.locator("#neighbor-list li")).to_have_count(50)
        there = other.evaluate(SCREEN)
        assert there == here, "the shared view shows other points or other coordinates"
        assert coords_fetched == [f"{live_server.url}/api/projections/{here['job']}/coords"]
        assert inspector_state(other) == shown
        assert other.evaluate("window.__projector.store.get().coloring.legend.column") == "category"
        assert_camera_close(other.evaluate("window.__projector.camera()"), camera)
        # ... and it keeps following the state: the address switches to the query form.
        wait_query(other, dataset=dataset_id, job=here["job"], colorBy="category")
        assert_camera_close(other.evaluate("window.__projector.camera()"), camera)
        assert starts == [], f"opening a shared view started projection jobs: {starts}"
        expect(other.locator("#tsne-runbox")).to_have_attribute("data-state", "done")
        expect(other.locator("#tsne-perplexity")).to_have_value("10")

    # The query form works as a link too (here in a third browser).
    address_link = page.url
    with fresh_page(browser) as (third, _errors):
        starts = []
        third.on("request", lambda r: starts.append(r.url) if r.method == "POST" and PROJECTION_POST.search(r.url) else None)
        third.goto(address_link)
        wait_ready(third)
        expect(third.locator("#neighbor-list li")).to_have_count(50)
        assert third.evaluate(SCREEN) == here
        assert inspector_state(third) == shown
        assert_camera_close(third.evaluate("window.__projector.camera()"), camera)
        assert starts == []


def test_share_asks_to_wait_while_the_projection_runs(page: Page, live_server, dataset_id: str, page_errors) -> None:
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-tsne")
    page.fill("#tsne-iterations", "10000")
    page.click("#tsne-run")
    page.wait_for_function(
        "() => { const c = window.__projector.store.get().coords; return c && c.method === 'tsne'; }",
        timeout=FIRST_RUN_TIMEOUT_MS,
    )
    before = page.url
    page.click("#share-button")
    expect(page.locator("#share-message")).to_have_text("Wait for the projection to finish, then try again.")
    expect(page.locator("#share-link")).to_be_hidden()
    # While the run's snapshots are on screen, the address keeps the last finished projection.
    assert query(page)["projection"] == "pca" and page.url == before
    page.keyboard.press("Escape")
    expect(page.locator("#share-popover")).to_be_hidden()
    page.click("#tsne-stop")
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "cancelled")


def test_long_state_goes_into_a_stored_view(page: Page, live_server, page_errors) -> None:
    # 3000 points: isolating most of them makes an address far past 8000 characters.
    import numpy as np

    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(3000, 4)).astype(np.float32)
    tsv = "\n".join("\t".join(f"{v:.4f}" for v in row) for row in vectors).encode()
    meta = ("word\tn\n" + "\n".join(f"w{i}\t{i}" for i in range(3000))).encode()
    with live_server.client() as client:
        answer = client.post("/api/datasets", files={"vectors": ("v.tsv", tsv), "metadata": ("m.tsv", meta)},
                             data={"name": "long-state"})
    assert answer.status_code == 201, answer.text
    dataset = answer.json()["id"]
    open_projector(page, live_server.url, dataset)
    page.fill("#search-input", "w1")  # w1, w10..w19, w100..w199, w1000..w1999: 1111 rows
    page.press("#search-input", "Enter")
    expect(page.locator("#match-count")).to_have_text("1111 matches (first 100 shown)")
    page.click("#isolate-button")
    expect(page.locator("#showing")).to_have_text("Showing 1111 of 3000 points")
    wait_ready(page)
    page.wait_for_function("() => new URLSearchParams(location.search).has('view')")
    address = query(page)
    assert "isolated" not in address and "selection" not in address
    assert len(page.url) < 8000
    stored = httpx.get(f"{live_server.url}/api/views/{address['view']}").json()
    assert len(stored["isolated"]) == 1111 and len(stored["selection"]) == 1111
    # Reloading the address restores the same isolated set, under the same stored view: opening a
    # link must not store a copy of its view.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/api/views" in r.url else None)
    page.reload()
    wait_ready(page)
    expect(page.locator("#showing")).to_have_text("Showing 1111 of 3000 points")
    expect(page.locator("#search-input")).to_have_value("w1")
    page.wait_for_load_state("networkidle")
    assert posts == [] and query(page)["view"] == address["view"]
