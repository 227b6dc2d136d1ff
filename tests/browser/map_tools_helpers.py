"""Helpers for the map-tool browser tests: a 2D layout with known coordinates, every row's screen
position, drags along a path with modifier keys, and dot sizes read from the drawn pixels."""

from __future__ import annotations

import io

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Page, expect

READ_POSITIONS = """n => Array.from({length: n}, (_, row) => {
  const p = window.__projector.screenPositionOf(row);
  return p ? [p.x, p.y] : null;
})"""


def grid_layout(side: int, seed: int = 3) -> np.ndarray:
    """side x side points on a jittered grid (2 columns), so PCA gives that grid back, rotated at most."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(side, dtype=float), np.arange(side, dtype=float))
    xy = np.stack([xs.ravel() * 1.6, ys.ravel()], axis=1)  # wider than tall: PCA keeps x as component 1
    return (xy + rng.uniform(-0.2, 0.2, xy.shape)).astype(np.float32)


def upload_layout(base_url: str, xy: np.ndarray, name: str) -> str:
    """Upload `xy` (n x 2) as a dataset with a word per row; answer its id."""
    vectors = "".join(f"{x:.5f}\t{y:.5f}\n" for x, y in xy).encode()
    metadata = ("word\tindex\n" + "".join(f"p{i}\t{i}\n" for i in range(len(xy)))).encode()
    with httpx.Client(base_url=base_url, timeout=60) as client:
        answer = client.post(
            "/api/datasets",
            files={"vectors": ("v.tsv", vectors, "text/tab-separated-values"),
                   "metadata": ("m.tsv", metadata, "text/tab-separated-values")},
            data={"name": name[:40]},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def canvas_box(page: Page) -> dict:
    """The scatter canvas's box in page CSS px."""
    return page.locator("canvas.scatter-canvas").bounding_box()


def positions(page: Page, n: int) -> list[tuple[float, float] | None]:
    """Every row's page position, or None when it is off screen."""
    return [tuple(p) if p else None for p in page.evaluate(READ_POSITIONS, n)]


def switch_to_2d(page: Page) -> None:
    """Show the PCA in 2D and wait until it is drawn that way."""
    page.click("#dims-toggle button[data-mode='2d']")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")


def selection(page: Page) -> set[int]:
    """The selected rows, as the store holds them."""
    return set(page.evaluate("() => window.__projector.store.get().selection"))


def drag_path(page: Page, path: list[tuple[float, float]], modifier: str | None = None, steps: int = 6) -> None:
    """Press at path[0], move through every vertex, release at the last, holding `modifier` (e.g. 'Shift')."""
    if modifier:
        page.keyboard.down(modifier)
    page.mouse.move(*path[0])
    page.mouse.down()
    for x, y in path[1:]:
        page.mouse.move(x, y, steps=steps)
    page.mouse.up()
    if modifier:
        page.keyboard.up(modifier)


def inside_polygon(poly: list[tuple[float, float]], x: float, y: float) -> bool:
    """Even-odd rule, as a user would draw it."""
    inside = False
    j = len(poly) - 1
    for i in range(len(poly)):
        (xi, yi), (xj, yj) = poly[i], poly[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def distance_to_edges(poly: list[tuple[float, float]], x: float, y: float) -> float:
    """Distance from (x, y) to the polygon's outline."""
    best = float("inf")
    for i in range(len(poly)):
        (ax, ay), (bx, by) = poly[i - 1], poly[i]
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy or 1)))
        best = min(best, float(np.hypot(x - ax - t * dx, y - ay - t * dy)))
    return best


def clear_of_points(poly: list[tuple[float, float]], at: list, margin: float = 3.0) -> bool:
    """Whether no point lies within `margin` px of the outline, so the expected set is unambiguous."""
    return all(p is None or distance_to_edges(poly, *p) > margin for p in at)


def rows_inside(poly: list[tuple[float, float]], at: list) -> set[int]:
    """The rows whose screen position is inside `poly`."""
    return {row for row, p in enumerate(at) if p is not None and inside_polygon(poly, *p)}


def rect(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    """A rectangle as a polygon."""
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def screenshot(page: Page) -> Image.Image:
    """The page as drawn, in page CSS px (the test viewport has device scale 1)."""
    return Image.open(io.BytesIO(page.screenshot())).convert("RGB")


def dot_width(image: Image.Image, x: float, y: float, reach: int = 40) -> int:
    """Width in px of the dot drawn at (x, y): the run of non-background pixels through its centre row."""
    px = image.load()
    cx, cy = round(x), round(y)
    background = px[cx - reach, cy] if cx - reach >= 0 else (255, 255, 255)

    def differs(ix: int) -> bool:
        return sum(abs(a - b) for a, b in zip(px[ix, cy], background)) > 60

    assert differs(cx), f"no dot drawn at ({x:.1f}, {y:.1f})"
    left = cx
    while left > cx - reach and differs(left - 1):
        left -= 1
    right = cx
    while right < cx + reach and differs(right + 1):
        right += 1
    return right - left + 1


def isolated_row(at: list, box: dict, gap: float, exclude: set[int] = frozenset()) -> int:
    """A row drawn well inside the canvas whose nearest other point is more than `gap` px away."""
    pts = np.array([p if p is not None else (np.nan, np.nan) for p in at])
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    order = np.argsort(np.hypot(pts[:, 0] - cx, pts[:, 1] - cy))
    for row in order:
        if row in exclude or at[row] is None:
            continue
        d = np.hypot(pts[:, 0] - pts[row, 0], pts[:, 1] - pts[row, 1])
        d[row] = np.inf
        if np.nanmin(d) > gap:
            return int(row)
    raise AssertionError(f"no point is {gap} px away from every other")
