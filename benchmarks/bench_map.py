"""Box and lasso selection, and frame times while panning and zooming, on GloVe 400k in chromium.

For each dataset (glove-10k as the baseline, glove-400k as the figure) the page shows the 2D PCA,
then:
- selection: time from mouse-up to the count text updated ("N selected"), and to the frame that
  shows it drawn (the first animation frame after the scene's render), for a box, a lasso, and a
  plain click on one point (the baseline interaction);
- frame time: requestAnimationFrame intervals during scripted drags (pan) and wheel notches (zoom),
  median and p95.
Chromium renders WebGL with SwiftShader (no GPU), as in the browser tests. Not part of `make test`.
"""

from __future__ import annotations

import math
import os
import statistics

from playwright.sync_api import Page, sync_playwright

from server_process import bench_server

CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]
REPEATS = 5
TARGET_MS = 100

# Marks mouse-up (capture phase, before the scene handles it), the count text changing, and the
# animation frame after the one that drew the new selection.
INSTRUMENT = """() => {
  const b = window.__bench = { up: 0, count: 0, drawn: 0, frames: [], recording: false };
  window.addEventListener('pointerup', () => { b.up = performance.now(); b.count = 0; b.drawn = 0; }, true);
  new MutationObserver(() => {
    if (!b.up || b.count) return;
    b.count = performance.now();
    // The scene asked for its frame while handling mouse-up, so this callback runs right after it.
    requestAnimationFrame(() => { b.drawn = performance.now(); });
  }).observe(document.getElementById('selection-count'), { childList: true, characterData: true, subtree: true });
  const tick = (t) => { if (b.recording) b.frames.push(t); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""
WAIT_MEASURED = "() => window.__bench.drawn > 0"
READ = """() => [window.__bench.count - window.__bench.up, window.__bench.drawn - window.__bench.up,
  window.__projector.store.get().selection.length]"""


def open_2d(page: Page, url: str, dataset: str) -> dict:
    """Open `dataset`, show its 2D PCA, install the probes; answer the canvas box."""
    page.goto(f"{url}/?dataset={dataset}")
    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=600_000)
    page.click("#dims-toggle button[data-mode='2d']")
    page.wait_for_function("() => document.querySelector('canvas.scatter-canvas').dataset.mode === '2d'"
                           " && document.body.dataset.state === 'ready'", timeout=120_000)
    page.evaluate(INSTRUMENT)
    return page.locator("canvas.scatter-canvas").bounding_box()


def measure(page: Page, gesture) -> tuple[list[float], list[float], list[int]]:
    """Run `gesture` REPEATS times (each must change the count text); the two latencies in ms, and the rows selected."""
    counts, drawn, sizes = [], [], []
    for i in range(REPEATS):
        page.keyboard.press("Escape")
        page.wait_for_function("() => document.getElementById('selection-count').textContent === ''")
        # Let the frame that drew the cleared selection finish, so the gesture does not queue behind it.
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        gesture(i)
        page.wait_for_function(WAIT_MEASURED, timeout=60_000)
        c, d, size = page.evaluate(READ)
        counts.append(c)
        drawn.append(d)
        sizes.append(size)
    return counts, drawn, sizes


def box_gesture(page: Page, box: dict):
    def run(i: int) -> None:
        k = 0.02 * i  # a slightly different box each time
        page.mouse.move(box["x"] + box["width"] * (0.3 + k), box["y"] + box["height"] * (0.3 + k))
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * (0.65 + k), box["y"] + box["height"] * (0.7 + k), steps=5)
        page.mouse.up()
    return run


def lasso_gesture(page: Page, box: dict):
    def run(i: int) -> None:
        cx, cy = box["x"] + box["width"] * (0.5 + 0.02 * i), box["y"] + box["height"] / 2
        r = min(box["width"], box["height"]) * 0.3
        pts = [(cx + r * math.cos(a / 40 * 2 * math.pi) * (1 + 0.3 * math.sin(3 * a / 40 * 2 * math.pi)),
                cy + r * math.sin(a / 40 * 2 * math.pi)) for a in range(41)]
        page.mouse.move(*pts[0])
        page.mouse.down()
        for p in pts[1:]:
            page.mouse.move(*p)
        page.mouse.up()
    return run


def click_gesture(page: Page, box: dict):
    def run(i: int) -> None:
        # A point near the centre: the first row whose screen position is inside a small window.
        row = page.evaluate("""([x, y]) => {
          const n = window.__projector.store.get().coords.n;
          for (let r = 0; r < n; r += 7) {
            const p = window.__projector.screenPositionOf(r);
            if (p && Math.abs(p.x - x) < 150 && Math.abs(p.y - y) < 150) return [p.x, p.y];
          }
          return null;
        }""", [box["x"] + box["width"] * (0.4 + 0.03 * i), box["y"] + box["height"] / 2])
        page.mouse.click(*row)
    return run


def frame_times(page: Page, box: dict) -> list[float]:
    """rAF intervals (ms) while dragging (pan) and wheeling (zoom) across the 2D plot."""
    page.keyboard.press("Escape")
    page.keyboard.press("o")
    page.evaluate("() => { window.__bench.frames = []; window.__bench.recording = true; }")
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for sign in (1, -1, 1, -1):
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + sign * 200, cy + sign * 120, steps=30)
        page.mouse.up()
        for _ in range(10):
            page.mouse.wheel(0, -120 * sign)
    frames = page.evaluate("() => { window.__bench.recording = false; return window.__bench.frames; }")
    return [b - a for a, b in zip(frames, frames[1:])]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> None:
    """Run the benchmark and print the table."""
    results = {}
    with bench_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        for dataset in ("glove-10k", "glove-400k"):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            box = open_2d(page, url, dataset)
            row = {"click": measure(page, click_gesture(page, box))}
            page.keyboard.press("b")
            row["box"] = measure(page, box_gesture(page, box))
            page.keyboard.press("l")
            row["lasso"] = measure(page, lasso_gesture(page, box))
            row["frames"] = frame_times(page, box)
            results[dataset] = row
            context.close()
        browser.close()

    load = os.getloadavg()
    print(f"load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores")
    print(f"| interaction (median of {REPEATS}) | glove-10k: count shown / frame drawn | "
          f"glove-400k: count shown / frame drawn | target |")
    print("| --- | --- | --- | --- |")
    for what in ("click", "box", "lasso"):
        cells = []
        for dataset in ("glove-10k", "glove-400k"):
            counts, drawn, sizes = results[dataset][what]
            cells.append(f"{statistics.median(counts):.0f} ms / {statistics.median(drawn):.0f} ms "
                         f"(max {max(drawn):.0f}; ~{statistics.median(sizes):,.0f} rows)")
        target = "baseline" if what == "click" else f"≤ {TARGET_MS} ms"
        print(f"| {what} selection, mouse-up to | {cells[0]} | {cells[1]} | {target} |")
    print("| frame time panning + zooming 2D (median / p95, frames) | "
          + " | ".join(f"{statistics.median(f):.1f} / {p95(f):.1f} ms ({len(f)})"
                       for f in (results['glove-10k']['frames'], results['glove-400k']['frames']))
          + " | |")


if __name__ == "__main__":
    main()
