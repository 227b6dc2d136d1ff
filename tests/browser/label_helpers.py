"""A generated dataset for the label tests (a tight cluster of 21 points among spread ones), its
upload, and readers of the labels the page shows."""

from __future__ import annotations

import httpx
import numpy as np
from playwright.sync_api import Page

CLUSTER = 21  # the centre point and its 20 neighbours
SPREAD = 300
DIM = 16
CENTRE = 0  # row of the cluster's centre point
CENTRE_WORD = "zcentre"


def cluster_data(seed: int = 11) -> tuple[np.ndarray, list[str]]:
    """Vectors (cluster first, centred on the data's mean so it sits mid-plot) and one word per row."""
    rng = np.random.default_rng(seed)
    spread = rng.normal(size=(SPREAD, DIM))
    spread -= spread.mean(axis=0)
    cluster = rng.normal(scale=0.004, size=(CLUSTER, DIM))
    cluster[CENTRE] = 0.0
    vectors = np.vstack([cluster, spread]).astype(np.float32)
    words = [CENTRE_WORD] + [f"near{i:02d}" for i in range(1, CLUSTER)] + [f"far{i:03d}" for i in range(SPREAD)]
    return vectors, words


def upload_cluster_dataset(base_url: str, name: str) -> tuple[str, np.ndarray]:
    """Upload the cluster dataset; return its id and its vectors."""
    vectors, words = cluster_data()
    vectors_tsv = "\n".join("\t".join(f"{v:.6f}" for v in row) for row in vectors) + "\n"
    groups = ["cluster"] * CLUSTER + ["spread"] * SPREAD
    metadata_tsv = "word\tgroup\n" + "".join(f"{w}\t{g}\n" for w, g in zip(words, groups))
    with httpx.Client(base_url=base_url, timeout=60) as client:
        answer = client.post(
            "/api/datasets",
            files={
                "vectors": ("vectors.tsv", vectors_tsv.encode(), "text/tab-separated-values"),
                "metadata": ("metadata.tsv", metadata_tsv.encode(), "text/tab-separated-values"),
            },
            data={"name": name[:40]},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], vectors


VISIBLE_LABELS = """() => [...document.querySelectorAll('.scatter-overlay .point-label')]
    .filter((e) => !e.hidden)
    .map((e) => {
        const r = e.getBoundingClientRect();
        return {text: e.textContent, index: Number(e.dataset.index), kind: e.className,
                left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                fontSize: parseFloat(getComputedStyle(e).fontSize)};
    })"""

LEADERS = """() => [...document.querySelectorAll('.scatter-overlay line.label-leader')]
    .filter((l) => l.style.display !== 'none')
    .map((l) => {
        const box = l.ownerSVGElement.getBoundingClientRect();
        return {index: Number(l.dataset.index),
                x1: box.left + Number(l.getAttribute('x1')), y1: box.top + Number(l.getAttribute('y1')),
                x2: box.left + Number(l.getAttribute('x2')), y2: box.top + Number(l.getAttribute('y2'))};
    })"""


def visible_labels(page: Page) -> list[dict]:
    """The labels on screen, with their page (client) boxes."""
    return page.evaluate(VISIBLE_LABELS)


def leader_lines(page: Page) -> list[dict]:
    """The leader lines on screen, in page (client) coordinates, with the draw index of their dot."""
    return page.evaluate(LEADERS)


def overlaps(labels: list[dict], slack: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of labels whose boxes overlap by more than `slack` px either way."""
    pairs = []
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if (a["left"] < b["right"] - slack and b["left"] < a["right"] - slack
                    and a["top"] < b["bottom"] - slack and b["top"] < a["bottom"] - slack):
                pairs.append((a["text"], b["text"]))
    return pairs


def after_next_render(page: Page) -> None:
    """Wait two animation frames: a render requested before this call (which places the labels) has run."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def select_centre_with_neighbors(page: Page, k: int = 20) -> None:
    """Select the cluster's centre point by searching its word, with k euclidean neighbours."""
    page.fill("#search-input", CENTRE_WORD)
    page.press("#search-input", "Enter")
    page.wait_for_function("() => document.getElementById('selected-label').textContent === 'zcentre'")
    page.select_option("#neighbor-metric", "euclidean")
    page.fill("#neighbor-count", str(k))
    page.locator("#neighbor-count").blur()  # the field's native change event
    page.wait_for_function(
        """(k) => { const s = window.__projector.store.get();
            return !s.neighborsLoading && s.neighbors.length === k && s.neighborParams.metric === 'euclidean'; }""",
        arg=k,
    )
    after_next_render(page)
