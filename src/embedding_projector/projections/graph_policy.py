"""When a t-SNE or UMAP run without a cached k-NN graph computes the exact one first (and caches it).

The exact graph (knn_graph) lets the next run with other n_neighbors or perplexity find its
neighbours for free. Below GRAPH_MIN_ROWS the libraries' own search is as quick, so nothing is
computed. Above GRAPH_MAX_ROWS the exact graph costs n² · d: at 1M × 50 it took ~25 min on 2 cores,
where umap-learn's NN-descent or openTSNE's Annoy take minutes, so the library searches instead.
A cached graph of any size is still used.
"""

from __future__ import annotations

GRAPH_MIN_ROWS = 20_000
GRAPH_MAX_ROWS = 100_000
GRAPH_MAX_K = 100  # knn_graph.MAX_K (not read from it: knn_graph imports the projections package)


def compute_k(n: int) -> int | None:
    """The k of the graph to compute when none is cached for `n` rows, or None to let the library search."""
    return min(GRAPH_MAX_K, n - 1) if GRAPH_MIN_ROWS <= n <= GRAPH_MAX_ROWS else None
