"""Downloads: the coordinates on screen (TSV, CSV, .npy; with a `row` column for an isolated subset),
the server's 409 message while a run is unfinished, and the selected rows' metadata."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import FIRST_RUN_TIMEOUT_MS, wait_iteration_above
from tests.browser.story_data import N, ORANGE, StoryData

META = ["word", "category", "score"]
COMPONENTS = 10  # PCA of the 16-d story data: the page asks for up to 10 components


def download(page: Page, selector: str) -> tuple[str, bytes]:
    """Click `selector`, wait for the browser's download; its suggested name and bytes."""
    with page.expect_download() as info:
        page.click(selector)
    got = info.value
    return got.suggested_filename, Path(got.path()).read_bytes()


def screen_coords(page: Page) -> np.ndarray:
    """The coordinates on screen (n × d float32) as the page holds them."""
    flat, n, d = page.evaluate("(() => { const c = window.__projector.store.get().coords; return [Array.from(c.data), c.n, c.d]; })()")
    return np.asarray(flat, dtype=np.float32).reshape(n, d)


def check_metadata(rows: list[list[str]], dataset_rows: list[int], story: StoryData) -> None:
    """Each line's word, category and score (the last three fields) are those of its dataset row."""
    assert len(rows) == len(dataset_rows)
    for line, r in zip(rows, dataset_rows, strict=True):
        word, category, score = line[-3:]
        assert word == story.words[r], f"row {r}: {word!r}"
        assert category == story.categories[r]
        assert float(score) == story.scores[r]


def test_download_coordinates_as_tsv_csv_and_npy(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    coords = screen_coords(page)
    assert coords.shape == (N, COMPONENTS)
    expect(page.locator("#download-coords")).to_be_enabled()

    name, body = download(page, "#download-coords")
    assert name.endswith(".tsv")
    lines = body.decode().splitlines()
    header = lines[0].split("\t")
    assert header == [f"pc{i + 1}" for i in range(COMPONENTS)] + META
    table = [line.split("\t") for line in lines[1:]]
    check_metadata(table, list(range(N)), story)
    written = np.asarray([[float(v) for v in line[:COMPONENTS]] for line in table], dtype=np.float32)
    assert np.array_equal(written, coords), "the TSV's coordinates are not those on screen"

    page.select_option("#coords-format", "csv")
    name, body = download(page, "#download-coords")
    assert name.endswith(".csv")
    parsed = list(csv.reader(io.StringIO(body.decode())))
    assert parsed[0] == header
    check_metadata(parsed[1:], list(range(N)), story)  # the markup-like words survive CSV quoting

    page.select_option("#coords-format", "npy")
    name, body = download(page, "#download-coords")
    assert name.endswith(".npy")
    assert np.array_equal(np.load(io.BytesIO(body)), coords)


def test_download_of_an_isolated_subset_names_its_rows(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.fill("#search-input", "orange")
    page.locator("#match-list li").first.click()
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    page.click("#isolate-button")
    page.wait_for_function("() => window.__projector.store.get().coords?.n === 101 && document.body.dataset.state === 'ready'")
    rows = page.evaluate("Array.from(window.__projector.store.get().coords.rows)")
    assert ORANGE in rows

    _, body = download(page, "#download-coords")
    lines = body.decode().splitlines()
    assert lines[0].split("\t") == ["row"] + [f"pc{i + 1}" for i in range(COMPONENTS)] + META
    table = [line.split("\t") for line in lines[1:]]
    assert [int(line[0]) for line in table] == rows
    check_metadata(table, rows, story)


def test_download_while_a_run_is_unfinished_shows_the_server_message(
    page: Page, page_errors, live_server, dataset_id: str
) -> None:
    page_errors.allow(r"status of 409")
    open_projector(page, live_server.url, dataset_id)
    page.click("#tab-tsne")
    page.fill("#tsne-iterations", "10000")
    page.click("#tsne-run")
    wait_iteration_above(page, 0)
    # A snapshot of the running job is on screen: its coordinates are not final yet.
    page.wait_for_function("() => window.__projector.store.get().coords?.method === 'tsne'", timeout=FIRST_RUN_TIMEOUT_MS)
    page.click("#download-coords")
    message = page.locator("#download-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("is running, it has no coordinates yet")
    page.click("#tsne-stop")
    expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "cancelled")


def test_download_selection_metadata(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    button = page.locator("#download-selection")
    expect(button).to_be_disabled()

    # A search selects every match: all of them, in order.
    page.select_option("#search-by", "category")
    page.fill("#search-input", "fruit")
    fruit = [r for r, c in enumerate(story.categories) if c == "fruit"]
    expect(page.locator("#match-count")).to_have_text(f"{len(fruit)} matches")
    expect(button).to_be_enabled()
    name, body = download(page, "#download-selection")
    assert name.endswith(".tsv")
    lines = body.decode().splitlines()
    assert lines[0].split("\t") == META
    check_metadata([line.split("\t") for line in lines[1:]], fruit, story)

    # One clicked point: just that row.
    page.click("#clear-button")
    expect(button).to_be_disabled()
    page.select_option("#search-by", "word")
    page.fill("#search-input", "orange")
    page.locator("#match-list li").first.click()
    expect(page.locator("#selected-label")).to_have_text("orange")
    _, body = download(page, "#download-selection")
    lines = body.decode().splitlines()
    assert lines[0].split("\t") == META
    check_metadata([line.split("\t") for line in lines[1:]], [ORANGE], story)
