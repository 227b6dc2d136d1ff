"""bench_neighbors.py --big: k=100 cosine over HTTP on a generated N x D mixture, beside one `x @ q` pass.

Queries and numpy products of the dataset's unit vectors (unit.npy, memory-mapped as the server
maps it) with the same query vectors alternate in rounds of ten, so both see the same load. The server's
RSS (VmRSS, RssAnon, RssFile, VmHWM from /proc/<pid>/status) is read after the queries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server_process import BENCH_DATA, bench_server_process  # noqa: E402
from tests.datagen import write_big  # noqa: E402

K = 100
ROUND = 10  # passes, then queries, per round
SETTLE_SECONDS = 0.3  # OpenBLAS's idle threads stop spinning after ~0.1 s


def proc_status(pid: int) -> dict[str, int]:
    """The kB fields of /proc/<pid>/status that say how much memory the process holds."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
            out[key] = int(value.split()[0]) * 1024
    return out


def prepared(rows: int, dim: int) -> tuple[Path, str]:
    """The data folder holding the imported mixture (generated and imported once) and the dataset id."""
    folder = BENCH_DATA / f"neighbors-{rows}x{dim}"
    marker = folder / "dataset-id"
    if marker.is_file():
        return folder, marker.read_text().strip()
    started = time.perf_counter()
    paths = write_big(folder / "source", rows, dim, 200, 0, ["npy"])
    print(f"generated {paths['npy']} in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "embedding_projector", "import", str(paths["npy"]), "--data-dir", str(folder / "data"),
         "--name", f"big {rows}x{dim}"],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    dataset_id = out.stdout.split("\t")[0].strip()
    print(f"imported {dataset_id} in {time.perf_counter() - started:.0f} s", flush=True)
    paths["npy"].unlink()  # the dataset folder holds the matrix now
    marker.write_text(dataset_id)
    return folder, dataset_id


def exact_cosine(vectors: np.ndarray, row: int, k: int) -> list[int]:
    """The k nearest rows to `row` by float64 cosine distance (ties by row), in blocks: the check."""
    q = np.asarray(vectors[row], dtype=np.float64)
    dist = np.empty(len(vectors))
    for start in range(0, len(vectors), 16384):
        x = np.asarray(vectors[start : start + 16384], dtype=np.float64)
        dist[start : start + len(x)] = 1 - (x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    dist[row] = np.inf
    order = np.lexsort((np.arange(len(dist)), dist))
    return order[:k].tolist()


def run_big(rows: int, dim: int, queries: int, timeout: float) -> None:
    """Prepare the data, start the server, time the queries beside the numpy pass, print the table."""
    folder, dataset_id = prepared(rows, dim)
    dataset = folder / "data" / "datasets" / dataset_id
    unit = np.load(dataset / "unit.npy", mmap_mode="r")
    vectors = np.load(dataset / "vectors.npy", mmap_mode="r")
    matrix_bytes = vectors.nbytes
    picks = np.random.default_rng(0).integers(0, rows, size=queries)
    env = {"PYTHONPATH": str(REPO / "src"), "PROJECTOR_WORKERS": "1", "PROJECTOR_WARMUP": "false",
           "PROJECTOR_EXAMPLES": "false"}
    load_before = os.getloadavg()
    with bench_server_process(folder / "data", env=env, wait_for=dataset_id, timeout=timeout) as (base, process), \
            httpx.Client(base_url=base, timeout=120) as client:
        idle = proc_status(process.pid)

        def get(row: int, metric: str = "cosine") -> list[int]:
            r = client.get(f"/api/datasets/{dataset_id}/neighbors", params={"row": row, "k": K, "metric": metric})
            r.raise_for_status()
            return [n["row"] for n in r.json()["neighbors"]]

        started = time.perf_counter()
        first = get(int(picks[0]))
        first_ms = (time.perf_counter() - started) * 1e3
        for row in picks[:3]:
            assert get(int(row)) == exact_cosine(vectors, int(row), K), f"HTTP answer for row {row} is not exact"
        get(int(picks[0]), "euclidean")
        for _ in range(3):
            unit @ np.ascontiguousarray(unit[0])  # the bench process's own pages, mapped once
        times = {name: np.empty(queries) for name in ("http", "euclidean", "unit_pass", "vectors_pass")}
        # Alternate rounds of passes and queries rather than one of each: after a product our own
        # OpenBLAS threads spin for ~0.1 s, on the cores the server's query needs (that halved its
        # speed when interleaved one by one). So each round of passes is followed by a pause.
        for lo in range(0, queries, ROUND):
            batch = list(enumerate(picks[lo : lo + ROUND].tolist(), lo))
            for i, row in batch:
                q = np.ascontiguousarray(unit[row])
                started = time.perf_counter()
                unit @ q
                times["unit_pass"][i] = (time.perf_counter() - started) * 1e3
                started = time.perf_counter()
                vectors @ q
                times["vectors_pass"][i] = (time.perf_counter() - started) * 1e3
            time.sleep(SETTLE_SECONDS)
            for i, row in batch:
                for name, metric in (("http", "cosine"), ("euclidean", "euclidean")):
                    started = time.perf_counter()
                    get(row, metric)
                    times[name][i] = (time.perf_counter() - started) * 1e3
        busy = proc_status(process.pid)
    load_after = os.getloadavg()
    assert first, "no neighbours"
    del unit, vectors

    def ms(values: np.ndarray) -> str:
        return f"{np.percentile(values, 50):.1f} | {np.percentile(values, 95):.1f}"

    mb = 1 << 20
    print(f"\nk={K} cosine neighbours, generated {rows:,} x {dim} float32 ({matrix_bytes / mb:,.0f} MB), "
          f"{os.cpu_count()} cores; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after\n")
    print("| What | calls | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- |")
    print(f"| HTTP `GET /api/datasets/{{id}}/neighbors?k={K}&metric=cosine` (httpx, keep-alive) | {queries} "
          f"| {ms(times['http'])} |")
    print(f"| HTTP the same with `metric=euclidean` | {queries} | {ms(times['euclidean'])} |")
    print(f"| numpy `unit @ q`, one pass over unit.npy (F order, memory-mapped, default BLAS threads) | {queries} "
          f"| {ms(times['unit_pass'])} |")
    print(f"| numpy `vectors @ q`, one pass over vectors.npy (C order, memory-mapped) | {queries} "
          f"| {ms(times['vectors_pass'])} |")
    ratio = np.percentile(times["http"], 50) / np.percentile(times["unit_pass"], 50)
    ratio_c = np.percentile(times["http"], 50) / np.percentile(times["vectors_pass"], 50)
    print(f"\np50 ratio, cosine over HTTP / one pass over unit.npy: **{ratio:.2f}x** (target <= 1.5x); "
          f"over vectors.npy: {ratio_c:.2f}x. First query (opens the index, maps the file): {first_ms:.0f} ms.\n")
    print("| Server memory | MB | x matrix |")
    print("| --- | --- | --- |")
    for label, status in (("before the first query", idle), ("after the queries", busy)):
        for key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            if key in status:
                print(f"| {key} {label} | {status[key] / mb:,.0f} | {status[key] / matrix_bytes:.2f} |")
