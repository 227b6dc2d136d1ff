"""Back / Forward: every meaningful change (colour, search and selection, isolate, dataset, 2D/3D,
neighbour settings) is a history entry; camera moves are not; popstate restores the entry's state."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.share_helpers import query, select_orange_and_isolate, turn_camera, wait_query, wait_ready
from tests.browser.story_data import N, ORANGE, StoryData


def upload_copy(live_server, story: StoryData, name: str) -> str:
    """Another copy of the story dataset (a second dataset to switch to)."""
    with live_server.client() as client:
        answer = client.post(
            "/api/datasets",
            files={"vectors": ("vectors.tsv", story.vectors_tsv), "metadata": ("metadata.tsv", story.metadata_tsv)},
            data={"name": name},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def selection(page: Page) -> list[int]:
    return page.evaluate("[...window.__projector.store.get().selection]")


def test_back_and_forward_step_through_view_changes(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    other = upload_copy(live_server, story, "history-other")
    open_projector(page, live_server.url, dataset_id)
    wait_query(page, dataset=dataset_id, colorBy=None)
    start = page.evaluate("history.length")

    page.select_option("#color-by", "category")  # step 1
    wait_query(page, colorBy="category")
    select_orange_and_isolate(page)  # steps 2 (search + selection) and 3 (isolate)
    wait_query(page, selection=str(ORANGE), search="orange")
    page.wait_for_function("() => new URLSearchParams(location.search).get('isolated')?.split(',').length === 101")
    turn_camera(page)  # no step: the camera replaces the entry
    page.click("#dims-toggle button[data-mode='2d']")  # step 4
    wait_query(page, dimensions="2")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    page.select_option("#dataset-select", other)  # step 5
    wait_ready(page)
    wait_query(page, dataset=other, colorBy=None, isolated=None)
    assert page.evaluate("history.length") == start + 5
    expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points")

    page.go_back()  # before the dataset change: isolated 2-D view of the first dataset
    wait_query(page, dataset=dataset_id, dimensions="2")
    wait_ready(page)
    expect(page.locator("#dataset-select")).to_have_value(dataset_id)
    expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
    expect(page.locator("#color-by")).to_have_value("category")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    expect(page.locator("#search-input")).to_have_value("orange")
    assert selection(page) == [ORANGE]

    page.go_back()  # 3-D again, with the turned camera
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "3d")
    wait_query(page, dimensions="3")
    expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")

    page.go_back()  # before isolating
    expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points")
    expect(page.locator("#color-by")).to_have_value("category")
    assert selection(page) == [ORANGE]
    assert "isolated" not in query(page)

    page.go_back()  # before the search
    expect(page.locator("#search-input")).to_have_value("")
    expect(page.locator("#color-by")).to_have_value("category")
    page.wait_for_function("() => window.__projector.store.get().selection.length === 0")

    page.go_back()  # before colouring
    expect(page.locator("#color-by")).to_have_value("")
    expect(page.locator("#legend")).to_have_attribute("data-kind", "none")

    page.go_forward()
    expect(page.locator("#color-by")).to_have_value("category")
    expect(page.locator("#legend .legend-item")).to_have_count(4)
    page.go_forward()
    expect(page.locator("#search-input")).to_have_value("orange")
    page.go_forward()
    expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
    page.go_forward()
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    page.go_forward()
    wait_query(page, dataset=other)
    wait_ready(page)
    expect(page.locator("#dataset-select")).to_have_value(other)
    expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points")
    expect(page.locator("#color-by")).to_have_value("")
    # Walking the history added no entries of its own.
    assert page.evaluate("history.length") == start + 5


def test_neighbour_settings_and_labels_are_steps_too(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.fill("#search-input", "orange")
    page.press("#search-input", "Enter")
    page.locator("#match-list li").first.click()
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    page.select_option("#neighbor-metric", "euclidean")
    wait_query(page, metric="euclidean")
    page.fill("#neighbor-count", "20")
    page.press("#neighbor-count", "Enter")
    page.locator("#neighbor-count").blur()  # a focused field is never rewritten under the user's fingers
    wait_query(page, neighbors="20")
    expect(page.locator("#neighbor-list li")).to_have_count(20)
    page.select_option("#label-by", "category")
    wait_query(page, labelBy="category")

    page.go_back()
    expect(page.locator("#label-by")).to_have_value("word")
    page.go_back()
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    expect(page.locator("#neighbor-count")).to_have_value("100")
    expect(page.locator("#neighbor-metric")).to_have_value("euclidean")
    page.go_back()
    expect(page.locator("#neighbor-metric")).to_have_value("cosine")
    expect(page.locator("#neighbor-status")).to_have_text("100 nearest (cosine)")
    page.go_forward()
    page.go_forward()
    expect(page.locator("#neighbor-list li")).to_have_count(20)
    expect(page.locator("#neighbor-status")).to_have_text("20 nearest (euclidean)")
