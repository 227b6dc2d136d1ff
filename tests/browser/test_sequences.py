"""Sequences: a `__seq_next__` column draws lines between linked points, in 3D and 2D and on isolated
points; bad links are ignored; "Show sequences" hides them."""

from __future__ import annotations

import io

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.share_helpers import wait_ready
from tests.datagen import metadata_tsv, vectors_tsv

PER = 10  # points per cluster: A = rows 0-9, B = 10-19, C = 20-29
# row -> next row: A0 -> B0 -> C0 across the empty space between clusters, and a short A4 -> A3.
# Out of range, not whole, not a number and a self-link are ignored, as TensorBoard ignores them.
LINKS = {0: "10", 10: "20", 4: "3", 1: "999", 2: "1.5", 5: "five", 6: "6", 7: "-1"}


def sequence_dataset(server_url: str) -> str:
    rng = np.random.default_rng(5)
    centres = np.array([[-10.0, 0, 0, 0], [10.0, 0, 0, 0], [0, 14.0, 0, 0]])
    vectors = np.concatenate([c + rng.normal(scale=0.3, size=(PER, 4)) for c in centres]).astype(np.float32)
    rows = [[f"p{i}", LINKS.get(i, "")] for i in range(3 * PER)]
    with httpx.Client(base_url=server_url, timeout=60) as client:
        answer = client.post("/api/datasets", files={
            "vectors": ("v.tsv", vectors_tsv(vectors)),
            "metadata": ("m.tsv", metadata_tsv(rows, ["name", "__seq_next__"])),
        })
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def darkest_near(page: Page, a: int, b: int) -> int:
    """The darkest grey level in a 9x9 px patch at the screen midpoint between rows a and b (255 = white)."""
    pa, pb = (page.evaluate(f"window.__projector.screenPositionOf({r})") for r in (a, b))
    x, y = (pa["x"] + pb["x"]) / 2, (pa["y"] + pb["y"]) / 2
    shot = page.screenshot(clip={"x": x - 4, "y": y - 4, "width": 9, "height": 9})
    return Image.open(io.BytesIO(shot)).convert("L").getextrema()[0]


def test_sequences_draw_between_linked_points_and_hide(page: Page, live_server) -> None:
    dataset = sequence_dataset(live_server.url)
    open_projector(page, live_server.url, dataset)
    wait_ready(page)
    canvas = page.locator("canvas.scatter-canvas")
    expect(page.locator("#sequences-option")).to_be_visible()
    expect(page.locator("#sequences-toggle")).to_be_checked()
    # The link column is plumbing: not offered as a label or a colour.
    for menu in ("#color-by", "#label-by", "#tsne-supervise"):
        assert "__seq_next__" not in page.eval_on_selector_all(f"{menu} option", "os => os.map(o => o.value)")
    expect(canvas).to_have_attribute("data-sequences", "3")  # 0-10, 10-20, 4-3; the rest ignored
    print("3D line, darkest grey at the midpoints:", darkest_near(page, 0, 10), darkest_near(page, 10, 20))
    assert darkest_near(page, 0, 10) < 225 and darkest_near(page, 10, 20) < 225

    page.click("#dims-toggle button[data-mode='2d']")
    expect(canvas).to_have_attribute("data-mode", "2d")
    wait_ready(page)
    assert darkest_near(page, 0, 10) < 225

    page.uncheck("#sequences-toggle")
    expect(canvas).to_have_attribute("data-sequences", "0")
    wait_ready(page)
    # Nothing else is drawn there: the line was what darkened it.
    assert darkest_near(page, 0, 10) > 245 and darkest_near(page, 10, 20) > 245
    page.check("#sequences-toggle")
    expect(canvas).to_have_attribute("data-sequences", "3")

    # Isolating A and B keeps only the segments whose two ends are shown.
    rows = ",".join(str(r) for r in range(2 * PER))
    page.goto(f"{live_server.url}/?dataset={dataset}&isolated={rows}")
    wait_ready(page)
    expect(canvas).to_have_attribute("data-points", str(2 * PER))
    expect(canvas).to_have_attribute("data-sequences", "2")
    assert darkest_near(page, 0, 10) < 225


def test_no_sequence_column_no_toggle(page: Page, live_server, dataset_id: str) -> None:
    open_projector(page, live_server.url, dataset_id)
    expect(page.locator("#sequences-option")).to_be_hidden()
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-sequences", "0")
