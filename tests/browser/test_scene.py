"""The scatter view: 2D/3D, hover card, click to select, component choice without a refetch."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.story_data import N, ORANGE, StoryData


def drawn_pixels(page: Page) -> int:
    """How many pixels of the canvas are not background (white)."""
    image = Image.open(io.BytesIO(page.locator("canvas.scatter-canvas").screenshot())).convert("L")
    return sum(image.histogram()[:235])


def hover_row(page: Page, row: int) -> None:
    at = page.evaluate("row => window.__projector.screenPositionOf(row)", row)
    assert at is not None, f"row {row} is not on screen"
    page.mouse.move(at["x"], at["y"])


def test_2d_3d_toggle_changes_the_camera_and_keeps_drawing(page: Page, live_server, dataset_id: str, story: StoryData) -> None:
    open_projector(page, live_server.url, dataset_id)
    canvas = page.locator("canvas.scatter-canvas")
    expect(canvas).to_have_attribute("data-mode", "3d")
    assert drawn_pixels(page) > 500

    page.click("#dims-toggle button[data-mode='2d']")
    expect(canvas).to_have_attribute("data-mode", "2d")
    assert page.evaluate("window.__projector.store.get().camera.mode") == "2d"
    expect(page.locator("#axis-z")).to_be_disabled()
    expect(page.locator("#dims-toggle button[data-mode='2d']")).to_have_attribute("aria-pressed", "true")
    expect(canvas).to_have_attribute("data-points", str(N))
    assert drawn_pixels(page) > 500

    hover_row(page, ORANGE)
    expect(page.locator("#hover-card")).to_be_visible()
    expect(page.locator("#hover-card")).to_have_text("orange")

    page.click("#dims-toggle button[data-mode='3d']")
    expect(canvas).to_have_attribute("data-mode", "3d")
    expect(page.locator("#axis-z")).to_be_enabled()
    hover_row(page, 42)
    expect(page.locator("#hover-card")).to_have_text(story.words[42])


def test_clicking_a_point_selects_it(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    at = page.evaluate(f"window.__projector.screenPositionOf({ORANGE})")
    page.mouse.click(at["x"], at["y"])
    expect(page.locator("#selected-label")).to_have_text("orange")
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    # The selected point and its neighbours get labels in the scene.
    # (The labels are placed on the frame after the neighbours arrive, so wait for it.)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.point-label')].some(e => !e.hidden && e.textContent === 'orange')"
    )


def test_changing_a_component_remaps_without_a_refetch(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    options = page.eval_on_selector_all("#axis-x option", "os => os.map(o => o.textContent)")
    assert len(options) == 10
    assert options[0].startswith("Component #1 (variance ") and options[0].endswith("%)")
    before = page.evaluate(f"window.__projector.screenPositionOf({ORANGE})")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.select_option("#axis-x", "4")
    page.wait_for_function(f"""() => {{
        const p = window.__projector.screenPositionOf({ORANGE});
        return p && Math.abs(p.x - {before["x"]}) + Math.abs(p.y - {before["y"]}) > 0.5;
    }}""")
    assert page.evaluate("window.__projector.store.get().projection.axes") == [4, 1, 2]
    assert [u for u in requests if "/api/" in u] == []


def drag(page: Page, dx: float, dy: float) -> None:
    box = page.locator("canvas.scatter-canvas").bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def position_of(page: Page, row: int) -> dict:
    return page.evaluate("row => window.__projector.screenPositionOf(row)", row)


def test_left_drag_pans_in_2d_and_rotates_in_3d(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.click("#dims-toggle button[data-mode='2d']")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    before = position_of(page, ORANGE)
    drag(page, 60, 40)
    after = position_of(page, ORANGE)
    assert abs(after["x"] - before["x"] - 60) < 2 and abs(after["y"] - before["y"] - 40) < 2, (before, after)

    page.click("#dims-toggle button[data-mode='3d']")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "3d")
    before = [position_of(page, r) for r in (ORANGE, 100, 200)]
    drag(page, 80, 0)
    after = [position_of(page, r) for r in (ORANGE, 100, 200)]
    shifts = [(a["x"] - b["x"], a["y"] - b["y"]) for a, b in zip(after, before) if a and b]
    assert shifts and any(abs(sx) + abs(sy) > 2 for sx, sy in shifts), shifts
    # A rotation moves points by different amounts; a pan would move them all alike.
    assert max(s[0] for s in shifts) - min(s[0] for s in shifts) > 1, shifts
