"""Helpers for the projection-tab browser tests: read the run box, wait for a settled scene."""

from __future__ import annotations

import re

from playwright.sync_api import Page

FIRST_RUN_TIMEOUT_MS = 120_000  # a first job may share its worker with the numba warm-up

SETTLED = """() => {
    const s = window.__projector.store.get();
    const canvas = document.querySelector('canvas.scatter-canvas');
    // A new layout also glides the camera to its fit (data-camera), after the points' own animation.
    return s.coords && s.drawn === s.coords && canvas.dataset.animating === 'false' && canvas.dataset.camera === 'still';
}"""


def iteration(page: Page, method: str = "tsne") -> int:
    """The N of the run box's "Iteration N / M" (or "Epoch N / M"), or -1 when not shown."""
    match = re.search(r"(?:Iteration|Epoch) (\d+) / \d+", page.locator(f"#{method}-counter").inner_text())
    return int(match.group(1)) if match else -1


def wait_iteration_above(page: Page, value: int, method: str = "tsne", timeout: float = FIRST_RUN_TIMEOUT_MS) -> int:
    """Wait until the counter shows more than `value` iterations; return what it shows."""
    page.wait_for_function(
        """([method, value]) => {
            const m = /(?:Iteration|Epoch) (\\d+) \\//.exec(document.getElementById(method + '-counter').textContent);
            return m && Number(m[1]) > value;
        }""",
        arg=[method, value],
        timeout=timeout,
    )
    return iteration(page, method)


def wait_settled(page: Page, timeout: float = 30_000) -> None:
    """Wait until the coords in the store are on screen and neither the points nor the camera are moving."""
    page.wait_for_function(SETTLED, timeout=timeout)


def position(page: Page, row: int) -> dict:
    """Page position of dataset row `row` (asserts that it is on screen)."""
    at = page.evaluate("row => window.__projector.screenPositionOf(row)", row)
    assert at is not None, f"row {row} is not on screen"
    return at


def shown_method(page: Page) -> str | None:
    """The method of the coordinates on screen."""
    return page.evaluate("window.__projector.store.get().coords?.method ?? null")
