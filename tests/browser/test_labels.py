"""Labels on the map: a tight cluster's labels are placed without overlap (with leader lines when
moved), the label modes and size, and 3D labels that scale with depth."""

from __future__ import annotations

import math

import numpy as np
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.label_helpers import (
    CLUSTER, after_next_render, leader_lines, overlaps, select_centre_with_neighbors, upload_cluster_dataset, visible_labels,
)
from tests.browser.projection_helpers import wait_settled

NEIGHBOR_LABELS_SHOWN = "() => document.querySelectorAll('.scatter-overlay .point-label.neighbor:not([hidden])').length > 0"


def open_cluster(page: Page, live_server, name: str, mode: str = "2d") -> np.ndarray:
    dataset, vectors = upload_cluster_dataset(live_server.url, name)
    open_projector(page, live_server.url, dataset)
    if mode == "2d":
        page.click("#dims-toggle button[data-mode='2d']")
        expect(page.locator("canvas.scatter-canvas")).to_have_attribute("data-mode", "2d")
    wait_settled(page)
    return vectors


def dot_of(page: Page, row: int) -> dict:
    at = page.evaluate("row => window.__projector.screenPositionOf(row)", row)
    assert at is not None, f"row {row} is not on screen"
    return at


def test_tight_cluster_labels_fit_without_overlap_and_moved_ones_have_leaders(page: Page, live_server) -> None:
    open_cluster(page, live_server, "labels-cluster")
    select_centre_with_neighbors(page, 20)
    page.wait_for_function(NEIGHBOR_LABELS_SHOWN)
    labels = visible_labels(page)
    print(f"\n{len(labels)} of {CLUSTER} cluster labels visible")
    assert len(labels) >= 15, [l["text"] for l in labels]
    assert overlaps(labels) == []
    assert {l["text"] for l in labels} <= {"zcentre"} | {f"near{i:02d}" for i in range(1, CLUSTER)}
    assert any(l["text"] == "zcentre" and "selected" in l["kind"] for l in labels)

    # The cluster is a few pixels wide, so most labels were moved off their dot: each such label
    # has a leader line from its dot to the edge of its box.
    lines = leader_lines(page)
    assert len(lines) >= len(labels) // 2, lines
    boxes = {l["index"]: l for l in labels}
    for line in lines:
        dot = dot_of(page, line["index"])
        assert math.hypot(line["x1"] - dot["x"], line["y1"] - dot["y"]) < 2.0, (line, dot)
        box = boxes[line["index"]]
        on_edge_x = min(abs(line["x2"] - box["left"]), abs(line["x2"] - box["right"])) < 1.5
        on_edge_y = min(abs(line["y2"] - box["top"]), abs(line["y2"] - box["bottom"])) < 1.5
        inside = box["left"] - 1.5 <= line["x2"] <= box["right"] + 1.5 and box["top"] - 1.5 <= line["y2"] <= box["bottom"] + 1.5
        assert inside and (on_edge_x or on_edge_y), (line, box)
        # short: a leader never crosses the plot
        assert math.hypot(line["x2"] - line["x1"], line["y2"] - line["y1"]) < 150


def test_label_modes_and_size(page: Page, live_server) -> None:
    open_cluster(page, live_server, "labels-modes")
    select_centre_with_neighbors(page, 20)
    page.wait_for_function(NEIGHBOR_LABELS_SHOWN)
    expect(page.locator("#label-mode")).to_have_value("neighbors")
    neighbours_mode = len(visible_labels(page))

    page.select_option("#label-mode", "off")
    page.wait_for_function("() => document.querySelectorAll('.scatter-overlay .point-label:not([hidden])').length === 0")
    assert page.locator(".scatter-overlay line.label-leader:visible").count() == 0

    # "All visible points": zoomed in on part of the spread points, every one on screen that fits.
    page.select_option("#label-mode", "all")
    box = page.locator("canvas.scatter-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    for _ in range(3):
        page.mouse.wheel(0, -300)
    page.wait_for_function("() => window.__projector.camera().zoom > 1.5")
    page.wait_for_function(
        "(n) => document.querySelectorAll('.scatter-overlay .point-label.plain:not([hidden])').length > 0 && "
        "document.querySelectorAll('.scatter-overlay .point-label:not([hidden])').length > n",
        arg=neighbours_mode,
    )
    after_next_render(page)
    labels = visible_labels(page)
    print(f"\nall mode, zoomed in: {len(labels)} labels (selection and neighbours mode: {neighbours_mode})")
    assert len(labels) > CLUSTER
    assert overlaps(labels) == []
    canvas = page.locator("canvas.scatter-canvas").bounding_box()
    for label in labels:
        # every label lies inside the plot, and belongs to a point on screen
        assert canvas["x"] - 1 <= label["left"] and label["right"] <= canvas["x"] + canvas["width"] + 1
        assert dot_of(page, label["index"]) is not None

    # Label size: bigger font and taller boxes.
    small = visible_labels(page)[0]
    assert small["fontSize"] == 12
    page.fill("#label-size", "22")
    page.dispatch_event("#label-size", "change")
    page.wait_for_function(
        "() => { const e = document.querySelector('.scatter-overlay .point-label:not([hidden])');"
        " return e && parseFloat(getComputedStyle(e).fontSize) === 22; }"
    )
    after_next_render(page)
    big = visible_labels(page)
    assert all(l["fontSize"] == 22 for l in big)
    assert min(l["bottom"] - l["top"] for l in big) >= 26 > small["bottom"] - small["top"]
    assert overlaps(big) == []
    assert page.evaluate("window.__projector.store.get().labelSize") == 22


def camera_distances(page: Page, rows: list[int]) -> list[float]:
    """Distance from the 3D camera to each row's drawn position (as points_layer.buildPositions scales it)."""
    got = page.evaluate(
        """() => { const s = window.__projector.store.get();
            return {data: Array.from(s.coords.data), n: s.coords.n, d: s.coords.d, axes: s.projection.axes,
                    camera: window.__projector.camera().position}; }"""
    )
    data = np.array(got["data"], dtype=np.float64).reshape(got["n"], got["d"])[:, got["axes"][:3]]
    lo, hi = data.min(axis=0), data.max(axis=0)
    positions = (data - (lo + hi) / 2) / ((hi - lo).max() / 2)
    camera = np.array(got["camera"])
    return [float(np.linalg.norm(positions[r] - camera)) for r in rows]


def test_3d_labels_are_bigger_when_nearer(page: Page, live_server) -> None:
    open_cluster(page, live_server, "labels-3d", mode="3d")
    option = page.locator("#labels-3d-option")
    expect(option).to_be_visible()
    page.select_option("#label-mode", "all")
    page.wait_for_function("() => document.querySelectorAll('.scatter-overlay .point-label.plain:not([hidden])').length > 20")
    flat = visible_labels(page)
    assert len({round(l["bottom"] - l["top"], 1) for l in flat}) == 1  # without 3D labels: one size

    page.check("#labels-3d")
    page.wait_for_function(
        "() => new Set([...document.querySelectorAll('.scatter-overlay .point-label:not([hidden])')]"
        ".map((e) => Math.round(e.getBoundingClientRect().height))).size > 3"
    )
    labels = visible_labels(page)
    distances = camera_distances(page, [l["index"] for l in labels])
    heights = [l["bottom"] - l["top"] for l in labels]
    near = int(np.argmin(distances))
    far = int(np.argmax(distances))
    print(f"\n3D labels: nearest at {distances[near]:.2f} is {heights[near]:.1f} px tall, "
          f"farthest at {distances[far]:.2f} is {heights[far]:.1f} px")
    assert heights[near] > heights[far] * 1.2
    # nearer labels are bigger throughout: height falls with distance (Spearman-like, on ranks)
    ranks_d = np.argsort(np.argsort(distances))
    ranks_h = np.argsort(np.argsort(heights))
    assert np.corrcoef(ranks_d, ranks_h)[0, 1] < -0.9
    assert overlaps(labels) == []

    page.click("#dims-toggle button[data-mode='2d']")
    expect(option).to_be_hidden()
    page.wait_for_function(
        "() => new Set([...document.querySelectorAll('.scatter-overlay .point-label:not([hidden])')]"
        ".map((e) => Math.round(e.getBoundingClientRect().height))).size === 1"
    )
