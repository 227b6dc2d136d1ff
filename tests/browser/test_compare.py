"""Compare two embeddings in the page: the overlap column and summary, two linked maps side by side
(selection, hover, isolate and the camera follow in both), and a shared link that reopens them."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlparse

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import FIRST_VIEW_TIMEOUT_MS, PageErrors, open_projector, watch_page
from tests.browser.story_data import N, StoryData
from tests.datagen import metadata_tsv, vectors_tsv

SELECTED_RGB = (0xFF, 0x17, 0x44)
SECOND_DRAWN = "n => document.querySelector('#compare-scene canvas')?.dataset.points === String(n)"
CAMERAS_AGREE = """() => {
    const a = window.__projector.camera(), b = window.__projector.compareCamera();
    if (!b) return false;
    const x = [...a.position, ...a.target, a.zoom], y = [...b.position, ...b.target, b.zoom];
    return x.every((v, i) => Math.abs(v - y[i]) < 1e-3);
}"""


CAMERA_IS = """(want) => {
    const c = window.__projector.camera();
    return [...c.position, ...c.target, c.zoom].every((v, i) => Math.abs(v - want[i]) < 2e-4);
}"""


def query_of(url: str) -> dict[str, str]:
    """The first value of each query parameter of `url`."""
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def other_embedding(live_server, story: StoryData) -> tuple[str, np.ndarray]:
    """The same words embedded differently (noise), in another row order: matched only by the word key."""
    rng = np.random.default_rng(8)
    perm = rng.permutation(N)
    vectors = story.vectors + rng.normal(0, 0.6, story.vectors.shape).astype(np.float32)
    meta = metadata_tsv([[story.words[p], story.categories[p]] for p in perm], ["word", "category"])
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        r = client.post("/api/datasets", files={"vectors": ("b.tsv", vectors_tsv(vectors[perm])),
                                                "metadata": ("b.meta.tsv", meta)}, data={"name": "second embedding"})
    assert r.status_code == 201, r.text
    return r.json()["id"], perm


def selected_pixel_near(page: Page, at: dict) -> bool:
    """Whether the selected colour is drawn within 3 px of page position `at`."""
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    for dx in range(-3, 4):
        for dy in range(-3, 4):
            pixel = image.getpixel((round(at["x"]) + dx, round(at["y"]) + dy))
            if max(abs(a - b) for a, b in zip(pixel, SELECTED_RGB)) < 40:
                return True
    return False


def test_two_linked_maps_and_a_shared_link(
    page: Page, browser: Browser, page_errors: PageErrors, live_server, story: StoryData, dataset_id: str
) -> None:
    other, _ = other_embedding(live_server, story)
    open_projector(page, live_server.url, dataset_id)
    page.select_option("#compare-dataset", other)
    page.select_option("#compare-key", "word")
    page.fill("#compare-k", "10")
    page.click("#compare-button")
    expect(page.locator("#compare-summary")).to_contain_text("Mean Jaccard overlap@10:", timeout=60_000)
    expect(page.locator("#compare-summary")).to_contain_text(f"{N} matched rows")
    mean = float(page.locator("#compare-summary").inner_text().split(":")[1].split("·")[0])
    print(f"mean Jaccard overlap@10 of a noisy permuted copy: {mean:.3f}")
    assert 0.05 < mean < 1.0
    page.wait_for_function(SECOND_DRAWN, arg=N)
    expect(page.locator("#compare-caption")).to_have_text("second embedding: PCA, linked to the map on the left")
    expect(page.locator("#color-by option[value='overlap']")).to_have_count(1)
    changed = page.locator("#compare-changed button")
    expect(changed).to_have_count(100)

    # The first of the most changed points: a click in the list selects it, and both maps mark it.
    row = int(changed.first.get_attribute("data-row"))
    changed.first.click()
    page.wait_for_function("row => window.__projector.store.get().selection[0] === row", arg=row)
    page.wait_for_function("() => !window.__projector.store.get().neighborsLoading")
    first_at = page.evaluate("r => window.__projector.screenPositionOf(r)", row)
    second_at = page.evaluate("r => window.__projector.compareScreenPositionOf(r)", row)
    assert first_at and second_at and second_at["x"] > page.viewport_size["width"] * 0.35
    assert selected_pixel_near(page, first_at) and selected_pixel_near(page, second_at)

    # A click on the second map selects that point on both; hovering it shows its card on both.
    target = next(r for r in range(N) if r != row and page.evaluate("r => window.__projector.compareScreenPositionOf(r)", r))
    at = page.evaluate("r => window.__projector.compareScreenPositionOf(r)", target)
    page.mouse.move(at["x"], at["y"])
    hovered = page.evaluate("() => window.__projector.store.get().hover")
    assert hovered is not None
    word = story.words[hovered]
    expect(page.locator("#scene .hover-card")).to_be_visible()
    expect(page.locator("#compare-scene .hover-card")).to_be_visible()
    expect(page.locator("#scene .hover-card")).to_contain_text(word)
    page.mouse.click(at["x"], at["y"])
    page.wait_for_function("row => window.__projector.store.get().selection[0] === row", arg=hovered)
    page.wait_for_function("() => !window.__projector.store.get().neighborsLoading")
    assert selected_pixel_near(page, page.evaluate("r => window.__projector.screenPositionOf(r)", hovered))

    # The camera: zooming the first map moves the second, and the other way round.
    page.wait_for_function(CAMERAS_AGREE)
    first_box = page.locator("#scene canvas").bounding_box()
    page.mouse.move(first_box["x"] + first_box["width"] / 2, first_box["y"] + first_box["height"] / 2)
    before = page.evaluate("() => window.__projector.compareCamera()")
    page.mouse.wheel(0, -400)
    page.wait_for_function("b => JSON.stringify(window.__projector.compareCamera()) !== JSON.stringify(b)", arg=before)
    page.wait_for_function(CAMERAS_AGREE)
    second_box = page.locator("#compare-scene canvas").bounding_box()
    page.mouse.move(second_box["x"] + second_box["width"] / 2, second_box["y"] + second_box["height"] / 2)
    before = page.evaluate("() => window.__projector.camera()")
    page.mouse.wheel(0, 300)
    page.wait_for_function("b => JSON.stringify(window.__projector.camera()) !== JSON.stringify(b)", arg=before)
    page.wait_for_function(CAMERAS_AGREE)

    # Isolating the point and its neighbours shows the same rows on both maps.
    page.click("#isolate-button")
    page.wait_for_function("() => window.__projector.store.get().coords?.rows?.length > 0")
    isolated = page.evaluate("() => window.__projector.store.get().coords.rows.length")
    page.wait_for_function("n => document.querySelector('#scene canvas').dataset.points === String(n)", arg=isolated)
    page.wait_for_function(SECOND_DRAWN, arg=isolated)

    # The address is the shared view: a new tab on it shows both maps again.
    page.wait_for_function("other => new URLSearchParams(location.search).get('compare') === other", arg=other)
    link = page.url
    assert "compareKey=word" in link and "compareK=10" in link
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        second = context.new_page()
        watch_page(second, page_errors)
        second.goto(link)
        second.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=FIRST_VIEW_TIMEOUT_MS)
        expect(second.locator("#compare-summary")).to_contain_text(f"Mean Jaccard overlap@10: {mean:.3f}")
        second.wait_for_function(SECOND_DRAWN, arg=isolated)
        # Both maps take the link's camera (a restored comparison does not re-frame the first map).
        shared = [float(v) for v in query_of(link)["camera"].split(",")]
        second.wait_for_function(CAMERA_IS, arg=shared)
        second.wait_for_function(CAMERAS_AGREE)
        # Closing returns to one map, and the address forgets the comparison.
        second.click("#compare-close")
        expect(second.locator("#compare-scene")).to_be_hidden()
        expect(second.locator("#color-by option[value='overlap']")).to_have_count(0)
        second.wait_for_function("() => !new URLSearchParams(location.search).get('compare')")
    finally:
        context.close()
