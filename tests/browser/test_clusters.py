"""Find clusters on the map: the "cluster" column coloured at once and listed in the legend, each
cluster's name drawn at the centre of its points (and kept there when zooming), density contours
under the points, and a shared view that brings the clusters back. Noise is drawn grey; names never
overlap one another and stay inside the plot."""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.browser.color_data import canvas_image, parse_css_color
from tests.browser.conftest import FIRST_VIEW_TIMEOUT_MS, PageErrors, open_projector, watch_page
from tests.browser.projection_helpers import wait_settled
from tests.datagen import clustered, metadata_tsv, vectors_tsv

N = 300
BACKGROUND = 40  # scattered rows after the blobs: HDBSCAN's noise
NEUTRAL_RGB = (189, 189, 189)  # colors.js NEUTRAL_COLOR
PLANTED = ["zebra", "quartz", "violin"]
COMMON = ["report", "annual", "market", "review", "study", "notes"]

CLUSTERS_DONE = "() => window.__projector.store.get().clusters?.status === 'done'"

# Each cluster's members' mean screen position (in 2D the screen is linear in the layout, so this is
# where the cluster's centre is drawn) beside its label's box centre, both in page CSS px.
CENTRES = """() => {
    const s = window.__projector.store.get();
    return s.clusters.list.map((cluster) => {
        let x = 0, y = 0, n = 0, total = 0;
        s.clusters.codes.forEach((code, row) => {
            if (code !== cluster.id) return;
            total++;
            const at = window.__projector.screenPositionOf(row);
            if (!at) return;
            x += at.x; y += at.y; n++;
        });
        const node = document.querySelector(`.cluster-label[data-cluster="${cluster.id}"]`);
        const box = node && !node.hidden ? node.getBoundingClientRect() : null;
        // A name near the plot's edge is pushed inside it: its centre is the clamped members' centre.
        const c = document.querySelector('canvas.scatter-canvas').getBoundingClientRect();
        const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
        const cx = box ? clamp(x / n, c.left + box.width / 2, c.right - box.width / 2) : x / n;
        const cy = box ? clamp(y / n, c.top + box.height / 2, c.bottom - box.height / 2) : y / n;
        return {
            label: cluster.label, members: n, total, x: cx, y: cy, text: node?.textContent ?? null,
            box: box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : null,
        };
    });
}"""


@pytest.fixture
def blobs_dataset(live_server) -> str:
    vectors, truth = clustered(N, 12, clusters=3, seed=4)
    rng = np.random.default_rng(2)
    # Columns: a unique id-like word first, a few groups, then the titles that name the clusters.
    rows = [[f"w{i}", f"g{i % 4}", " ".join([PLANTED[t], *rng.choice(COMMON, size=2, replace=False)])]
            for i, t in enumerate(truth.tolist())]
    # A sparse background over the blobs' range, titled by common words only.
    vectors = np.vstack([vectors, rng.uniform(-12, 12, size=(BACKGROUND, 12)).astype(np.float32)])
    rows += [[f"b{i}", f"g{i % 4}", " ".join(rng.choice(COMMON, size=3, replace=False))] for i in range(BACKGROUND)]
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        r = client.post("/api/datasets", files={
            "vectors": ("blobs.tsv", vectors_tsv(vectors)), "metadata": ("meta.tsv", metadata_tsv(rows, ["word", "group", "title"])),
        }, data={"name": "cluster blobs"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def check_labels_at_centres(page: Page, count: int) -> int:
    """Every cluster wholly on screen has its label drawn at its members' centre; how many were."""
    centres = page.evaluate(CENTRES)
    assert len(centres) == count
    whole = [c for c in centres if c["members"] == c["total"]]
    for c in whole:
        assert c["box"] is not None and c["text"] == c["label"], c
        print(f"{c['label']!r}: label at {c['box']}, members' centre ({c['x']:.1f}, {c['y']:.1f})")
        assert abs(c["box"]["x"] - c["x"]) <= 2 and abs(c["box"]["y"] - c["y"]) <= 2, c
    return len(whole)


LABEL_BOXES = """() => {
    const c = document.querySelector('canvas.scatter-canvas').getBoundingClientRect();
    const boxes = [...document.querySelectorAll('.cluster-label:not([hidden])')].map((n) => n.getBoundingClientRect())
        .map((b) => ({ left: b.left, top: b.top, right: b.right, bottom: b.bottom }));
    return { canvas: { left: c.left, top: c.top, right: c.right, bottom: c.bottom }, boxes };
}"""


def next_frames(page: Page) -> None:
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def check_labels_apart_and_inside(page: Page) -> int:
    """No two shown cluster names' boxes overlap and each is inside the canvas; how many are shown."""
    got = page.evaluate(LABEL_BOXES)
    c, boxes = got["canvas"], got["boxes"]
    for b in boxes:
        assert b["left"] >= c["left"] - 0.5 and b["right"] <= c["right"] + 0.5, (b, c)
        assert b["top"] >= c["top"] - 0.5 and b["bottom"] <= c["bottom"] + 0.5, (b, c)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
            assert apart, (a, b)
    return len(boxes)


def test_find_clusters_names_them_on_the_map_and_a_shared_link_restores_them(page: Page, live_server, blobs_dataset: str, browser, page_errors: PageErrors) -> None:
    open_projector(page, live_server.url, blobs_dataset)
    page.click("#dims-toggle button[data-mode='2d']")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    wait_settled(page)

    page.fill("#cluster-min-size", "20")
    # The naming column's default skips the unique "word" (Label by), then follows Label by.
    expect(page.locator("#label-by")).to_have_value("word")
    expect(page.locator("#cluster-label-column")).to_have_value("group")
    page.select_option("#label-by", "title")
    expect(page.locator("#cluster-label-column")).to_have_value("title")
    page.click("#cluster-button")
    page.wait_for_function(CLUSTERS_DONE, timeout=60_000)
    expect(page.locator("#cluster-status")).to_have_text(re.compile(r"^3 clusters, \d+ noise points?$"))
    noise = page.evaluate("window.__projector.store.get().clusters.noise")
    print(f"{noise} noise points")
    assert noise > 0

    # Colour by offers "cluster" and shows it; the legend lists the clusters by their names, then noise.
    expect(page.locator("#color-by")).to_have_value("cluster")
    names = sorted(page.locator(".cluster-label").all_text_contents())
    assert [n.split(", ")[0] for n in names] == sorted(PLANTED), names  # c-TF-IDF: the planted word first
    expect(page.locator("#legend .legend-item")).to_have_count(4)
    values = page.locator("#legend .legend-value").all_text_contents()
    assert sorted(values[:3]) == names and values[3] == "noise", values
    # Noise is drawn in a neutral grey (legend swatch and on the map), the clusters in palette colours.
    swatches = [parse_css_color(page.locator("#legend .legend-item .swatch").nth(i).evaluate(
        "e => getComputedStyle(e).backgroundColor"))[:3] for i in range(4)]
    assert swatches[3] == NEUTRAL_RGB and all(len(set(c)) > 1 for c in swatches[:3]), swatches
    image, box = canvas_image(page)
    noise_at = page.evaluate("""() => {
        const s = window.__projector.store.get();
        return Array.from(s.clusters.codes).flatMap((c, row) => (c === -1 ? [row] : [])).slice(0, 10)
            .map((row) => window.__projector.screenPositionOf(row)).filter(Boolean);
    }""")
    drawn = [image.getpixel((round(at["x"] - box["x"]), round(at["y"] - box["y"]))) for at in noise_at]
    print(f"noise points' centre pixels: {drawn}")
    assert sum(max(p) - min(p) <= 12 and min(p) > 100 for p in drawn) >= len(drawn) // 2 > 0, drawn
    assert check_labels_at_centres(page, 3) == 3

    # Zoomed in, the names stay at their clusters' centres, at the same pixel size.
    heights = {c: page.locator(f".cluster-label[data-cluster='{c}']").bounding_box()["height"] for c in range(3)}
    box = page.locator("canvas.scatter-canvas").bounding_box()
    z0 = page.evaluate("() => window.__projector.camera().zoom")
    first = page.evaluate(CENTRES)[0]  # zoom about a cluster, which the background's spread can push aside
    page.mouse.move(first["x"], first["y"])
    for _ in range(4):
        page.mouse.wheel(0, -300)
    page.wait_for_function(f"() => window.__projector.camera().zoom > {z0 * 1.2}")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert check_labels_at_centres(page, 3) >= 1, "every cluster left the screen"
    shown = page.locator(".cluster-label:not([hidden])").first
    assert shown.bounding_box()["height"] == pytest.approx(heights[int(shown.get_attribute("data-cluster"))], abs=0.5)

    # Density: contour lines appear under the points. The shots compare the map's picture alone: the
    # pointer off it, and the HTML over it (names, labels, which may be placed anew) hidden meanwhile.
    page.mouse.move(1, 1)
    page.wait_for_function("() => window.__projector.store.get().hover === null")
    overlays = "(v) => document.querySelectorAll('.scatter-overlay').forEach((e) => { e.style.visibility = v; })"
    page.evaluate(overlays, "hidden")
    # The zoom above may still be settling: the same camera pose 200 ms apart.
    page.wait_for_function("() => { const p = JSON.stringify(window.__projector.camera()); const same = p === window.__pose;"
                           " window.__pose = p; return same; }", polling=200)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    before, _ = canvas_image(page)
    page.check("#density-toggle")
    page.wait_for_function("() => Number(document.querySelector('canvas.scatter-canvas').dataset.contours) > 0")
    after, _ = canvas_image(page)
    changed = int((np.abs(np.asarray(before, dtype=int) - np.asarray(after, dtype=int)).sum(axis=2) > 30).sum())
    print(f"density contours changed {changed} pixels")
    assert changed > 200
    page.evaluate(overlays, "")

    # The address names the clusters; opened elsewhere, it shows them again, coloured and named.
    page.wait_for_function("() => new URLSearchParams(location.search).get('clusters') !== null")
    job = page.evaluate("window.__projector.store.get().clusters.job")
    url = page.url
    assert f"clusters={job}" in url and "colorBy=cluster" in url
    other = browser.new_page(viewport={"width": 1280, "height": 800})
    watch_page(other, page_errors)  # its console errors fail the test too
    try:
        other.goto(url)
        other.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=FIRST_VIEW_TIMEOUT_MS)
        other.wait_for_function(CLUSTERS_DONE, timeout=30_000)
        expect(other.locator("#color-by")).to_have_value("cluster")
        expect(other.locator("#legend .legend-item")).to_have_count(4)
        noise_swatch = other.locator("#legend .legend-item .swatch").nth(3).evaluate("e => getComputedStyle(e).backgroundColor")
        assert parse_css_color(noise_swatch)[:3] == NEUTRAL_RGB, noise_swatch
        assert sorted(other.locator(".cluster-label").all_text_contents()) == names
        wait_settled(other)
        assert check_labels_at_centres(other, 3) >= 1  # the shared camera: zoomed in
    finally:
        other.close()

    # Names never overlap and stay inside the plot: a cluster panned to the edge, then zoomed out until they crowd.
    canvas = page.locator("canvas.scatter-canvas").bounding_box()
    centre = max(page.evaluate(CENTRES), key=lambda c: c["members"])
    page.mouse.move(centre["x"], centre["y"])
    page.mouse.down()
    page.mouse.move(canvas["x"] + 3, centre["y"], steps=2)
    page.mouse.up()
    next_frames(page)
    edge = next(c for c in page.evaluate(CENTRES) if c["label"] == centre["label"])
    assert edge["box"] is not None, edge  # its centre is on screen, so is its name, whole
    check_labels_apart_and_inside(page)
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    shown_counts = []
    for _ in range(4):
        page.mouse.wheel(0, 800)
        next_frames(page)
        shown_counts.append(check_labels_apart_and_inside(page))
    print(f"cluster names shown while zooming out: {shown_counts}, zoom {page.evaluate('window.__projector.camera().zoom'):.2f}")
