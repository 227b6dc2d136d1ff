"""Can I trust this map: Check faithfulness on the PCA on screen colours by recall@10 with a histogram
under the colour bar, prints the summary line, lists the least faithful points, rings a selected
point's false and missed neighbours, and is dropped when the layout on screen changes."""

from __future__ import annotations

import io
import re

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import wait_settled

SUMMARY = re.compile(r"^mean recall@10 (\d\.\d\d) · trustworthiness (\d\.\d\d) · continuity (\d\.\d\d) \(300-point sample\)$")
FALSE_RGB = (0x0C, 0xA6, 0x78)
SELECTED_RGB = (0xFF, 0x17, 0x44)
MISSED_RGB = (0x1C, 0x7E, 0xD6)


def array(client: httpx.Client, job: str, name: str, dtype: str) -> np.ndarray:
    r = client.get(f"/api/projections/{job}/{name}")
    assert r.status_code == 200, r.text
    return np.frombuffer(r.content, dtype=dtype).reshape([int(s) for s in r.headers["X-Shape"].split(",")])


def near(rgb: np.ndarray, want: tuple[int, int, int]) -> int:
    """Pixels of an (h, w, 3) image within 40 of colour `want`."""
    return int((np.abs(rgb.astype(int) - np.array(want)).max(axis=2) < 40).sum())


def test_check_faithfulness_colours_lists_marks_and_is_dropped_with_its_layout(page: Page, live_server, dataset_id: str, story) -> None:
    open_projector(page, live_server.url, dataset_id)
    page.click("#dims-toggle button[data-mode='2d']")
    expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    wait_settled(page)

    # every text the status line shows, so a check that finishes quickly still shows its progress
    page.evaluate("""() => {
        const node = document.getElementById('faith-status');
        window.__faithStatus = [];
        new MutationObserver(() => window.__faithStatus.push(node.textContent)).observe(node, {childList: true, characterData: true, subtree: true});
    }""")
    page.click("#faith-check")
    expect(page.locator("#faith-summary")).to_have_text(SUMMARY, timeout=30_000)
    assert any(re.fullmatch(r"Checking faithfulness… \d+%", t) for t in page.evaluate("window.__faithStatus"))
    job = page.evaluate("window.__projector.store.get().faithfulness.job")
    layout = page.evaluate("window.__projector.store.get().coords.job")
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        status = client.get(f"/api/projections/{job}").json()
        recall = array(client, job, "recall", "<f4")
        original = array(client, job, "neighbors", "<i4")
        coords = array(client, layout, "coords", "<f4")
    extras = status["extras"]
    assert status["params"]["layout"] == layout and status["params"]["axes"] == [0, 1]
    shown = [float(x) for x in SUMMARY.match(page.locator("#faith-summary").inner_text()).groups()]
    print("summary:", page.locator("#faith-summary").inner_text())
    assert shown == [round(extras["mean_recall"], 2), round(extras["trustworthiness"], 2), round(extras["continuity"], 2)]
    assert 0.0 < extras["mean_recall"] < 1.0  # 16 dimensions in a plane keep some neighbours, not all

    # Colour by offers the column and shows it: a colour bar and, under it, a histogram of the values.
    expect(page.locator("#color-by")).to_have_value("faithfulness")
    expect(page.locator("#legend .legend-title")).to_have_text("faithfulness")
    expect(page.locator("#legend .colorbar")).to_be_visible()
    bars = page.locator("#legend .legend-histogram .histogram-bar")
    expect(bars).to_have_count(20)
    counts = [int(c) for c in bars.evaluate_all("els => els.map(e => e.dataset.count)")]
    column = np.round(recall.astype(np.float64), 6)  # the page's values: multiples of 1/k
    lo, hi = column.min(), column.max()
    want = np.clip(np.floor((column - lo) / (hi - lo) * 20), 0, 19).astype(int)
    assert counts == np.bincount(want, minlength=20).tolist()
    heights = bars.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    tallest = int(np.argmax(counts))
    assert heights[tallest] == max(heights) > 20 and all(h == 0 for h, c in zip(heights, counts) if c == 0)
    shot = np.asarray(Image.open(io.BytesIO(page.locator("#legend .legend-histogram").screenshot())).convert("RGB"))
    background = np.asarray(Image.open(io.BytesIO(page.locator("#legend .legend-title").screenshot())).convert("RGB"))[0, 0]
    assert (np.abs(shot.astype(int) - background.astype(int)).max(axis=2) > 40).mean() > 0.1, "no bars drawn"

    # The 100 least faithful points, least first, with their recall; a click selects one.
    items = page.locator("#faith-least .result-item")
    expect(items).to_have_count(100)
    rows = [int(r) for r in items.evaluate_all("els => els.map(e => e.dataset.row)")]
    values = [float(v) for v in page.locator("#faith-least .distance").all_text_contents()]
    assert values == sorted(values) and values[0] == round(float(recall.min()), 2)
    assert rows == extras["least_faithful"] and np.allclose(values, recall[rows], atol=0.005)
    assert items.first.locator(".result-label").inner_text() == story.words[rows[0]]
    page.select_option("#label-by", "faithfulness")  # a derived column labels too, as a short number
    assert items.first.locator(".result-label").inner_text() == f"{column[rows[0]]:g}"
    page.select_option("#label-by", "word")
    items.first.click()
    expect(page.locator("#selected-label")).to_have_text(story.words[rows[0]])

    # Its rings: false neighbours (near on the map, not in the data) and missed ones (the reverse).
    row = rows[0]
    d = ((coords[:, :2].astype(np.float64) - coords[row, :2]) ** 2).sum(axis=1)
    d[row] = np.inf
    on_map = set(np.argsort(d, kind="stable")[:10].tolist())
    in_data = set(original[row].tolist())
    false_rows, missed_rows = on_map - in_data, in_data - on_map
    assert false_rows and len(false_rows) == len(missed_rows) == round((1 - recall[row]) * 10)
    false_marks = page.locator(".faith-mark.faith-false")
    missed_marks = page.locator(".faith-mark.faith-missed")
    expect(false_marks).to_have_count(len(false_rows))
    expect(missed_marks).to_have_count(len(missed_rows))
    assert {int(i) for i in false_marks.evaluate_all("els => els.map(e => e.dataset.index)")} == false_rows
    assert {int(i) for i in missed_marks.evaluate_all("els => els.map(e => e.dataset.index)")} == missed_rows
    expect(page.locator("#faith-key")).to_contain_text(f"false neighbour: near on screen, not in the data ({len(false_rows)} of 10)")
    expect(page.locator("#faith-key")).to_contain_text(f"missed neighbour: near in the data, not on screen ({len(missed_rows)} of 10)")
    # Each ring is drawn, in its colour, around its point.
    wait_settled(page)
    image = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"))
    scale = image.shape[1] / page.viewport_size["width"]
    checked = 0
    for kind, marked, rgb in (("false", false_rows, FALSE_RGB), ("missed", missed_rows, MISSED_RGB)):
        for r in marked:
            at = page.evaluate(f"window.__projector.screenPositionOf({r})")
            if at is None:
                continue
            x, y = int(at["x"] * scale), int(at["y"] * scale)
            patch = image[max(0, y - 14):y + 14, max(0, x - 14):x + 14]
            assert near(patch, rgb) > 5, f"no {kind} ring around row {r}"
            checked += 1
    assert checked >= len(false_rows), "the rings' points are off screen"
    # The rings leave the selected point's own marker visible: its red centre, no ring colour on it.
    at = page.evaluate(f"window.__projector.screenPositionOf({row})")
    x, y = int(at["x"] * scale), int(at["y"] * scale)
    centre = image[y - 3:y + 4, x - 3:x + 4]
    ring_pixels = near(centre, FALSE_RGB) + near(centre, MISSED_RGB)
    print(f"selected point: {near(centre, SELECTED_RGB)} red and {ring_pixels} ring pixels in its 7x7 centre")
    assert near(centre, SELECTED_RGB) >= 25 and ring_pixels == 0
    # The k field shows "100" whole; k over 100 is refused with the field's message, not clamped.
    room = page.evaluate("""() => {
        const k = document.getElementById('faith-k');
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = getComputedStyle(k).font;
        return k.clientWidth - ctx.measureText('100').width;
    }""")
    assert room >= 24, f"the k field leaves {room:.1f} px beside '100' (padding and the spin buttons need more)"
    page.fill("#faith-k", "150")
    page.click("#faith-check")
    assert page.eval_on_selector("#faith-k", "k => k.validationMessage") != ""
    assert page.input_value("#faith-k") == "150"
    assert page.evaluate("window.__projector.store.get().faithfulness.job") == job
    page.fill("#faith-k", "10")

    # A shared view leaves the column out (it is no dataset column), so Share still works while coloured by it.
    page.click("#share-button")
    expect(page.locator("#share-message")).to_have_text("Anyone with this link sees this view:")
    assert "colorBy" not in page.input_value("#share-link")
    page.keyboard.press("Escape")
    expect(page.locator("#share-popover")).to_be_hidden()
    expect(page.locator("#color-by")).to_have_value("faithfulness")

    # Another layout on screen (3D shows the third component too): the check no longer describes it.
    page.click("#dims-toggle button[data-mode='3d']")
    expect(page.locator("#faith-summary")).to_have_text("")
    expect(page.locator(".faith-mark")).to_have_count(0)
    expect(page.locator("#faith-least .result-item")).to_have_count(0)
    expect(page.locator("#color-by option[value='faithfulness']")).to_have_count(0)
    expect(page.locator("#legend .legend-title")).to_have_count(0)
