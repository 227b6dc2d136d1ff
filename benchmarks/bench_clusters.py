"""HDBSCAN of a 2-D layout and of vectors: our clusters path beside scikit-learn's exact HDBSCAN.

Run: `.venv/bin/python benchmarks/bench_clusters.py [--layout-rows 400000] [--exact-rows 50000]
[--vector-rows 50000]`. Gaussian blobs with known labels; prints a markdown table with seconds and
the adjusted Rand index against the truth and against sklearn's exact tree (same clusters = ARI ~1).
fast_hdbscan is timed too when it is importable (it is not a dependency; run this file with a venv
that has it, e.g. `python -m venv /tmp/fh && /tmp/fh/bin/pip install fast-hdbscan scikit-learn`).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from embedding_projector.analysis import hdbscan_fit  # noqa: E402
from embedding_projector.analysis.knn_graph import compute  # noqa: E402
from embedding_projector.projections.progress import Progress  # noqa: E402

MIN_SAMPLES = 10


def timed(fn):  # noqa: ANN001, ANN201
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def exact(points: np.ndarray, min_cluster_size: int) -> np.ndarray:
    """scikit-learn's HDBSCAN on the points (its exact, all-pairs Prim tree)."""
    from sklearn.cluster import HDBSCAN

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HDBSCAN(min_cluster_size=min_cluster_size, min_samples=MIN_SAMPLES, copy=True).fit_predict(points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layout-rows", type=int, default=400_000)
    parser.add_argument("--exact-rows", type=int, default=50_000, help="sklearn's exact HDBSCAN (quadratic) at this size")
    parser.add_argument("--vector-rows", type=int, default=50_000)
    args = parser.parse_args()
    table = ["| input | method | seconds | ARI vs truth | ARI vs sklearn exact |", "|---|---|---|---|---|"]
    try:
        import fast_hdbscan
    except ImportError:
        fast_hdbscan = None

    for n in sorted({args.exact_rows, args.layout_rows}):
        points, truth = make_blobs(n, 2, centers=12, random_state=0)
        size = max(5, round(n / 200))
        base, base_s = timed(lambda: exact(points, size)) if n <= args.exact_rows else (None, None)
        if base is not None:
            table.append(f"| {n:,} x 2 | sklearn HDBSCAN (exact) | {base_s:.2f} | {adjusted_rand_score(truth, base):.4f} | 1 |")
        methods = [("ours: k-NN graph (k-d tree) tree + sklearn's routines", lambda: hdbscan_fit.layout_labels(points, size, MIN_SAMPLES))]
        if fast_hdbscan is not None:
            fast_hdbscan.HDBSCAN(min_cluster_size=10, min_samples=MIN_SAMPLES).fit_predict(points[:1000])  # compile
            methods.append(("fast_hdbscan", lambda: fast_hdbscan.HDBSCAN(min_cluster_size=size, min_samples=MIN_SAMPLES).fit_predict(points)))
        for name, run in methods:
            ours, secs = timed(run)
            same = f"{adjusted_rand_score(base, ours):.4f}" if base is not None else "-"
            table.append(f"| {n:,} x 2 | {name} | {secs:.2f} | {adjusted_rand_score(truth, ours):.4f} | {same} |")
        print(table[-1], flush=True)

    n = args.vector_rows
    vectors, truth = make_blobs(n, 50, centers=12, random_state=0)
    vectors = vectors.astype(np.float32)
    (neighbors, distances), graph_s = timed(lambda: compute(vectors, 15, "euclidean", Progress()))
    ours, secs = timed(lambda: hdbscan_fit.graph_labels(neighbors, distances, max(5, round(n / 200)), MIN_SAMPLES))
    table.append(f"| {n:,} x 50 | exact k-NN graph k=15 (knn_graph job, cached) | {graph_s:.2f} | - | - |")
    table.append(f"| {n:,} x 50 | HDBSCAN on that graph | {secs:.2f} | {adjusted_rand_score(truth, ours):.4f} | - |")
    print("\n".join(table))


if __name__ == "__main__":
    main()
