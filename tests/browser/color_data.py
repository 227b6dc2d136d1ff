"""A small grid dataset for the colour and night-mode tests, and readers of colours on the page.

144 points on a 12 × 12 grid (x spacing 1, y spacing 0.8, so PCA keeps the grid's axes and every
point has exactly known neighbours), with metadata columns made for the legend:
- `label`: p0 … p143;
- `digit`: numeric 0 … 12, with counts that are neither in numeric nor in string order;
- `cat30`, `cat70`: text with 30 and 70 categories;
- `signed`: numeric with both signs (-3 … 8.1), many distinct values.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Page

from tests.datagen import metadata_tsv, vectors_tsv

SIDE = 12
N = SIDE * SIDE
DIGIT_COUNTS = [5, 15, 8, 14, 9, 13, 10, 12, 11, 16, 17, 6, 8]  # value v appears DIGIT_COUNTS[v] times
CENTRE = 6 * SIDE + 6  # row of the grid point (6, 6)


@dataclass(frozen=True)
class ColorData:
    """The grid's coordinates, its metadata columns, and the bytes to upload."""

    xy: np.ndarray
    digit: list[int]
    cat30: list[str]
    cat70: list[str]
    signed: list[float]
    vectors_tsv: bytes
    metadata_tsv: bytes


def color_data() -> ColorData:
    """Build the grid dataset (deterministic)."""
    assert sum(DIGIT_COUNTS) == N
    ix, iy = np.meshgrid(np.arange(SIDE), np.arange(SIDE))
    xy = np.stack([ix.ravel() * 1.0, iy.ravel() * 0.8], axis=1)
    rng = np.random.default_rng(11)
    # Two more dimensions of tiny noise, so the third PCA component exists and is not degenerate.
    vectors = np.hstack([xy, rng.normal(scale=1e-3, size=(N, 2))])
    digits = np.repeat(np.arange(len(DIGIT_COUNTS)), DIGIT_COUNTS)
    digit = [int(d) for d in rng.permutation(digits)]
    cat30 = [f"c{i % 30:02d}" for i in range(N)]
    cat70 = [f"k{i % 70:02d}" for i in range(N)]
    signed = [float(f"{ix.ravel()[i] - 3 + iy.ravel()[i] * 0.01:.2f}") for i in range(N)]
    rows = [[f"p{i}", str(digit[i]), cat30[i], cat70[i], f"{signed[i]:.2f}"] for i in range(N)]
    return ColorData(
        xy=xy, digit=digit, cat30=cat30, cat70=cat70, signed=signed,
        vectors_tsv=vectors_tsv(vectors),
        metadata_tsv=metadata_tsv(rows, ["label", "digit", "cat30", "cat70", "signed"]),
    )


def upload_color_dataset(base_url: str, data: ColorData, name: str) -> str:
    """Upload the grid dataset over HTTP; the new dataset's id."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        answer = client.post(
            "/api/datasets",
            files={
                "vectors": ("vectors.tsv", data.vectors_tsv, "text/tab-separated-values"),
                "metadata": ("metadata.tsv", data.metadata_tsv, "text/tab-separated-values"),
            },
            data={"name": name[:40]},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def canvas_image(page: Page) -> tuple[Image.Image, dict]:
    """The plot canvas as drawn now (RGB, CSS px at device pixel ratio 1) and its page box."""
    canvas = page.locator("canvas.scatter-canvas")
    return Image.open(io.BytesIO(canvas.screenshot())).convert("RGB"), canvas.bounding_box()


def parse_css_color(text: str) -> tuple[float, float, float, float]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 0.5)' -> (r, g, b, alpha), r/g/b in 0..255."""
    parts = [float(p) for p in re.findall(r"[\d.]+", text)]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0)


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0..255 per channel)."""
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG 2 contrast ratio of two colours (1 … 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# The text colour of an element and the first opaque background behind it (walking up the tree).
_TEXT_AND_BACKGROUND = """el => {
    const color = getComputedStyle(el).color;
    for (let node = el; node; node = node.parentElement) {
        const bg = getComputedStyle(node).backgroundColor;
        if (bg && bg !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(bg)) return [color, bg];
    }
    return [color, 'rgb(255, 255, 255)'];
}"""


def text_contrast(page: Page, selector: str) -> float:
    """Contrast of the text of the first element matching `selector` against its background, from computed styles."""
    color, background = page.locator(selector).first.evaluate(_TEXT_AND_BACKGROUND)
    fg = parse_css_color(color)
    bg = parse_css_color(background)
    assert fg[3] == 1.0, f"{selector}: translucent text {color}"
    return contrast_ratio(fg[:3], bg[:3])
