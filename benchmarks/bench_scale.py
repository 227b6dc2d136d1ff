"""A generated N × D mixture (default 1M × 768) end to end, each figure beside its floor from the same run.

    python benchmarks/bench_scale.py --rows 1000000 --dim 768          # the issue's run (hours with --layouts)
    python benchmarks/bench_scale.py --rows 20000 --dim 768 --sample 5000   # a quick check of the script
    python benchmarks/bench_scale.py --only import,pca,neighbors,view,sample

Sections (SECTIONS), in order, against one server started on the imported data:
- import: `embedding-projector import big.npy --metadata metadata.tsv` in a fresh process, its time
  and peak RSS, beside np.load of the same file (time and matrix size), and the time of the first
  view's PCA, which the import computes;
- pca: PCA through the API with warm workers (the import's result deleted first, so it computes),
  beside a float32 blocked XᵀX plus eigh in numpy;
- neighbors: k=100 cosine through HTTP, p50/p95, beside one `unit @ q` pass; the server's RSS;
- view: a fresh server started, then a fresh browser opened on the dataset: the in-page times to the
  draw of every point issued, to that draw finished by the GPU (on screen) and to ready (metadata
  read), the bytes fetched, the tab's JS heap and the RSS of its
  renderer and of all chromium, and the hover latency (pointer move → point picked);
- sample: UMAP with pca_dims=50 fitted on --sample rows with the rest placed; its time and the
  trustworthiness (k=10) of a 5k-row sample of the layout;
- layouts (only with --layouts): UMAP and t-SNE (750 iterations) on all rows with pca_dims=50
  through the API, beside umap-learn and openTSNE called directly on the same PCA-50 input, and
  the full UMAP's trustworthiness beside the sampled one.
The machine's load is printed beside every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from server_process import bench_server_process  # noqa: E402
from tests.datagen import write_big  # noqa: E402

from embedding_projector.analysis.rank_scores import trust_and_continuity  # noqa: E402

SECTIONS = ("import", "pca", "neighbors", "view", "sample", "layouts")
CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
                 "--enable-precise-memory-info"]
ROWS: list[str] = []


def load() -> str:
    """The 1-minute load average, for the table."""
    return f"{os.getloadavg()[0]:.2f}"


def row(what: str, ours: str, floor: str, ratio: str = "") -> None:
    """One line of the printed table (also kept for the summary at the end)."""
    line = f"| {what} | {ours} | {floor} | {ratio} | {load()} |"
    ROWS.append(line)
    print(line, flush=True)


def post_job(client: httpx.Client, dataset: str, method: str, params: dict) -> str:
    answer = client.post(f"/api/datasets/{dataset}/projections", json={"method": method, "params": params})
    answer.raise_for_status()
    return answer.json()["id"]


def wait_job(client: httpx.Client, job: str) -> dict:
    while True:
        status = client.get(f"/api/projections/{job}").json()
        if status["status"] not in ("queued", "running"):
            if status["status"] != "done":
                raise RuntimeError(f"job {job}: {status}")
            return status
        with client.stream("GET", f"/api/projections/{job}/events", timeout=None) as events:
            for line in events.iter_lines():
                if line.startswith("data:") and json.loads(line[5:])["status"] not in ("queued", "running"):
                    break


def coords_of(client: httpx.Client, job: str) -> np.ndarray:
    answer = client.get(f"/api/projections/{job}/coords")
    return np.frombuffer(answer.content, "<f4").reshape([int(s) for s in answer.headers["X-Shape"].split(",")])


def wait_warm(client: httpx.Client) -> None:
    while not all(w["warm"] for w in client.get("/api/status").json()["workers"]):
        time.sleep(1)


def workers_state(client: httpx.Client) -> str:
    """How many of the server's workers are warm and warming, as "1 warm, 1 warming of 2"."""
    workers = client.get("/api/status").json()["workers"]
    return (f"{sum(w['warm'] for w in workers)} warm, {sum(w['warming'] for w in workers)} warming"
            f" of {len(workers)}")


def rss_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def section_import(args: argparse.Namespace, npy: Path, data_dir: Path) -> None:
    """The import's time and peak RSS beside np.load's."""
    matrix_mb = args.rows * args.dim * 4 / 2**20
    code = ("import numpy as np, sys, time, resource; t = time.perf_counter(); m = np.load(sys.argv[1]); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    floor = subprocess.run([sys.executable, "-c", code, str(npy)], capture_output=True, text=True, check=True)
    floor_s, floor_mb = (float(v) for v in floor.stdout.split())
    # The command in a fresh interpreter that reports its own peak RSS when it ends.
    # (os._exit as `run()` does: Arrow's thread pools can abort an interpreter's teardown.)
    code = ("import os, resource, sys\nfrom embedding_projector.cli import main\nstatus = main()\n"
            "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr, flush=True)\n"
            "os._exit(status)")
    started = time.perf_counter()
    metadata = ["--metadata", str(npy.with_name("metadata.tsv"))] if npy.with_name("metadata.tsv").exists() else []
    done = subprocess.run([sys.executable, "-c", code, "import", str(npy), *metadata, "--data-dir", str(data_dir)],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if "PEAK" not in done.stderr:
        raise RuntimeError(f"the import failed: {done.stderr[-2000:]}")
    peak = float(done.stderr.rsplit("PEAK", 1)[1].split()[0])
    peak_note = f"{peak:,.0f} MB ({peak / matrix_mb:.2f}× matrix)"
    row("import big.npy: time", f"{seconds:.1f} s", f"np.load {floor_s:.1f} s", f"{seconds / floor_s:.2f}×")
    row("import big.npy: peak RSS", peak_note, f"np.load {floor_mb:,.0f} MB", f"{peak / floor_mb:.2f}×")
    first_view = [json.loads(path.read_text()) for path in first_view_records(data_dir)]
    if first_view:
        row("… of which the first view's PCA, computed at import", f"{first_view[0]['elapsed']:.1f} s", "", "")


def first_view_records(data_dir: Path) -> list[Path]:
    """The finished records of PCA (10 components, all rows, unsphereized) in `data_dir`: the first view's."""
    found = []
    for path in (data_dir / "results").glob("*.json"):
        record = json.loads(path.read_text())
        if (record.get("method"), record.get("params", {}).get("components"), record.get("rows"),
                record.get("sphereize"), record.get("status")) == ("pca", 10, None, False, "done"):
            found.append(path)
    return found


def section_pca(args: argparse.Namespace, client: httpx.Client, dataset: str, npy: Path, data_dir: Path) -> None:
    """PCA through the API beside numpy's float32 blocked XᵀX + eigh."""
    wait_warm(client)
    for record in first_view_records(data_dir):
        record.with_suffix(".f32").unlink(missing_ok=True)  # computed at import: this measures a computation
        record.unlink()
    started = time.perf_counter()
    wait_job(client, post_job(client, dataset, "pca", {"components": 10}))
    ours = time.perf_counter() - started
    started = time.perf_counter()
    x = np.load(npy, mmap_mode="r")
    gram = np.zeros((args.dim, args.dim), dtype=np.float64)
    total = np.zeros(args.dim, dtype=np.float64)
    for start in range(0, args.rows, 16384):
        block = np.asarray(x[start : start + 16384], dtype=np.float32)
        gram += block.T @ block
        total += block.sum(axis=0, dtype=np.float64)
    mean = total / args.rows
    np.linalg.eigh(gram / args.rows - np.outer(mean, mean))
    floor = time.perf_counter() - started
    row("PCA (10 components), API, warm workers", f"{ours:.1f} s", f"XᵀX + eigh {floor:.1f} s", f"{ours / floor:.2f}×")


def section_neighbors(args: argparse.Namespace, client: httpx.Client, dataset: str, npy: Path, pid: int) -> None:
    """k=100 cosine through HTTP beside one pass of unit @ q; the server's memory."""
    rng = np.random.default_rng(1)
    queries = rng.integers(0, args.rows, size=args.queries)
    client.get(f"/api/datasets/{dataset}/neighbors", params={"row": 0, "k": 100})  # builds/maps the index
    times = []
    for q in queries:
        started = time.perf_counter()
        client.get(f"/api/datasets/{dataset}/neighbors", params={"row": int(q), "k": 100}).raise_for_status()
        times.append(time.perf_counter() - started)
    x = np.load(npy, mmap_mode="r")
    unit = np.empty(x.shape, dtype=np.float32)
    for start in range(0, args.rows, 65536):
        block = np.asarray(x[start : start + 65536], dtype=np.float32)
        unit[start : start + 65536] = block / np.linalg.norm(block, axis=1, keepdims=True)
    passes = []
    for q in queries[:50]:
        started = time.perf_counter()
        unit @ unit[q]
        passes.append(time.perf_counter() - started)
    p50, p95 = np.percentile(times, 50) * 1e3, np.percentile(times, 95) * 1e3
    floor = statistics.median(passes) * 1e3
    row("k=100 cosine, HTTP p50 / p95", f"{p50:.0f} / {p95:.0f} ms", f"one unit @ q {floor:.0f} ms", f"{p50 / floor:.2f}×")
    matrix_mb = args.rows * args.dim * 4 / 2**20
    now, peak = rss_mb(pid)
    row("server RSS after the queries (now / peak)", f"{now:,.0f} / {peak:,.0f} MB", f"matrix {matrix_mb:,.0f} MB",
        f"{now / matrix_mb:.2f}×")


# Installed before the page's own scripts: the in-page times of the first view (from navigation
# start, so they leave out Playwright's polling) and, on each hover, the time from the pointer event
# to the store naming the point under it. "points" is when the page has issued the draw of every
# point; "shown" is when the GPU has finished that draw (a fence after it, polled without blocking),
# which with a software renderer comes a frame's work later.
VIEW_PROBE = """
window.__bench = { points: null, shown: null, ready: null, hovers: [] };
(function poll() {
  const canvas = document.querySelector('canvas.scatter-canvas');
  const bench = window.__bench;
  if (bench.points === null && canvas && canvas.dataset.points === String(window.__benchRows)) {
    bench.points = performance.now();
    const gl = canvas.getContext('webgl2');
    bench.fence = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    gl.flush();
    bench.gl = gl;
  }
  if (bench.shown === null && bench.fence && bench.gl.getSyncParameter(bench.fence, bench.gl.SYNC_STATUS) === bench.gl.SIGNALED) {
    bench.shown = performance.now();
    bench.gl.deleteSync(bench.fence);
    bench.fence = null;
    bench.gl = null;
  }
  if (bench.ready === null && bench.points !== null && document.body.dataset.state === 'ready')
    bench.ready = performance.now();
  if (bench.ready === null || bench.shown === null) setTimeout(poll, 2);
})();
"""
HOVER_PROBE = """() => {
  const p = window.__projector;
  let moved = 0;
  let handled = 0;
  // Captured on the window: before the scatter view's own handler, which picks right away.
  window.addEventListener('pointermove', (e) => { moved = e.timeStamp; handled = performance.now(); }, { once: true, capture: true });
  const before = p.store.get().hover;
  const changed = new Promise((resolve) => {
    const stop = p.store.subscribe(['hover'], (s) => { if (s.hover !== before) { stop(); resolve(performance.now()); } });
  });
  // The next animation frame after the pick is the one that paints the hover label.
  const framed = (at) => new Promise((resolve) => requestAnimationFrame(() => resolve([at, performance.now()])));
  window.__benchHover = Promise.race([changed.then(framed), new Promise((r) => setTimeout(() => r(null), 2000))])
    .then((got) => (got === null ? null : [got[0] - moved, handled - moved, got[1] - moved]));
}"""


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children of all its threads, recursively)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *descendants(int(child))]
    return found


def chromium_rss_mb() -> tuple[float, float]:
    """The RSS of the largest chromium renderer below this process (the tab) and of all its chromium processes, in MB."""
    tab, total = 0.0, 0.0
    for pid in descendants(os.getpid()):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"chromium" not in command:
                continue
            rss = rss_mb(pid)[0]
            total += rss
            if b"--type=renderer" in command:
                tab = max(tab, rss)
    return tab, total


def hover_latencies(page, rows: int, moves: int = 20) -> list[tuple[float, float, float]]:
    """Per move onto a point, in ms from the event: to the store's hover naming it, to the first handler, to the next frame."""
    rng = np.random.default_rng(3)
    times = []
    for row in rng.choice(rows, size=moves * 4, replace=False).tolist():
        page.mouse.move(5, 5)  # off the points first, so the move below changes the hover
        page.wait_for_timeout(50)
        # A point's screen position holds only while the camera is still (a reset or fit glides).
        page.wait_for_function("() => document.querySelector('canvas.scatter-canvas').dataset.camera === 'still'")
        at = page.evaluate("r => window.__projector.screenPositionOf(r)", row)
        if at is None:
            continue
        page.evaluate(HOVER_PROBE)
        page.mouse.move(at["x"], at["y"])
        latency = page.evaluate("window.__benchHover")
        if latency is not None:
            times.append(latency)
        if len(times) == moves:
            break
    return times


def report_hovers(hovers: list[tuple[float, float, float]], long_tasks: list[int], when: str) -> None:
    """The hover rows of the table for one series of moves (`when`: what the machine was doing)."""
    if not hovers:
        return
    picked = [total for total, _, _ in hovers]
    waited = [delay for _, delay, _ in hovers]
    framed = [frame for _, _, frame in hovers]
    row(f"hover, {when}: pointer move → point picked, first / p50 / max of {len(hovers)}",
        f"{picked[0]:.0f} / {statistics.median(picked):.0f} / {max(picked):.0f} ms", "target ≤ 50 ms", "")
    # The event's own timestamp is when the browser took the input; chromium delivers a pointermove
    # with the next frame, so a busy machine or a slow software-GL frame delays it before any script.
    row("… of which the move waited to be delivered (p50 / max); main-thread tasks over 50 ms",
        f"{statistics.median(waited):.0f} / {max(waited):.0f} ms",
        f"{len(long_tasks)}, longest {max(long_tasks, default=0)} ms", "")
    own = [total - delay for total, delay, _ in hovers]
    row("… the page's own part: handler → point picked (p50 / max)",
        f"{statistics.median(own):.0f} / {max(own):.0f} ms", "target ≤ 50 ms", "")
    row("… pointer move → the frame that paints the label starts (p50 / max)",
        f"{statistics.median(framed):.0f} / {max(framed):.0f} ms", "", "")


def section_view(args: argparse.Namespace, data_dir: Path, dataset: str) -> None:
    """A fresh server, then a fresh browser opened on the dataset: points drawn, ready, bytes, memory, hover."""
    from playwright.sync_api import sync_playwright

    with bench_server_process(data_dir, {"PROJECTOR_EXAMPLES": "false"}, wait_for=dataset) as (url, _):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            # A user's browser is already running: let this one finish starting before the clock
            # starts (its cache stays empty, so the page's files are fetched as on a first visit).
            page.goto("about:blank")
            page.wait_for_timeout(2000)
            page.add_init_script(f"window.__benchRows = {args.rows};" + VIEW_PROBE)
            started = time.perf_counter()
            page.goto(f"{url}/?dataset={dataset}&dimensions=2")  # the target is for 2D
            page.wait_for_function("() => window.__bench && window.__bench.ready !== null", timeout=900_000)
            seconds = time.perf_counter() - started
            page.wait_for_function("() => window.__bench.shown !== null", timeout=900_000)
            marks = page.evaluate("({ points: window.__bench.points, shown: window.__bench.shown, ready: window.__bench.ready })")
            entries = page.evaluate("performance.getEntriesByType('resource').map(e => [e.name, e.encodedBodySize])"
                                    " .concat(performance.getEntriesByType('navigation').map(e => [e.name, e.encodedBodySize]))")
            fetched = sum(size for _, size in entries)
            coords = sum(size for name, size in entries if "/coords" in name)  # ?columns=3 first
            metadata = sum(size for name, size in entries if "/metadata" in name)
            # Where the first view's time went: the last module and the coordinates received.
            arrived = page.evaluate("(() => { const r = performance.getEntriesByType('resource');"
                                    " const end = (f) => Math.max(0, ...r.filter(f).map((e) => e.responseEnd));"
                                    " return [end((e) => /[.]js([?]|$)/.test(e.name)), end((e) => /[/]coords([?]|$)/.test(e.name))]; })()")
            heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")
            tab, total = chromium_rss_mb()
            # Main-thread tasks over 50 ms while the pointer moves (a GC, a frame, another job).
            page.evaluate("window.__longTasks = []; new PerformanceObserver((l) => window.__longTasks.push("
                          "...l.getEntries().map((e) => Math.round(e.duration)))).observe({ type: 'longtask' })")
            # The page holds the workers' warm-up back for a while (api/pages.py): say what they did meanwhile.
            with httpx.Client(base_url=url, timeout=None) as client:
                warm_before = workers_state(client)
                hovers = hover_latencies(page, args.rows)
                warm_after = workers_state(client)
            long_tasks = page.evaluate("window.__longTasks")
            row("first view (2D) after a server start: open → every point's draw issued (in page)",
                f"{marks['points'] / 1e3:.2f} s", "", "")
            row("… open → that draw finished by the GPU: the points on screen (in page)", f"{marks['shown'] / 1e3:.2f} s",
                "target ≤ 3 s", "")
            row("… the last module / the coordinates received (in page)",
                f"{arrived[0] / 1e3:.2f} s / {arrived[1] / 1e3:.2f} s", "", "")
            row("… open → ready: metadata read too (in page / Playwright)",
                f"{marks['ready'] / 1e3:.2f} s / {seconds:.2f} s", "", "")
            row("bytes the page fetched (coords, metadata)",
                f"{fetched / 2**20:,.1f} MB ({coords / 2**20:,.1f}, {metadata / 2**20:,.1f})",
                f"10 PCA components {args.rows * 40 / 2**20:,.1f} MB", f"{fetched / (args.rows * 40):.2f}×")
            row("tab memory: JS heap / renderer RSS / all chromium RSS",
                f"{'n/a' if heap is None else f'{heap / 2**20:,.0f}'} / {tab:,.0f} / {total:,.0f} MB", "target ≤ 1 GB", "")
            report_hovers(hovers, long_tasks, f"right after the first view (workers {warm_before} → {warm_after})")
            # The same moves once the workers are idle: what is left is the page's and the browser's.
            with httpx.Client(base_url=url, timeout=None) as client:
                wait_warm(client)
            page.evaluate("window.__longTasks = []")
            report_hovers(hover_latencies(page, args.rows), page.evaluate("window.__longTasks"), "workers idle")
            browser.close()


def section_sample(args: argparse.Namespace, client: httpx.Client, dataset: str, npy: Path) -> np.ndarray:
    """UMAP (pca_dims 50) fitted on a sample with the rest placed: time and trustworthiness of 5k rows."""
    wait_warm(client)
    started = time.perf_counter()
    job = post_job(client, dataset, "umap", {"pca_dims": 50, "sample": args.sample, "seed": 0})
    wait_job(client, job)
    seconds = time.perf_counter() - started
    layout = coords_of(client, job)
    rows = np.sort(np.random.default_rng(5).choice(args.rows, size=min(5000, args.rows), replace=False))
    x = np.load(npy, mmap_mode="r")
    trust, _ = trust_and_continuity(np.asarray(x[rows], dtype=np.float32), layout[rows], 10)
    row(f"UMAP on a {args.sample:,}-row sample + transform of the rest", f"{seconds:.1f} s",
        f"trustworthiness@10 (5k rows) {trust:.3f}", "")
    return layout


def section_layouts(args: argparse.Namespace, client: httpx.Client, dataset: str, npy: Path) -> None:
    """Full UMAP and t-SNE with pca_dims 50 through the API, beside the libraries on the same PCA-50 input."""
    from embedding_projector.projections import pca_first
    from embedding_projector.projections.progress import Progress

    wait_warm(client)
    reduced = pca_first.reduce(np.load(npy, mmap_mode="r"), 50, Progress())
    for method in args.layout_methods.split(","):
        params = {"pca_dims": 50}  # the page's defaults: UMAP unseeded (in parallel), t-SNE seed 0
        started = time.perf_counter()
        job = post_job(client, dataset, method, params)
        neighbours_from = (wait_job(client, job).get("extras") or {}).get("neighbors", "?")
        ours = time.perf_counter() - started
        started = time.perf_counter()
        if method == "umap":
            import umap

            umap.UMAP(metric="cosine").fit_transform(reduced)  # n_jobs=-1, as the API's unseeded run
        else:
            from openTSNE import TSNE

            TSNE(random_state=0, n_jobs=os.cpu_count()).fit(reduced)
        floor = time.perf_counter() - started
        row(f"{method} (pca_dims 50; neighbours: {neighbours_from}), API vs library on PCA-50", f"{ours / 60:.1f} min", f"{floor / 60:.1f} min",
            f"{ours / floor:.2f}×")
        rows = np.sort(np.random.default_rng(5).choice(args.rows, size=min(5000, args.rows), replace=False))
        x = np.load(npy, mmap_mode="r")
        trust, _ = trust_and_continuity(np.asarray(x[rows], dtype=np.float32), coords_of(client, job)[rows], 10)
        row(f"{method} on all rows: trustworthiness@10 (the same 5k rows as the sample's)", f"{trust:.3f}", "", "")


def main() -> None:
    """Generate the data (or reuse --out's), run the sections, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=None, help="folder for big.npy and the data (default: a temp dir)")
    parser.add_argument("--only", default=",".join(s for s in SECTIONS if s != "layouts"))
    parser.add_argument("--layouts", action="store_true", help="also the full UMAP and t-SNE (hours at 1M)")
    parser.add_argument("--layout-methods", default="umap,tsne", help="which full layouts --layouts runs")
    args = parser.parse_args()
    only = set(args.only.split(",")) | ({"layouts"} if args.layouts else set())
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        out = args.out or Path(tmp)
        npy = out / "big.npy"
        if not npy.exists():
            write_big(out, args.rows, args.dim, 200, 0, ["npy", "metadata"])
        data_dir = out / "data"
        print(f"{args.rows:,} × {args.dim} float32 ({args.rows * args.dim * 4 / 2**30:.2f} GB), "
              f"{os.cpu_count()} cores\n")
        print("| step | ours | floor (same run) | ratio | load |\n| --- | --- | --- | --- | --- |")
        if "import" in only or not data_dir.exists():
            section_import(args, npy, data_dir)
        with bench_server_process(data_dir, {"PROJECTOR_EXAMPLES": "false"}, wait_for=None) as (url, process):
            with httpx.Client(base_url=url, timeout=None) as client:
                # The data folder may hold others (a server started on it with the examples).
                shaped = [d["id"] for d in client.get("/api/datasets").json()
                          if d["n"] == args.rows and d["dim"] == args.dim]
                if not shaped:
                    raise SystemExit(f"no {args.rows} × {args.dim} dataset in {data_dir}: run with --only import first")
                dataset = shaped[0]
                if "pca" in only:
                    section_pca(args, client, dataset, npy, data_dir)
                if "neighbors" in only:
                    section_neighbors(args, client, dataset, npy, process.pid)
                if "sample" in only:
                    section_sample(args, client, dataset, npy)
                if "layouts" in only:
                    section_layouts(args, client, dataset, npy)
        if "view" in only:
            section_view(args, data_dir, dataset)
    print("\n" + "\n".join(["| step | ours | floor (same run) | ratio | load |", "| --- | --- | --- | --- | --- |", *ROWS]))


if __name__ == "__main__":
    main()
