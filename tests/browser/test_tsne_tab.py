"""The t-SNE tab: a run with live progress and moving points, Stop and Run again, t-SNE of isolated
rows, switching tabs between results, and the server's 422 next to Run."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import (
    FIRST_RUN_TIMEOUT_MS,
    iteration,
    position,
    shown_method,
    wait_iteration_above,
    wait_settled,
)
from tests.browser.story_data import N, ORANGE
from tests.conftest import run_server

PROJECTIONS = re.compile(r"/api/datasets/[^/]+/projections$")


def is_projection_post(message) -> bool:
    """A request (or a response's request) that starts a projection job."""
    request = getattr(message, "request", message)
    return request.method == "POST" and bool(PROJECTIONS.search(request.url))


def test_tsne_run_shows_progress_moves_points_and_stops(page: Page, live_server, dataset_id: str, page_errors) -> None:
    # A snapshot request can cross the job's end (the server then has none to give): a 404 the
    # page ignores, but which the browser logs.
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-tsne")
    box = page.locator("#tsne-runbox")
    expect(box).to_have_attribute("data-state", "idle")
    expect(page.locator("#tsne-state")).to_have_text(f"Press Run to lay out these {N} points with t-SNE.")
    page.fill("#tsne-perplexity", "10")
    page.fill("#tsne-iterations", "10000")

    with page.expect_request(is_projection_post) as posted:
        page.click("#tsne-run")
    body = posted.value.post_data_json
    assert body["method"] == "tsne" and body["rows"] is None
    assert body["params"] == {"dimensions": 2, "perplexity": 10, "learning_rate": "auto", "iterations": 10000, "seed": 0,
                              "pca_dims": None}
    expect(page.locator("#tsne-run")).to_be_disabled()

    first = wait_iteration_above(page, 0)
    assert shown_method(page) == "tsne"
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    before = position(page, ORANGE)
    second = wait_iteration_above(page, first)
    assert second > first
    page.wait_for_function(
        """([row, x, y]) => {
            const p = window.__projector.screenPositionOf(row);
            return p && Math.abs(p.x - x) + Math.abs(p.y - y) > 1;
        }""",
        arg=[ORANGE, before["x"], before["y"]],
    )
    expect(page.locator("#tsne-counter")).to_have_text(re.compile(r"^Iteration \d+ / 10000$"))
    expect(page.locator("#tsne-kl")).to_have_text(re.compile(r"^KL \d+\.\d{3}$"))
    expect(page.locator("#tsne-elapsed")).to_have_text(re.compile(r"^\d+\.\d s$"))
    assert int(page.locator("#tsne-progress").get_attribute("aria-valuenow")) >= 0

    page.click("#tsne-stop")
    expect(box).to_have_attribute("data-state", "cancelled")
    expect(page.locator("#tsne-state")).to_have_text("Stopped")
    expect(page.locator("#tsne-run")).to_be_enabled()
    expect(page.locator("#tsne-stop")).to_be_disabled()
    job = page.evaluate("Object.values(window.__projector.store.get().runs).find(r => r.meta.method === 'tsne').job.id")
    server = httpx.get(f"{live_server.url}/api/projections/{job}").json()
    assert server["status"] == "cancelled", server
    # The counter settles on the iteration the worker had reached: the page shows "cancelled" at
    # once, and the answer to its DELETE may then bring iterations the event stream had not yet.
    stopped_at = server["info"]["iteration"]
    assert 0 < stopped_at < 10000
    expect(page.locator("#tsne-counter")).to_have_text(f"Iteration {stopped_at} / 10000")
    # The page stays responsive and the counter stays put: a neighbour look-up round trip later ...
    page.fill("#search-input", "orange")
    page.locator("#match-list li").first.click()
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    assert iteration(page) == stopped_at
    assert shown_method(page) == "tsne"  # ... and the last snapshot stays on screen

    # Run again: a cancelled job is never cached, so a fresh run starts and advances.
    page.click("#tsne-run")
    expect(page.locator("#tsne-stop")).to_be_enabled()
    wait_iteration_above(page, 0)
    expect(box).to_have_attribute("data-state", "running")
    page.click("#tsne-stop")
    expect(box).to_have_attribute("data-state", "cancelled")


def test_tsne_on_isolated_rows(page: Page, live_server, dataset_id: str, page_errors) -> None:
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, dataset_id)
    page.fill("#search-input", "orange")
    page.locator("#match-list li").first.click()
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    page.click("#isolate-button")
    expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
    isolated = page.evaluate("window.__projector.store.get().isolated")
    assert len(isolated) == 101 and ORANGE in isolated

    page.click("#tab-tsne")
    expect(page.locator("#tsne-state")).to_have_text("Press Run to lay out these 101 points with t-SNE.")
    page.fill("#tsne-iterations", "250")
    with page.expect_request(is_projection_post) as posted:
        page.click("#tsne-run")
    body = posted.value.post_data_json
    assert body["method"] == "tsne"
    assert sorted(body["rows"]) == sorted(isolated)
    assert body["params"]["perplexity"] == 30  # fits 101 points: at most (101 - 1) / 3

    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
    expect(page.locator("#tsne-counter")).to_have_text("Iteration 250 / 250")
    wait_settled(page)
    coords = page.evaluate("(() => { const c = window.__projector.store.get().coords; return [c.method, c.n, c.d, c.seq]; })()")
    assert coords == ["tsne", 101, 2, "final"]
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", "101")
    expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
    # Selection and labels keep working on the t-SNE layout.
    assert position(page, ORANGE)
    labels = page.eval_on_selector_all(".point-label", "els => els.filter(e => !e.hidden).map(e => e.textContent)")
    assert "orange" in labels


def test_switching_tabs_shows_each_methods_latest_result(page: Page, live_server, dataset_id: str, page_errors) -> None:
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, dataset_id)
    wait_settled(page)
    pca_at = position(page, ORANGE)

    page.click("#tab-tsne")
    page.fill("#tsne-perplexity", "15")
    page.fill("#tsne-iterations", "300")
    page.click("#tsne-run")
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
    wait_settled(page)
    assert page.evaluate("window.__projector.store.get().coords.seq") == "final"
    tsne_at = position(page, ORANGE)
    assert abs(tsne_at["x"] - pca_at["x"]) + abs(tsne_at["y"] - pca_at["y"]) > 2

    page.click("#tab-pca")
    expect(page.locator("#pane-pca")).to_be_visible()
    expect(page.locator("#pane-tsne")).to_be_hidden()
    wait_settled(page)
    assert shown_method(page) == "pca"
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "3d")
    back = position(page, ORANGE)
    assert abs(back["x"] - pca_at["x"]) < 1 and abs(back["y"] - pca_at["y"]) < 1, (back, pca_at)

    page.click("#tab-umap")  # no UMAP yet: the PCA stays and the tab invites Run
    expect(page.locator("#umap-state")).to_have_text(f"Press Run to lay out these {N} points with UMAP.")
    assert shown_method(page) == "pca"

    page.click("#tab-tsne")
    wait_settled(page)
    assert shown_method(page) == "tsne"
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done")
    again = position(page, ORANGE)
    assert abs(again["x"] - tsne_at["x"]) < 1 and abs(again["y"] - tsne_at["y"]) < 1, (again, tsne_at)


def test_a_rejected_parameter_shows_the_servers_message_next_to_run(page: Page, live_server, dataset_id: str, page_errors) -> None:
    page_errors.allow(r"status of 422")
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-tsne")
    page.fill("#tsne-perplexity", "500")
    page.click("#tsne-run")
    error = page.locator("#tsne-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("perplexity")
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "error")
    expect(page.locator("#tsne-run")).to_be_enabled()
    assert shown_method(page) == "pca"

    # A field the page cannot read never reaches the server.
    page.fill("#tsne-perplexity", "30")
    page.fill("#tsne-learning-rate", "fast")
    page.click("#tsne-run")
    expect(error).to_have_text("Learning rate: “fast” is not a number")


def test_a_lost_event_stream_fails_the_run_and_frees_run(page: Page, live_server, dataset_id: str, page_errors) -> None:
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, dataset_id)
    # The progress stream answers 404, as after a server restart that forgot the job.
    page.route(re.compile(r"/api/projections/[^/]+/events$"), lambda route: route.fulfill(status=404, body="gone"))
    page.click("#tab-tsne")
    page.fill("#tsne-iterations", "10000")
    page.fill("#tsne-perplexity", "12")
    with page.expect_response(is_projection_post) as answer:
        page.click("#tsne-run")
    job = answer.value.json()["id"]
    try:
        expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "failed")
        expect(page.locator("#tsne-error")).to_have_text("Lost contact with the projection job; press Run to try again")
        expect(page.locator("#tsne-run")).to_be_enabled()
    finally:
        httpx.delete(f"{live_server.url}/api/projections/{job}")


def test_stop_sends_the_cancel_key_on_a_public_server(page: Page, story, tmp_path, page_errors) -> None:
    # With a write token set, a stranger's Stop needs the cancel key its Run answered (finding 6).
    page_errors.allow(r"status of 404")
    token = "browser-runner-token-0123456789"
    env = {"PROJECTOR_WRITE_TOKEN": token, "PROJECTOR_WARMUP": "false", "PROJECTOR_MAX_TSNE_ITERATIONS": "10000"}
    with run_server(tmp_path / "data", env) as server:
        made = httpx.post(
            f"{server.url}/api/datasets",
            files={"vectors": ("vectors.tsv", story.vectors_tsv), "metadata": ("metadata.tsv", story.metadata_tsv)},
            data={"name": "public story", "public": "true"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert made.status_code == 201, made.text
        open_projector(page, server.url, made.json()["id"])
        page.click("#tab-tsne")
        page.fill("#tsne-iterations", "10000")
        with page.expect_response(is_projection_post) as started:
            page.click("#tsne-run")
        key = started.value.json()["cancel_key"]
        assert key
        wait_iteration_above(page, 0)
        # The response, not just the request: the run box says "cancelled" before the server answers.
        with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
            page.click("#tsne-stop")
        assert deleted.value.request.headers.get("x-cancel-key") == key
        assert deleted.value.request.headers.get("authorization") is None
        assert deleted.value.ok, deleted.value.text()
        expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "cancelled")
        job = page.evaluate("Object.values(window.__projector.store.get().runs).find(r => r.meta.method === 'tsne').job.id")
        assert httpx.get(f"{server.url}/api/projections/{job}").json()["status"] == "cancelled"


def test_a_link_to_an_unfinished_job_follows_it(page: Page, live_server, dataset_id: str, page_errors) -> None:
    """ep.show names its job before it finishes: the page follows that job rather than fall back."""
    page_errors.allow(r"status of 404")
    params = {"dimensions": 2, "perplexity": 12, "learning_rate": "auto", "iterations": 6000, "seed": 3}
    job = httpx.post(f"{live_server.url}/api/datasets/{dataset_id}/projections",
                     json={"method": "tsne", "params": params}, timeout=30).json()
    assert job["status"] in ("queued", "running")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if is_projection_post(r) else None)
    page.goto(f"{live_server.url}/?dataset={dataset_id}&projection=tsne&job={job['id']}")

    box = page.locator("#tsne-runbox")
    expect(box).to_have_attribute("data-state", "running", timeout=FIRST_RUN_TIMEOUT_MS)
    expect(page.locator("#tab-tsne")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tsne-perplexity")).to_have_value("12")  # the job's own parameters
    first = wait_iteration_above(page, 0)
    assert shown_method(page) == "tsne"
    assert wait_iteration_above(page, first) > first
    expect(page.locator("#error-banner")).to_be_hidden()
    page.click("#tsne-stop")
    expect(box).not_to_have_attribute("data-state", "running")
    assert posts == []  # followed the named job, started none
