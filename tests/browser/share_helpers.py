"""Helpers for the share / history / bookmark browser tests: steps of the user story, waits on the
address bar and the camera, and a second browser context that fails on page errors too."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import FIRST_VIEW_TIMEOUT_MS, PageErrors, watch_page
from tests.browser.story_data import N

PROJECTION_POST = re.compile(r"/api/datasets/[^/]+/projections$")

CAMERA_IN_URL = """() => {
    const text = new URLSearchParams(location.search).get('camera');
    if (!text) return false;
    const n = text.split(',').map(Number);
    const c = window.__projector.camera();
    const live = [...c.position, ...c.target, c.zoom];
    return n.length === 7 && n.every((v, i) => Math.abs(v - live[i]) < 2e-4);
}"""


def query(page: Page) -> dict[str, str]:
    """The page address's query parameters (first value of each)."""
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def wait_query(page: Page, **expected: str | None) -> None:
    """Wait until the address has these query values (None = the parameter is absent)."""
    page.wait_for_function(
        """(expected) => {
            const q = new URLSearchParams(location.search);
            return Object.entries(expected).every(([k, v]) => q.get(k) === v);
        }""",
        arg=expected,
    )


def wait_ready(page: Page) -> None:
    """Wait until the current view is drawn (body[data-state=ready], coords on screen, no glide)."""
    page.wait_for_function(
        """() => {
            const s = window.__projector.store.get();
            const canvas = document.querySelector('canvas.scatter-canvas');
            return document.body.dataset.state === 'ready' && !s.restoring && s.coords && s.drawn === s.coords
                && canvas.dataset.animating === 'false';
        }""",
        timeout=FIRST_VIEW_TIMEOUT_MS,
    )


def select_orange_and_isolate(page: Page) -> None:
    """Search "orange", pick it, wait for its 100 neighbours and isolate the 101 points."""
    page.fill("#search-input", "orange")
    page.press("#search-input", "Enter")
    expect(page.locator("#match-list li")).to_have_count(1)
    page.locator("#match-list li").first.click()
    expect(page.locator("#neighbor-list li")).to_have_count(100)
    page.click("#isolate-button")
    expect(page.locator("#showing")).to_have_text(f"Showing 101 of {N} points")
    wait_ready(page)


def turn_camera(page: Page) -> dict:
    """Rotate (drag) and zoom (wheel) the camera; wait until the address holds the new pose; answer it."""
    before = page.evaluate("window.__projector.camera()")
    box = page.locator("canvas.scatter-canvas").bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.75
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 90, y - 40, steps=6)
    page.mouse.up()
    page.mouse.wheel(0, -240)
    page.wait_for_function(
        """(before) => {
            const c = window.__projector.camera();
            return JSON.stringify(c) !== JSON.stringify(before);
        }""",
        arg=before,
    )
    page.wait_for_function(CAMERA_IN_URL)
    after = page.evaluate("window.__projector.camera()")
    assert after != before
    return after


def assert_camera_close(a: dict, b: dict, tol: float = 1e-3) -> None:
    """Two camera poses agree within `tol` (the address keeps 4 decimals)."""
    for key in ("position", "target"):
        for u, v in zip(a[key], b[key], strict=True):
            assert abs(u - v) <= tol, f"camera {key}: {a[key]} vs {b[key]}"
    assert abs(a["zoom"] - b["zoom"]) <= tol, f"camera zoom: {a['zoom']} vs {b['zoom']}"


@contextlib.contextmanager
def fresh_page(browser: Browser) -> Iterator[tuple[Page, PageErrors]]:
    """A page in a new context (fresh storage, like a colleague's browser) that fails on JS errors."""
    errors = PageErrors()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    watch_page(page, errors)
    try:
        yield page, errors
    finally:
        context.close()
    bad = errors.unexpected()
    assert not bad, "the second page reported errors:\n" + "\n".join(bad)


def legend_entries(page: Page) -> list[str]:
    """The legend's "value count" lines."""
    return page.eval_on_selector_all(
        "#legend .legend-item",
        "items => items.map(i => i.querySelector('.legend-value').textContent + ' ' + i.querySelector('.legend-count').textContent)",
    )
