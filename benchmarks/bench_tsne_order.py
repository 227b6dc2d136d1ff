"""t-SNE's gradient at scale with the rows in data order beside locality order (tsne_locality.py), in one run.

On a generated N × 50 mixture (default 1M rows, the shape of a PCA-50 input), with openTSNE's
perplexity-30 affinities from 90 NN-descent neighbours and its PCA initialisation spread to a
standard deviation of 40 (a layout mid-run):
- the attractive half of one gradient (openTSNE's estimate_positive_gradient_nn, 2 threads), best
  of 3, in data order and after tsne_locality.reorder, with the largest difference between the two;
- the repulsive (FFT) half in both orders;
- what the reordering itself costs.
--full also runs tsne.run (750 iterations, as a job does) in locality order and prints its phases.

    .venv/bin/python benchmarks/bench_tsne_order.py [--rows 1000000] [--full]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.datagen import mixture_blocks  # noqa: E402

THREADS = 2


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def attractive(P, embedding: np.ndarray) -> tuple[float, np.ndarray]:
    """Best of 3 seconds for openTSNE's attractive gradient, and the gradient."""
    from openTSNE import _tsne

    best, gradient = float("inf"), None
    for _ in range(3):
        gradient = np.zeros_like(embedding)
        started = time.perf_counter()
        _tsne.estimate_positive_gradient_nn(P.indices, P.indptr, P.data, embedding, embedding, gradient, 1,
                                            num_threads=THREADS, should_eval_error=False)
        best = min(best, time.perf_counter() - started)
    return best, gradient


def repulsive(embedding: np.ndarray) -> float:
    """Seconds for openTSNE's FFT repulsive gradient (its default interpolation settings)."""
    from openTSNE import _tsne

    gradient = np.zeros_like(embedding)
    started = time.perf_counter()
    _tsne.estimate_negative_gradient_fft_2d(embedding, gradient, n_interpolation_points=3, min_num_intervals=50,
                                            ints_in_interval=1, dof=1)
    return time.perf_counter() - started


def main() -> None:
    """Generate the rows, time both orders, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--full", action="store_true", help="also a whole t-SNE run in locality order")
    args = parser.parse_args()
    from openTSNE import TSNEEmbedding, initialization
    from openTSNE.affinity import PerplexityBasedNN
    from openTSNE.nearest_neighbors import PrecomputedNeighbors
    from pynndescent import NNDescent

    from embedding_projector.projections import tsne, tsne_locality
    from embedding_projector.projections.progress import Progress

    x = np.concatenate([v for v, _ in mixture_blocks(args.rows, 50, 200, seed=0)])
    print(f"{args.rows:,} × 50 float32 mixture, {os.cpu_count()} cores, {THREADS} threads\n")
    started = time.perf_counter()
    index = NNDescent(x, n_neighbors=91, metric="euclidean", n_jobs=THREADS, random_state=0, low_memory=True,
                      n_iters=4, max_candidates=20)
    neighbors, distances = index.neighbor_graph
    affinities = PerplexityBasedNN(
        perplexity=30, n_jobs=THREADS,
        knn_index=PrecomputedNeighbors(np.ascontiguousarray(neighbors[:, 1:], dtype=np.int64),
                                       np.ascontiguousarray(distances[:, 1:], dtype=np.float64)))
    init = initialization.pca(x, random_state=0)
    print(f"(set-up: neighbours and affinities {time.perf_counter() - started:.0f} s, "
          f"{affinities.P.nnz:,} non-zeros)\n")
    spread = np.ascontiguousarray(init / init.std() * 40, dtype=np.float64)
    data_P = affinities.P.tocsr()
    data_time, data_gradient = attractive(data_P, spread)
    data_repulsive = repulsive(spread)

    embedding = TSNEEmbedding(spread.copy(), affinities, n_jobs=THREADS)
    started = time.perf_counter()
    order = tsne_locality.reorder(embedding, min_rows=0)
    reorder_time = time.perf_counter() - started
    local = np.ascontiguousarray(embedding, dtype=np.float64)
    local_time, local_gradient = attractive(embedding.affinities.P, local)
    local_repulsive = repulsive(local)
    difference = np.abs(order.to_data(local_gradient) - data_gradient).max()

    print("| step | locality order | data order | ratio | load |\n| --- | ---: | ---: | ---: | --- |")
    print(f"| attractive gradient (best of 3) | {local_time:.2f} s | {data_time:.2f} s | "
          f"{data_time / local_time:.1f}× | {load()} |")
    print(f"| repulsive gradient (FFT) | {local_repulsive:.2f} s | {data_repulsive:.2f} s | "
          f"{data_repulsive / local_repulsive:.2f}× | {load()} |")
    print(f"| reordering (RCM + permuting P), once | {reorder_time:.1f} s | | | {load()} |")
    print(f"| largest gradient difference | {difference:.1e} of {np.abs(data_gradient).max():.1e} | | | |")

    if args.full:
        started = time.perf_counter()
        seen: dict = {}

        def phase(_fraction: float, info: dict, _coords: object) -> None:
            key = (info.get("stage"), info.get("phase"))
            seen.setdefault(key, time.perf_counter() - started)

        result = tsne.run(x, tsne.Params(), Progress(phase))
        total = time.perf_counter() - started
        optimise = total - seen[("optimize", "early")]
        print(f"| t-SNE, 750 iterations, in locality order | {total / 60:.1f} min (neighbours and set-up "
              f"{seen[('optimize', 'early')] / 60:.1f}, optimisation {optimise / 60:.1f}) | | | {load()} |")
        print(f"\n(extras: {result.extras})")


if __name__ == "__main__":
    main()
