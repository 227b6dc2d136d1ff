"""Zoom that separates points (2D dots keep their pixel size), wheel zoom toward the cursor in 2D
and 3D, the point-size control, reset view, fit selection and double-click focus."""

from __future__ import annotations

import math

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.map_tools_helpers import (
    canvas_box, dot_width, drag_path, grid_layout, isolated_row, positions, screenshot, selection,
    switch_to_2d, upload_layout,
)

SIDE = 12
N = SIDE * SIDE

IN_CANVAS = """n => {
  const c = document.querySelector('canvas.scatter-canvas').getBoundingClientRect();
  for (let row = 0; row < n; row++) {
    const p = window.__projector.screenPositionOf(row);
    if (!p || p.x < c.left || p.x > c.right || p.y < c.top || p.y > c.bottom) return false;
  }
  return true;
}"""
# Every point inside the canvas once the camera's glide has ended.
ALL_IN_CANVAS = f"""n => document.querySelector('canvas.scatter-canvas').dataset.camera === 'still' && ({IN_CANVAS})(n)"""
# The pose the page reports (what a shared view carries) matches the camera, after a move settled.
POSE_REPORTED = """() => {
  const pose = window.__projector.store.get().camera.pose, now = window.__projector.camera();
  if (!pose || document.querySelector('canvas.scatter-canvas').dataset.camera !== 'still') return false;
  const near = (a, b) => Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b));
  return near(pose.zoom, now.zoom) && pose.position.every((v, i) => near(v, now.position[i]))
    && pose.target.every((v, i) => near(v, now.target[i]));
}"""


@pytest.fixture
def grid_id(live_server, request: pytest.FixtureRequest) -> str:
    """A 12 x 12 jittered grid in two columns: its 2D PCA is that grid on screen."""
    return upload_layout(live_server.url, grid_layout(SIDE), request.node.name)


def zoom(page: Page) -> float:
    return page.evaluate("() => window.__projector.camera().zoom")


def wheel_at(page: Page, x: float, y: float, clicks: int) -> None:
    """Scroll `clicks` notches at (x, y) (negative = zoom in)."""
    page.mouse.move(x, y)
    for _ in range(abs(clicks)):
        page.mouse.wheel(0, 300 if clicks > 0 else -300)


def test_2d_zoom_separates_points_keeps_dot_size_and_follows_the_cursor(page: Page, live_server, grid_id: str) -> None:
    open_projector(page, live_server.url, grid_id)
    switch_to_2d(page)
    box = canvas_box(page)
    at = positions(page, N)
    row = isolated_row(at, box, gap=20)
    other = min((r for r in range(N) if r != row), key=lambda r: math.dist(at[r], at[row]))
    before_gap = math.dist(at[row], at[other])
    before_width = dot_width(screenshot(page), *at[row])
    assert 4 <= before_width <= 12, before_width

    z0 = zoom(page)
    wheel_at(page, *at[row], clicks=-5)
    page.wait_for_function(f"() => window.__projector.camera().zoom > {z0 * 1.5}")
    after = positions(page, N)
    page.mouse.move(1, 1)  # no hover marker over the dot being measured
    # Toward the cursor: the point under it stays under it.
    assert math.dist(after[row], at[row]) < 4, (at[row], after[row])
    assert after[other] is not None and math.dist(after[row], after[other]) > before_gap * 1.5
    after_width = dot_width(screenshot(page), *after[row])
    assert abs(after_width - before_width) <= 1, (before_width, after_width)

    # The point-size control scales the drawn dots (End = the largest size).
    page.focus("#point-size")
    page.keyboard.press("End")
    expect(page.locator("#point-size")).to_have_value("4")
    page.wait_for_function(f"() => window.__projector.store.get().pointSize === 4")
    big = dot_width(screenshot(page), *after[row])
    assert big >= before_width * 3, (before_width, big)
    page.keyboard.press("Home")
    expect(page.locator("#point-size")).to_have_value("0.5")
    small = dot_width(screenshot(page), *after[row])
    assert small < before_width, (before_width, small)


def test_3d_wheel_zooms_toward_the_cursor(page: Page, live_server, dataset_id: str) -> None:
    from tests.browser.story_data import N as STORY_N

    open_projector(page, live_server.url, dataset_id)
    box = canvas_box(page)
    at = positions(page, STORY_N)
    # A point off the centre: a zoom toward the centre would push it outward, toward the cursor keeps it.
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    row = max((r for r in range(STORY_N) if at[r]), key=lambda r: math.dist(at[r], (cx, cy)) if math.dist(at[r], (cx, cy)) < 250 else 0)
    start = page.evaluate("() => window.__projector.camera().position")
    wheel_at(page, *at[row], clicks=-3)
    page.wait_for_function(f"() => Math.hypot(...window.__projector.camera().position) < {math.hypot(*start) * 0.85}")
    after = positions(page, STORY_N)
    moved = math.dist(after[row], at[row])
    spread = sorted(math.dist(a, b) for a, b in zip(at, after) if a and b)
    assert moved < 6, moved
    assert spread[len(spread) // 2] > moved * 2, (moved, spread[len(spread) // 2])


def test_reset_view_fit_selection_and_double_click_focus(page: Page, live_server, grid_id: str) -> None:
    open_projector(page, live_server.url, grid_id)
    switch_to_2d(page)
    box = canvas_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    expect(page.locator("#fit-selection")).to_be_disabled()

    # Pan and zoom until points leave the canvas; R brings every point back, and the pose is reported.
    drag_path(page, [(cx, cy), (cx + 250, cy + 150)])
    wheel_at(page, cx + 250, cy + 150, clicks=-4)
    assert None in positions(page, N)
    page.keyboard.press("r")
    page.wait_for_function(ALL_IN_CANVAS, arg=N)
    page.wait_for_function(POSE_REPORTED)

    # Double-click a point off the centre: it glides to the centre, closer, and is selected.
    at = positions(page, N)
    row = max(range(N), key=lambda r: math.dist(at[r], (cx, cy)) if math.dist(at[r], (cx, cy)) < 300 else 0)
    z0 = zoom(page)
    page.mouse.dblclick(*at[row])
    page.wait_for_function(f"""() => {{
        const p = window.__projector.screenPositionOf({row});
        return p && Math.hypot(p.x - {cx}, p.y - {cy}) < 3 && document.querySelector('canvas.scatter-canvas').dataset.camera === 'still';
    }}""")
    assert zoom(page) > z0 * 1.3
    assert selection(page) == {row}

    # Fit selection (F) frames a small box selection: it then spans most of the canvas.
    page.keyboard.press("r")
    page.wait_for_function(ALL_IN_CANVAS, arg=N)
    at = positions(page, N)
    corner = sorted(range(N), key=lambda r: at[r][0] + at[r][1])[:3]
    xs, ys = [at[r][0] for r in corner], [at[r][1] for r in corner]
    page.keyboard.press("b")
    drag_path(page, [(min(xs) - 6, min(ys) - 6), (max(xs) + 6, max(ys) + 6)])
    expect(page.locator("#selection-count")).to_have_text(f"{len(selection(page))} selected")
    chosen = sorted(selection(page))
    assert set(corner) <= set(chosen) and len(chosen) < 10
    expect(page.locator("#fit-selection")).to_be_enabled()
    page.keyboard.press("f")
    page.wait_for_function(f"""() => {{
        const c = document.querySelector('canvas.scatter-canvas').getBoundingClientRect();
        const ps = {chosen}.map((r) => window.__projector.screenPositionOf(r));
        if (ps.some((p) => !p)) return false;
        const w = Math.max(...ps.map((p) => p.x)) - Math.min(...ps.map((p) => p.x));
        const h = Math.max(...ps.map((p) => p.y)) - Math.min(...ps.map((p) => p.y));
        return Math.max(w / c.width, h / c.height) > 0.7;
    }}""")

    # In 3D too, a zoom far into the cloud is undone by the Reset view button.
    page.click("#dims-toggle button[data-mode='3d']")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "3d")
    wheel_at(page, cx, cy, clicks=-8)
    page.wait_for_function(f"n => !({IN_CANVAS})(n)", arg=N)
    page.click("#reset-view")
    page.wait_for_function(ALL_IN_CANVAS, arg=N)
    page.wait_for_function(POSE_REPORTED)
