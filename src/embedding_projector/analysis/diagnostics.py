"""The diagnostics job method: hubness, sparsity and near-duplicates, read off the cached k-NN graph.

- hubness (float32, per row): N_k, how many rows have this row among their k nearest; hubs are rows
  that turn up in far more lists than the k of an average row. The usual summary is the skewness of N_k.
- sparsity (float32, per row): the distance to the row's k-th nearest neighbour.
- near-duplicates (extras): the pairs (i, j), i < j, at a distance under the threshold, taken from the
  graph: a row with more than k duplicates lists only k of them (the count is then a lower bound).
Row numbers are positions in the job's rows (dataset rows for a job over all rows), as in the arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedding_projector.neighbors import Metric
from embedding_projector.projections.progress import Progress, ProjectionResult

if TYPE_CHECKING:  # graph_cache imports the method table, which imports this module
    from embedding_projector.analysis.graph_cache import Graph

MAX_K = 100
MAX_PAIRS_LISTED = 1000
# Cosine distance 1e-6 is an angle of ~0.08 degrees: the same vector up to rounding or a rescale.
DEFAULT_DUPLICATE_THRESHOLD = 1e-6


class Params(BaseModel):
    """k (1..100), the metric and the near-duplicate distance threshold."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(10, ge=1, le=MAX_K, description="neighbours per row")
    metric: Metric = "cosine"
    duplicate_threshold: float = Field(
        DEFAULT_DUPLICATE_THRESHOLD, ge=0, le=1e30, allow_inf_nan=False,
        description="pairs at a distance under this are near-duplicates",
    )


def graph_needed(params: Params, n_rows: int) -> tuple[str, int]:
    """The graph the worker must hand over: the rows' k nearest under the metric."""
    return params.metric, params.k


def hubness(neighbors: np.ndarray, n: int) -> np.ndarray:
    """N_k of each of n rows: how often it appears in the (n, k) neighbour lists (float32)."""
    return np.bincount(neighbors.ravel(), minlength=n).astype(np.float32)


def skewness(x: np.ndarray) -> float:
    """The sample skewness E[(x - mean)^3] / std^3 (0 for a constant)."""
    x = np.asarray(x, dtype=np.float64)
    std = x.std()
    return float(np.mean((x - x.mean()) ** 3) / std**3) if std > 0 else 0.0


def duplicate_pairs(neighbors: np.ndarray, distances: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Each pair (i, j), i < j, once, at a graph distance under `threshold`: (m, 2) rows and (m,) distances,
    nearest first."""
    i, col = np.nonzero(distances < threshold)
    j = neighbors[i, col].astype(np.int64)
    d = distances[i, col].astype(np.float64)
    pairs = np.stack([np.minimum(i, j), np.maximum(i, j)], axis=1)
    if not len(pairs):
        return pairs, d
    pairs, first = np.unique(pairs, axis=0, return_index=True)
    d = d[first]
    order = np.lexsort((pairs[:, 1], pairs[:, 0], d))
    return pairs[order], d[order]


def run(vectors: np.ndarray, params: Params, progress: Progress, *, graph: Graph, **_: Any) -> ProjectionResult:
    """Hubness, sparsity and near-duplicate pairs of the job's rows from their k-NN graph."""
    n = vectors.shape[0]
    k = min(params.k, graph.k)
    neighbors, distances = graph.neighbors[:, :k], graph.distances[:, :k]
    if k < 1:
        n_k = np.zeros(n, dtype=np.float32)
        sparsity = np.zeros(n, dtype=np.float32)
    else:
        n_k = hubness(neighbors, n)
        sparsity = np.ascontiguousarray(distances[:, k - 1], dtype=np.float32)
    pairs, pair_dist = duplicate_pairs(neighbors, distances, params.duplicate_threshold)
    progress.update(1.0, rows_done=n)
    listed = min(len(pairs), MAX_PAIRS_LISTED)
    extras = {
        "k": k,
        "metric": params.metric,
        "duplicate_threshold": params.duplicate_threshold,
        "duplicates": {
            "count": int(len(pairs)),
            "truncated": bool(len(pairs) > MAX_PAIRS_LISTED),
            "pairs": [[int(a), int(b), float(d)] for (a, b), d in zip(pairs[:listed], pair_dist[:listed])],
        },
        "hubness_skewness": skewness(n_k),
        "hubness_max": int(n_k.max()) if n else 0,
        "sparsity_median": float(np.median(sparsity)) if n else 0.0,
    }
    return ProjectionResult(coords=None, extras=extras, arrays={"hubness": n_k, "sparsity": sparsity})
