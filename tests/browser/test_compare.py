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


def upload_sized(live_server, n: int, name: str) -> str:
    """A dataset of `n` rows (4 dimensions) named `name`: another row count than the story's."""
    vectors = np.random.default_rng(n).normal(size=(n, 4)).astype(np.float32)
    meta = metadata_tsv([[f"word{i}", "x"] for i in range(n)], ["word", "category"])
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        r = client.post("/api/datasets", files={"vectors": ("s.tsv", vectors_tsv(vectors)),
                                                "metadata": ("s.meta.tsv", meta)}, data={"name": name})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def check_choices_and_stop(page: Page, other: str, short: str, huge: str) -> None:
    """Row counts in the list, by row order only equal counts, the large-dataset warning, and Stop."""
    expect(page.locator(f"#compare-dataset option[value='{other}']")).to_have_text(f"second embedding ({N} rows)")
    page.select_option("#compare-key", "")
    expect(page.locator(f"#compare-dataset option[value='{short}']")).to_be_disabled()
    expect(page.locator(f"#compare-dataset option[value='{short}']")).to_contain_text("by row order needs 300 rows")
    page.select_option("#compare-key", "word")
    expect(page.locator(f"#compare-dataset option[value='{short}']")).to_be_enabled()
    page.select_option("#compare-dataset", huge)
    expect(page.locator("#compare-warning")).to_contain_text("huge is much larger: its neighbour graph is computed first")
    page.select_option("#compare-dataset", other)
    expect(page.locator("#compare-warning")).to_be_hidden()

    # Stop: the job's events never come (held back), so it runs until Stop DELETEs it with its cancel key.
    held = []
    page.route("**/api/projections/*/events", lambda route: held.append(route))
    page.select_option("#compare-dataset", other)
    page.fill("#compare-k", "7")
    page.click("#compare-button")
    expect(page.locator("#compare-stop")).to_be_visible()
    with page.expect_request(lambda r: r.method == "DELETE" and "/api/projections/" in r.url) as deleted:
        page.click("#compare-stop")
    assert deleted.value.headers.get("x-cancel-key"), "Stop sent no cancel key"
    expect(page.locator("#compare-status")).to_have_text("Comparison stopped.")
    expect(page.locator("#compare-stop")).to_be_hidden()
    # Closing a running comparison cancels its job too.
    page.fill("#compare-k", "8")
    page.click("#compare-button")
    expect(page.locator("#compare-stop")).to_be_visible()
    with page.expect_request(lambda r: r.method == "DELETE" and "/api/projections/" in r.url):
        page.click("#compare-close")
    page.unroute("**/api/projections/*/events")
    for route in held:
        try:
            route.abort()
        except Exception:  # the page closed that stream on Stop
            pass


CAMERAS_STILL = "() => [...document.querySelectorAll('canvas.scatter-canvas')].every((c) => c.dataset.camera === 'still')"


def selected_pixel_near(page: Page, row: int, which: str = "screenPositionOf") -> bool:
    """Whether the selected colour is drawn within 3 px of dataset row `row` on a map (`which`: the
    window.__projector read-out of its page position), once both cameras rest (the first map
    refits when the second opens)."""
    page.wait_for_function(CAMERAS_STILL)
    at = page.evaluate(f"r => window.__projector.{which}(r)", row)
    if not at:
        return False
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
    short = upload_sized(live_server, 40, "short")
    # A much larger dataset only listed (the list answer gains it): its warning shows, it is never run.
    page.route("**/api/datasets", lambda route: route.fulfill(
        response=(r := route.fetch()), json=[*r.json(), {**r.json()[0], "id": "huge", "name": "huge", "n": 5 * N}]))
    open_projector(page, live_server.url, dataset_id)
    page.unroute("**/api/datasets")
    check_choices_and_stop(page, other, short, "huge")
    # The other map's PCA waits until the list is shown (a click there must survive the map's arrival).
    pca_held = []
    page.route(f"**/api/datasets/{other}/projections", lambda route: pca_held.append(route))
    page.select_option("#compare-dataset", other)
    page.select_option("#compare-key", "word")
    page.fill("#compare-k", "10")
    page.click("#compare-button")
    expect(page.locator("#compare-summary")).to_contain_text("Mean Jaccard overlap@10:", timeout=60_000)
    expect(page.locator("#compare-summary")).to_contain_text(f"{N} matched rows")
    mean = float(page.locator("#compare-summary").inner_text().split(":")[1].split("·")[0])
    print(f"mean Jaccard overlap@10 of a noisy permuted copy: {mean:.3f}")
    assert 0.05 < mean < 1.0
    changed = page.locator("#compare-changed button")
    expect(changed).to_have_count(100)
    # A click on the list whose press comes before the other map arrives and its release after counts
    # (the list was rebuilt on that update, and the click lost).
    row = int(changed.first.get_attribute("data-row"))
    box = changed.first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => !window.__projector.store.get().compare.layout")
    page.mouse.down()
    for route in pca_held:
        route.continue_()
    page.unroute(f"**/api/datasets/{other}/projections")
    page.wait_for_function("() => !!window.__projector.store.get().compare.layout")
    page.mouse.up()
    page.wait_for_function("row => window.__projector.store.get().selection[0] === row", arg=row, timeout=3000)
    page.wait_for_function(SECOND_DRAWN, arg=N)
    expect(page.locator("#compare-caption")).to_have_text("second embedding: PCA, linked to the map on the left")
    expect(page.locator("#color-by option[value='overlap']")).to_have_count(1)

    # The first of the most changed points: a click in the list selects it, and both maps mark it.
    changed.first.click()
    page.wait_for_function("row => window.__projector.store.get().selection[0] === row", arg=row)
    page.wait_for_function("() => !window.__projector.store.get().neighborsLoading")
    first_at = page.evaluate("r => window.__projector.screenPositionOf(r)", row)
    second_at = page.evaluate("r => window.__projector.compareScreenPositionOf(r)", row)
    assert first_at and second_at and second_at["x"] > page.viewport_size["width"] * 0.35
    assert selected_pixel_near(page, row) and selected_pixel_near(page, row, "compareScreenPositionOf")

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
    assert selected_pixel_near(page, hovered)

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
    # The other map is the other dataset's PCA of the isolated points' matches (its own job, on those rows).
    expect(page.locator("#compare-caption")).to_contain_text("second embedding: PCA of the isolated points' matches")
    layout = page.evaluate("() => { const l = window.__projector.store.get().compare.layout; return [l.n, l.rows?.length]; }")
    assert layout == [isolated, isolated], layout
    page.select_option("#color-by", "overlap")

    # The address is the shared view: a new tab on it shows both maps again.
    page.wait_for_function("other => new URLSearchParams(location.search).get('compare') === other", arg=other)
    page.wait_for_function("() => new URLSearchParams(location.search).get('colorBy') === 'overlap'")
    link = page.url
    assert "compareKey=word" in link and "compareK=10" in link and "colorBy=overlap" in link
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        second = context.new_page()
        watch_page(second, page_errors)
        second.goto(link)
        second.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=FIRST_VIEW_TIMEOUT_MS)
        expect(second.locator("#compare-summary")).to_contain_text(f"Mean Jaccard overlap@10: {mean:.3f}")
        second.wait_for_function(SECOND_DRAWN, arg=isolated)
        # The controls and the colour are the link's.
        expect(second.locator("#compare-dataset")).to_have_value(other)
        expect(second.locator("#compare-key")).to_have_value("word")
        expect(second.locator("#compare-k")).to_have_value("10")
        expect(second.locator("#color-by")).to_have_value("overlap")
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
