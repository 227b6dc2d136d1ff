"""Public mode in the page: a shared view of an unlisted dataset opens without a token; a write
needs one, entered in the top bar's Token field, kept for the tab only and never put in the URL.
A server without a write token shows no Token field at all."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import open_projector
from tests.browser.share_helpers import PROJECTION_POST, fresh_page, wait_ready
from tests.browser.story_data import N, StoryData
from tests.test_api_projections import wait_done
from tests.conftest import LiveServer, run_server

TOKEN = "browser-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with a write token."""
    with run_server(tmp_path_factory.mktemp("token") / "data", {"PROJECTOR_WRITE_TOKEN": TOKEN}) as server:
        yield server


def shared_private_view(server: LiveServer, story: StoryData) -> tuple[str, str]:
    """Upload a private dataset, run its PCA and share a view of it (all with the token): (dataset, link)."""
    with server.client(headers=AUTH) as c:
        made = c.post("/api/datasets", data={"name": "private-story"},
                      files={"vectors": ("v.tsv", story.vectors_tsv), "metadata": ("m.tsv", story.metadata_tsv)})
        assert made.status_code == 201, made.text
        dataset = made.json()["id"]
        job = c.post(f"/api/datasets/{dataset}/projections", json={"method": "pca", "params": {"components": 10}}).json()
        job = wait_done(c, job["id"])  # follows the job's event stream until it ends
        assert job["status"] == "done", job
        view = {"dataset": dataset, "projection": {"method": "pca", "job": job["id"], "components": [0, 1, 2]},
                "colorBy": "category"}
        shared = c.post("/api/views", json=view)
        assert shared.status_code == 201, shared.text
    assert dataset not in [d["id"] for d in httpx.get(f"{server.url}/api/datasets").json()]
    return dataset, shared.json()["url"]


def test_a_shared_view_needs_no_token_and_writes_take_the_tabs_token(
    browser: Browser, token_server: LiveServer, story: StoryData
) -> None:
    dataset, link = shared_private_view(token_server, story)
    with fresh_page(browser) as (page, errors):
        errors.allow(r"status of 401")  # the write tried before the token is entered
        sent: list[tuple[str, str | None]] = []
        page.on("request", lambda r: sent.append((r.url, r.headers.get("authorization"))))
        page.goto(link)
        wait_ready(page)
        expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points")
        expect(page.locator("#dataset-select")).to_have_value(dataset)
        expect(page.locator("#color-by")).to_have_value("category")
        expect(page.locator("#token-button")).to_be_visible()  # /api/status: this server has a token
        expect(page.locator("#token-button")).to_have_text("Token")
        assert all(auth is None for _, auth in sent)

        # A write without the token: the server's 401, with a pointer to the Token field.
        page.fill("#search-input", "orange")
        page.press("#search-input", "Enter")
        page.locator("#match-list li").first.click()
        expect(page.locator("#neighbor-list li")).to_have_count(100)
        page.click("#isolate-button")
        expect(page.locator("#error-text")).to_contain_text("write token")
        expect(page.locator("#error-text")).to_contain_text("“Token” in the top bar")

        page.click("#token-button")
        expect(page.locator("#token-popover")).to_be_visible()
        page.fill("#token-input", TOKEN)
        page.press("#token-input", "Enter")
        expect(page.locator("#token-popover")).to_be_hidden()
        expect(page.locator("#token-button")).to_have_text("Token ✓")
        page.click("#error-dismiss")
        sent.clear()
        with page.expect_request(lambda r: r.method == "POST" and bool(PROJECTION_POST.search(r.url))) as posted:
            page.click("#isolate-button")
        assert posted.value.headers.get("authorization") == f"Bearer {TOKEN}"
        expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
        wait_ready(page)
        assert all(auth == f"Bearer {TOKEN}" for url, auth in sent if "/api/" in url)
        assert TOKEN not in page.url
        assert page.evaluate("sessionStorage.getItem('projector-write-token')") == TOKEN
        # The token holder's list shows the private dataset too.
        expect(page.locator(f"#dataset-select option[value='{dataset}']")).to_have_count(1)

        page.reload()  # the same tab keeps it
        wait_ready(page)
        expect(page.locator("#token-button")).to_have_text("Token ✓")
        page.click("#token-button")
        page.click("#token-clear")
        expect(page.locator("#token-button")).to_have_text("Token")
        assert page.evaluate("sessionStorage.getItem('projector-write-token')") is None

    with fresh_page(browser) as (other, _errors):  # another browser never had it
        other.goto(link)
        wait_ready(other)
        expect(other.locator("#token-button")).to_have_text("Token")


def test_a_server_without_a_write_token_shows_no_token_button(page, live_server, dataset_id: str) -> None:
    with page.expect_response(lambda r: r.url.endswith("/api/status")) as status:
        open_projector(page, live_server.url, dataset_id)
    assert status.value.json()["write_token"] is False
    expect(page.locator("#token-button")).to_be_hidden()
    expect(page.locator("#share-button")).to_be_visible()
