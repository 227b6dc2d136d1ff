"""The faithfulness analysis of a 2-D layout with its graph cached: wall time of run() by phase, in-process.

Run: `.venv/bin/python benchmarks/bench_faithfulness.py [--rows 400000] [--dim 50] [--k 10]`. The
vectors are Gaussian clusters and the layout their first two coordinates plus noise (a stand-in for
a UMAP layout: run() reads only its coordinates); the graph is the layout's own neighbours mixed
with random rows, because computing the exact graph is the knn_graph job's cost, cached before this.
Target (issue 13): a 400k layout within 10 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from embedding_projector.analysis import faithfulness  # noqa: E402
from embedding_projector.analysis.graph_cache import Graph  # noqa: E402
from embedding_projector.analysis.rank_scores import tree_neighbors  # noqa: E402
from embedding_projector.projections.progress import Progress  # noqa: E402


def inputs(n: int, dim: int, k: int) -> tuple[np.ndarray, np.ndarray, Graph]:
    """Vectors (n, dim), a 2-D layout and a plausible (n, k) graph."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 5, size=(50, dim))
    vectors = (centres[rng.integers(0, 50, n)] + rng.normal(size=(n, dim))).astype(np.float32)
    layout = (vectors[:, :2] + rng.normal(scale=0.5, size=(n, 2))).astype(np.float32)
    neighbors = tree_neighbors(layout.astype(np.float64), k, workers=-1).astype(np.int32)
    noisy = rng.random((n, k)) < 0.3
    neighbors[noisy] = rng.integers(0, n, int(noisy.sum()))
    return vectors, layout, Graph("bench", neighbors, np.zeros((n, k), np.float32))


def main() -> None:
    """Time one run() and print its phases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    vectors, layout, graph = inputs(args.rows, args.dim, args.k)
    marks: list[tuple[float, float]] = []
    started = time.perf_counter()
    progress = Progress(lambda fraction, info, coords: marks.append((fraction, time.perf_counter() - started)))
    params = faithfulness.Params(layout="bench", k=args.k, metric="cosine")
    result = faithfulness.run(vectors, params, progress, graph=graph, layout=layout)
    total = time.perf_counter() - started
    phases = {"k-d tree": marks[1][1] - marks[0][1], "recall": marks[2][1] - marks[1][1], "sample scores": total - marks[2][1]}
    print(f"| rows | dim | k | total s | {' | '.join(phases)} | mean recall | trust | continuity | load |")
    print("|---:|---:|---:|---:|" + "---:|" * (len(phases) + 4))
    e = result.extras
    print(f"| {args.rows:,} | {args.dim} | {args.k} | {total:.2f} | " + " | ".join(f"{v:.2f}" for v in phases.values())
          + f" | {e['mean_recall']:.3f} | {e['trustworthiness']:.3f} | {e['continuity']:.3f} | {os.getloadavg()[0]:.2f} |")


if __name__ == "__main__":
    main()
