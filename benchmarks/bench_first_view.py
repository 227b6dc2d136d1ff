"""From opening the page to the PCA view drawn, for GloVe 10k and 400k, in Debian's chromium.

Prints a table: time to first view with the PCA computed on the way (cold) and served from the
result cache (warm), the bytes the page fetched, and, as the floor measured in the same run, the
time to fetch the same data files with a plain HTTP client.
"""

from __future__ import annotations

import shutil
import statistics
import time

import httpx
from playwright.sync_api import sync_playwright

from server_process import BENCH_DATA, bench_server

CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]
RUNS = 5


def first_view(browser, url: str, dataset: str) -> tuple[float, int]:
    """Seconds from navigation to body[data-state=ready], and the bytes of all responses."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{url}/?dataset={dataset}")
    page.wait_for_function("document.body.dataset.state === 'ready'", timeout=120_000)
    elapsed = time.perf_counter() - started
    sent = page.evaluate(
        "performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
        ".reduce((s, e) => s + (e.encodedBodySize || 0), 0)"
    )
    context.close()
    return elapsed, int(sent)


def fetch_floor(url: str, dataset: str) -> float:
    """Time to fetch the metadata and the cached PCA coordinates with httpx (no page, no drawing)."""
    with httpx.Client(base_url=url, timeout=120) as client:
        started = time.perf_counter()
        client.get(f"/api/datasets/{dataset}")
        client.get(f"/api/datasets/{dataset}/metadata").content
        job = client.post(f"/api/datasets/{dataset}/projections", json={"method": "pca"}).json()
        client.get(f"/api/projections/{job['id']}/coords").content
        return time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print the table."""
    shutil.rmtree(BENCH_DATA / "results", ignore_errors=True)
    rows = []
    with bench_server(env={"PROJECTOR_WARMUP": "false"}) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        for dataset, target in (("glove-10k", 1.5), ("glove-400k", 3.0)):
            cold, sent = first_view(browser, url, dataset)
            warm = [first_view(browser, url, dataset)[0] for _ in range(RUNS)]
            floor = statistics.median(fetch_floor(url, dataset) for _ in range(RUNS))
            rows.append((dataset, cold, statistics.median(warm), max(warm), sent, floor, target))
        browser.close()
    print("| dataset | first view, PCA computed | first view, cached (p50 / max of 5) | bytes fetched | "
          "floor: same data by httpx | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dataset, cold, warm, worst, sent, floor, target in rows:
        print(f"| {dataset} | {cold:.2f} s | {warm:.2f} s / {worst:.2f} s | {sent / 1e6:.1f} MB | "
              f"{floor:.2f} s | ≤ {target} s |")


if __name__ == "__main__":
    main()
