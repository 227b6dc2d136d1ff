"""A large dataset's first view: the points are drawn before its metadata is even asked for, and the
metadata then arrives in full (labels and search work), whether it is opened from the list or a link."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time

import numpy as np
from playwright.sync_api import Page, expect

from tests.conftest import run_server

ROWS = 200_000  # actions.js LAZY_METADATA_ROWS: from here the metadata waits for the first layout
COORDS = re.compile(r"/api/projections/[0-9a-f]+/coords$")
METADATA = re.compile(r"/api/datasets/[^/]+/metadata$")


def upload_large(live_server) -> str:
    rng = np.random.default_rng(7)
    buffer = io.BytesIO()
    np.save(buffer, rng.normal(size=(ROWS, 2)).astype(np.float32))
    # One column, so no header (as TensorBoard reads it); each file stays under the test server's 2 MB.
    metadata = "".join(f"w{i}\n" for i in range(ROWS))
    with live_server.client() as client:
        r = client.post(
            "/api/datasets",
            files={"vectors": ("v.npy", buffer.getvalue()), "metadata": ("m.tsv", metadata.encode())},
            data={"name": "large-first-view"},
            timeout=120,
        )
    assert r.status_code == 201, r.text
    return r.json()["id"]


# In the page, from its start: when the map's canvas first said all ROWS points were on screen (the
# GPU finished their draw: data-shown), and every draw call of all of them and every buffer upload.
GPU_PROBE = """
window.__probe = { shownAt: null, fullDraws: 0, uploaded: 0 };
new MutationObserver(() => {
  const c = document.querySelector('canvas.scatter-canvas');
  if (window.__probe.shownAt === null && c && c.dataset.shown === String(ROWS)) window.__probe.shownAt = performance.now();
}).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-shown'] });
const C = WebGL2RenderingContext.prototype;
for (const name of ['drawArrays', 'drawElements']) {
  const draw = C[name];
  C[name] = function (mode, a, b) { if ((name === 'drawArrays' ? b : a) === ROWS) window.__probe.fullDraws += 1; return draw.apply(this, arguments); };
}
for (const name of ['bufferData', 'bufferSubData']) {
  const upload = C[name];
  C[name] = function (target, data) { window.__probe.uploaded += data?.byteLength ?? 0; return upload.apply(this, arguments); };
}
"""


def import_generated(tmp_path, rows: int, dim: int, seed: int) -> tuple:
    """`embedding-projector import` of a seeded rows x dim normal .npy into tmp_path/data: (data dir, dataset id)."""
    np.save(tmp_path / "v.npy", np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32))
    data = tmp_path / "data"
    out = subprocess.run([sys.executable, "-m", "embedding_projector", "import", str(tmp_path / "v.npy"),
                          "--data-dir", str(data)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return data, out.stdout.split("\t")[0]


def test_points_come_before_the_metadata_which_then_works(page: Page, live_server) -> None:
    dataset = upload_large(live_server)
    events: list[tuple[str, str, float]] = []
    page.on("request", lambda r: events.append(("request", r.url, time.monotonic())))
    page.on("requestfinished", lambda r: events.append(("finished", r.url, time.monotonic())))
    page.add_init_script(GPU_PROBE.replace("ROWS", str(ROWS)))

    page.goto(f"{live_server.url}/?dataset={dataset}")
    page.wait_for_function(
        "n => document.querySelector('canvas.scatter-canvas')?.dataset.points === String(n)", arg=ROWS, timeout=120_000
    )
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=120_000)

    coords_done = [t for kind, url, t in events if kind == "finished" and COORDS.search(url)]
    metadata_asked = [t for kind, url, t in events if kind == "request" and METADATA.search(url)]
    assert len(coords_done) == 1 and len(metadata_asked) == 1, events
    assert metadata_asked[0] >= coords_done[0], "the metadata was asked for before the first layout arrived"
    # Not before the GPU had finished drawing the points either: reading the metadata would share
    # the CPU with a software renderer's frame.
    probe = page.evaluate("window.__probe")
    asked_at = page.evaluate("performance.getEntriesByType('resource').find((e) => /\\/metadata$/.test(e.name)).startTime")
    assert probe["shownAt"] is not None and asked_at >= probe["shownAt"], (probe, asked_at)
    # The metadata left the colours as they were: no second frame of every point, and the GPU got
    # 16 bytes a point (positions as floats, colours and flags as bytes, no draw order while nothing
    # is selected), not 32.
    page.wait_for_timeout(500)
    probe = page.evaluate("window.__probe")
    assert probe["fullDraws"] == 1, probe
    assert probe["uploaded"] <= ROWS * 16 + 1_000_000, probe

    # The metadata arrived whole: a label search finds its one row, and the status no longer waits.
    page.fill("#search-input", "w199999")
    expect(page.locator("#match-count")).to_have_text("1 match")
    expect(page.locator("#match-list li").first).to_have_text("w199999")
    expect(page.locator("#status-text")).not_to_have_text(re.compile("Loading the metadata"))


def test_a_projection_started_while_the_metadata_loads_keeps_it(page: Page, live_server) -> None:
    """Sphereize clicked while the metadata is still on its way: the new PCA shows, and the metadata,
    once it arrives, is kept (search works and the page gets ready) rather than dropped as stale."""
    dataset = upload_large(live_server)
    held = []
    page.route(METADATA, lambda route: held.append(route))
    page.goto(f"{live_server.url}/?dataset={dataset}")
    page.wait_for_function(
        "n => document.querySelector('canvas.scatter-canvas')?.dataset.points === String(n)", arg=ROWS, timeout=120_000
    )
    expect(page.locator("#status-text")).to_have_text(re.compile("Loading the metadata"))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/projections")) as answer:
        page.check("#sphereize-toggle")
    assert answer.value.request.post_data_json["sphereize"] is True
    page.wait_for_function(
        "() => window.__projector.store.get().coords?.key.endsWith('|sphereized')", timeout=120_000
    )
    assert len(held) == 1 and page.evaluate("document.body.dataset.state") != "ready"
    held[0].continue_()
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=120_000)
    page.fill("#search-input", "w42")
    expect(page.locator("#match-count")).to_contain_text("match")
    expect(page.locator("#match-list li").first).to_have_text("w42")


def test_a_computed_first_view_comes_by_the_preload(page: Page, browser, live_server, dataset_id, story) -> None:
    """Opened again once its PCA is computed, the page fetches the coordinates once, by the HTML's
    preload (started before any script ran), and draws them with the WebGL context made in <head>."""
    page.goto(f"{live_server.url}/?dataset={dataset_id}&dimensions=2")  # computes the PCA
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=120_000)

    context = browser.new_context(viewport={"width": 1280, "height": 800})  # an empty memory cache
    again = context.new_page()
    asked: list[str] = []
    again.on("request", lambda r: asked.append(r.url) if COORDS.search(r.url) else None)
    again.goto(f"{live_server.url}/?dataset={dataset_id}&dimensions=2")
    again.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=120_000)
    entries = again.evaluate(
        "performance.getEntriesByType('resource').filter(e => /\\/coords$/.test(e.name)).map(e => e.initiatorType)"
    )
    points = again.evaluate("document.querySelector('canvas.scatter-canvas').dataset.points")
    # The WebGL context made in <head> (early_gl.js, while the modules load) is the one the map draws
    # with: taken (null) by the scene, not left beside a second one (undefined: the script never ran).
    early = again.evaluate("window.__earlyGl === null ? 'taken' : String(window.__earlyGl)")
    # This chromium renders with SwiftShader: early_gl.js tells, and the map's context is not
    # multisampled (which doubled a frame of a million points there).
    software = again.evaluate("window.__softwareGl")
    antialias = again.evaluate("document.querySelector('canvas.scatter-canvas').dataset.antialias")
    context.close()
    assert early == "taken", early
    assert software is True, software
    assert antialias == "false", antialias
    assert len(asked) == 1, asked
    assert entries == ["link"], entries  # the preload answered the page's fetch: no second download
    assert points == str(len(story.words))


def test_an_imported_dataset_opens_on_a_fresh_server_without_computing(page: Page, tmp_path) -> None:
    """`embedding-projector import` leaves the first view's PCA computed: the page on a server just
    started draws it from the preloaded result; its PCA request is answered done and follows no job."""
    rows = 20_000
    data, dataset = import_generated(tmp_path, rows, 24, seed=9)
    with run_server(data, env={"PROJECTOR_WORKERS": "1"}) as server:
        answers, urls = [], []
        page.on("request", lambda r: urls.append(r.url))
        page.on("response", lambda r: answers.append(r) if r.url.endswith("/projections") and r.request.method == "POST" else None)
        page.goto(f"{server.url}/?dataset={dataset}&dimensions=2")
        page.wait_for_function(
            "n => document.querySelector('canvas.scatter-canvas')?.dataset.points === String(n)", arg=rows,
            timeout=60_000)
        assert len(answers) == 1 and answers[0].status == 200 and answers[0].json()["status"] == "done"
        assert [u for u in urls if COORDS.search(u)] == [f"{server.url}/api/projections/{answers[0].json()['id']}/coords"]
        assert not [u for u in urls if u.endswith("/events")], urls


def test_a_large_pca_comes_by_its_leading_components_and_the_rest_when_chosen(page: Page, tmp_path) -> None:
    """At LEADING_COLUMNS_ROWS rows the first view downloads the PCA's 3 leading components only (by
    the preload); choosing component #5 for X fetches the rest, and the points move to it: the rows
    with the least and the most of that component end up at the left and the right of the map."""
    rows, dim = ROWS, 6
    data, dataset = import_generated(tmp_path, rows, dim, seed=5)
    with run_server(data, env={"PROJECTOR_WORKERS": "1"}) as server:
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if "/coords" in r.url else None)
        page.goto(f"{server.url}/?dataset={dataset}&dimensions=2")
        page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=120_000)
        (first,) = asked
        assert first.endswith("/coords?columns=3"), asked
        initiators = page.evaluate(
            "performance.getEntriesByType('resource').filter(e => e.name.includes('/coords')).map(e => e.initiatorType)")
        assert initiators == ["link"], initiators  # the preload answered the page's fetch
        expect(page.locator("#axis-x option")).to_have_count(dim)  # every component offered

        with server.client() as client:
            full = np.frombuffer(client.get(first.split("?")[0]).content, dtype="<f4").reshape(rows, dim)
        low, high = int(full[:, 4].argmin()), int(full[:, 4].argmax())
        page.select_option("#axis-x", "4")
        page.wait_for_function("() => window.__projector.store.get().coords?.d === 6", timeout=60_000)
        page.wait_for_function("() => document.querySelector('canvas.scatter-canvas').dataset.animating === 'false'")
        assert len(asked) == 2 and asked[1] == first.split("?")[0], asked
        after = [page.evaluate("r => window.__projector.screenPositionOf(r)", r) for r in (low, high)]
        box = page.locator("canvas.scatter-canvas").bounding_box()
        assert after[0]["x"] < box["x"] + box["width"] * 0.3 < box["x"] + box["width"] * 0.7 < after[1]["x"], (after, box)
