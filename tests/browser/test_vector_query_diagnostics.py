"""Inspector Query box (expression, pasted vector, centroid of the selection) and Diagnostics
(compute, colour by hubness, sort by hubness/sparsity, near-duplicate pairs), one story each."""

from __future__ import annotations

import httpx
import numpy as np
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.map_tools_helpers import dot_width, screenshot
from tests.browser.story_data import StoryData
from tests.datagen import vectors_tsv

# Row 61 is planted as a copy of row 60 (the story's rows are otherwise distinct).
DUP_A, DUP_B = 60, 61


def unit(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def cosine_order(vectors: np.ndarray, q: np.ndarray, exclude: set[int] = frozenset()) -> list[int]:
    d = 1 - unit(vectors) @ unit(q)
    d[list(exclude)] = np.inf
    return np.argsort(d, kind="stable").tolist()


def shown_rows(page: Page, selector: str) -> list[int]:
    return page.eval_on_selector_all(selector, "els => els.map(e => Number(e.dataset.row))")


def upload(base_url: str, story: StoryData) -> tuple[str, np.ndarray]:
    vectors = story.vectors.copy()
    vectors[DUP_B] = vectors[DUP_A]
    with httpx.Client(base_url=base_url, timeout=60) as client:
        r = client.post("/api/datasets", data={"name": "query story"}, files={
            "vectors": ("vectors.tsv", vectors_tsv(vectors)), "metadata": ("metadata.tsv", story.metadata_tsv)})
    assert r.status_code == 201, r.text
    return r.json()["id"], vectors.astype(np.float32)


def test_query_box_and_diagnostics(page: Page, page_errors, live_server, story: StoryData) -> None:
    page_errors.allow(r"status of 422")  # the bad queries below
    dataset_id, vectors = upload(live_server.url, story)
    words = story.words
    open_projector(page, live_server.url, dataset_id)
    before = screenshot(page)

    # An expression over the labels: the 10 nearest, terms excluded, listed and selected on the map.
    page.fill("#query-input", "orange - word1 + word2")
    page.click("#query-run")
    expect(page.locator("#query-status")).to_have_text("10 nearest to orange − word1 + word2 (cosine)")
    q = unit(vectors[7]) - unit(vectors[1]) + unit(vectors[2])
    want = [r for r in cosine_order(vectors, q, {7, 1, 2})][:10]
    assert shown_rows(page, "#query-list li") == want
    expect(page.locator("#query-list li .result-label").first).to_have_text(words[want[0]])
    assert sorted(page.evaluate("window.__projector.store.get().selection")) == sorted(want)
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    after = screenshot(page)
    at = page.evaluate(f"window.__projector.screenPositionOf({want[0]})")
    wide, was = dot_width(after, at["x"], at["y"]), dot_width(before, at["x"], at["y"])
    assert wide > was, f"the queried point is drawn {wide} px wide, {was} px before the query"

    # Centroid of the selection (those 10 rows).
    page.click("#query-centroid")
    expect(page.locator("#query-status")).to_have_text("10 nearest to centroid of 10 selected (cosine)")
    assert shown_rows(page, "#query-list li") == cosine_order(vectors, vectors[want].astype(np.float64).mean(0))[:10]

    # A pasted vector (commas) equal to row 20: row 20 first, at distance 0; a click selects a row.
    page.fill("#query-input", ", ".join(repr(float(v)) for v in vectors[20]))
    page.click("#query-run")
    expect(page.locator("#query-status")).to_have_text("10 nearest to the pasted vector (cosine)")
    expect(page.locator("#query-list li .distance").first).to_have_text("0.000")
    assert shown_rows(page, "#query-list li")[0] == 20
    page.locator("#query-list li").nth(1).click()
    expect(page.locator("#selected-label")).to_have_text(words[shown_rows(page, "#query-list li")[1]])

    # A 422 is shown as its message.
    page.fill("#query-input", "orange - kingg")
    page.press("#query-input", "Enter")
    expect(page.locator("#query-message")).to_have_text("unknown term 'kingg' in column 'word'")
    page.fill("#query-input", "1 2 3")
    page.press("#query-input", "Enter")
    expect(page.locator("#query-message")).to_contain_text("the vector has 3 numbers; this dataset's vectors have 16")
    # A zero vector has no cosine direction; a non-finite number is named by its position, not sent.
    page.fill("#query-input", " ".join(["0"] * 16))
    page.press("#query-input", "Enter")
    expect(page.locator("#query-message")).to_have_text(
        "the query vector is zero: it has no direction for cosine (euclidean can answer it)")
    page.fill("#query-input", "0.5 " * 5 + "1e999 " + "0 " * 10)
    page.press("#query-input", "Enter")
    expect(page.locator("#query-message")).to_have_text("the vector's number 6 is '1e999': every number must be finite")
    page.fill("#query-input", "nan 0 0")
    page.press("#query-input", "Enter")
    expect(page.locator("#query-message")).to_have_text("the vector's number 1 is 'nan': every number must be finite")

    # Diagnostics: compute, then hubness/sparsity in Colour by, a sortable list, the duplicate pair.
    page.click("#diagnostics-compute")
    expect(page.locator("#diagnostics-summary")).to_contain_text("k = 10 (cosine): hubness skewness")
    expect(page.locator("#duplicates-count")).to_have_text("1 near-duplicate pair (distance < 0.000001)")
    pair = page.locator("#duplicates-list li")
    expect(pair).to_have_count(1)
    expect(pair.locator(".result-label")).to_have_text(f"{words[DUP_A]} — {words[DUP_B]}")
    pair.click()
    assert sorted(page.evaluate("window.__projector.store.get().selection")) == [DUP_A, DUP_B]

    d = 1 - unit(vectors) @ unit(vectors).T
    np.fill_diagonal(d, np.inf)
    knn = np.argsort(d, axis=1, kind="stable")[:, :10]
    hub = np.bincount(knn.ravel(), minlength=len(vectors))
    kth = np.sort(d, axis=1)[:, 9]
    by_hub = shown_rows(page, "#diagnostics-list li")
    assert len(by_hub) == 100 and hub[by_hub[0]] == hub.max()
    values = [float(t) for t in page.locator("#diagnostics-list li .distance").all_text_contents()]
    assert values == sorted(values, reverse=True) and values[0] == hub.max()
    page.select_option("#diagnostics-sort", "sparsity")
    expect(page.locator("#diagnostics-list li").first).to_have_attribute("data-row", str(int(np.argmax(kth))))
    assert shown_rows(page, "#diagnostics-list li") != by_hub

    page.select_option("#color-by", "hubness")
    expect(page.locator("#legend .colorbar")).to_be_visible()
    expect(page.locator("#legend")).to_contain_text("hubness")
    print(f"hubness max {hub.max()}, skewness shown: {page.locator('#diagnostics-summary').text_content()}")

    # k and the duplicate threshold are the user's: k 5 and a threshold that takes in the closest pairs.
    page.fill("#diagnostics-k", "150")
    page.click("#diagnostics-compute")
    assert page.eval_on_selector("#diagnostics-k", "f => f.validationMessage") != ""
    expect(page.locator("#diagnostics-summary")).to_contain_text("k = 10 (cosine)")  # nothing was started
    knn5 = np.argsort(d, axis=1, kind="stable")[:, :5]
    pairs = {(min(i, int(j)), max(i, int(j))) for i in range(len(d)) for j in knn5[i]}
    closest = sorted(float(d[i, j]) for i, j in pairs)
    threshold = float(f"{(closest[3] + closest[4]) / 2:.3g}")  # between the 4th and 5th closest pairs
    want = sum(dist < threshold for dist in closest)
    page.fill("#diagnostics-k", "5")
    page.fill("#diagnostics-threshold", str(threshold))
    page.click("#diagnostics-compute")
    expect(page.locator("#diagnostics-summary")).to_contain_text("k = 5 (cosine): hubness skewness")
    expect(page.locator("#duplicates-count")).to_have_text(f"{want} near-duplicate pairs (distance < {threshold:g})")
    expect(page.locator("#duplicates-list li")).to_have_count(want)
