"""A small dataset with a sprite sheet for the browser tests, and readers of the page's pixels.

30 points in 3 clusters; the sheet holds 6 images per row, each a 16×16 cell of one solid colour
that no other cell has (nor the white background, nor the page's default point colour), so a
pixel of the canvas tells which point's thumbnail, if any, is drawn there.
"""

from __future__ import annotations

import colorsys
import io
from dataclasses import dataclass

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Page

from tests.datagen import clustered, metadata_tsv, vectors_tsv

N = 30
PER_ROW = 6
CELL = 16
GROUPS = ["alpha", "beta", "gamma"]
DEFAULT_POINT_COLOR = (0x3B, 0x73, 0xB9)  # colors.js DEFAULT_COLOR
COLOR_TOLERANCE = 6  # per channel; the shader samples the middle of a solid cell, so it is exact


@dataclass(frozen=True)
class SpriteData:
    """Vectors, names, groups, each row's cell colour, and the bytes to upload."""

    vectors: np.ndarray
    names: list[str]
    groups: list[str]
    colors: list[tuple[int, int, int]]
    vectors_tsv: bytes
    metadata_tsv: bytes
    sprite_png: bytes


def cell_colors(n: int) -> list[tuple[int, int, int]]:
    """n saturated colours with evenly spaced hues (alternating brightness), all far apart."""
    out = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb(i / n, 1.0, 1.0 if i % 2 == 0 else 0.7)
        out.append((round(r * 255), round(g * 255), round(b * 255)))
    return out


def sprite_png(colors: list[tuple[int, int, int]], per_row: int = PER_ROW, cell: int = CELL) -> bytes:
    """A row-first PNG sheet: cell i (column i % per_row, row i // per_row) filled with colors[i]."""
    rows = -(-len(colors) // per_row)
    sheet = Image.new("RGB", (per_row * cell, rows * cell), (255, 255, 255))
    for i, colour in enumerate(colors):
        x, y = (i % per_row) * cell, (i // per_row) * cell
        sheet.paste(colour, (x, y, x + cell, y + cell))
    out = io.BytesIO()
    sheet.save(out, format="PNG")
    return out.getvalue()


def sprite_data() -> SpriteData:
    """The dataset: 30 points × 8 dims, names img0..img29, a group column, a 96×80 sheet."""
    vectors, labels = clustered(N, 8, clusters=3, seed=5)
    names = [f"img{i}" for i in range(N)]
    groups = [GROUPS[c] for c in labels]
    colors = cell_colors(N)
    return SpriteData(
        vectors=vectors,
        names=names,
        groups=groups,
        colors=colors,
        vectors_tsv=vectors_tsv(vectors),
        metadata_tsv=metadata_tsv([[names[i], groups[i]] for i in range(N)], ["name", "group"]),
        sprite_png=sprite_png(colors),
    )


def upload_sprite_dataset(base_url: str, data: SpriteData, name: str) -> str:
    """Upload `data` with its sprite sheet over HTTP; the new dataset's id."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        answer = client.post(
            "/api/datasets",
            files={
                "vectors": ("vectors.tsv", data.vectors_tsv, "text/tab-separated-values"),
                "metadata": ("metadata.tsv", data.metadata_tsv, "text/tab-separated-values"),
                "sprite": ("sprite.png", data.sprite_png, "image/png"),
            },
            data={"name": name[:40], "sprite_dim": str(CELL)},
        )
    assert answer.status_code == 201, answer.text
    info = answer.json()
    assert info["sprite"]["per_row"] == PER_ROW and info["sprite"]["cell_width"] == CELL
    return info["id"]


def viewport_image(page: Page) -> Image.Image:
    """The page as drawn now (viewport, CSS pixels at device pixel ratio 1), as RGB."""
    return Image.open(io.BytesIO(page.screenshot())).convert("RGB")


def close_to(pixel: tuple[int, int, int], colour: tuple[int, int, int], tolerance: int = COLOR_TOLERANCE) -> bool:
    """Whether two RGB colours are within `tolerance` on every channel."""
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def screen_positions(page: Page, rows: range | list[int]) -> dict[int, dict]:
    """Page position of each row that is on screen."""
    found = page.evaluate("rows => rows.map(r => window.__projector.screenPositionOf(r))", list(rows))
    return {row: at for row, at in zip(rows, found, strict=True) if at is not None}


def rows_showing_own_colour(image: Image.Image, positions: dict[int, dict], colors: list) -> list[int]:
    """The rows whose screen position shows exactly their own cell's colour."""
    return [
        row for row, at in positions.items()
        if close_to(image.getpixel((round(at["x"]), round(at["y"]))), colors[row])
    ]


def unoccluded(positions: dict[int, dict], half: float) -> list[int]:
    """Rows whose centre no later-drawn thumbnail (a higher row: drawn on top) of half-size `half` covers."""
    return [
        row for row, at in positions.items()
        if not any(
            other > row and abs(p["x"] - at["x"]) <= half + 1 and abs(p["y"] - at["y"]) <= half + 1
            for other, p in positions.items()
        )
    ]
