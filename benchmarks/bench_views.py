"""Shared views: saving and reading 1,000 views on SQLite and on PostgreSQL, and opening a shared
view of a 400k t-SNE in chromium beside computing that t-SNE afresh, all in one run.

    python benchmarks/bench_views.py            # everything (the 400k t-SNE takes ~10 minutes)
    python benchmarks/bench_views.py --quick    # the SQL part only
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time

import httpx

from server_process import BENCH_DATA, REPO, bench_server

N_VIEWS = 1000
CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def sql_round(url: str) -> tuple[float, float, float, float]:
    """Save then read N_VIEWS views through HTTP: total seconds and p50 ms for each."""
    state = {"dataset": "glove-10k", "selection": list(range(100)), "isolated": list(range(101)),
             "colorBy": "rank", "labelBy": "word", "neighbors": 100, "metric": "cosine", "dimensions": 3,
             "camera": {"position": [0.1, 0.2, 3], "target": [0, 0, 0], "zoom": 1.0}}
    with httpx.Client(base_url=url, timeout=60) as c:
        ids, saves, reads = [], [], []
        started = time.perf_counter()
        for _ in range(N_VIEWS):
            t = time.perf_counter()
            ids.append(c.post("/api/views", json=state).raise_for_status().json()["id"])
            saves.append(time.perf_counter() - t)
        save_total = time.perf_counter() - started
        started = time.perf_counter()
        for view_id in ids:
            t = time.perf_counter()
            c.get(f"/api/views/{view_id}").raise_for_status()
            reads.append(time.perf_counter() - t)
        read_total = time.perf_counter() - started
    return save_total, statistics.median(saves) * 1e3, read_total, statistics.median(reads) * 1e3


def stored_tsne_400k() -> dict | None:
    """A finished 400k t-SNE result already on disk (e.g. from bench_projections.py), if any."""
    for record in (BENCH_DATA / "results").glob("*.json"):
        status = json.loads(record.read_text())
        if (status.get("dataset"), status.get("method"), status.get("status")) == ("glove-400k", "tsne", "done") \
                and status.get("rows") is None:
            return status
    return None


def open_shared_view(url: str, reuse: dict | None) -> tuple[float, float | None]:
    """Compute a 400k t-SNE through the API (timed; skipped when `reuse` is a stored one), share it,
    and time opening the link in chromium."""
    from playwright.sync_api import sync_playwright

    with httpx.Client(base_url=url, timeout=None) as c:
        compute = None
        if reuse is None:
            started = time.perf_counter()
            job = c.post("/api/datasets/glove-400k/projections",
                         json={"method": "tsne", "params": {"iterations": 750, "seed": 7}}).json()
            with c.stream("GET", f"/api/projections/{job['id']}/events") as r:
                for _ in r.iter_lines():
                    pass
            assert c.get(f"/api/projections/{job['id']}").json()["status"] == "done"
            compute = time.perf_counter() - started
            reuse = c.get(f"/api/projections/{job['id']}").json()
        view = c.post("/api/views", json={"dataset": "glove-400k", "dimensions": 2, "projection": {
            "method": "tsne", "params": reuse["params"], "job": reuse["id"]}}).json()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        started = time.perf_counter()
        page.goto(view["url"])
        page.wait_for_function("document.body.dataset.state === 'ready'", timeout=300_000)
        opened = time.perf_counter() - started
        browser.close()
    return opened, compute


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the 400k t-SNE")
    parser.add_argument("--reuse", action="store_true",
                        help="open a 400k t-SNE already computed (by bench_projections.py) instead of computing one")
    args = parser.parse_args()
    pg_url = subprocess.run(["bash", str(REPO / "scripts/test_postgres.sh")], capture_output=True,
                            text=True, check=True).stdout.strip().splitlines()[-1]
    rows = []
    env = {"PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1"}
    for name, extra in (("SQLite", {}), ("PostgreSQL", {"PROJECTOR_DATABASE_URL": pg_url})):
        with bench_server(env={**env, **extra}, wait_for="glove-10k") as url:
            rows.append((name, *sql_round(url)))
    print(f"| database | save {N_VIEWS} views | save p50 | read {N_VIEWS} views | read p50 |")
    print("| --- | --- | --- | --- | --- |")
    for name, save_total, save_p50, read_total, read_p50 in rows:
        print(f"| {name} | {save_total:.2f} s | {save_p50:.2f} ms | {read_total:.2f} s | {read_p50:.2f} ms |")
    if not args.quick:
        reuse = stored_tsne_400k() if args.reuse else None
        if reuse is None:
            for path in (BENCH_DATA / "results").glob("*"):  # "afresh" must not be a cache hit
                path.unlink()
        with bench_server(data_dir=BENCH_DATA, env={"PROJECTOR_WORKERS": "1"}) as url:
            opened, compute = open_shared_view(url, reuse)
        print()
        print("| GloVe 400k t-SNE | seconds |")
        print("| --- | --- |")
        print(f"| open the shared view: navigation to points drawn | {opened:.2f} |")
        if compute is not None:
            print(f"| compute the same t-SNE afresh through the API | {compute:.1f} |")
        else:
            print("| compute it afresh | see bench_projections.py's t-SNE 400k row |")


if __name__ == "__main__":
    main()
