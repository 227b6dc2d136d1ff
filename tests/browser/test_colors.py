"""Colour that says more: the legend (numeric order, click selects, 50 colours + "other"), the
numeric colour bar (ticks, diverging around 0, the categorical checkbox), and the selected point's
and its neighbours' colours with the neighbour list's distance bars."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.color_data import CENTRE, DIGIT_COUNTS, N, ColorData, canvas_image, color_data, upload_color_dataset
from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import wait_settled

PIXEL_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def grid() -> ColorData:
    return color_data()


@pytest.fixture
def grid_dataset(live_server, grid: ColorData, request: pytest.FixtureRequest) -> str:
    return upload_color_dataset(live_server.url, grid, request.node.name)


def open_2d(page: Page, base_url: str, dataset: str) -> None:
    open_projector(page, base_url, dataset)
    page.click("#dims-toggle button[data-mode='2d']")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    wait_settled(page)


def legend_values(page: Page) -> list[str]:
    return page.locator("#legend .legend-value").all_text_contents()


def selection(page: Page) -> list[int]:
    return sorted(page.evaluate("window.__projector.store.get().selection"))


def test_legend_orders_numbers_numerically_and_a_click_selects_the_category(page: Page, live_server, grid_dataset: str, grid: ColorData) -> None:
    open_projector(page, live_server.url, grid_dataset)
    option = page.locator("#categorical-option")

    # A numeric column with 13 values: a colour bar, and the checkbox is offered.
    page.select_option("#color-by", "digit")
    expect(page.locator("#legend .colorbar")).to_be_visible()
    expect(option).to_be_visible()
    page.check("#categorical-toggle")
    expect(page.locator("#legend .legend-item")).to_have_count(len(DIGIT_COUNTS))
    assert legend_values(page) == [str(v) for v in range(len(DIGIT_COUNTS))]
    counts = [int(c) for c in page.locator("#legend .legend-count").all_text_contents()]
    assert counts == DIGIT_COUNTS

    # A click selects exactly that category's points; Shift adds one; Alt removes one.
    rows_of = lambda v: sorted(i for i, d in enumerate(grid.digit) if d == v)  # noqa: E731
    isolate = page.locator("#isolate-button")
    page.locator("#legend .legend-item[data-value='10']").click()
    expect(isolate).to_have_text(f"Isolate {DIGIT_COUNTS[10]} points")
    assert selection(page) == rows_of(10)
    page.locator("#legend .legend-item[data-value='2']").click(modifiers=["Shift"])
    expect(isolate).to_have_text(f"Isolate {DIGIT_COUNTS[10] + DIGIT_COUNTS[2]} points")
    assert selection(page) == sorted(rows_of(10) + rows_of(2))
    page.locator("#legend .legend-item[data-value='10']").click(modifiers=["Alt"])
    expect(isolate).to_have_text(f"Isolate {DIGIT_COUNTS[2]} points")
    assert selection(page) == rows_of(2)
    # What the user sees: Isolate shows just those points.
    isolate.click()
    expect(page.locator("#showing")).to_have_text(f"Showing {DIGIT_COUNTS[2]} of {N} points")
    page.click("#show-all-button")
    expect(page.locator("#showing")).to_have_text(f"Showing {N} of {N} points")

    # Unchecked, the same column is a colour bar again.
    page.uncheck("#categorical-toggle")
    expect(page.locator("#legend .colorbar")).to_be_visible()
    expect(page.locator("#legend .legend-item")).to_have_count(0)

    # Both signs: a diverging bar whose 0 tick sits at its centre; many values: no checkbox.
    page.select_option("#color-by", "signed")
    expect(page.locator("#legend .colorbar")).to_have_attribute("data-scale", "diverging")
    expect(option).to_be_hidden()
    ramp = page.locator("#legend .colorbar-ramp").bounding_box()
    zero = page.locator("#legend .colorbar-tick[data-value='0']")
    expect(zero).to_have_text("0")
    tick = zero.bounding_box()
    ramp_centre = ramp["x"] + ramp["width"] / 2
    tick_centre = tick["x"] + tick["width"] / 2
    assert abs(tick_centre - ramp_centre) <= 2, (tick_centre, ramp_centre)
    ticks = [float(t) for t in page.locator("#legend .colorbar-tick").evaluate_all("els => els.map(e => e.dataset.value)")]
    assert len(ticks) >= 3 and min(ticks) < 0 < max(ticks)


def test_thirty_categories_get_thirty_colours_and_seventy_get_fifty_and_other(page: Page, live_server, grid_dataset: str) -> None:
    open_projector(page, live_server.url, grid_dataset)
    swatches = page.locator("#legend .legend-item .swatch")

    page.select_option("#color-by", "cat30")
    expect(page.locator("#legend .legend-item")).to_have_count(30)
    colours = swatches.evaluate_all("els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert len(set(colours)) == 30, colours

    page.select_option("#color-by", "cat70")
    items = page.locator("#legend .legend-item")
    expect(items).to_have_count(51)
    colours = swatches.evaluate_all("els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert len(set(colours[:50])) == 50
    other = items.nth(50)
    expect(other.locator(".legend-value")).to_have_text("other (20 values)")
    counts = [int(c) for c in page.locator("#legend .legend-count").all_text_contents()]
    assert sum(counts) == N
    assert colours[50] not in colours[:50]  # "other" is one grey of its own
    # Clicking "other" selects the rows of the 20 categories without a colour of their own.
    other.click()
    expect(page.locator("#isolate-button")).to_have_text(f"Isolate {counts[50]} points")


def pixel_at(image, box: dict, at: dict) -> tuple[int, int, int]:
    return image.getpixel((round(at["x"] - box["x"]), round(at["y"] - box["y"])))


def far(a: tuple[int, int, int], b: tuple[int, int, int], by: int = 40) -> bool:
    return max(abs(x - y) for x, y in zip(a, b)) >= by


def test_selected_point_and_neighbours_are_coloured_by_distance(page: Page, live_server, grid_dataset: str) -> None:
    open_2d(page, live_server.url, grid_dataset)
    page.fill("#search-input", f"p{CENTRE}")
    expect(page.locator("#match-list li")).to_have_count(1)
    page.locator("#match-list li").first.click()
    expect(page.locator("#selected-label")).to_have_text(f"p{CENTRE}")
    page.select_option("#neighbor-metric", "euclidean")
    page.fill("#neighbor-count", "8")
    page.press("#neighbor-count", "Tab")
    expect(page.locator("#neighbor-status")).to_have_text("8 nearest (euclidean)")
    items = page.locator("#neighbor-list li")
    expect(items).to_have_count(8)

    # Distance bars: one per neighbour, their widths grow with the distance shown beside them.
    rows = items.evaluate_all("els => els.map(e => Number(e.dataset.row))")
    distances = [float(t) for t in page.locator("#neighbor-list .distance").all_text_contents()]
    widths = [b["width"] for b in (bar.bounding_box() for bar in page.locator("#neighbor-list .distance-bar").all())]
    assert len(widths) == 8 and all(w > 0 for w in widths)
    assert distances == sorted(distances) and distances[-1] > distances[0]
    assert all(b >= a - 0.5 for a, b in zip(widths, widths[1:])), widths
    assert widths[-1] > widths[0] + 5, widths

    # The drawn colours (labels and hover hidden, so only the WebGL points are read).
    page.mouse.move(2, 2)
    page.evaluate("document.querySelector('.scatter-overlay').style.visibility = 'hidden'")
    at = {row: page.evaluate("row => window.__projector.screenPositionOf(row)", row) for row in [CENTRE, *rows]}
    assert all(at.values()), at
    deadline = time.monotonic() + PIXEL_TIMEOUT_S
    while True:
        image, box = canvas_image(page)
        selected = pixel_at(image, box, at[CENTRE])
        neighbour = [pixel_at(image, box, at[r]) for r in rows]
        ok = all(far(selected, c) for c in neighbour) and far(neighbour[0], neighbour[-1])
        if ok or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)  # the next frame; the loop ends on the condition or the deadline
    assert all(far(selected, c) for c in neighbour), (selected, neighbour)
    assert far(neighbour[0], neighbour[-1]), (neighbour[0], neighbour[-1])
    # Equal distances, equal colours: the two nearest (both 0.8 away) look alike.
    assert not far(neighbour[0], neighbour[1], by=12), neighbour[:2]
