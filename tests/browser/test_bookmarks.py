"""Bookmarks: save named states, restore one in a click, delete one, keep the list over a reload, and
open the whole list from its "Share list" link in a fresh browser. On a public server, the link only
reads: the owner's browser keeps the edit key, a recipient's sees the list read-only."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import open_projector
from tests.conftest import LiveServer, run_server
from tests.browser.share_helpers import (
    PROJECTION_POST,
    fresh_page,
    query,
    select_orange_and_isolate,
    wait_query,
    wait_ready,
)
from tests.browser.story_data import N, ORANGE, StoryData

TOKEN = "bookmarks-browser-token-0123"


def add_bookmark(page: Page, name: str) -> None:
    """"+ Add", type the name, Save; wait until the list shows it."""
    count = page.locator("#bookmark-list li").count()
    page.click("#bookmark-add")
    expect(page.locator("#bookmark-name")).to_be_focused()
    page.fill("#bookmark-name", name)
    page.press("#bookmark-name", "Enter")
    expect(page.locator("#bookmark-list li")).to_have_count(count + 1)
    expect(page.locator("#bookmark-form")).to_be_hidden()


def names(page: Page) -> list[str]:
    return page.locator("#bookmark-list .bookmark-name").all_text_contents()


def test_bookmarks_save_restore_delete_and_share(browser: Browser, page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    expect(page.locator("#bookmarks-empty")).to_be_visible()
    expect(page.locator("#bookmarks-share")).to_be_disabled()

    page.select_option("#color-by", "category")
    wait_query(page, colorBy="category")
    add_bookmark(page, "Coloured")
    collection = page.evaluate("window.__projector.store.get().bookmarks.collection")
    assert collection
    wait_query(page, bookmarks=collection)

    select_orange_and_isolate(page)
    page.select_option("#color-by", "score")
    wait_query(page, colorBy="score")
    add_bookmark(page, "Orange neighbours")
    assert names(page) == ["Coloured", "Orange neighbours"]
    expect(page.locator("#bookmarks-count")).to_have_text("2")

    page.locator("#bookmark-list .bookmark-restore").nth(0).click()  # restore the first
    expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points")
    expect(page.locator("#color-by")).to_have_value("category")
    expect(page.locator("#search-input")).to_have_value("")
    wait_query(page, colorBy="category", isolated=None, selection=None, bookmarks=collection)
    assert page.evaluate("window.__projector.store.get().selection.length") == 0

    page.go_back()  # restoring a bookmark is a step of its own
    expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
    expect(page.locator("#color-by")).to_have_value("score")
    page.locator("#bookmark-list .bookmark-restore").nth(1).click()
    expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
    expect(page.locator("#color-by")).to_have_value("score")

    page.locator("#bookmark-list li").nth(0).locator(".bookmark-delete").click()  # delete one
    expect(page.locator("#bookmark-list li")).to_have_count(1)
    assert names(page) == ["Orange neighbours"]
    with live_server.client() as client:
        assert [b["name"] for b in client.get(f"/api/bookmarks/{collection}").json()] == ["Orange neighbours"]

    # The list survives a reload (address and localStorage) ...
    page.goto(f"{live_server.url}/?dataset={dataset_id}")
    wait_ready(page)
    expect(page.locator("#bookmark-list li")).to_have_count(1)
    wait_query(page, bookmarks=collection)

    # ... and "Share list" gives a link that opens it in a fresh browser.
    page.click("#bookmarks-share")
    expect(page.locator("#bookmarks-link")).to_be_visible()
    link = page.input_value("#bookmarks-link")
    assert link == f"{live_server.url}/?bookmarks={collection}"
    page.click("#bookmarks-copy")
    with fresh_page(browser) as (other, _errors):
        starts: list[str] = []
        other.on("request", lambda r: starts.append(r.url) if r.method == "POST" and PROJECTION_POST.search(r.url) else None)
        other.goto(link)
        wait_ready(other)
        expect(other.locator("#bookmark-list li")).to_have_count(1)
        assert names(other) == ["Orange neighbours"]
        expect(other.locator("#dataset-select")).to_have_value(dataset_id)
        wait_query(other, bookmarks=collection, dataset=dataset_id)
        starts.clear()
        other.locator("#bookmark-list .bookmark-restore").first.click()
        expect(other.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
        expect(other.locator("#color-by")).to_have_value("score")
        wait_ready(other)
        assert other.evaluate("[...window.__projector.store.get().selection]") == [ORANGE]
        assert starts == [], "restoring a bookmark re-ran its projection"
        assert query(other)["bookmarks"] == collection


def test_bookmark_needs_a_name_and_a_finished_projection(page: Page, live_server, dataset_id: str, page_errors) -> None:
    page_errors.allow(r"status of 404")
    open_projector(page, live_server.url, dataset_id)
    page.click("#bookmark-add")
    page.fill("#bookmark-name", "   ")
    page.click("#bookmark-save")
    expect(page.locator("#bookmarks-message")).to_have_text("Give the bookmark a name.")
    page.click("#tab-tsne")
    page.fill("#tsne-iterations", "10000")
    page.click("#tsne-run")
    page.wait_for_function("() => window.__projector.store.get().coords?.method === 'tsne'", timeout=120_000)
    page.fill("#bookmark-name", "While running")
    page.click("#bookmark-save")
    expect(page.locator("#bookmarks-message")).to_have_text("Wait for the projection to finish, then try again.")
    expect(page.locator("#bookmark-list li")).to_have_count(0)
    page.click("#bookmark-cancel")
    expect(page.locator("#bookmark-form")).to_be_hidden()
    expect(page.locator("#bookmarks-message")).to_be_hidden()
    page.click("#tsne-stop")
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "cancelled")


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server in public mode: a write token is set, and the browsers below never send it."""
    env = {"PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_WARMUP": "false"}
    with run_server(tmp_path_factory.mktemp("public") / "data", env) as server:
        yield server


@pytest.fixture(scope="module")
def public_dataset(public_server: LiveServer, story: StoryData) -> str:
    """The story dataset, uploaded with the token as public: strangers may open and project it."""
    with httpx.Client(base_url=public_server.url, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        r = c.post(
            "/api/datasets",
            files={"vectors": ("vectors.tsv", story.vectors_tsv), "metadata": ("metadata.tsv", story.metadata_tsv)},
            data={"name": "public story", "public": "true"},
        )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_shared_list_is_read_only_without_its_edit_key(
    browser: Browser, page: Page, public_server: LiveServer, public_dataset: str
) -> None:
    url = public_server.url
    open_projector(page, url, public_dataset)
    add_bookmark(page, "Everything")
    page.select_option("#color-by", "category")
    wait_query(page, colorBy="category")
    add_bookmark(page, "Coloured")
    add_bookmark(page, "Spare")
    collection = page.evaluate("window.__projector.store.get().bookmarks.collection")
    key = page.evaluate("(c) => localStorage.getItem('projector-bookmark-key:' + c)", collection)
    assert key and len(key) >= 32, "the page did not keep the edit key"
    assert key not in page.url

    # The owner deletes, and after a reload still may: the key is sent from localStorage.
    page.locator("#bookmark-list li").nth(2).locator(".bookmark-delete").click()
    expect(page.locator("#bookmark-list li")).to_have_count(2)
    page.goto(f"{url}/?dataset={public_dataset}&bookmarks={collection}")
    wait_ready(page)
    expect(page.locator("#bookmark-list li")).to_have_count(2)
    expect(page.locator("#bookmarks-readonly")).to_be_hidden()
    expect(page.locator("#bookmark-add")).to_be_enabled()
    expect(page.locator("#bookmark-list .bookmark-delete")).to_have_count(2)

    with fresh_page(browser) as (other, errors):
        errors.allow(r"status of 401")
        other.goto(f"{url}/?bookmarks={collection}")
        wait_ready(other)
        expect(other.locator("#bookmark-list li")).to_have_count(2)
        assert names(other) == ["Everything", "Coloured"]
        # Read-only: a line says so, no × to click, "+ Add" disabled.
        expect(other.locator("#bookmarks-readonly")).to_be_visible()
        expect(other.locator("#bookmarks-readonly")).to_contain_text("read-only")
        expect(other.locator("#bookmark-list .bookmark-delete")).to_have_count(0)
        expect(other.locator("#bookmark-add")).to_be_disabled()
        # Restoring still works.
        other.locator("#bookmark-list .bookmark-restore").nth(1).click()
        expect(other.locator("#color-by")).to_have_value("category")
        # And a delete sent from this browser anyway is refused by the server.
        target = other.evaluate("window.__projector.store.get().bookmarks.items[0].id")
        status = other.evaluate(
            "async ([c, id]) => (await fetch(`/api/bookmarks/${c}/${id}`, {method: 'DELETE'})).status",
            [collection, target],
        )
        assert status == 401
        other.reload()
        wait_ready(other)
        expect(other.locator("#bookmark-list li")).to_have_count(2)

    with httpx.Client(base_url=url, timeout=60) as client:
        assert [b["name"] for b in client.get(f"/api/bookmarks/{collection}").json()] == ["Everything", "Coloured"]
