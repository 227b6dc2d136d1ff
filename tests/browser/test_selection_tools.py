"""Box and lasso selection in screen space (exactly the points drawn inside the shape), Shift adds,
Alt removes, Esc clears, Shift/Ctrl-click toggles, the selection count, and Isolate on a shape."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.story_data import N as STORY_N
from tests.browser.map_tools_helpers import (
    canvas_box, clear_of_points, drag_path, grid_layout, isolated_row, positions, rect, rows_inside,
    selection, switch_to_2d, upload_layout,
)

SIDE = 12
N = SIDE * SIDE


@pytest.fixture
def grid_id(live_server, request: pytest.FixtureRequest) -> str:
    """A 12 x 12 jittered grid in two columns: its 2D PCA is that grid on screen."""
    return upload_layout(live_server.url, grid_layout(SIDE), request.node.name)


def shape_clear_of(at: list, make) -> list[tuple[float, float]]:
    """make() -> polygon; the first copy of it, moved by up to 60 px, whose outline keeps 3 px away from every point."""
    base = make()
    for dx in range(0, 60, 4):
        for dy in range(0, 60, 2):
            poly = [(x + dx, y + dy) for x, y in base]
            if clear_of_points(poly, at):
                return poly
    raise AssertionError("no shape clear of the points")


def count_text(n: int) -> str:
    return f"{n:,} selected"


def test_box_and_lasso_select_exactly_what_is_inside(page: Page, live_server, grid_id: str) -> None:
    open_projector(page, live_server.url, grid_id)
    switch_to_2d(page)
    box = canvas_box(page)
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    at = positions(page, N)
    assert all(p is not None for p in at)

    page.click("#tool-box")
    expect(page.locator("#tool-box")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#tool-orbit")).to_have_attribute("aria-pressed", "false")

    # A plain box replaces the selection, and the camera stays put during the drag.
    first = shape_clear_of(at, lambda: rect(x0 + w * 0.2, y0 + h * 0.25, x0 + w * 0.45, y0 + h * 0.6))
    drag_path(page, [first[0], first[2]])
    want = rows_inside(first, at)
    assert len(want) > 5
    expect(page.locator("#selection-count")).to_have_text(count_text(len(want)))
    assert selection(page) == want
    assert positions(page, N) == at, "a box drag moved the camera"

    # Shift adds a second box.
    second = shape_clear_of(at, lambda: rect(x0 + w * 0.55, y0 + h * 0.3, x0 + w * 0.8, y0 + h * 0.7))
    drag_path(page, [second[2], second[0]], modifier="Shift")  # drawn from the other corner
    want |= rows_inside(second, at)
    expect(page.locator("#selection-count")).to_have_text(count_text(len(want)))
    assert selection(page) == want

    # Alt removes what a lasso (a triangle across both boxes) covers; L switches to the lasso.
    page.keyboard.press("l")
    expect(page.locator("#tool-lasso")).to_have_attribute("aria-pressed", "true")
    tri = shape_clear_of(at, lambda: [(x0 + w * 0.3, y0 + h * 0.2), (x0 + w * 0.7, y0 + h * 0.45), (x0 + w * 0.3, y0 + h * 0.65)])
    drag_path(page, tri, modifier="Alt")
    removed = rows_inside(tri, at)
    assert removed & want and want - removed
    want -= removed
    expect(page.locator("#selection-count")).to_have_text(count_text(len(want)))
    assert selection(page) == want

    # Esc clears (the count empties), unless the focus is in a text field.
    page.keyboard.press("Escape")
    expect(page.locator("#selection-count")).to_have_text("")
    assert selection(page) == set()

    # A concave lasso (a "C") replaces the selection with exactly what is inside it.
    c_shape = shape_clear_of(at, lambda: [
        (x0 + w * 0.15, y0 + h * 0.15), (x0 + w * 0.6, y0 + h * 0.15), (x0 + w * 0.6, y0 + h * 0.35),
        (x0 + w * 0.35, y0 + h * 0.35), (x0 + w * 0.35, y0 + h * 0.6), (x0 + w * 0.6, y0 + h * 0.6),
        (x0 + w * 0.6, y0 + h * 0.8), (x0 + w * 0.15, y0 + h * 0.8),
    ])
    drag_path(page, [*c_shape, c_shape[0]])  # closed by hand: released where it was pressed
    want = rows_inside(c_shape, at)
    hole = rows_inside(rect(x0 + w * 0.4, y0 + h * 0.4, x0 + w * 0.55, y0 + h * 0.55), at)
    assert hole and not (hole & want), "the C's opening must stay unselected"
    expect(page.locator("#selection-count")).to_have_text(count_text(len(want)))
    assert selection(page) == want

    # Keys typed in a field are the field's, not shortcuts (a number field: letters change nothing there).
    page.focus("#label-size")
    page.keyboard.press("b")
    page.keyboard.press("Escape")
    expect(page.locator("#tool-lasso")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#selection-count")).to_have_text(count_text(len(want)))

    # Isolate works on a lasso's selection.
    isolate = page.locator("#isolate-button")
    expect(isolate).to_have_text(f"Isolate {len(want)} points")
    isolate.click()
    expect(page.locator("#showing")).to_have_text(f"Showing {len(want)} of {N} points")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-points", str(len(want)))


def test_3d_box_and_shift_click_toggles(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "3d")
    box = canvas_box(page)
    at = positions(page, STORY_N)

    # Shift-click adds a point, Ctrl-click on it again takes it out (plain click replaces).
    a = isolated_row(at, box, gap=12)
    b = isolated_row(at, box, gap=12, exclude={a})
    page.mouse.click(*at[a])
    expect(page.locator("#selection-count")).to_have_text("1 selected")
    assert selection(page) == {a}
    page.keyboard.down("Shift")
    page.mouse.click(*at[b])
    page.keyboard.up("Shift")
    expect(page.locator("#selection-count")).to_have_text("2 selected")
    assert selection(page) == {a, b}
    page.keyboard.down("Control")
    page.mouse.click(*at[a])
    page.keyboard.up("Control")
    expect(page.locator("#selection-count")).to_have_text("1 selected")
    assert selection(page) == {b}
    assert positions(page, STORY_N) == at, "clicks moved the camera"

    # In 3D, B selects in screen space: whatever is drawn inside the box, at any depth.
    page.keyboard.press("b")
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    # A box over part of the densest cluster, so it catches points at several depths.
    cx, cy = max((p for p in at if p), key=lambda p: sum(1 for q in at if q and abs(q[0] - p[0]) + abs(q[1] - p[1]) < 60))
    shape = shape_clear_of(at, lambda: rect(cx - 70, cy - 50, cx + 10, cy + 30))
    drag_path(page, [shape[0], shape[2]])
    want = rows_inside(shape, at)
    assert len(want) > 10
    expect(page.locator("#selection-count")).to_have_text(count_text(len(want)))
    assert selection(page) == want
    assert positions(page, STORY_N) == at, "a box drag rotated the camera"

    # O gives the drag back to the camera.
    page.keyboard.press("o")
    expect(page.locator("#tool-orbit")).to_have_attribute("aria-pressed", "true")
    drag_path(page, [(x0 + w * 0.5, y0 + h * 0.5), (x0 + w * 0.7, y0 + h * 0.5)])
    assert positions(page, STORY_N) != at, "orbit mode must rotate again"
    assert selection(page) == want
