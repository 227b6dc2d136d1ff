"""The page talks back to Python: a page opened with ?live=ID PUTs its view state to /api/live/ID
(selection, isolated set, search), a plain page never does, an unknown id stops it after the first
404, a local Jupyter origin may frame a server started with LOCAL_FRAME_ANCESTORS (the default
refuses it), and ep.show()'s frame_url reports the selection back as Projector.selection."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page, Response, expect

import embedding_projector as ep
from embedding_projector.security_headers import LOCAL_FRAME_ANCESTORS
from tests.browser.conftest import FIRST_VIEW_TIMEOUT_MS
from tests.browser.share_helpers import query, wait_query, wait_ready
from tests.browser.story_data import N, StoryData
from tests.conftest import LiveServer, free_port, python_api_env, run_server
from tests.datagen import metadata_tsv

ROYALS = {"king": 20, "queen": 45, "prince": 130}
ROYAL_ROWS = sorted(ROYALS.values())
ROYAL_REGEX = "^(king|queen|prince)$"
QUIET_MS = 1500  # several times live_sync.js's 300 ms debounce: long enough for a PUT that was coming


def royal_words(story: StoryData) -> list[str]:
    """The story's words with king, queen and prince at ROYALS' rows."""
    names = list(story.words)
    for word, row in ROYALS.items():
        names[row] = word
    return names


def upload_royals(server: LiveServer, story: StoryData, name: str) -> str:
    """The story vectors with royal words over HTTP; answers the dataset id."""
    names = royal_words(story)
    meta = metadata_tsv([[names[i], story.categories[i]] for i in range(N)], ["word", "category"])
    with server.client() as client:
        answer = client.post("/api/datasets", files={"vectors": ("vectors.tsv", story.vectors_tsv),
                                                     "metadata": ("metadata.tsv", meta)}, data={"name": name})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def new_live(server: LiveServer, dataset: str) -> str:
    """POST /api/live for `dataset`: the id a page reports to."""
    with server.client() as client:
        answer = client.post("/api/live", json={"dataset": dataset})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def live_view(server: LiveServer, live: str) -> dict:
    """GET /api/live/ID: {view, updated, writes}."""
    with server.client() as client:
        answer = client.get(f"/api/live/{live}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def live_put(live: str, wanted: Callable[[dict], bool] = lambda view: True) -> Callable[[Response], bool]:
    """A response predicate: the page's PUT /api/live/LIVE whose body satisfies `wanted`."""
    def check(response: Response) -> bool:
        request = response.request
        return (request.method == "PUT" and request.url.endswith(f"/api/live/{live}")
                and wanted(json.loads(request.post_data or "null") or {}))
    return check


def is_live_request(url: str) -> bool:
    return "/api/live" in url


def search_royals(page: Page) -> None:
    """Type the regex in the search box: its three matches become the selection."""
    page.check("#search-regex")
    page.fill("#search-input", ROYAL_REGEX)
    expect(page.locator("#match-count")).to_have_text("3 matches")
    expect(page.locator("#match-list li")).to_have_text(["king", "queen", "prince"])
    expect(page.locator("#isolate-button")).to_have_text("Isolate 3 points")


def open_live(page: Page, base: str, dataset: str, live: str) -> None:
    """Open ?dataset=&live= and wait for the page's first report of its drawn view."""
    with page.expect_response(live_put(live), timeout=FIRST_VIEW_TIMEOUT_MS) as first:
        page.goto(f"{base}/?dataset={dataset}&live={live}")
    assert first.value.status == 204
    wait_ready(page)


def test_the_page_reports_selection_isolation_and_clearing(page: Page, live_server, story: StoryData) -> None:
    dataset = upload_royals(live_server, story, "live royals")
    live = new_live(live_server, dataset)
    assert live_view(live_server, live)["view"] is None
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(r.post_data) if r.method == "PUT" and is_live_request(r.url) else None)
    open_live(page, live_server.url, dataset, live)
    first = live_view(live_server, live)
    assert first["view"]["dataset"] == dataset and first["view"]["selection"] == [] and first["writes"] >= 1

    with page.expect_response(live_put(live, lambda v: v["selection"] == ROYAL_ROWS)) as put:
        search_royals(page)
    assert put.value.status == 204
    view = live_view(live_server, live)["view"]
    assert view["selection"] == ROYAL_ROWS
    assert view["search"]["query"] == ROYAL_REGEX and view["search"]["regex"] is True
    assert view["isolated"] is None

    with page.expect_response(live_put(live, lambda v: v["isolated"] == ROYAL_ROWS)) as put:
        page.click("#isolate-button")
        expect(page.locator("#showing")).to_have_text(f"Showing 3 of {N} points")
    assert put.value.status == 204
    view = live_view(live_server, live)["view"]
    assert view["isolated"] == ROYAL_ROWS and view["selection"] == ROYAL_ROWS

    page.press("#search-input", "Enter")  # the same search again: the same state, nothing new to report
    page.wait_for_timeout(QUIET_MS)
    with page.expect_response(live_put(live, lambda v: v["selection"] == [])) as put:
        page.click("#clear-button")
        expect(page.locator("#clear-button")).to_be_disabled()
    assert put.value.status == 204
    view = live_view(live_server, live)["view"]
    assert view["selection"] == [] and view["isolated"] == ROYAL_ROWS

    # Each report says something new: an unchanged state is not sent twice.
    assert len(bodies) >= 4 and all(a != b for a, b in zip(bodies, bodies[1:])), bodies

    # url_sync keeps the id in the address, so a reload goes on reporting (the restored view).
    wait_query(page, live=live, isolated=",".join(map(str, ROYAL_ROWS)))
    writes = live_view(live_server, live)["writes"]
    with page.expect_response(live_put(live), timeout=FIRST_VIEW_TIMEOUT_MS) as put:
        page.reload()
    assert put.value.status == 204
    after = live_view(live_server, live)
    assert after["writes"] > writes and after["view"]["isolated"] == ROYAL_ROWS


def test_a_page_without_live_sends_no_live_request(page: Page, live_server, story: StoryData) -> None:
    dataset = upload_royals(live_server, story, "no live")
    live_urls: list[str] = []
    page.on("request", lambda r: live_urls.append(f"{r.method} {r.url}") if is_live_request(r.url) else None)
    page.goto(f"{live_server.url}/?dataset={dataset}")
    wait_ready(page)
    search_royals(page)
    wait_query(page, selection=",".join(map(str, ROYAL_ROWS)))
    page.wait_for_timeout(QUIET_MS)
    assert "live" not in query(page)
    assert live_urls == []


def test_an_unknown_live_id_stops_the_reports_after_the_first_404(page: Page, live_server, story: StoryData,
                                                                  page_errors) -> None:
    page_errors.allow(r"404")  # chromium logs the refused PUT
    dataset = upload_royals(live_server, story, "gone live")
    live = "A" * 22  # the server never made it
    puts: list[int] = []
    page.on("response", lambda r: puts.append(r.status) if live_put(live)(r) else None)
    with page.expect_response(live_put(live), timeout=FIRST_VIEW_TIMEOUT_MS) as first:
        page.goto(f"{live_server.url}/?dataset={dataset}&live={live}")
    assert first.value.status == 404
    wait_ready(page)
    search_royals(page)  # changes that a live page would report
    wait_query(page, selection=",".join(map(str, ROYAL_ROWS)))
    page.click("#clear-button")
    wait_query(page, selection=None)
    page.wait_for_timeout(QUIET_MS)
    assert puts == [404]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files without a log line per request."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def framing_site(folder: Path, frame_src: str) -> Iterator[str]:
    """A second origin (http.server on 127.0.0.1, browsed as localhost) serving a page that frames `frame_src`."""
    (folder / "notebook.html").write_text(
        f'<!doctype html><title>notebook</title><link rel="icon" href="data:,"><h1>a notebook</h1>'
        f'<iframe src="{frame_src}" width="1000" height="700"></iframe>\n', encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(folder))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{site.server_address[1]}/notebook.html"
    finally:
        site.shutdown()
        site.server_close()
        thread.join()


@pytest.fixture(scope="module")
def framable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server that lets local pages frame it, as the one ep.show() starts."""
    env = {"PROJECTOR_WARMUP": "false", "PROJECTOR_FRAME_ANCESTORS": LOCAL_FRAME_ANCESTORS}
    with run_server(tmp_path_factory.mktemp("framable") / "data", env) as server:
        yield server


def test_a_local_page_may_frame_a_server_with_local_frame_ancestors(page: Page, framable_server, story: StoryData,
                                                                    tmp_path: Path) -> None:
    dataset = upload_royals(framable_server, story, "framed")
    with framing_site(tmp_path, f"{framable_server.url}/?dataset={dataset}") as notebook:
        assert urlparse(notebook).netloc != urlparse(framable_server.url).netloc  # two origins
        page.goto(notebook)
        expect(page.locator("h1")).to_have_text("a notebook")
        frame = page.frame_locator("iframe")
        expect(frame.locator("#showing")).to_have_text(f"Showing {N} of {N} points", timeout=FIRST_VIEW_TIMEOUT_MS)
        expect(frame.locator("#search-input")).to_be_visible()


def test_the_default_frame_ancestors_refuse_another_origin(page: Page, live_server, story: StoryData,
                                                           tmp_path: Path, page_errors) -> None:
    page_errors.allow(r"frame-ancestors")  # chromium's "Refused to frame ..." console error
    dataset = upload_royals(live_server, story, "refused")
    with framing_site(tmp_path, f"{live_server.url}/?dataset={dataset}") as notebook:
        page.goto(notebook, wait_until="load")  # the parent's load waits for the frame (its error page too)
        expect(page.locator("h1")).to_have_text("a notebook")
        child = page.main_frame.child_frames[0]
        assert child.locator("#search-input").count() == 0
        assert "Embedding Projector" not in child.content()
        expect(page.frame_locator("iframe").locator("#showing")).to_have_count(0)


@pytest.fixture
def python_session(tmp_path: Path) -> Iterator[Path]:
    """ep.show()'s local server in a data folder of its own (stopped after the test), as test_python_api's."""
    with python_api_env(tmp_path / "ep-home", {"PROJECTOR_WORKERS": "1", "PROJECTOR_WARMUP": "false"}) as home:
        yield home


def test_python_reads_back_the_selection_made_in_the_page(page: Page, python_session: Path,
                                                          story: StoryData) -> None:
    words = pd.DataFrame({"word": royal_words(story), "category": story.categories})
    p = ep.show(np.asarray(story.vectors), words, name="read back")
    assert "&live=" in p.frame_url
    assert p.view() is None and p.selection.tolist() == []
    live = p.frame_url.rsplit("&live=", 1)[1]

    base = p.url.split("/?")[0]
    # At once, as a notebook frame does: the PCA job show() named may not have finished yet.
    page.goto(p.frame_url)
    wait_ready(page)
    expect(page.locator("#error-banner")).to_be_hidden()
    with page.expect_response(live_put(live, lambda v: v["selection"] == ROYAL_ROWS)) as put:
        search_royals(page)
    assert put.value.status == 204
    assert p.selection.tolist() == ROYAL_ROWS
    assert p.selection.dtype == np.int64
    view = p.view()
    assert view["dataset"] == p.dataset and view["search"]["query"] == ROYAL_REGEX
    assert httpx.get(f"{base}/api/live/{live}", timeout=30).json()["view"]["selection"] == ROYAL_ROWS

    # Tagging the selection in the page: the view names the edit, and p.metadata() has the tag.
    with page.expect_response(live_put(live, lambda v: v.get("editVersion") == 1)) as tagged:
        page.fill("#tag-column", "picked")
        page.fill("#tag-value", "royal")
        page.click("#tag-button")
        expect(page.locator("#edit-message")).to_contain_text("Tagged 3 points")
    assert tagged.value.status == 204 and p.view()["editVersion"] == 1
    table = p.metadata()
    assert list(table.columns) == ["word", "category", "picked"] and len(table) == N
    assert sorted(np.flatnonzero(table["picked"] == "royal").tolist()) == ROYAL_ROWS
    assert table["word"].iloc[ROYAL_ROWS].tolist() == ["king", "queen", "prince"]
    assert "picked" not in p.metadata(version=0).columns
